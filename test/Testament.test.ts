/**
 * Testaments end to end: the test-kit router's `wamp.session.add_testament` / `flush_testaments`
 * (published when the session goes: a lost transport, a GOODBYE, a kill; `detached` before
 * `destroyed`, each in order; publish options applied), and `Testament.forConnection`, which
 * re-applies kept testaments on every new session of a Connection. Over WebSocket and RawSocket,
 * for json, msgpack and cbor; the observing session lives on the router in memory, so it survives
 * the listener being killed.
 */
import { describe, expect, it } from "@effect/vitest"
import { Chunk, Effect, Exit, Layer, Option, Queue, Schedule, Scope, Stream } from "effect"
import * as Authenticator from "../src/Authenticator.js"
import * as Connection from "../src/Connection.js"
import type * as Message from "../src/Message.js"
import * as WebSocketTransport from "../src/node/NodeWebSocketTransport.js"
import * as RawSocketTransport from "../src/node/RawSocketTransport.js"
import * as Serializer from "../src/Serializer.js"
import * as Session from "../src/Session.js"
import * as Testament from "../src/Testament.js"
import * as Router from "../src/testing/Router.js"
import * as Transport from "../src/Transport.js"
import * as WampError from "../src/WampError.js"
import { fromLink } from "./testing/support/rawClient.js"
import * as SocketLinks from "./testing/support/socketLinks.js"

const realm = "realm1"

type Kind = "WebSocket" | "RawSocket"

/** Serves the router on `kind` (on `port` when given: a restart) for the lifetime of `scope`. */
const serveOn = (router: Router.RouterService, kind: Kind, scope: Scope.Scope, port = 0) =>
  Effect.map(
    router.serve(
      kind === "WebSocket" ? { host: "127.0.0.1", port } : { host: "127.0.0.1", port: 0, rawSocketPort: port }
    )
      .pipe(Scope.extend(scope)),
    (bound) => kind === "WebSocket" ? bound.port : bound.rawSocketPort!
  )

const transportTo = (kind: Kind, port: number) =>
  kind === "WebSocket"
    ? WebSocketTransport.make({ url: `ws://127.0.0.1:${port}/ws` })
    : RawSocketTransport.make({ host: "127.0.0.1", port })

const joinWith = (transport: Transport.TransportService, serializer: Serializer.SerializerService) =>
  Session.make({ realm, goodbyeTimeout: "1 second" }).pipe(
    Effect.provideService(Transport.Transport, transport),
    Effect.provideService(Serializer.Serializers, [serializer]),
    Effect.provideService(Authenticator.Authenticator, Authenticator.anonymous())
  )

/** The observer's events on `topic`, as [args, kwargs, publisher], collected in order from now on. */
const observe = (observer: Session.SessionService, topic: string) =>
  Effect.gen(function*() {
    const subscription = yield* observer.subscribe(topic)
    const queue = yield* Queue.unbounded<readonly [Message.List, Message.Dict, number | undefined]>()
    yield* subscription.events.pipe(
      Stream.runForEach((event) => Queue.offer(queue, [event.args, event.kwargs, event.details.publisher] as const)),
      Effect.forkScoped
    )
    return {
      take: (n: number) =>
        Queue.takeBetween(queue, n, n).pipe(Effect.map(Chunk.toReadonlyArray), Effect.timeout("10 seconds"))
    }
  })

const rawLink = (kind: Kind, port: number, serializer: Serializer.SerializerService) =>
  kind === "WebSocket"
    ? SocketLinks.webSocket(`ws://127.0.0.1:${port}/ws`, serializer)
    : SocketLinks.rawSocket(port, serializer)

for (const kind of ["WebSocket", "RawSocket"] as const) {
  for (const serializer of [Serializer.json, Serializer.msgpack, Serializer.cbor]) {
    describe(`Testaments over ${kind} / ${serializer.name}`, () => {
      it.scopedLive("a lost transport publishes them: detached first, then destroyed, in order, with their options", () =>
        Effect.gen(function*() {
          const router = yield* Router.make({ realms: [realm] })
          const port = yield* serveOn(router, kind, yield* Effect.scope)
          const observer = yield* joinWith(router.transport, Serializer.json)
          const events = yield* observe(observer, "com.t.gone")

          // A bare client over the socket, so its link can end without a GOODBYE.
          const linkScope = yield* Scope.make()
          const client = yield* Effect.flatMap(rawLink(kind, port, serializer), fromLink).pipe(Scope.extend(linkScope))
          yield* client.send({ _tag: "Hello", realm, details: { roles: { caller: {}, publisher: {} } } })
          const session = (yield* client.expect("Welcome")).session
          const add = (args: Message.List, kwargs: Message.Dict) =>
            Effect.gen(function*() {
              const request = client.nextId()
              yield* client.send({
                _tag: "Call",
                request,
                options: {},
                procedure: "wamp.session.add_testament",
                args,
                kwargs
              })
              yield* client.expect("Result", (result) => result.request === request)
            })
          yield* add(["com.t.gone", ["first destroyed"], { n: 1 }], { publish_options: { disclose_me: true } })
          yield* add(["com.t.gone", ["detached"], {}], { scope: "detached" })
          yield* add(["com.t.gone", ["second destroyed"], { n: 2 }], { scope: "destroyed" })
          yield* Scope.close(linkScope, Exit.void)

          expect(yield* events.take(3)).toEqual([
            [["detached"], {}, undefined],
            [["first destroyed"], { n: 1 }, session],
            [["second destroyed"], { n: 2 }, undefined]
          ])
        }))

      it.scopedLive("a GOODBYE publishes them too; flush_testaments removes one scope only", () =>
        Effect.gen(function*() {
          const router = yield* Router.make({ realms: [realm] })
          const port = yield* serveOn(router, kind, yield* Effect.scope)
          const observer = yield* joinWith(router.transport, Serializer.json)
          const events = yield* observe(observer, "com.t.bye")
          yield* Effect.scoped(Effect.gen(function*() {
            const session = yield* joinWith(transportTo(kind, port), serializer)
            expect(session.info.routerRoles).toMatchObject({ dealer: { features: { testament_meta_api: true } } })
            yield* Testament.add(session, { topic: "com.t.bye", args: ["flushed"] })
            yield* Testament.add(session, { topic: "com.t.bye", args: ["kept detached"], scope: "detached" })
            yield* Testament.flush(session)
            yield* Testament.add(session, { topic: "com.t.bye", args: ["kept destroyed"], kwargs: { k: true } })
          }))
          // "flushed" would come between the two: the first two events prove it is gone.
          expect(yield* events.take(2)).toEqual([
            [["kept detached"], {}, undefined],
            [["kept destroyed"], { k: true }, undefined]
          ])
        }))

      it.scopedLive("bad testaments are refused with typed errors", () =>
        Effect.gen(function*() {
          const router = yield* Router.make({
            realms: [{
              name: realm,
              anonymous: true,
              roles: { anonymous: { publish: (uri) => uri !== "com.t.secret" } }
            }]
          })
          const port = yield* serveOn(router, kind, yield* Effect.scope)
          const session = yield* joinWith(transportTo(kind, port), serializer)
          const refused = (testament: Testament.Testament) => Effect.flip(Testament.add(session, testament))
          const uriOf = (error: unknown) => (error as WampError.WampError).error
          expect(uriOf(yield* refused({ topic: "wamp.session.fake" }))).toBe(WampError.StandardUri.InvalidUri)
          expect(uriOf(yield* refused({ topic: "not a uri" }))).toBe(WampError.StandardUri.InvalidUri)
          expect(uriOf(yield* refused({ topic: "com.t.x", scope: "forever" as never }))).toBe(
            WampError.StandardUri.InvalidArgument
          )
          expect(uriOf(yield* refused({ topic: "com.t.secret" }))).toBe(WampError.StandardUri.NotAuthorized)
          const notAList = yield* Effect.flip(session.call("wamp.session.add_testament", ["com.t.x", "nope"]))
          expect(uriOf(notAList)).toBe(WampError.StandardUri.InvalidArgument)
          const badFlush = yield* Effect.flip(session.call("wamp.session.flush_testaments", [], { scope: 3 }))
          expect(uriOf(badFlush)).toBe(WampError.StandardUri.InvalidArgument)
        }))

      it.scopedLive("Testament.forConnection re-applies kept testaments on every new session; releasing one flushes it", () =>
        Effect.gen(function*() {
          const router = yield* Router.make({ realms: [realm], goodbyeTimeout: 500 })
          const observer = yield* joinWith(router.transport, Serializer.json)
          const events = yield* observe(observer, "com.t.conn")
          let listener = yield* Scope.make()
          const port = yield* serveOn(router, kind, listener)

          const connectionScope = yield* Scope.make()
          const connection = yield* Connection.make({
            realm,
            goodbyeTimeout: "1 second",
            retry: Schedule.spaced("20 millis")
          }).pipe(
            Effect.provide(Layer.mergeAll(
              Layer.succeed(Transport.Transport, transportTo(kind, port)),
              Layer.succeed(Serializer.Serializers, [serializer]),
              Authenticator.layerAnonymous()
            )),
            Scope.extend(connectionScope)
          )
          const openOtherThan = (previous: number) =>
            connection.changes.pipe(
              Stream.filter((state) => state._tag === "Open" && state.info.id !== previous),
              Stream.runHead,
              Effect.map((state) => (Option.getOrThrow(state) as { readonly info: Session.SessionInfo }).info.id),
              Effect.timeout("10 seconds")
            )
          const first = yield* openOtherThan(0)
          const testaments = yield* Testament.forConnection(connection).pipe(Scope.extend(connectionScope))
          const appliedTo = (session: number) =>
            testaments.applied.pipe(
              Stream.filter((id) => id === session),
              Stream.runHead,
              Effect.timeout("10 seconds")
            )
          const keptScope = yield* Scope.make()
          yield* testaments.keep({ topic: "com.t.conn", args: ["one"], options: { disclose_me: true } }).pipe(
            Scope.extend(keptScope)
          )

          // 1. The transport is lost: the listener dies (its links with it) and comes back on the same port.
          yield* Scope.close(listener, Exit.void)
          expect(yield* events.take(1)).toEqual([[["one"], {}, first]])
          listener = yield* Scope.make()
          yield* serveOn(router, kind, listener, port)
          const second = yield* openOtherThan(first)

          // 2. The new session has it again. Keeping a second one while this session is open syncs it
          //    first (the re-apply fiber may not have run yet), so both are on the router, in order.
          const programScope = yield* Scope.make()
          yield* testaments.keep({ topic: "com.t.conn", args: ["two"] }).pipe(Scope.extend(programScope))
          expect(yield* router.killSession(second, "wamp.close.system_shutdown")).toBe(true)
          expect(yield* events.take(2)).toEqual([[["one"], {}, second], [["two"], {}, undefined]])
          const third = yield* openOtherThan(second)

          // 3. Only the re-apply fiber puts them on this session: wait until it has, then the router
          //    shuts the session down and both are published, in the order kept.
          yield* appliedTo(third)
          expect(yield* router.killSession(third, "wamp.close.system_shutdown")).toBe(true)
          expect(yield* events.take(2)).toEqual([[["one"], {}, third], [["two"], {}, undefined]])
          const fourth = yield* openOtherThan(third)

          // 4. Releasing "one" flushes it from the live session and keeps "two".
          yield* appliedTo(fourth)
          yield* Scope.close(keptScope, Exit.void)
          expect(yield* router.killSession(fourth, "wamp.close.system_shutdown")).toBe(true)
          expect(yield* events.take(1)).toEqual([[["two"], {}, undefined]])
          yield* openOtherThan(fourth)

          // 5. The usual structure, the program's scope inside the connection's: its close flushes the
          //    testament, so the GOODBYE that follows publishes nothing. The observer's own marker,
          //    published after the connection has closed, is the next event.
          yield* Scope.close(programScope, Exit.void)
          yield* Scope.close(connectionScope, Exit.void)
          yield* observer.publish("com.t.conn", ["marker"], {}, { exclude_me: false, acknowledge: true })
          expect(yield* events.take(1)).toEqual([[["marker"], {}, undefined]])
          yield* Scope.close(listener, Exit.void)
        }))
    })
  }
}
