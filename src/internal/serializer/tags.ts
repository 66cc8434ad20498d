/**
 * The serializer service tags, apart from `Serializer.ts` so that a module can name them without
 * importing every codec: the facade loads the binary codecs lazily, and a code-splitting bundler
 * would put them in the page's eager chunks if anything it loads eagerly imported them statically.
 */
import * as Context from "effect/Context"
import type { SerializerService } from "../../Serializer.js"

export class Serializer extends Context.Tag("effect-wamp/Serializer")<Serializer, SerializerService>() {}

/** The serializers a client offers, in preference order (WebSocket subprotocol negotiation). */
export class Serializers extends Context.Tag("effect-wamp/Serializers")<
  Serializers,
  readonly [SerializerService, ...Array<SerializerService>]
>() {}
