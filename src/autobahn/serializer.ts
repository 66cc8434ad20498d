/**
 * `autobahn.serializer.*`: the classes Autobahn|JS users put in `serializers`, each backed by the
 * core's serializer of the same name (so interop settings are the core's, not msgpack5's or cbor's).
 */
import * as Either from "effect/Either"
import { json } from "../internal/serializer/json.js"
import type * as Serializer from "../Serializer.js"
import * as Codecs from "./codecs.js"

abstract class BaseSerializer {
  abstract readonly SERIALIZER_ID: Serializer.SerializerName
  abstract readonly BINARY: boolean
  /** The core serializer this class stands for. */
  abstract readonly service: Serializer.SerializerService

  /** Encodes one WAMP message (a list); throws the core's `EncodeError` on an unencodable value. */
  serialize(message: ReadonlyArray<unknown>): string | Uint8Array {
    return Either.getOrThrow(this.service.encode(message))
  }

  /** Decodes one frame into a WAMP message; throws the core's `DecodeError` on bad input. */
  unserialize(payload: string | Uint8Array): ReadonlyArray<unknown> {
    return Either.getOrThrow(this.service.decode(payload))
  }
}

/**
 * JSON (`wamp.2.json`). Autobahn|JS's `replacer` / `reviver` arguments are accepted and ignored:
 * bytes already travel with the WAMP binary convention.
 */
export class JSONSerializer extends BaseSerializer {
  readonly SERIALIZER_ID = "json"
  readonly BINARY = false
  readonly service = json
  constructor(_replacer?: unknown, _reviver?: unknown) {
    super()
  }
}

/**
 * MessagePack (`wamp.2.msgpack`). Its codec loads when a connection opens with it (see codecs.ts):
 * `serialize` / `unserialize` throw until then.
 */
export class MsgpackSerializer extends BaseSerializer {
  readonly SERIALIZER_ID = "msgpack"
  readonly BINARY = true
  readonly service = Codecs.msgpack
}

/** CBOR (`wamp.2.cbor`), loaded as MessagePack is. */
export class CBORSerializer extends BaseSerializer {
  readonly SERIALIZER_ID = "cbor"
  readonly BINARY = true
  readonly service = Codecs.cbor
}

export type AnySerializer = JSONSerializer | MsgpackSerializer | CBORSerializer
