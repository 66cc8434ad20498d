/**
 * A structural pass over a CBOR frame, run before cbor-x when the frame holds a byte that could be
 * one of two heads cbor-x 1.6 mishandles:
 * - an indefinite-length array/map (0x9f/0xbf) that is not closed: cbor-x reads past the end and
 *   loops up to its 112M-item limit (a 3-byte frame costs ~24 s). The pass checks the frame is one
 *   complete, well-formed item, so cbor-x only sees closed containers.
 * - a negative integer below -2^31 (0x3a with an argument >= 2^31, any 0x3b): cbor-x applies
 *   JavaScript's 32-bit `~` to the argument (-3e9 comes back as 1294967296). Such heads down to
 *   -2^53 are rewritten as float64 (0xfb), exact there.
 * - a 64-bit integer beyond ±2^53 (0x1b, 0x3b): cbor-x, set to give numbers, would round it. Such
 *   heads are rewritten as the bignum of the same 8 bytes (tag 2/3), which cbor-x gives as BigInt.
 * Frames without those bytes (most ASCII-only messages) skip the pass.
 */

const needsScan = (frame: Uint8Array): boolean =>
  frame.indexOf(0x9f) !== -1 || frame.indexOf(0xbf) !== -1 || frame.indexOf(0x3b) !== -1 ||
  frame.indexOf(0x3a) !== -1 || frame.indexOf(0x1b) !== -1

/** The high 32 bits of 2^53: a 64-bit argument is beyond 2^53 when its high word is above this. */
const HIGH_2_53 = 0x200000

interface Rewrite {
  readonly at: number
  /** float: a negative head as float64; bignum: a 64-bit head as tag 2/3 of its 8 bytes. */
  readonly kind: "float" | "bignum"
}

/** The frame to decode (the input, or a rewritten copy), or a message saying why it is malformed. */
export const prepare = (frame: Uint8Array): Uint8Array | string => {
  if (!needsScan(frame)) return frame
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength)
  const rewrites: Array<Rewrite> = []
  // Items still expected in each open container; Infinity for indefinite length. The frame itself
  // is one item.
  const expected: Array<number> = [1]
  let position = 0
  for (;;) {
    while (expected.length > 0 && expected[expected.length - 1] === 0) expected.pop()
    if (expected.length === 0) break
    if (position >= frame.length) return "truncated"
    const initial = frame[position]!
    if (initial === 0xff) {
      if (expected[expected.length - 1] !== Infinity) return "unexpected break"
      expected.pop()
      position++
      continue
    }
    expected[expected.length - 1]! -= 1
    const major = initial >> 5
    const info = initial & 31
    if (info >= 28 && info <= 30) return "reserved additional information"
    if (info === 31) {
      if (major < 2 || major === 6) return "indefinite length on a type that has none"
      if (major !== 7) expected.push(Infinity)
      position++
      continue
    }
    const headLength = info < 24 ? 1 : info === 24 ? 2 : info === 25 ? 3 : info === 26 ? 5 : 9
    if (position + headLength > frame.length) return "truncated"
    const argument = info < 24
      ? info
      : info === 24
      ? frame[position + 1]!
      : info === 25
      ? view.getUint16(position + 1)
      : info === 26
      ? view.getUint32(position + 1)
      : view.getUint32(position + 1) * 0x100000000 + view.getUint32(position + 5)
    position += headLength
    switch (major) {
      case 0:
        if (info === 27 && beyond2To53(view, position - headLength)) {
          rewrites.push({ at: position - headLength, kind: "bignum" })
        }
        break
      case 1:
        if (info === 27) {
          // -1 - argument >= -2^53 exactly when argument < 2^53 (high word below 2^21).
          const at = position - headLength
          rewrites.push({ at, kind: view.getUint32(at + 1) < HIGH_2_53 ? "float" : "bignum" })
        } else if (info === 26 && argument >= 0x80000000) rewrites.push({ at: position - headLength, kind: "float" })
        break
      case 2:
      case 3:
        position += argument
        break
      case 4:
        expected.push(argument)
        break
      case 5:
        expected.push(argument * 2)
        break
      case 6:
        expected.push(1)
        break
    }
  }
  if (position > frame.length) return "truncated"
  if (position < frame.length) return "trailing bytes after the message"
  return rewrites.length === 0 ? frame : rewrite(frame, view, rewrites)
}

/** Whether the 64-bit argument of the head at `at` exceeds 2^53 (read in words: a double would round). */
const beyond2To53 = (view: DataView, at: number): boolean => {
  const high = view.getUint32(at + 1)
  return high > HIGH_2_53 || (high === HIGH_2_53 && view.getUint32(at + 5) > 0)
}

const rewrite = (frame: Uint8Array, view: DataView, rewrites: ReadonlyArray<Rewrite>): Uint8Array => {
  // Each rewrite grows the frame by at most 4 bytes (a 5-byte head as a 9-byte float).
  const out = new Uint8Array(frame.length + rewrites.length * 4)
  const outView = new DataView(out.buffer)
  let from = 0
  let to = 0
  for (const { at, kind } of rewrites) {
    out.set(frame.subarray(from, at), to)
    to += at - from
    const wide = (frame[at]! & 31) === 27
    if (kind === "bignum") {
      out[to] = frame[at]! >> 5 === 0 ? 0xc2 : 0xc3 // tag 2 (n) or tag 3 (-1 - n)
      out[to + 1] = 0x48 // a byte string of 8 bytes: the head's argument as it is
      out.set(frame.subarray(at + 1, at + 9), to + 2)
      to += 10
    } else {
      const argument = wide ? view.getUint32(at + 1) * 0x100000000 + view.getUint32(at + 5) : view.getUint32(at + 1)
      out[to] = 0xfb
      outView.setFloat64(to + 1, -1 - argument)
      to += 9
    }
    from = at + (wide ? 9 : 5)
  }
  out.set(frame.subarray(from), to)
  return out.subarray(0, to + frame.length - from)
}
