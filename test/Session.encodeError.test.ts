/**
 * A value our serializer cannot write (a bigint under JSON, a cycle) fails the operation that carries
 * it with the typed `EncodeError`, nothing is sent, and the session stays usable. A callee whose
 * answer cannot be encoded still answers: an ERROR `wamp.error.invalid_payload`, so no caller waits.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, Fiber, Layer, Schema, Stream } from "effect"
import * as Authenticator from "../src/Authenticator.js"
import * as Connection from "../src/Connection.js"
import { EncodeError } from "../src/Errors.js"
import * as Procedure from "../src/Procedure.js"
import * as Serializer from "../src/Serializer.js"
import * as Session from "../src/Session.js"
import * as Testament from "../src/Testament.js"
import * as Router from "../src/testing/Router.js"
import * as Topic from "../src/Topic.js"
import * as Transport from "../src/Transport.js"
import * as WampError from "../src/WampError.js"
import { sessionOver } from "./support/routerSession.js"
import { join, scoped } from "./support/session.js"

const cyclic = (): Record<string, unknown> => {
  const value: Record<string, unknown> = {}
  value["self"] = value
  return value
}

const expectEncodeError = (error: unknown, text: string) => {
  expect(error).toBeInstanceOf(EncodeError)
  expect((error as EncodeError).message).toContain(text)
}

describe("EncodeError from each operation (JSON session, FakePeer router)", () => {
  scoped("call, callProgressive: EncodeError, nothing sent, no request id consumed", () =>
    Effect.gen(function*() {
      const { peer, session } = yield* join()
      expectEncodeError(yield* Effect.flip(session.call("com.example.p", [1n])), "bigint")
      expectEncodeError(yield* Effect.flip(session.call("com.example.p", [], { c: cyclic() })), "")
      expectEncodeError(yield* Effect.flip(session.call("com.example.p", [], {}, { x_tag: 1n })), "bigint")
      const progressive = yield* Effect.flip(Stream.runDrain(session.callProgressive("com.example.p", [1n])))
      expectEncodeError(progressive, "bigint")
      yield* peer.expectNothing("50 millis")
      // The session is still usable, and the refused calls took no id.
      const call = yield* Effect.fork(session.call("com.example.p", [1]))
      const sent = yield* peer.expect("Call")
      expect(sent.request).toBe(1)
      yield* peer.send({ _tag: "Result", request: sent.request, details: {}, args: [2] })
      expect((yield* Fiber.join(call)).args).toEqual([2])
    }))

  scoped(
    "callWithInput: a chunk that cannot be encoded fails the call with EncodeError and cancels it",
    () =>
      Effect.gen(function*() {
        const { peer, session } = yield* join()
        const call = yield* Effect.fork(
          session.callWithInput("com.example.p", Stream.make({ args: [1] }, { args: [2n] }, { args: [3] }))
        )
        const first = yield* peer.expect("Call")
        expect(first.args).toEqual([1])
        expect(first.options["progress"]).toBe(true)
        expectEncodeError(yield* Effect.flip(Fiber.join(call)), "bigint")
        // The request is abandoned with CANCEL (the router announced call_canceling).
        const cancel = yield* peer.expect("Cancel")
        expect(cancel.request).toBe(first.request)
      })
  )

  scoped("callStreaming: EncodeError in the stream", () =>
    Effect.gen(function*() {
      const { peer, session } = yield* join()
      const fiber = yield* Effect.fork(
        Stream.runDrain(session.callStreaming("com.example.p", Stream.make({ kwargs: { c: cyclic() } })))
      )
      expect(yield* Effect.flip(Fiber.join(fiber))).toBeInstanceOf(EncodeError)
      yield* peer.expectNothing("50 millis")
    }))

  scoped("publish (acknowledged or not), subscribe, register: EncodeError, nothing sent", () =>
    Effect.gen(function*() {
      const { peer, session } = yield* join()
      expectEncodeError(yield* Effect.flip(session.publish("com.example.t", [1n])), "bigint")
      expectEncodeError(
        yield* Effect.flip(session.publish("com.example.t", [], { n: 1n }, { acknowledge: true })),
        "bigint"
      )
      expectEncodeError(yield* Effect.flip(session.subscribe("com.example.t", { x_tag: 1n })), "bigint")
      expectEncodeError(
        yield* Effect.flip(session.register("com.example.p", () => Effect.void, { x_tag: 1n })),
        "bigint"
      )
      yield* peer.expectNothing("50 millis")
      // A second subscriber of the same topic does not share a refused subscription.
      const subscribing = yield* Effect.fork(session.subscribe("com.example.t"))
      const subscribe = yield* peer.expect("Subscribe")
      expect(subscribe.request).toBe(1)
      yield* peer.send({ _tag: "Subscribed", request: subscribe.request, subscription: 7 })
      expect((yield* Fiber.join(subscribing)).id).toBe(7)
    }))

  scoped("the module-level operations name EncodeError too", () =>
    Effect.gen(function*() {
      const { session } = yield* join()
      const withSession = Effect.provideService(Session.Session, session)
      const results = yield* Effect.all([
        Effect.flip(withSession(Session.call("com.example.p", [1n]))),
        Effect.flip(withSession(Session.publish("com.example.t", [1n]))),
        Effect.flip(withSession(Session.subscribe("com.example.t", { x: 1n }))),
        Effect.flip(withSession(Session.register("com.example.p", () => Effect.void, { x: 1n })))
      ])
      for (const error of results) {
        // The type says so: the union includes EncodeError, and `catchTag` can single it out.
        const tag: "EncodeError" | "WampError" | "SessionClosedError" | "ProtocolError" = error._tag
        expect(tag).toBe("EncodeError")
      }
    }))
})

describe("EncodeError from the typed contracts, Connection and Testament", () => {
  const Big = Procedure.make("com.example.big", { args: Schema.Tuple(Schema.BigIntFromSelf), result: Schema.Number })
  const Ticks = Topic.make("com.example.ticks", { kwargs: Schema.Struct({ n: Schema.BigIntFromSelf }) })

  scoped("Procedure.call, Procedure.register, Topic.publish, Topic.subscribe", () =>
    Effect.gen(function*() {
      const { peer, session } = yield* join()
      const typed = <A, E>(effect: Effect.Effect<A, E, Session.Session>) =>
        Effect.flip(Effect.provideService(effect, Session.Session, session))
      expectEncodeError(yield* typed(Procedure.call(Big, [1n])), "bigint")
      expectEncodeError(
        yield* typed(Effect.scoped(Procedure.register(Big, () => Effect.succeed(1), { x_tag: 1n }))),
        "bigint"
      )
      expectEncodeError(yield* typed(Topic.publish(Ticks, { n: 1n })), "bigint")
      expectEncodeError(yield* typed(Effect.scoped(Topic.subscribe(Ticks, { x_tag: 1n }))), "bigint")
      yield* peer.expectNothing("50 millis")
    }))

  it.scopedLive("Connection: routed call and publish, durable register and subscribe", () =>
    Effect.gen(function*() {
      const router = yield* Router.make({ realms: ["realm1"] })
      const connection = yield* Connection.make({ realm: "realm1", goodbyeTimeout: "500 millis" }).pipe(
        Effect.provide(Layer.mergeAll(
          Layer.succeed(Transport.Transport, router.transport),
          Serializer.layerJson,
          Layer.succeed(Authenticator.Authenticator, Authenticator.anonymous())
        ))
      )
      yield* connection.awaitOpen
      expectEncodeError(yield* Effect.flip(connection.session.call("com.example.p", [1n])), "bigint")
      expectEncodeError(yield* Effect.flip(connection.session.publish("com.example.t", [1n])), "bigint")
      expectEncodeError(
        yield* Effect.flip(Effect.scoped(connection.register("com.example.p", () => Effect.void, { x_tag: 1n }))),
        "bigint"
      )
      expectEncodeError(
        yield* Effect.flip(Effect.scoped(connection.subscribe("com.example.t", { x_tag: 1n }))),
        "bigint"
      )
      // The refused intents were not kept: nothing is re-applied, the connection is still open.
      const state = yield* connection.state
      expect(state._tag).toBe("Open")
      // A durable callee whose result cannot be encoded answers its caller with the ERROR.
      yield* connection.register("com.example.durable.big", () => Effect.succeed({ args: [1n] }))
      const caller = yield* sessionOver(router, Serializer.cbor)
      const error = yield* Effect.flip(caller.call("com.example.durable.big", [], {}, { timeout: 5000 }))
      expect(error).toMatchObject({ _tag: "WampError", error: WampError.StandardUri.InvalidPayload })
    }))

  it.scopedLive("Testament.add and keep", () =>
    Effect.gen(function*() {
      const router = yield* Router.make({ realms: ["realm1"] })
      const session = yield* sessionOver(router, Serializer.json)
      expectEncodeError(yield* Effect.flip(Testament.add(session, { topic: "com.example.gone", args: [1n] })), "bigint")
      const connection = yield* Connection.make({ realm: "realm1", goodbyeTimeout: "500 millis" }).pipe(
        Effect.provide(Layer.mergeAll(
          Layer.succeed(Transport.Transport, router.transport),
          Serializer.layerJson,
          Layer.succeed(Authenticator.Authenticator, Authenticator.anonymous())
        ))
      )
      yield* connection.awaitOpen
      const testaments = yield* Testament.forConnection(connection)
      const kept = yield* Effect.flip(Effect.scoped(testaments.keep({ topic: "com.example.gone", kwargs: { n: 1n } })))
      expectEncodeError(kept, "bigint")
    }))
})

describe("a callee whose answer cannot be encoded still answers", () => {
  scoped(
    "a YIELD that cannot be encoded becomes ERROR wamp.error.invalid_payload with the encoder's text",
    () =>
      Effect.gen(function*() {
        const { peer, session } = yield* join()
        const registering = yield* Effect.fork(
          session.register("com.example.big", () => Effect.succeed({ args: [2n ** 64n] }))
        )
        const register = yield* peer.expect("Register")
        yield* peer.send({ _tag: "Registered", request: register.request, registration: 11 })
        yield* Fiber.join(registering)
        yield* peer.send({ _tag: "Invocation", request: 1, registration: 11, details: {} })
        const error = yield* peer.expect("Error")
        expect(error.request).toBe(1)
        expect(error.requestType).toBe(68)
        expect(error.error).toBe(WampError.StandardUri.InvalidPayload)
        expect(String(error.args?.[0])).toContain("bigint")
      })
  )

  scoped(
    "an application ERROR whose payload cannot be encoded is replaced by invalid_payload naming it",
    () =>
      Effect.gen(function*() {
        const { peer, session } = yield* join()
        const registering = yield* Effect.fork(
          session.register(
            "com.example.fails",
            () => Effect.fail(WampError.make("com.example.oops", { kwargs: { c: cyclic() } }))
          )
        )
        const register = yield* peer.expect("Register")
        yield* peer.send({ _tag: "Registered", request: register.request, registration: 12 })
        yield* Fiber.join(registering)
        yield* peer.send({ _tag: "Invocation", request: 5, registration: 12, details: {} })
        const error = yield* peer.expect("Error")
        expect(error.request).toBe(5)
        expect(error.error).toBe(WampError.StandardUri.InvalidPayload)
        expect(String(error.args?.[0])).toContain("com.example.oops could not be sent")
      })
  )

  it.scopedLive("through the test-kit router: a CBOR caller of a JSON callee returning a bigint gets the ERROR", () =>
    Effect.gen(function*() {
      const router = yield* Router.make({ realms: ["realm1"] })
      const callee = yield* sessionOver(router, Serializer.json)
      const caller = yield* sessionOver(router, Serializer.cbor)
      yield* callee.register("com.app.big", () => Effect.succeed({ args: [2n ** 64n] }))
      const outcome = yield* Effect.either(caller.call("com.app.big", [], {}, { timeout: 5000 }))
      expect(Either.isLeft(outcome)).toBe(true)
      const error = Either.getLeft(outcome).pipe((o) => o._tag === "Some" ? o.value : undefined)
      expect(error).toBeInstanceOf(WampError.WampError)
      expect((error as WampError.WampError).error).toBe(WampError.StandardUri.InvalidPayload)
      expect((error as WampError.WampError).message).toContain("bigint")
    }))
})
