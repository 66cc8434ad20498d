/**
 * Serializer: turns a WAMP message list into a frame and back (JSON, MessagePack, CBOR).
 * Hot paths are plain synchronous functions; the service is looked up once per session.
 */
import * as Context from "effect/Context"
import type * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type { DecodeError, EncodeError } from "./Errors.js"
import * as CborCodec from "./internal/serializer/cbor.js"
import * as JsonCodec from "./internal/serializer/json.js"
import * as MsgpackCodec from "./internal/serializer/msgpack.js"
import { Serializer, Serializers } from "./internal/serializer/tags.js"

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

// The tags live in an internal module that imports no codec (see there); these are the same classes.
export { Serializer, Serializers }

/** JSON (`wamp.2.json`), text frames; bytes travel as "\u0000" + base64 (WAMP binary convention). */
export const json: SerializerService = JsonCodec.json

/** MessagePack (`wamp.2.msgpack`), binary frames; decoded byte strings are plain `Uint8Array`s. */
export const msgpack: SerializerService = MsgpackCodec.msgpack

/** CBOR (`wamp.2.cbor`), binary frames; decoded byte strings are plain `Uint8Array`s. */
export const cbor: SerializerService = CborCodec.cbor

/** The three, JSON first. */
export const all: readonly [SerializerService, ...Array<SerializerService>] = [json, msgpack, cbor]

export const bySubprotocol = (subprotocol: string): Option.Option<SerializerService> =>
  Option.fromNullable(all.find((serializer) => serializer.subprotocol === subprotocol))

export const byRawSocketId = (id: number): Option.Option<SerializerService> =>
  Option.fromNullable(all.find((serializer) => serializer.rawSocketId === id))

/** Provides `Serializers` (in this preference order) and `Serializer` (the first). */
export const layerList = (
  first: SerializerService,
  ...rest: Array<SerializerService>
): Layer.Layer<Serializer | Serializers> =>
  Layer.succeedContext(Context.make(Serializer, first).pipe(Context.add(Serializers, [first, ...rest])))

// Pure calls: a bundler drops the layers (and so the codecs) a program does not use.
export const layerJson: Layer.Layer<Serializer | Serializers> = /* @__PURE__ */ layerList(json)
export const layerMsgpack: Layer.Layer<Serializer | Serializers> = /* @__PURE__ */ layerList(msgpack)
export const layerCbor: Layer.Layer<Serializer | Serializers> = /* @__PURE__ */ layerList(cbor)
