/**
 * The README's examples, run: the first example over a real WebSocket to the test-kit router, the
 * contract example and the test-kit layer. If the README changes, change this file with it.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Schema, Stream } from "effect"
import { Authenticator, Connection, Meta, Procedure, Serializer, Session, Transport } from "../src/index.js"
import { NodeWebSocketTransport } from "../src/node/index.js"
import { Router } from "../src/testing/index.js"

const program = Effect.gen(function*() {
  const session = yield* Session.Session

  yield* session.register(
    "com.example.add",
    ({ args }) => Effect.succeed({ args: [(args[0] as number) + (args[1] as number)] })
  )

  const result = yield* session.call("com.example.add", [2, 3])

  const ticks = yield* session.subscribe("com.example.tick")
  yield* session.publish("com.example.tick", [1], undefined, { exclude_me: false })
  const events = yield* Stream.runCollect(Stream.take(ticks.events, 1))
  return { sum: result.args[0], events: [...events].map((event) => event.args) }
})

describe("README", () => {
  it.scopedLive("the first example, over WebSocket to the test-kit router", () =>
    Effect.gen(function*() {
      const router = yield* Router.make({ realms: ["realm1"] })
      const { port } = yield* router.serve({ host: "127.0.0.1", port: 0 })
      const WampLive = Session.layer({ realm: "realm1" }).pipe(
        Layer.provide(Layer.mergeAll(
          NodeWebSocketTransport.layer({ url: `ws://127.0.0.1:${port}/ws` }),
          Serializer.layerList(Serializer.msgpack, Serializer.json),
          Authenticator.layerAnonymous()
        ))
      )
      const outcome = yield* Effect.scoped(program).pipe(Effect.provide(WampLive))
      expect(outcome).toEqual({ sum: 5, events: [[1]] })
      // The same program under Connection.layer.
      const ConnectionLive = Connection.layer({ realm: "realm1" }).pipe(
        Layer.provide(Layer.mergeAll(
          NodeWebSocketTransport.layer({ url: `ws://127.0.0.1:${port}/ws` }),
          Serializer.layerList(Serializer.msgpack, Serializer.json),
          Authenticator.layerAnonymous()
        ))
      )
      expect(yield* Effect.scoped(program).pipe(Effect.provide(ConnectionLive))).toEqual({ sum: 5, events: [[1]] })
    }))

  it.scoped("the contract example and the test-kit layer", () =>
    Effect.gen(function*() {
      const Add = Procedure.make("com.example.add", {
        args: Schema.Tuple(Schema.Number, Schema.Number),
        result: Schema.Number
      })
      const TestWamp = Session.layer({ realm: "realm1" }).pipe(
        Layer.provide(Layer.mergeAll(
          Router.layerWithTransport({ realms: ["realm1"] }),
          Serializer.layerJson,
          Authenticator.layerAnonymous()
        ))
      )
      const sum = yield* Effect.gen(function*() {
        yield* Procedure.register(Add, ([a, b]) => Effect.succeed(a + b))
        return yield* Procedure.call(Add, [2, 3])
      }).pipe(Effect.scoped, Effect.provide(TestWamp))
      expect(sum).toBe(5)
    }))

  it.scoped("the meta API example", () =>
    Effect.gen(function*() {
      const router = yield* Router.make({ realms: ["realm1"] })
      const join = Session.make({ realm: "realm1" }).pipe(
        Effect.provideService(Serializer.Serializers, [Serializer.json]),
        Effect.provideService(Transport.Transport, router.transport),
        Effect.provide(Authenticator.layerAnonymous())
      )
      const observer = yield* join
      const seen = yield* Effect.gen(function*() {
        const ids = yield* Meta.sessionList()
        const details = yield* Meta.sessionGet(ids[0]!)
        const joins = yield* Meta.subscribe(Meta.OnJoin)
        const other = yield* Effect.fork(join)
        const authids: Array<string> = []
        yield* Stream.runForEach(Stream.take(joins.events, 1), ({ payload }) =>
          Effect.sync(() => authids.push(payload.details.authid)))
        yield* other.await
        return { ids, details, authids }
      }).pipe(Effect.provideService(Session.Session, observer))
      expect(seen.ids).toEqual([observer.info.id])
      expect(seen.details.session).toBe(observer.info.id)
      expect(seen.authids.length).toBe(1)
    }))
})
