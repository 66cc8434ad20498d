import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as Serializer from "../../src/Serializer.js"
import * as Router from "../../src/testing/Router.js"
import { allRoles, call, fromLink, join, register } from "./support/rawClient.js"
import * as SocketLinks from "./support/socketLinks.js"

describe("Router.serve", () => {
  for (const serializer of [Serializer.json, Serializer.msgpack]) {
    it.scopedLive(`HELLO and CALL over WebSocket and RawSocket with ${serializer.name}`, () =>
      Effect.gen(function*() {
        const router = yield* Router.make({ realms: ["realm1"] })
        const bound = yield* router.serve({ host: "127.0.0.1", port: 0, rawSocketPort: 0 })
        assert.isTrue(bound.port > 0)
        assert.isTrue((bound.rawSocketPort ?? 0) > 0)
        // The callee is in memory; callers come over the sockets.
        const callee = yield* join(router)
        yield* register(callee, "com.app.echo")
        yield* Effect.forkScoped(Effect.forever(Effect.gen(function*() {
          const invocation = yield* Effect.orDie(callee.expect("Invocation"))
          yield* Effect.orDie(
            callee.send({ _tag: "Yield", request: invocation.request, options: {}, args: invocation.args ?? [] })
          )
        })))

        const ws = yield* SocketLinks.webSocket(`ws://127.0.0.1:${bound.port}/any/path`, serializer)
        assert.strictEqual(ws.protocol, serializer.subprotocol)
        const raw = yield* SocketLinks.rawSocket(bound.rawSocketPort!, serializer)
        for (const link of [ws, raw]) {
          const client = yield* fromLink(link)
          yield* client.send({ _tag: "Hello", realm: "realm1", details: { roles: allRoles } })
          const welcome = yield* client.expect("Welcome")
          assert.isTrue(welcome.session > 0)
          const payload = [1, "two", { three: [3] }]
          const result = yield* call(client, "com.app.echo", payload)
          assert.strictEqual(result._tag, "Result")
          assert.deepStrictEqual(result.args, payload)
          yield* client.send({ _tag: "Goodbye", details: {}, reason: "wamp.close.normal" })
          assert.strictEqual((yield* client.expect("Goodbye")).reason, "wamp.close.goodbye_and_out")
          yield* client.closed
        }
      }))
  }

  it.scopedLive("a WebSocket client offering no WAMP subprotocol is refused; the router keeps serving", () =>
    Effect.gen(function*() {
      const router = yield* Router.make({ realms: ["realm1"] })
      const bound = yield* router.serve({ host: "127.0.0.1", port: 0 })
      const refused = yield* Effect.either(
        SocketLinks.webSocket(`ws://127.0.0.1:${bound.port}`, { ...Serializer.json, subprotocol: "mqtt" })
      )
      // ws fails the handshake when the server picks no protocol it offered.
      assert.isTrue(refused._tag === "Left" || (yield* refused.right.closed).code !== 1000)
      const ws = yield* SocketLinks.webSocket(`ws://127.0.0.1:${bound.port}`, Serializer.json)
      const client = yield* fromLink(ws)
      yield* client.send({ _tag: "Hello", realm: "realm1", details: { roles: allRoles } })
      yield* client.expect("Welcome")
    }))

  it.scopedLive("a RawSocket frame that is not WAMP aborts that session only", () =>
    Effect.gen(function*() {
      const router = yield* Router.make({ realms: ["realm1"] })
      const bound = yield* router.serve({ host: "127.0.0.1", port: 0, rawSocketPort: 0 })
      const raw = yield* SocketLinks.rawSocket(bound.rawSocketPort!, Serializer.json)
      const client = yield* fromLink(raw)
      yield* client.sendFrame("[1, not json")
      assert.strictEqual((yield* client.expect("Abort")).reason, "wamp.error.protocol_violation")
      yield* client.closed
      const other = yield* join(router)
      yield* other.barrier
    }))
})
