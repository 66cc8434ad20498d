/**
 * WAMP RawSocket wire format, pure and shared by both sides (the client transport and the test-kit
 * router): the 4-octet handshake, the 4-octet frame header and an incremental frame parser.
 * Spec: `advanced/transport_rawsocket.md`. All integers are big-endian.
 */
import * as Data from "effect/Data"

/** First octet of every handshake; no HTTP request can start with it. */
export const MAGIC = 0x7f

/** Transport-level message types (`TTT`); 3-7 are reserved. */
export const FrameType = {
  Message: 0,
  Ping: 1,
  Pong: 2
} as const
export type FrameType = typeof FrameType[keyof typeof FrameType]

/** Handshake error codes (`EEEE` of an error reply); 5-15 are reserved. */
export const HandshakeErrorCode = {
  Illegal: 0,
  SerializerUnsupported: 1,
  MaxLengthUnacceptable: 2,
  ReservedBitsUsed: 3,
  MaxConnectionCount: 4
} as const

const handshakeErrorTexts: ReadonlyArray<string> = [
  "illegal error code",
  "serializer unsupported",
  "maximum message length unacceptable",
  "use of reserved bits",
  "maximum connection count reached"
]

/** A readable name for a handshake error code, e.g. `serializer unsupported`. */
export const handshakeErrorText = (code: number): string => handshakeErrorTexts[code] ?? "reserved error code"

/** Largest payload a frame can carry: 2^24 octets (the X bit set, the 24 length bits clear). */
export const MAX_FRAME_LENGTH = 0x1000000
/** Largest payload with a plain 24-bit length: what we send at most, since older peers ignore the X bit. */
export const MAX_PLAIN_FRAME_LENGTH = 0xffffff

export const HEADER_SIZE = 4

/** The length limit a handshake's `LLLL` exponent stands for: `2^(9 + exponent)`, 512 B .. 16 MiB. */
export const lengthOfExponent = (exponent: number): number => 2 ** (9 + (exponent & 0x0f))

/** The smallest exponent whose limit holds `bytes` (clamped to 0..15: 512 B .. 16 MiB). */
export const exponentForLength = (bytes: number): number => {
  let exponent = 0
  while (exponent < 15 && lengthOfExponent(exponent) < bytes) exponent++
  return exponent
}

// ---------------------------------------------------------------------------------------------
// Handshake

/** The client's request, or the router's success reply (same layout): `7F LLLL SSSS 00 00`. */
export const encodeHandshake = (serializerId: number, lengthExponent: number): Uint8Array =>
  Uint8Array.of(MAGIC, ((lengthExponent & 0x0f) << 4) | (serializerId & 0x0f), 0, 0)

/** The router's error reply: `7F EEEE 0000 00 00`. */
export const encodeHandshakeError = (code: number): Uint8Array => Uint8Array.of(MAGIC, (code & 0x0f) << 4, 0, 0)

/** What a router reads from a client's 4 handshake octets. */
export type HandshakeRequest =
  | {
    readonly _tag: "Request"
    readonly serializerId: number
    readonly lengthExponent: number
    /** Largest message the client accepts. */
    readonly maxLength: number
  }
  | {
    readonly _tag: "Invalid"
    readonly message: string
    /** The error code to reply with, or undefined to fail the connection without a reply (bad magic). */
    readonly replyCode: number | undefined
  }

/** Decodes a client's handshake request (the first 4 octets of `bytes`). */
export const decodeHandshakeRequest = (bytes: Uint8Array): HandshakeRequest => {
  if (bytes.length < HEADER_SIZE) {
    return { _tag: "Invalid", message: "handshake shorter than 4 octets", replyCode: undefined }
  }
  if (bytes[0] !== MAGIC) {
    return { _tag: "Invalid", message: `bad magic octet ${hex(bytes[0]!)} (expected 0x7f)`, replyCode: undefined }
  }
  if (bytes[2] !== 0 || bytes[3] !== 0) {
    return {
      _tag: "Invalid",
      message: "non-zero reserved octets",
      replyCode: HandshakeErrorCode.ReservedBitsUsed
    }
  }
  const serializerId = bytes[1]! & 0x0f
  if (serializerId === 0) {
    return {
      _tag: "Invalid",
      message: "illegal serializer 0",
      replyCode: HandshakeErrorCode.SerializerUnsupported
    }
  }
  const lengthExponent = bytes[1]! >> 4
  return { _tag: "Request", serializerId, lengthExponent, maxLength: lengthOfExponent(lengthExponent) }
}

/** What a client reads from a router's 4 handshake octets. */
export type HandshakeReply =
  | {
    readonly _tag: "Accepted"
    readonly serializerId: number
    readonly lengthExponent: number
    /** Largest message the router accepts, i.e. the most the client may send. */
    readonly maxLength: number
  }
  | { readonly _tag: "Refused"; readonly code: number; readonly message: string }
  | { readonly _tag: "Malformed"; readonly message: string }

/** Decodes a router's reply to a request for `requestedSerializerId` (the first 4 octets of `bytes`). */
export const decodeHandshakeReply = (bytes: Uint8Array, requestedSerializerId: number): HandshakeReply => {
  if (bytes.length < HEADER_SIZE) return { _tag: "Malformed", message: "handshake reply shorter than 4 octets" }
  if (bytes[0] !== MAGIC) {
    return {
      _tag: "Malformed",
      message: `bad magic octet ${hex(bytes[0]!)} in the handshake reply (expected 0x7f): not a RawSocket router?`
    }
  }
  if (bytes[2] !== 0 || bytes[3] !== 0) {
    return { _tag: "Malformed", message: "non-zero reserved octets in the handshake reply" }
  }
  const high = bytes[1]! >> 4
  const serializerId = bytes[1]! & 0x0f
  if (serializerId === 0) {
    return { _tag: "Refused", code: high, message: `router refused: ${handshakeErrorText(high)} (${high})` }
  }
  if (serializerId !== requestedSerializerId) {
    return {
      _tag: "Malformed",
      message: `router answered with serializer ${serializerId}, but ${requestedSerializerId} was requested`
    }
  }
  return { _tag: "Accepted", serializerId, lengthExponent: high, maxLength: lengthOfExponent(high) }
}

// ---------------------------------------------------------------------------------------------
// Frames

/**
 * Writes the 4-octet header `RRRR XTTT LLLLLLLL×3` at `offset`. The X bit is used only for a payload
 * of exactly 2^24 octets. Precondition (checked by callers): `0 <= length <= 2^24`.
 */
export const writeFrameHeader = (target: Uint8Array, offset: number, type: FrameType, length: number): void => {
  if (!(length >= 0 && length <= MAX_FRAME_LENGTH)) {
    throw new RangeError(`RawSocket frame length ${length} out of range`)
  }
  const extra = length === MAX_FRAME_LENGTH ? 0x08 : 0
  target[offset] = extra | type
  target[offset + 1] = (length >>> 16) & 0xff
  target[offset + 2] = (length >>> 8) & 0xff
  target[offset + 3] = length & 0xff
}

export const frameHeader = (type: FrameType, length: number): Uint8Array => {
  const header = new Uint8Array(HEADER_SIZE)
  writeFrameHeader(header, 0, type, length)
  return header
}

/** Header and payload in one new buffer (one write on the socket). */
export const encodeFrame = (type: FrameType, payload: Uint8Array): Uint8Array => {
  const frame = new Uint8Array(HEADER_SIZE + payload.length)
  writeFrameHeader(frame, 0, type, payload.length)
  frame.set(payload, HEADER_SIZE)
  return frame
}

/** The peer broke the framing; the connection must be failed. */
export class FramingError extends Data.TaggedError("FramingError")<{
  readonly reason: "ReservedBits" | "ReservedType" | "TooLarge"
  readonly message: string
  /** For "TooLarge": the announced payload length. */
  readonly length?: number
}> {}

/** Receives each complete frame; `payload` is only valid to keep if not mutated by the caller. */
export type FrameHandler = (type: FrameType, payload: Uint8Array) => void

export interface FrameParser {
  /**
   * Feeds one chunk of the byte stream, calling `onFrame` for each frame it completes, in order.
   * Returns the error that broke the stream (then and for every later call), undefined otherwise.
   */
  readonly push: (chunk: Uint8Array, onFrame: FrameHandler) => FramingError | undefined
  /** True between frames: the stream may end here without truncating a frame. */
  readonly isIdle: () => boolean
}

const EMPTY = new Uint8Array(0)

/**
 * An incremental parser for frames whose payload may be at most `maxLength` octets (up to 2^24).
 * A frame lying within one chunk is handed out as a view of that chunk (no copy); a frame split
 * across chunks is copied once into a buffer of its exact size.
 */
export const makeFrameParser = (maxLength: number): FrameParser => {
  const header = new Uint8Array(HEADER_SIZE)
  let headerFill = 0
  /** The payload being assembled from several chunks. */
  let partial: Uint8Array | undefined
  let partialFill = 0
  let frameType: FrameType = FrameType.Message
  let failure: FramingError | undefined

  /** Validates a header; returns its payload length, or -1 after recording a failure. */
  const readHeader = (b0: number, b1: number, b2: number, b3: number): number => {
    if ((b0 & 0xf0) !== 0) {
      failure = new FramingError({ reason: "ReservedBits", message: `reserved bits set in frame header (${hex(b0)})` })
      return -1
    }
    const type = b0 & 0x07
    if (type > FrameType.Pong) {
      failure = new FramingError({ reason: "ReservedType", message: `reserved frame type ${type}` })
      return -1
    }
    let length = (b1 << 16) | (b2 << 8) | b3
    if ((b0 & 0x08) !== 0) {
      // The X bit only ever means 2^24 with the other length bits clear.
      if (length !== 0) {
        failure = new FramingError({ reason: "ReservedBits", message: "X bit set with a non-zero 24-bit length" })
        return -1
      }
      length = MAX_FRAME_LENGTH
    }
    if (length > maxLength) {
      failure = new FramingError({
        reason: "TooLarge",
        message: `frame of ${length} bytes is over the limit of ${maxLength}`,
        length
      })
      return -1
    }
    frameType = type as FrameType
    return length
  }

  const push = (chunk: Uint8Array, onFrame: FrameHandler): FramingError | undefined => {
    if (failure !== undefined) return failure
    const size = chunk.length
    let offset = 0
    while (offset < size) {
      if (partial !== undefined) {
        const take = Math.min(partial.length - partialFill, size - offset)
        partial.set(chunk.subarray(offset, offset + take), partialFill)
        partialFill += take
        offset += take
        if (partialFill === partial.length) {
          const payload = partial
          partial = undefined
          onFrame(frameType, payload)
        }
        continue
      }
      let length: number
      if (headerFill === 0 && size - offset >= HEADER_SIZE) {
        length = readHeader(chunk[offset]!, chunk[offset + 1]!, chunk[offset + 2]!, chunk[offset + 3]!)
        offset += HEADER_SIZE
      } else {
        while (headerFill < HEADER_SIZE && offset < size) header[headerFill++] = chunk[offset++]!
        if (headerFill < HEADER_SIZE) break
        headerFill = 0
        length = readHeader(header[0]!, header[1]!, header[2]!, header[3]!)
      }
      if (length < 0) return failure
      if (length === 0) {
        onFrame(frameType, EMPTY)
      } else if (size - offset >= length) {
        onFrame(frameType, chunk.subarray(offset, offset + length))
        offset += length
      } else {
        partial = new Uint8Array(length)
        partialFill = 0
      }
    }
    return undefined
  }

  return { push, isIdle: () => headerFill === 0 && partial === undefined && failure === undefined }
}

const hex = (octet: number): string => `0x${octet.toString(16).padStart(2, "0")}`
