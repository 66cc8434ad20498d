/**
 * CBOR over cbor-x, set up for interop: byte strings untagged (no tag 64), no records, no
 * structured clone, maps as plain objects. Integers decode as numbers up to ±2^53 (every id, every
 * safe integer) and as BigInt beyond (64-bit heads past 2^53 and bignums, tags 2/3), never
 * rounded; BigInt encodes as a 64-bit integer, or a bignum beyond 64 bits.
 */
import { Decoder, Encoder } from "cbor-x"
import * as Either from "effect/Either"
import { DecodeError, EncodeError } from "../../Errors.js"
import type { Frame, SerializerService } from "../../Serializer.js"
import { errorText } from "../values.js"
import * as CborScan from "./cborScan.js"
import * as Inbound from "./inbound.js"
import { markCbor } from "./leadingIntegers.js"
import { makeNormalizer, Unserializable } from "./outbound.js"

const options = {
  useRecords: false,
  structuredClone: false,
  pack: false,
  bundleStrings: false,
  useFloat32: 0,
  encodeUndefinedAsNil: true,
  // 64-bit heads up to 2^53 as numbers; CborScan turns the wider ones into bignums first.
  int64AsNumber: true,
  tagUint8Array: false,
  copyBuffers: true,
  mapsAsObjects: true
} as const

const encoder = new Encoder(options)
const exactDecoder = new Decoder({ ...options, mapsAsObjects: false })

// cbor-x writes integers beyond 32 bits as float64 but BigInt as a major type 0/1 integer, and
// BigInt beyond 64 bits as a bignum (tag 2/3).
const normalize = makeNormalizer({
  bytes: (bytes) => bytes,
  wideInteger: (value) => BigInt(value),
  bigint: (value) => value,
  finiteOnly: false,
  rewriteUndefined: true
})

const encode = (message: ReadonlyArray<unknown>): Either.Either<Frame, EncodeError> => {
  try {
    return Either.right(encoder.encode(normalize(message)))
  } catch (cause) {
    return Either.left(
      new EncodeError({
        message: `cannot serialize to CBOR: ${cause instanceof Unserializable ? cause.message : errorText(cause)}`,
        cause
      })
    )
  }
}

const exactTopLevel = (frame: Uint8Array): ReadonlyArray<unknown> => {
  const prepared = CborScan.prepare(frame)
  if (typeof prepared === "string") throw new Error(prepared)
  return exactDecoder.decode(prepared) as ReadonlyArray<unknown>
}

const decode = (frame: Frame): Either.Either<ReadonlyArray<unknown>, DecodeError> => {
  if (typeof frame === "string") {
    return Either.left(new DecodeError({ reason: "FrameKind", message: "a text frame on a CBOR session" }))
  }
  const bytes = Inbound.plainBytes(frame)
  const prepared = CborScan.prepare(bytes)
  if (typeof prepared === "string") {
    return Either.left(new DecodeError({ reason: "Syntax", message: `invalid CBOR: ${prepared}` }))
  }
  let value: unknown
  try {
    value = encoder.decode(prepared)
  } catch (cause) {
    return Either.left(
      new DecodeError({ reason: "Syntax", message: `invalid CBOR: ${errorText(cause)}`, cause })
    )
  }
  if (!Array.isArray(value)) {
    return Either.left(new DecodeError({ reason: "Syntax", message: "the top-level value is not a list" }))
  }
  markCbor(bytes, value)
  const problem = Inbound.check(value, bytes, exactTopLevel)
  return problem === undefined ? Either.right(value) : Either.left(problem)
}

export const cbor: SerializerService = {
  name: "cbor",
  subprotocol: "wamp.2.cbor",
  rawSocketId: 3,
  binary: true,
  encode,
  decode
}
