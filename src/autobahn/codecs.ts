/**
 * The facade's binary codecs, loaded when first needed. Autobahn|JS puts every serializer class on
 * one object (`autobahn.serializer.*`), which no bundler can prune, so a static import of the
 * MessagePack and CBOR codecs would put msgpackr and cbor-x in every facade page, JSON-only ones
 * too (issue 12). Behind a dynamic import they are a separate chunk for a code-splitting bundler,
 * fetched only when a connection offers them. The core (`effect-wamp/Serializer`) keeps its static
 * codecs: there a program names the layer it uses and the others are tree-shaken.
 */
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import { DecodeError, EncodeError, TransportError } from "../Errors.js"
import type { SerializerName, SerializerService } from "../Serializer.js"
import type * as Transport from "../Transport.js"

interface Lazy {
  readonly service: SerializerService
  readonly load: Effect.Effect<void, TransportError>
}

const lazies = new WeakMap<SerializerService, Lazy>()

const lazy = (
  name: SerializerName,
  rawSocketId: number,
  importCodec: () => Promise<SerializerService>
): SerializerService => {
  let codec: SerializerService | undefined
  const notLoaded = `the ${name} codec is not loaded yet (it loads when a connection opens with it)`
  const service: SerializerService = {
    name,
    subprotocol: `wamp.2.${name}`,
    rawSocketId,
    binary: true,
    encode: (message) =>
      codec === undefined ? Either.left(new EncodeError({ message: notLoaded })) : codec.encode(message),
    decode: (frame) =>
      codec === undefined ? Either.left(new DecodeError({ reason: "Syntax", message: notLoaded })) : codec.decode(frame)
  }
  const load = Effect.suspend(() =>
    codec !== undefined ? Effect.void : Effect.tryPromise({
      try: importCodec,
      catch: (cause) => new TransportError({ reason: "Open", message: `could not load the ${name} codec`, cause })
    }).pipe(Effect.map((loaded) => {
      codec = loaded
    }))
  )
  lazies.set(service, { service, load })
  return service
}

/** MessagePack, as the core's `Serializer.msgpack` once loaded. */
export const msgpack: SerializerService = /* @__PURE__ */ lazy(
  "msgpack",
  2,
  () => import("../internal/serializer/msgpack.js").then((module) => module.msgpack)
)

/** CBOR, as the core's `Serializer.cbor` once loaded. */
export const cbor: SerializerService = /* @__PURE__ */ lazy(
  "cbor",
  3,
  () => import("../internal/serializer/cbor.js").then((module) => module.cbor)
)

/** Loads the codecs `serializers` names, then opens the link: frames only flow after that. */
export const loadingCodecs = (transport: Transport.TransportService): Transport.TransportService => ({
  open: (serializers) =>
    Effect.zipRight(
      Effect.forEach(serializers, (service) => lazies.get(service)?.load ?? Effect.void, { discard: true }),
      transport.open(serializers)
    )
})
