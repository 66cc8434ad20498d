/**
 * Serializer: turns a WAMP message list into a frame and back (JSON, MessagePack, CBOR).
 * Hot paths are plain synchronous functions; the service is looked up once per session.
 */
import { Context, type Either } from "effect"
import type { DecodeError, EncodeError } from "./Errors.js"

export type Frame = string | Uint8Array

export type SerializerName = "json" | "msgpack" | "cbor"

export interface SerializerService {
  readonly name: SerializerName
  /** The WebSocket subprotocol, e.g. `wamp.2.json`. */
  readonly subprotocol: string
  /** The RawSocket serializer id: 1 JSON, 2 MessagePack, 3 CBOR. */
  readonly rawSocketId: number
  /** Whether frames are binary (WebSocket binary messages) or text. */
  readonly binary: boolean
  readonly encode: (message: ReadonlyArray<unknown>) => Either.Either<Frame, EncodeError>
  readonly decode: (frame: Frame) => Either.Either<ReadonlyArray<unknown>, DecodeError>
}

export class Serializer extends Context.Tag("effect-wamp/Serializer")<Serializer, SerializerService>() {}

/** The serializers a client offers, in preference order (WebSocket subprotocol negotiation). */
export class Serializers extends Context.Tag("effect-wamp/Serializers")<
  Serializers,
  readonly [SerializerService, ...Array<SerializerService>]
>() {}
