/**
 * Real faults: the test-kit router served on 127.0.0.1, its listener killed and restarted on the
 * same port while a Connection (over a real WebSocket) has calls in flight, a registration and a
 * pattern subscription. The counterpart sessions live on the router in memory, so they survive.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Fiber, Layer, Option, Schedule, Scope, Stream } from "effect"
import * as Authenticator from "../src/Authenticator.js"
import * as Connection from "../src/Connection.js"
import { SessionClosedError } from "../src/Errors.js"
import type { Member } from "../src/internal/scopeGroup.js"
import * as NodeWebSocketTransport from "../src/node/NodeWebSocketTransport.js"
import * as Serializer from "../src/Serializer.js"
import * as Session from "../src/Session.js"
import { Router } from "../src/testing/index.js"
import * as Transport from "../src/Transport.js"
import * as Tracked from "./support/connection.js"
import { countingScope } from "./support/countingScope.js"

/** Waits for a session other than `previous` to be open. */
const waitNewSession = (connection: Connection.ConnectionService, previous: number) =>
  connection.changes.pipe(
    Stream.filter((state) => state._tag === "Open" && state.info.id !== previous),
    Stream.runHead,
    Effect.map(Option.getOrThrow),
    Effect.timeout("5 seconds")
  )

describe("Connection against the loopback router", () => {
  it.scopedLive(
    "listener killed with 1,000 calls in flight, then restarted: calls fail typed, intents come back",
    () =>
      Effect.gen(function*() {
        const router = yield* Router.make({ realms: ["realm1"] })
        // In-memory sessions on the router: a callee that never answers, and a caller/publisher.
        const other = yield* Session.make({ realm: "realm1", goodbyeTimeout: "200 millis" }).pipe(
          Effect.provide(Layer.mergeAll(
            Layer.succeed(Transport.Transport, router.transport),
            Serializer.layerJson,
            Authenticator.layerAnonymous()
          ))
        )
        yield* other.register("com.slow", () => Effect.never)

        let listener = yield* Scope.make()
        const { port } = yield* router.serve({ host: "127.0.0.1", port: 0 }).pipe(Scope.extend(listener))
        const connection = yield* Tracked.make({
          realm: "realm1",
          goodbyeTimeout: "200 millis",
          retry: Schedule.spaced("50 millis")
        }).pipe(Effect.provide(Layer.mergeAll(
          NodeWebSocketTransport.layer({ url: `ws://127.0.0.1:${port}/ws` }),
          Serializer.layerMsgpack,
          Authenticator.layerAnonymous()
        )))
        let sessionId = (yield* connection.awaitOpen).id
        yield* connection.register("com.durable.echo", ({ args }) => Effect.succeed({ args }), { invoke: "roundrobin" })
        const subscription = yield* connection.subscribe("com.durable.", { match: "prefix" })

        for (let cycle = 0; cycle < 5; cycle++) {
          const calls = yield* Effect.forEach(
            Array.from({ length: 1000 }, (_, i) => i),
            (i) => Effect.fork(Effect.flip(connection.session.call("com.slow", [i]))),
            { concurrency: "unbounded" }
          )
          // Let the calls reach the router, then kill the listener (and every socket on it).
          yield* Effect.sleep("100 millis")
          const killed = performance.now()
          yield* Scope.close(listener, Exit.void)
          const errors = yield* Effect.timeout(Fiber.joinAll(calls), "5 seconds")
          const elapsed = performance.now() - killed
          expect(errors).toHaveLength(1000)
          for (const error of errors) expect(error).toBeInstanceOf(SessionClosedError)
          // The 5 s timeout guards against a hang; the time itself is a figure, not an assertion.
          console.log(`cycle ${cycle}: 1,000 in-flight calls failed ${elapsed.toFixed(0)} ms after the kill`)

          listener = yield* Scope.make()
          yield* router.serve({ host: "127.0.0.1", port }).pipe(Scope.extend(listener))
          const open = yield* waitNewSession(connection, sessionId)
          if (open._tag === "Open") sessionId = open.info.id

          // The registration is back (with its options), and the pattern subscription is still a pattern.
          const echoed = yield* other.call("com.durable.echo", [cycle])
          expect(echoed.args).toEqual([cycle])
          const registrations = yield* other.call("wamp.registration.match", ["com.durable.echo"])
          const info = yield* other.call("wamp.registration.get", [registrations.args[0]])
          expect(info.args[0]).toMatchObject({ invoke: "roundrobin" })
          yield* other.publish("com.durable.tick", [cycle], undefined, { acknowledge: true })
          const event = yield* Stream.runHead(subscription.events).pipe(Effect.timeout("2 seconds"))
          expect(Option.map(event, (e) => [e.args, e.details.topic])).toEqual(
            Option.some([[cycle], "com.durable.tick"])
          )
        }
        const counters = Tracked.counters(connection)
        expect(counters.waiting).toBe(0)
        console.log(`after 5 kill/restart cycles: ${JSON.stringify(counters)}`)
      }),
    { timeout: 60_000 }
  )

  it.scopedLive("durable registrations and subscriptions made and released within one session leave nothing on it", () =>
    Effect.gen(function*() {
      const router = yield* Router.make({ realms: ["realm1"] })
      const connection = yield* Tracked.make({ realm: "realm1", goodbyeTimeout: "200 millis" }).pipe(
        Effect.provide(Layer.mergeAll(
          Layer.succeed(Transport.Transport, router.transport),
          Serializer.layerJson,
          Authenticator.layerAnonymous()
        ))
      )
      yield* connection.awaitOpen
      for (let round = 0; round < 3; round++) {
        const counted = yield* countingScope
        const scope = counted.scope
        const made = yield* Effect.forEach(
          Array.from({ length: 100 }, (_, i) => `com.churn.${i}`),
          (topic) => Scope.extend(connection.subscribe(topic), scope),
          { concurrency: 10 }
        )
        const registered = yield* Effect.forEach(
          Array.from({ length: 100 }, (_, i) => `com.churn.echo${i}`),
          (procedure) => Scope.extend(connection.register(procedure, ({ args }) => Effect.succeed({ args })), scope),
          { concurrency: 10 }
        )
        // One finalizer for all 200 (`scopeGroup.ts`).
        expect(counted.added()).toBe(1)
        expect(Tracked.counters(connection)).toMatchObject({
          durableSubscriptions: 100,
          durableRegistrations: 100,
          watchers: 100,
          session: { subscriptions: 100, registrations: 100, pending: 0 }
        })
        // Each held registration answers on the session it was applied to.
        expect((yield* connection.session.call("com.churn.echo7", [round])).args).toEqual([round])
        yield* Effect.forEach(registered.slice(0, 50), (registration) => registration.unregister, { discard: true })
        expect(Tracked.counters(connection)).toMatchObject({
          durableRegistrations: 50,
          watchers: 50,
          session: { registrations: 50 }
        })
        // Half leave by unsubscribe, the rest with their scope.
        yield* Effect.forEach(made.slice(0, 50), (subscription) => subscription.unsubscribe, { discard: true })
        // Released intents are out of the scope's group: it no longer holds them.
        const intentOf = (handle: object) => (handle as unknown as { readonly intent: Member }).intent
        expect(made.slice(0, 50).every((handle) => intentOf(handle).group === undefined)).toBe(true)
        expect(registered.slice(0, 50).every((handle) => intentOf(handle).group === undefined)).toBe(true)
        expect(intentOf(made[50]!).group).toBeDefined()
        expect(Tracked.counters(connection)).toMatchObject({ durableSubscriptions: 50, session: { subscriptions: 50 } })
        yield* Scope.close(scope, Exit.void)
        expect(Tracked.counters(connection)).toMatchObject({
          durableSubscriptions: 0,
          durableRegistrations: 0,
          watchers: 0,
          session: { subscriptions: 0, registrations: 0, pending: 0 }
        })
        const gone = yield* Effect.flip(connection.session.call("com.churn.echo7"))
        expect(gone).toMatchObject({ error: "wamp.error.no_such_procedure" })
      }
    }))
})
