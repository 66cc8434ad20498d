/**
 * A structural pass over a CBOR frame, run before cbor-x when the frame holds a byte that could be
 * one of two heads cbor-x 1.6 mishandles:
 * - an indefinite-length array/map (0x9f/0xbf) that is not closed: cbor-x reads past the end and
 *   loops up to its 112M-item limit (a 3-byte frame costs ~24 s). The pass checks the frame is one
 *   complete, well-formed item, so cbor-x only sees closed containers.
 * - a negative integer below -2^31 (0x3a with an argument >= 2^31, any 0x3b): cbor-x applies
 *   JavaScript's 32-bit `~` to the argument (-3e9 comes back as 1294967296). Such heads are
 *   rewritten as float64 (0xfb), exact up to 2^53.
 * Frames without those bytes (most ASCII-only messages) skip the pass.
 */

const needsScan = (frame: Uint8Array): boolean =>
  frame.indexOf(0x9f) !== -1 || frame.indexOf(0xbf) !== -1 || frame.indexOf(0x3b) !== -1 ||
  frame.indexOf(0x3a) !== -1

/** The frame to decode (the input, or a rewritten copy), or a message saying why it is malformed. */
export const prepare = (frame: Uint8Array): Uint8Array | string => {
  if (!needsScan(frame)) return frame
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength)
  const negatives: Array<number> = []
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
      case 1:
        if (info === 27 || (info === 26 && argument >= 0x80000000)) negatives.push(position - headLength)
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
  return negatives.length === 0 ? frame : rewriteNegatives(frame, view, negatives)
}

const rewriteNegatives = (frame: Uint8Array, view: DataView, heads: ReadonlyArray<number>): Uint8Array => {
  const out = new Uint8Array(frame.length + heads.length * 4)
  const outView = new DataView(out.buffer)
  let from = 0
  let to = 0
  for (const at of heads) {
    out.set(frame.subarray(from, at), to)
    to += at - from
    const wide = frame[at] === 0x3b
    const argument = wide ? view.getUint32(at + 1) * 0x100000000 + view.getUint32(at + 5) : view.getUint32(at + 1)
    out[to] = 0xfb
    outView.setFloat64(to + 1, -1 - argument)
    to += 9
    from = at + (wide ? 9 : 5)
  }
  out.set(frame.subarray(from), to)
  return out.subarray(0, to + frame.length - from)
}
