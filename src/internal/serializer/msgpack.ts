/**
 * MessagePack over msgpackr, set up for interop: no records, no structured clone, no extension
 * types written, str/bin kept apart, maps as plain objects. 64-bit integers (int64/uint64) decode as
 * numbers up to ±2^53 (every id, every safe integer) and as BigInt beyond, never rounded; BigInt
 * encodes as int64/uint64, and one outside that range is refused.
 */
import * as Either from "effect/Either"
import { addExtension, Packr, Unpackr } from "msgpackr"
import { DecodeError, EncodeError } from "../../Errors.js"
import type { Frame, SerializerService } from "../../Serializer.js"
import { errorText } from "../values.js"
import * as Inbound from "./inbound.js"
import { markMsgpack } from "./leadingIntegers.js"
import { makeNormalizer, Unserializable } from "./outbound.js"

/**
 * msgpackr writes integers beyond 32 bits as float64, and BigInt as int64 even when positive. This
 * wrapper gets the msgpack uint64 (0xcf) / int64 (0xd3) written by hand through an extension whose
 * `pack` writes raw bytes and returns nothing, so no extension header is emitted.
 */
class WideInteger {
  constructor(readonly value: number | bigint) {}
}

const UINT64_END = 2n ** 64n
const INT64_MIN = -(2n ** 63n)

let registered = false

/**
 * msgpackr's extensions are process-wide, so the one above is added at the first MessagePack
 * encode, not at import: a program that never uses MessagePack changes nothing in msgpackr.
 */
const registerWideInteger = (): void => {
  if (registered) return
  registered = true
  addExtension(
    {
      Class: WideInteger,
      // msgpackr requires a type for `pack`; 0x100 can never match an incoming extension byte (0..255),
      // so registering it changes nothing on the decoding side of msgpackr, ours or anyone's.
      type: 0x100,
      pack(
        wide: WideInteger,
        allocate: (size: number) => { target: Uint8Array; targetView: DataView; position: number }
      ) {
        const { position, targetView } = allocate(9)
        const value = wide.value
        if (typeof value === "bigint") {
          targetView.setUint8(position, value >= 0n ? 0xcf : 0xd3)
          if (value >= 0n) targetView.setBigUint64(position + 1, value)
          else targetView.setBigInt64(position + 1, value)
          return undefined
        }
        const high = Math.floor(value / 0x100000000)
        targetView.setUint8(position, value >= 0 ? 0xcf : 0xd3)
        if (value >= 0) targetView.setUint32(position + 1, high)
        else targetView.setInt32(position + 1, high)
        targetView.setUint32(position + 5, value - high * 0x100000000)
        return undefined
      }
    } as unknown as Parameters<typeof addExtension>[0]
  )
}

const options = {
  useRecords: false,
  structuredClone: false,
  moreTypes: false,
  bundleStrings: false,
  useFloat32: 0,
  encodeUndefinedAsNil: true,
  // Numbers up to ±2^53 (exact as doubles), BigInt beyond. msgpackr 1.11 implements "auto"; its
  // typings do not list it yet.
  int64AsType: "auto" as "bigint",
  copyBuffers: true,
  mapsAsObjects: true
} as const

const packr = new Packr(options)
const unpackr = new Unpackr(options)
const exactUnpackr = new Unpackr({ ...options, mapsAsObjects: false })

const normalize = makeNormalizer({
  bytes: (bytes) => bytes,
  wideInteger: (value) => new WideInteger(value),
  bigint: (value) => {
    if (value >= UINT64_END || value < INT64_MIN) {
      throw new Unserializable("a bigint beyond 64 bits has no MessagePack form: use CBOR, or send it as a string")
    }
    return new WideInteger(value)
  },
  finiteOnly: false,
  rewriteUndefined: true
})

const encode = (message: ReadonlyArray<unknown>): Either.Either<Frame, EncodeError> => {
  registerWideInteger()
  try {
    return Either.right(packr.pack(normalize(message)))
  } catch (cause) {
    return Either.left(
      new EncodeError({
        message: `cannot serialize to MessagePack: ${
          cause instanceof Unserializable ? cause.message : errorText(cause)
        }`,
        cause
      })
    )
  }
}

const exactTopLevel = (frame: Uint8Array): ReadonlyArray<unknown> =>
  exactUnpackr.unpack(frame) as ReadonlyArray<unknown>

const decode = (frame: Frame): Either.Either<ReadonlyArray<unknown>, DecodeError> => {
  if (typeof frame === "string") {
    return Either.left(new DecodeError({ reason: "FrameKind", message: "a text frame on a MessagePack session" }))
  }
  const bytes = Inbound.plainBytes(frame)
  let value: unknown
  try {
    value = unpackr.unpack(bytes)
  } catch (cause) {
    return Either.left(
      new DecodeError({ reason: "Syntax", message: `invalid MessagePack: ${errorText(cause)}`, cause })
    )
  }
  if (!Array.isArray(value)) {
    return Either.left(new DecodeError({ reason: "Syntax", message: "the top-level value is not a list" }))
  }
  markMsgpack(bytes, value)
  const problem = Inbound.check(value, bytes, exactTopLevel)
  return problem === undefined ? Either.right(value) : Either.left(problem)
}

export const msgpack: SerializerService = {
  name: "msgpack",
  subprotocol: "wamp.2.msgpack",
  rawSocketId: 2,
  binary: true,
  encode,
  decode
}
