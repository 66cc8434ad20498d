/**
 * Every number a WAMP message holds before its first dict or string (the message code, request and
 * other IDs, ERROR's request type) is an integer. The decoders hide two ways a peer can break that:
 * a float encoding of an integral value (`1.0` decodes to `1`), and an integer over 2^53 that rounds
 * to 2^53 (2^53 + 1 sent as a uint64 or a JSON integer). These scans read only that leading run of
 * numbers from the frame's bytes or text (a few octets per message) and put an `InexactInteger` in
 * place of each such element, which the ID and message-code checks then reject by name.
 *
 * Only an element whose decoded value would pass as an ID (an integer in [1, 2^53]) is replaced:
 * anything else fails those checks by itself, and our own encoders never write such a value as a
 * float or over 2^53, so whatever they encode still decodes to itself.
 *
 * Detectable: MessagePack float32/64 and uint64/int64 over 2^53; CBOR half/single/double floats and
 * 8-byte integers over 2^53 (bignums decode to BigInt and fail the checks anyway); JSON numbers
 * written with a fraction or an exponent (`1.0`, `1e0`) and integer literals that JSON.parse rounded.
 */

/** A leading element the decoder made look like an exact integer though it was not sent as one. */
export class InexactInteger {
  constructor(
    /** How it was sent, e.g. `1.0 (a float64)` or `9007199254740993 (over 2^53)`. */
    readonly description: string
  ) {}
}

const TWO_POW_21 = 0x200000

/** Above 2^53 given the high and low 32-bit words of an unsigned 64-bit integer. */
const over2Pow53 = (high: number, low: number): boolean => high > TWO_POW_21 || (high === TWO_POW_21 && low > 0)

/**
 * The decoded value an inexact encoding could be mistaken for: `messageElements.isId`, written
 * again because that module imports this one.
 */
const looksLikeId = (value: unknown): boolean =>
  typeof value === "number" && Number.isInteger(value) && value >= 1 && value <= 2 ** 53

/**
 * A leading 64-bit integer over 2^53: the binary decoders give it as an exact BigInt (payload rule),
 * which the ID check refuses anyway; marking it keeps the error naming how it was sent.
 */
const looksLikeWideId = (value: unknown): boolean => looksLikeId(value) || typeof value === "bigint"

const uint32At = (frame: Uint8Array, offset: number): number =>
  frame[offset]! * 0x1000000 + ((frame[offset + 1]! << 16) | (frame[offset + 2]! << 8) | frame[offset + 3]!)

const uint64Text = (high: number, low: number): string => ((BigInt(high) << 32n) | BigInt(low)).toString()

/** Marks the leading numbers of a decoded MessagePack message; `message` is the decoder's fresh array. */
export const markMsgpack = (frame: Uint8Array, message: Array<unknown>): void => {
  const head = frame[0]
  let offset: number
  if (head === undefined) return
  if (head >= 0x90 && head <= 0x9f) offset = 1
  else if (head === 0xdc) offset = 3
  else if (head === 0xdd) offset = 5
  else return
  for (let index = 0; index < message.length && offset < frame.length; index++) {
    const type = frame[offset]!
    if (type <= 0x7f || type >= 0xe0) offset += 1
    else if (type === 0xcc || type === 0xd0) offset += 2
    else if (type === 0xcd || type === 0xd1) offset += 3
    else if (type === 0xce || type === 0xd2) offset += 5
    else if (type === 0xcf || type === 0xd3) {
      if (offset + 9 > frame.length) return
      const high = uint32At(frame, offset + 1)
      const low = uint32At(frame, offset + 5)
      // A negative int64 is never an ID and does not round into one: only positive values matter.
      if (looksLikeWideId(message[index]) && (type === 0xcf || high < 0x80000000) && over2Pow53(high, low)) {
        message[index] = new InexactInteger(`${uint64Text(high, low)} (a 64-bit integer over 2^53)`)
      }
      offset += 9
    } else if (type === 0xca || type === 0xcb) {
      if (looksLikeId(message[index])) {
        message[index] = new InexactInteger(`${floatText(message[index])} (a float${type === 0xca ? 32 : 64})`)
      }
      offset += type === 0xca ? 5 : 9
    } else return
  }
}

/** Marks the leading numbers of a decoded CBOR message. */
export const markCbor = (frame: Uint8Array, message: Array<unknown>): void => {
  const head = frame[0]
  let offset: number
  if (head === undefined) return
  if (head >= 0x80 && head <= 0x97) offset = 1
  else if (head === 0x98) offset = 2
  else if (head === 0x99) offset = 3
  else if (head === 0x9a) offset = 5
  else if (head === 0x9b) offset = 9
  else if (head === 0x9f) offset = 1
  else return
  for (let index = 0; index < message.length && offset < frame.length; index++) {
    const type = frame[offset]!
    const major = type >> 5
    const info = type & 0x1f
    if (major === 0 || major === 1) {
      if (info < 24) offset += 1
      else if (info === 24) offset += 2
      else if (info === 25) offset += 3
      else if (info === 26) offset += 5
      else if (info === 27) {
        if (offset + 9 > frame.length) return
        const high = uint32At(frame, offset + 1)
        const low = uint32At(frame, offset + 5)
        if (major === 0 && looksLikeWideId(message[index]) && over2Pow53(high, low)) {
          message[index] = new InexactInteger(`${uint64Text(high, low)} (a 64-bit integer over 2^53)`)
        }
        offset += 9
      } else return
    } else if (type === 0xf9 || type === 0xfa || type === 0xfb) {
      const bits = type === 0xf9 ? 16 : type === 0xfa ? 32 : 64
      if (looksLikeId(message[index])) {
        message[index] = new InexactInteger(`${floatText(message[index])} (a float${bits})`)
      }
      offset += 1 + bits / 8
    } else return
  }
}

const isDigit = (c: number): boolean => c >= 48 && c <= 57

/** Marks the leading numbers of a parsed JSON message from its text. */
export const markJson = (text: string, message: Array<unknown>): void => {
  let offset = text.charCodeAt(0) === 91 ? 1 : text.indexOf("[") + 1
  if (offset === 0) return
  const length = text.length
  for (let index = 0; index < message.length; index++) {
    let c = text.charCodeAt(offset)
    while (c === 32 || c === 9 || c === 10 || c === 13) c = text.charCodeAt(++offset)
    if (!(isDigit(c) || c === 45)) return
    const start = offset
    let integral = true
    while (offset < length) {
      c = text.charCodeAt(offset)
      if (isDigit(c) || c === 45) offset++
      else if (c === 46 || c === 101 || c === 69 || c === 43) {
        integral = false
        offset++
      } else break
    }
    // The token is cut out only in the rare cases that need it.
    if (!integral) {
      if (looksLikeId(message[index])) {
        message[index] = new InexactInteger(`${text.slice(start, offset)} (a number with a fraction or an exponent)`)
      }
    } else if (offset - start >= 16 && message[index] === 2 ** 53) {
      const token = text.slice(start, offset)
      // 2^53 + 1 is the one integer over 2^53 that JSON.parse rounds to a valid ID.
      if (token !== "9007199254740992") message[index] = new InexactInteger(`${token} (an integer over 2^53)`)
    }
    while (c === 32 || c === 9 || c === 10 || c === 13) c = text.charCodeAt(++offset)
    if (c !== 44) return
    offset++
  }
}

const floatText = (value: unknown): string =>
  typeof value === "number" && Number.isInteger(value) ? value.toFixed(1) : String(value)
