/** The library's own Session against the test-kit router, in memory (`Router.layerTransport`). */
import { assert, describe, it } from "@effect/vitest"
import { Chunk, Deferred, Effect, Fiber, Layer, Stream } from "effect"
import * as Authenticator from "../../src/Authenticator.js"
import * as Serializer from "../../src/Serializer.js"
import * as Session from "../../src/Session.js"
import * as Router from "../../src/testing/Router.js"
import * as WampError from "../../src/WampError.js"
import { realTimeoutFail } from "../support/realTime.js"

const environment = Layer.mergeAll(
  Router.layerWithTransport({ realms: ["realm1"] }),
  Serializer.layerMsgpack,
  Authenticator.layerAnonymous()
)

const open = Session.make({ realm: "realm1", goodbyeTimeout: "1 second" })

describe("Router with the library's Session", () => {
  it.scoped("register / call / progressive results / pubsub over the memory transport", () =>
    Effect.gen(function*() {
      const [callee, caller] = [yield* open, yield* open]
      yield* callee.register(
        "com.app.add",
        (invocation) => Effect.succeed({ args: [(invocation.args[0] as number) + (invocation.args[1] as number)] })
      )
      const result = yield* caller.call("com.app.add", [2, 3])
      assert.deepStrictEqual(result.args, [5])

      yield* callee.register("com.app.count", (invocation) =>
        Effect.gen(function*() {
          for (const n of [1, 2]) yield* invocation.progress([n])
          return { args: ["done"] }
        }))
      const chunks = yield* Stream.runCollect(caller.callProgressive("com.app.count"))
      assert.deepStrictEqual(Chunk.toReadonlyArray(chunks).map((c) => c.args), [[1], [2], ["done"]])

      const subscription = yield* caller.subscribe("com.app.news")
      const received = yield* Effect.fork(Stream.runCollect(Stream.take(subscription.events, 2)))
      yield* callee.publish("com.app.news", ["a"], undefined, { acknowledge: true })
      yield* callee.publish("com.app.news", ["b"], undefined, { acknowledge: true })
      const events = yield* Fiber.join(received)
      assert.deepStrictEqual(Chunk.toReadonlyArray(events).map((e) => e.args), [["a"], ["b"]])

      const missing = yield* Effect.flip(caller.call("com.app.none"))
      assert.isTrue(WampError.isNoSuchProcedure(missing))
    }).pipe(Effect.provide(environment)))

  it.scoped("interrupting a call cancels it at the callee", () =>
    Effect.gen(function*() {
      const [callee, caller] = [yield* open, yield* open]
      const interrupted = yield* Deferred.make<void>()
      const started = yield* Effect.makeLatch(false)
      yield* callee.register("com.app.slow", () =>
        Effect.zipRight(started.open, Effect.never).pipe(Effect.onInterrupt(() =>
          Deferred.succeed(interrupted, undefined)
        )))
      const call = yield* Effect.fork(caller.call("com.app.slow"))
      yield* started.await
      yield* Fiber.interrupt(call)
      // The callee's handler is interrupted by the router's INTERRUPT (fails after 5 s otherwise).
      yield* Deferred.await(interrupted).pipe(realTimeoutFail("5 seconds", () =>
        "no INTERRUPT"))
      const router = yield* Router.Router
      assert.strictEqual(yield* router.sessions.count, 2)
    }).pipe(Effect.provide(environment)))
})
