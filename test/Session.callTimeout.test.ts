/**
 * call_timeout end to end on the served test-kit router over WebSocket: our callee announces it,
 * the dealer forwards CALL.Options.timeout only to callees that announced it and registered with
 * `forward_timeout`, and our callee then enforces it (handler interrupted, `wamp.error.timeout`).
 * Otherwise the dealer runs the timer and INTERRUPTs the callee.
 */
import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Layer } from "effect"
import * as Authenticator from "../src/Authenticator.js"
import { clientRoles } from "../src/internal/session/hello.js"
import { NodeWebSocketTransport } from "../src/node/index.js"
import * as Serializer from "../src/Serializer.js"
import * as Session from "../src/Session.js"
import * as Router from "../src/testing/Router.js"
import * as WampError from "../src/WampError.js"
import * as Raw from "./testing/support/rawClient.js"

const setup = Effect.gen(function*() {
  const router = yield* Router.make({ realms: ["realm1"] })
  const { port } = yield* router.serve({ host: "127.0.0.1", port: 0 })
  const layer = Layer.mergeAll(
    NodeWebSocketTransport.layer({ url: `ws://127.0.0.1:${port}` }),
    Layer.succeed(Serializer.Serializers, [Serializer.json]),
    Authenticator.layerAnonymous()
  )
  const join = Session.make({ realm: "realm1" }).pipe(Effect.provide(layer))
  return { router, callee: yield* join, caller: yield* join }
})

/** A handler that never answers, recording what it saw and that it was interrupted. */
const stuck = Effect.gen(function*() {
  const seen = yield* Deferred.make<number>()
  const interrupted = yield* Deferred.make<void>()
  const handler = (invocation: Session.Invocation) =>
    Effect.zipRight(Deferred.succeed(seen, invocation.details.timeout), Effect.never).pipe(
      Effect.onInterrupt(() => Deferred.succeed(interrupted, undefined))
    )
  return { seen, interrupted, handler }
})

describe("call_timeout", () => {
  it("our HELLO announces call_timeout for the callee role (and the caller role)", () => {
    const features = (role: string) => (clientRoles[role] as { features: Record<string, boolean> }).features
    expect(features("callee")["call_timeout"]).toBe(true)
    expect(features("caller")["call_timeout"]).toBe(true)
  })

  it.scopedLive("forward_timeout: the callee sees details.timeout, enforces it and answers wamp.error.timeout", () =>
    Effect.gen(function*() {
      const { callee, caller } = yield* setup
      const { handler, interrupted, seen } = yield* stuck
      yield* callee.register("com.slow", handler, { forward_timeout: true })
      const started = performance.now()
      const error = yield* Effect.flip(caller.call("com.slow", [], {}, { timeout: 300 }))
      const elapsed = performance.now() - started
      expect(yield* Deferred.await(seen)).toBe(300)
      expect(WampError.isTimeout(error)).toBe(true)
      // The callee's own text (the dealer's says "no result within"): the dealer ran no timer.
      expect(error.message).toBe("wamp.error.timeout: the handler did not finish within 300 ms")
      yield* Deferred.await(interrupted).pipe(Effect.timeout("2 seconds"))
      expect(elapsed).toBeGreaterThanOrEqual(290)
    }))

  it.scopedLive("without forward_timeout the dealer runs the timer: details.timeout 0, handler INTERRUPTed", () =>
    Effect.gen(function*() {
      const { callee, caller } = yield* setup
      const { handler, interrupted, seen } = yield* stuck
      yield* callee.register("com.slow", handler)
      const error = yield* Effect.flip(caller.call("com.slow", [], {}, { timeout: 300 }))
      expect(yield* Deferred.await(seen)).toBe(0)
      expect(WampError.isTimeout(error)).toBe(true)
      yield* Deferred.await(interrupted).pipe(Effect.timeout("2 seconds"))
    }))

  it.scopedLive("a callee that did not announce call_timeout never gets the timeout, even with forward_timeout", () =>
    Effect.gen(function*() {
      const { caller, router } = yield* setup
      // A callee that announces call_canceling but not call_timeout.
      const raw = yield* Raw.join(router, "realm1", { roles: { callee: { features: { call_canceling: true } } } })
      yield* Raw.register(raw, "com.raw", { forward_timeout: true })
      const calling = yield* Effect.fork(Effect.flip(caller.call("com.raw", [], {}, { timeout: 300 })))
      const invocation = yield* raw.expect("Invocation")
      expect(invocation.details["timeout"]).toBeUndefined()
      const error = yield* calling.await.pipe(Effect.flatten)
      expect(WampError.isTimeout(error)).toBe(true)
      expect(error.message).toBe("wamp.error.timeout: no result within 300 ms")
    }))
})
