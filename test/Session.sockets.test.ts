/**
 * The session over real loopback sockets (WebSocket and RawSocket), scripted by FakePeer, so the
 * socket path is exercised with the same protocol cases as the in-memory tests.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Fiber, Layer } from "effect"
import * as Authenticator from "../src/Authenticator.js"
import * as NodeWebSocketTransport from "../src/node/NodeWebSocketTransport.js"
import * as RawSocketTransport from "../src/node/RawSocketTransport.js"
import * as Serializer from "../src/Serializer.js"
import * as Session from "../src/Session.js"
import * as FakePeer from "../src/testing/FakePeer.js"

const transports = [
  ["WebSocket", (served: FakePeer.ServedFakeRouter) => NodeWebSocketTransport.layer({ url: served.url })],
  [
    "RawSocket",
    (served: FakePeer.ServedFakeRouter) => RawSocketTransport.layer({ host: "127.0.0.1", port: served.rawSocketPort! })
  ]
] as const

for (const [transportName, transportLayer] of transports) {
  for (const serializer of [Serializer.json, Serializer.msgpack, Serializer.cbor]) {
    describe(`Session over ${transportName} / ${serializer.name}`, () => {
      const joinOver = Effect.gen(function*() {
        const served = yield* FakePeer.serve({ rawSocketPort: 0 })
        const layer = Layer.mergeAll(
          transportLayer(served),
          Layer.succeed(Serializer.Serializers, [serializer]),
          Authenticator.layerAnonymous()
        )
        const fiber = yield* Effect.fork(
          Session.make({ realm: "realm1", goodbyeTimeout: "300 millis" }).pipe(Effect.provide(layer))
        )
        const peer = yield* served.accept
        expect(peer.link.serializer.name).toBe(serializer.name)
        yield* peer.welcome()
        return { peer, session: yield* Fiber.join(fiber) }
      })

      it.scopedLive("join, call, event, leave", () =>
        Effect.gen(function*() {
          const { peer, session } = yield* joinOver
          const call = yield* Effect.fork(
            session.call("com.example.echo", ["héllo", 2 ** 53, new Uint8Array([1, 2, 3])])
          )
          const sent = yield* peer.expect("Call")
          expect(sent.args).toEqual(["héllo", 2 ** 53, new Uint8Array([1, 2, 3])])
          yield* peer.send({ _tag: "Result", request: sent.request, details: {}, args: sent.args ?? [] })
          const result = yield* Fiber.join(call)
          expect(result.args).toEqual(["héllo", 2 ** 53, new Uint8Array([1, 2, 3])])
          const leaving = yield* Effect.fork(session.leave())
          yield* peer.expect("Goodbye")
          yield* peer.send({ _tag: "Goodbye", details: {}, reason: "wamp.close.goodbye_and_out" })
          yield* Fiber.join(leaving)
          expect((yield* session.closed).wasClean).toBe(true)
        }))

      it.scopedLive("a dropped socket fails pending calls with transport_lost", () =>
        Effect.gen(function*() {
          const { peer, session } = yield* joinOver
          const call = yield* Effect.fork(session.call("com.example.slow"))
          yield* peer.expect("Call")
          yield* peer.drop
          const error = yield* Effect.flip(Fiber.join(call))
          expect(error).toMatchObject({ _tag: "SessionClosedError", reason: "wamp.close.transport_lost" })
        }))

      it.scopedLive("a protocol violation sends ABORT, then the socket closes", () =>
        Effect.gen(function*() {
          const { peer, session } = yield* joinOver
          yield* peer.sendRaw([2, 5, { roles: { broker: {} } }])
          const abort = yield* peer.expect("Abort")
          expect(abort.reason).toBe("wamp.error.protocol_violation")
          yield* peer.closed
          expect((yield* session.closed).by).toBe("violation")
        }))
    })
  }
}
