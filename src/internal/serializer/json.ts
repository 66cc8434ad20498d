/**
 * JSON with WAMP's binary convention: a byte array travels as the string "\u0000" + base64, at any
 * depth. BigInt is refused (an EncodeError, nothing sent); integers beyond 2^53 in received text
 * come back as JSON.parse reads them, as the nearest double. Encoding walks the message once (validation + bytes → string, copying only what changes);
 * decoding walks the parsed value only when the text holds the escape `\u0000`.
 */
import * as Either from "effect/Either"
import { DecodeError, EncodeError } from "../../Errors.js"
import type { Frame, SerializerService } from "../../Serializer.js"
import { errorText } from "../values.js"
import * as Base64 from "./base64.js"
import { markJson } from "./leadingIntegers.js"
import { makeNormalizer, MAX_DEPTH, Unserializable } from "./outbound.js"

const normalize = makeNormalizer({
  bytes: (bytes) => "\u0000" + Base64.encode(bytes),
  wideInteger: undefined,
  // JSON numbers are read as doubles by every peer: a BigInt would arrive rounded, or not at all.
  bigint: () => {
    throw new Unserializable(
      "a bigint has no JSON form: use MessagePack or CBOR, or send it as a string"
    )
  },
  finiteOnly: true,
  rewriteUndefined: false
})

const encode = (message: ReadonlyArray<unknown>): Either.Either<Frame, EncodeError> => {
  try {
    return Either.right(JSON.stringify(normalize(message)))
  } catch (cause) {
    return Either.left(
      new EncodeError({
        message: `cannot serialize to JSON: ${cause instanceof Unserializable ? cause.message : errorText(cause)}`,
        cause
      })
    )
  }
}

class BadBinary extends Error {}

/** Turns "\u0000…" strings into bytes, in place (the parsed value is ours). */
const revive = (value: unknown, depth: number): unknown => {
  if (typeof value === "string") {
    if (value.charCodeAt(0) !== 0) return value
    const bytes = Base64.decode(value.slice(1))
    if (bytes === undefined) throw new BadBinary("a string starting with U+0000 is not followed by valid base64")
    return bytes
  }
  if (typeof value !== "object" || value === null) return value
  if (depth >= MAX_DEPTH) throw new BadBinary(`nested deeper than ${MAX_DEPTH} levels`)
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = revive(value[i], depth + 1)
  } else {
    const dict = value as Record<string, unknown>
    for (const key in dict) dict[key] = revive(dict[key], depth + 1)
  }
  return value
}

const decode = (frame: Frame): Either.Either<ReadonlyArray<unknown>, DecodeError> => {
  if (typeof frame !== "string") {
    return Either.left(new DecodeError({ reason: "FrameKind", message: "a binary frame on a JSON session" }))
  }
  let value: unknown
  try {
    value = JSON.parse(frame)
  } catch (cause) {
    return Either.left(new DecodeError({ reason: "Syntax", message: `invalid JSON: ${errorText(cause)}`, cause }))
  }
  if (!Array.isArray(value)) {
    return Either.left(new DecodeError({ reason: "Syntax", message: "the top-level value is not a list" }))
  }
  markJson(frame, value)
  // JSON text cannot hold a raw U+0000 inside a string: a binary string always shows as this escape.
  if (frame.includes("\\u0000")) {
    try {
      revive(value, 0)
    } catch (cause) {
      return Either.left(new DecodeError({ reason: "Syntax", message: errorText(cause), cause }))
    }
  }
  return Either.right(value)
}

export const json: SerializerService = {
  name: "json",
  subprotocol: "wamp.2.json",
  rawSocketId: 1,
  binary: false,
  encode,
  decode
}
