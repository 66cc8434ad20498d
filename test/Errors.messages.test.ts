/**
 * Errors explain themselves, as a new user meets them over real sockets: the `message` carries
 * the URI and the peer's explanation.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Fiber, Layer, Scope } from "effect"
import * as Authenticator from "../src/Authenticator.js"
import { SessionClosedError, withUri } from "../src/Errors.js"
import { NodeWebSocketTransport as WebSocketTransport } from "../src/node/index.js"
import * as Serializer from "../src/Serializer.js"
import * as Session from "../src/Session.js"
import * as Router from "../src/testing/Router.js"
import * as WampError from "../src/WampError.js"

const over = (url: string) =>
  Layer.mergeAll(
    WebSocketTransport.layer({ url }),
    Layer.succeed(Serializer.Serializers, [Serializer.json]),
    Authenticator.layerAnonymous()
  )

describe("error messages", () => {
  it.scopedLive("a wrong realm: the ABORT's text is in the message", () =>
    Effect.gen(function*() {
      const router = yield* Router.make({ realms: ["realm1"] })
      const { port } = yield* router.serve({ host: "127.0.0.1", port: 0 })
      const error = yield* Session.make({ realm: "nope" }).pipe(
        Effect.provide(over(`ws://127.0.0.1:${port}`)),
        Effect.scoped,
        Effect.flip
      )
      expect(error).toBeInstanceOf(WampError.WampError)
      expect(error.message).toBe("wamp.error.no_such_realm: no realm nope")
      expect(String(error)).toContain("wamp.error.no_such_realm: no realm nope")
    }))

  it.scopedLive("a router shutdown: pending and later operations say system_shutdown and why", () =>
    Effect.gen(function*() {
      const routerScope = yield* Scope.make()
      const router = yield* Router.make({ realms: ["realm1"] }).pipe(Scope.extend(routerScope))
      const { port } = yield* router.serve({ host: "127.0.0.1", port: 0 }).pipe(Scope.extend(routerScope))
      const session = yield* Session.make({ realm: "realm1" }).pipe(Effect.provide(over(`ws://127.0.0.1:${port}`)))
      yield* session.register("com.slow", () => Effect.never)
      const pending = yield* Effect.fork(Effect.flip(session.call("com.slow")))
      yield* Effect.sleep("50 millis")
      yield* Scope.close(routerScope, Exit.void)
      const error = yield* Fiber.join(pending)
      expect(error).toBeInstanceOf(SessionClosedError)
      expect(error.message).not.toBe("An error has occurred")
      expect(error.message).toMatch(/^wamp\.close\.system_shutdown/)
      const later = yield* Effect.flip(session.call("com.slow"))
      expect(later.message).toBe("wamp.close.system_shutdown: the router is shutting down")
      expect((yield* session.closed).reason).toBe("wamp.close.system_shutdown")
    }))

  it("SessionClosedError always leads with its URI, once", () => {
    const bare = new SessionClosedError({ reason: "wamp.close.system_shutdown", message: "", wasClean: true })
    expect(bare.message).toBe("wamp.close.system_shutdown")
    const text = new SessionClosedError({ reason: "wamp.close.killed", message: "out", wasClean: true })
    expect(text.message).toBe("wamp.close.killed: out")
    expect(new SessionClosedError({ reason: text.reason, message: text.message, wasClean: true }).message).toBe(
      "wamp.close.killed: out"
    )
    expect(withUri("a.b", "a.b")).toBe("a.b")
  })

  it("WampError: the first string argument, else Details.message", () => {
    expect(WampError.make("app.error", { args: ["boom"], details: { message: "ignored" } }).message).toBe(
      "app.error: boom"
    )
    expect(WampError.make("wamp.error.not_authorized", { details: { message: "role guest may not" } }).message).toBe(
      "wamp.error.not_authorized: role guest may not"
    )
    expect(WampError.make("wamp.error.timeout").message).toBe("wamp.error.timeout")
  })
})
