/**
 * A frame the router cannot send on a link (over the client's announced RawSocket limit) ends that
 * client's session instead of leaving it waiting forever.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Layer } from "effect"
import * as Authenticator from "../../src/Authenticator.js"
import * as RawSocketTransport from "../../src/node/RawSocketTransport.js"
import * as Serializer from "../../src/Serializer.js"
import * as Session from "../../src/Session.js"
import * as Router from "../../src/testing/Router.js"
import * as Transport from "../../src/Transport.js"

const sessionOver = (layer: Layer.Layer<Transport.Transport>) =>
  Session.make({ realm: "realm1", goodbyeTimeout: "200 millis" }).pipe(
    Effect.provide(
      Layer.mergeAll(layer, Layer.succeed(Serializer.Serializers, [Serializer.json]), Authenticator.layerAnonymous())
    )
  )

describe("Router: a frame the link refuses", () => {
  it.scopedLive("a RESULT over the caller's 2 KiB RawSocket limit ends the caller's session, no hang", () =>
    Effect.gen(function*() {
      const router = yield* Router.make({ realms: ["realm1"] })
      const bound = yield* router.serve({ host: "127.0.0.1", port: 0, rawSocketPort: 0 })
      const callee = yield* sessionOver(RawSocketTransport.layer({ host: "127.0.0.1", port: bound.rawSocketPort! }))
      yield* callee.register("com.app.big", () => Effect.succeed({ args: ["x".repeat(4096)] }))
      const caller = yield* sessionOver(
        RawSocketTransport.layer({ host: "127.0.0.1", port: bound.rawSocketPort!, maxMessageSize: 2048 })
      )
      const exit = yield* caller.call("com.app.big").pipe(Effect.timeout("5 seconds"), Effect.exit)
      expect(Exit.isFailure(exit)).toBe(true)
      const error = Exit.isFailure(exit) && exit.cause._tag === "Fail" ? exit.cause.error : undefined
      expect(error?._tag).toBe("SessionClosedError")
      // The callee's session is untouched.
      expect(yield* callee.isOpen).toBe(true)
    }))
})
