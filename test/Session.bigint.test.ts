/**
 * BigInt reaches the session only as payload: a payload integer beyond 2^53 comes back as the
 * exact BigInt, while an id beyond 2^53 (which the binary decoders now give as a BigInt too) is a
 * protocol violation, never an id of another type slipping through.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Fiber, Stream } from "effect"
import * as Serializer from "../src/Serializer.js"
import * as Router from "../src/testing/Router.js"
import { sessionOver } from "./support/routerSession.js"
import { join, scoped } from "./support/session.js"

const wide = 2n ** 53n + 1n

for (const serializer of [Serializer.msgpack, Serializer.cbor]) {
  describe(`BigInt over a ${serializer.name} session`, () => {
    scoped(
      "payload integers beyond 2^53 arrive as BigInt; a BigInt argument is sent as one",
      () =>
        Effect.gen(function*() {
          const { peer, session } = yield* join({ serializer })
          const call = yield* Effect.fork(session.call("com.example.big", [wide, 2n ** 53n], { n: -wide }))
          const sent = yield* peer.expect("Call")
          // The router side (FakePeer) decodes with the same codec: the integers travel exactly.
          expect(sent.args).toEqual([wide, 2 ** 53])
          expect(sent.kwargs).toEqual({ n: -wide })
          yield* peer.sendRaw([50, sent.request, {}, [2n ** 64n - 1n, 7n], { small: 5n }])
          const result = yield* Fiber.join(call)
          expect(result.args).toEqual([2n ** 64n - 1n, 7])
          expect(result.kwargs).toEqual({ small: 5 })
        })
    )

    scoped("2^53 is a valid id (a number); an id of 2^53 + 1 is a protocol violation", () =>
      Effect.gen(function*() {
        const { peer, session } = yield* join({ serializer })
        const call = yield* Effect.fork(session.call("com.example.pending"))
        const sent = yield* peer.expect("Call")
        yield* peer.sendRaw([50, sent.request, {}, [1]])
        expect((yield* Fiber.join(call)).args).toEqual([1])

        const subscribing = yield* Effect.fork(Effect.scoped(session.subscribe("com.example.t")))
        const subscribe = yield* peer.expect("Subscribe")
        yield* peer.sendRaw([33, subscribe.request, 2n ** 53n])
        // The scope's end unsubscribes that very id, and waits for UNSUBSCRIBED.
        const unsubscribe = yield* peer.expect("Unsubscribe")
        expect(unsubscribe.subscription).toBe(2 ** 53)
        yield* peer.send({ _tag: "Unsubscribed", request: unsubscribe.request })
        expect((yield* Fiber.join(subscribing)).id).toBe(2 ** 53)

        const pending = yield* Effect.fork(session.call("com.example.pending"))
        const second = yield* peer.expect("Call")
        // The request id as a 64-bit integer past 2^53: decoded as a BigInt, refused as an id.
        yield* peer.sendRaw([50, BigInt(second.request) + 2n ** 53n, {}])
        const abort = yield* peer.expect("Abort")
        expect(abort.reason).toBe("wamp.error.protocol_violation")
        const error = yield* Effect.flip(Fiber.join(pending))
        expect(error._tag).toBe("ProtocolError")
      }))
  })
}

describe("BigInt through the test-kit router, across serializers", () => {
  const int64s = [wide, -wide, 2n ** 64n - 1n, -(2n ** 63n), 1558266424841951553n]
  const pairs = [
    [Serializer.msgpack, Serializer.cbor],
    [Serializer.cbor, Serializer.msgpack],
    [Serializer.msgpack, Serializer.msgpack],
    [Serializer.cbor, Serializer.cbor]
  ] as const

  for (const [callerSerializer, calleeSerializer] of pairs) {
    it.scoped(`a ${callerSerializer.name} caller and a ${calleeSerializer.name} callee: 64-bit integers exactly`, () =>
      Effect.gen(function*() {
        const router = yield* Router.make({ realms: ["realm1"] })
        const callee = yield* sessionOver(router, calleeSerializer)
        const caller = yield* sessionOver(router, callerSerializer)
        const seen: Array<unknown> = []
        yield* callee.register("com.app.echo", (invocation) =>
          Effect.sync(() => {
            seen.push(...invocation.args)
            return { args: invocation.args, kwargs: invocation.kwargs }
          }))
        const result = yield* caller.call("com.app.echo", int64s, { n: wide, safe: 5n })
        expect(seen).toEqual(int64s)
        expect(result.args).toEqual(int64s)
        expect(result.kwargs).toEqual({ n: wide, safe: 5 })
      }))
  }

  it.scoped("bignums beyond 64 bits between CBOR peers; events to CBOR and MessagePack subscribers", () =>
    Effect.gen(function*() {
      const router = yield* Router.make({ realms: ["realm1"] })
      const cborCallee = yield* sessionOver(router, Serializer.cbor)
      const cborCaller = yield* sessionOver(router, Serializer.cbor)
      yield* cborCallee.register(
        "com.app.square",
        (invocation) => Effect.succeed({ args: [(invocation.args[0] as bigint) ** 2n] })
      )
      expect((yield* cborCaller.call("com.app.square", [2n ** 64n])).args).toEqual([2n ** 128n])

      const cborSubscriber = yield* sessionOver(router, Serializer.cbor)
      const msgpackSubscriber = yield* sessionOver(router, Serializer.msgpack)
      const toCbor = yield* cborSubscriber.subscribe("com.app.big")
      const toMsgpack = yield* msgpackSubscriber.subscribe("com.app.big")
      yield* cborCaller.publish("com.app.big", [wide, -(2n ** 63n)], {}, { acknowledge: true })
      const [cborEvent] = yield* toCbor.events.pipe(Stream.take(1), Stream.runCollect)
      const [msgpackEvent] = yield* toMsgpack.events.pipe(Stream.take(1), Stream.runCollect)
      expect(cborEvent!.args).toEqual([wide, -(2n ** 63n)])
      expect(msgpackEvent!.args).toEqual([wide, -(2n ** 63n)])
    }))

  it.scoped("a JSON session refuses a BigInt locally with EncodeError; nothing is sent", () =>
    Effect.gen(function*() {
      const router = yield* Router.make({ realms: ["realm1"] })
      const callee = yield* sessionOver(router, Serializer.cbor)
      let invoked = 0
      yield* callee.register("com.app.echo", (invocation) =>
        Effect.sync(() => {
          invoked++
          return { args: invocation.args }
        }))
      const json = yield* sessionOver(router, Serializer.json)
      const error = yield* Effect.flip(json.call("com.app.echo", [1n]))
      expect(error._tag).toBe("EncodeError")
      expect(error.message).toContain("a bigint has no JSON form")
      const published = yield* Effect.flip(json.publish("com.app.t", [], { n: 1n }, { acknowledge: true }))
      expect(published._tag).toBe("EncodeError")
      // The session is still usable and the endpoint never ran for the refused call.
      expect((yield* json.call("com.app.echo", [1])).args).toEqual([1])
      expect(invoked).toBe(1)
    }))
})
