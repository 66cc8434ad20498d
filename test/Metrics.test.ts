/**
 * The client's Effect Metrics, read with `Metric.value` before and after real operations against
 * the in-memory test-kit router (deltas: the registry is global to the process).
 */
import { describe, expect, it } from "@effect/vitest"
import { Chunk, Effect, Fiber, Layer, Metric, Option, Schedule, Stream, TestClock } from "effect"
import * as Authenticator from "../src/Authenticator.js"
import * as Connection from "../src/Connection.js"
import * as Metrics from "../src/Metrics.js"
import autobahn from "../src/node/autobahn/index.js"
import * as Serializer from "../src/Serializer.js"
import * as Session from "../src/Session.js"
import * as Router from "../src/testing/Router.js"
import { Transport } from "../src/Transport.js"
import * as WampError from "../src/WampError.js"
import { retryNow, waitFor } from "./support/connection.js"

const counter = (metric: Metric.Metric.Counter<number>) => Effect.map(Metric.value(metric), (state) => state.count)

const snapshot = Effect.all({
  calls: counter(Metrics.calls),
  noSuchProcedure: counter(Metrics.callErrors.pipe(Metric.tagged("error", WampError.StandardUri.NoSuchProcedure))),
  custom: counter(Metrics.callErrors.pipe(Metric.tagged("error", "com.example.oops"))),
  timed: Effect.map(Metric.value(Metrics.callDuration), (state) => state.count),
  received: counter(Metrics.eventsReceived),
  published: counter(Metrics.eventsPublished),
  reconnects: counter(Metrics.reconnects)
})

/** Failed calls under every `error` label. */
const allErrors = Effect.map(Metric.snapshot, (pairs) => {
  let total = 0
  for (const pair of pairs) {
    if (pair.metricKey.name === "wamp_client_call_errors_total") {
      total += (pair.metricState as unknown as { count: number }).count
    }
  }
  return total
})

const client = (router: Router.RouterService) =>
  Layer.mergeAll(Layer.succeed(Transport, router.transport), Serializer.layerJson, Authenticator.layerAnonymous())

describe("Metrics", () => {
  it.scoped("calls, errors by URI, latency, events received and published", () =>
    Effect.gen(function*() {
      const router = yield* Router.make({ realms: ["realm1"] })
      const session = yield* Session.make({ realm: "realm1" }).pipe(Effect.provide(client(router)))
      yield* session.register("com.example.ok", () => Effect.succeed({ args: [1] }))
      yield* session.register("com.example.fail", () => Effect.fail(WampError.make("com.example.oops")))
      yield* session.register(
        "com.example.progress",
        (invocation) => Effect.as(invocation.progress([0]), { args: [1] })
      )
      const subscription = yield* session.subscribe("com.example.topic")
      const before = yield* snapshot

      yield* Effect.repeatN(session.call("com.example.ok"), 2)
      yield* Effect.flip(session.call("com.example.missing"))
      yield* Effect.flip(session.call("com.example.missing"))
      yield* Effect.flip(session.call("com.example.fail"))
      const chunks = yield* Stream.runCollect(session.callProgressive("com.example.progress"))
      expect(Chunk.size(chunks)).toBe(2)
      for (const n of [1, 2, 3]) {
        yield* session.publish("com.example.topic", [n], undefined, { exclude_me: false, acknowledge: true })
      }
      const received = yield* Stream.runCollect(Stream.take(subscription.events, 3))
      expect(Chunk.size(received)).toBe(3)

      const after = yield* snapshot
      expect({
        calls: after.calls - before.calls,
        noSuchProcedure: after.noSuchProcedure - before.noSuchProcedure,
        custom: after.custom - before.custom,
        timed: after.timed - before.timed,
        received: after.received - before.received,
        published: after.published - before.published
      }).toEqual({ calls: 7, noSuchProcedure: 2, custom: 1, timed: 7, received: 3, published: 3 })
    }))

  it.scoped("an interrupted call is counted and timed, not counted as failed", () =>
    Effect.gen(function*() {
      const router = yield* Router.make({ realms: ["realm1"] })
      const session = yield* Session.make({ realm: "realm1" }).pipe(Effect.provide(client(router)))
      yield* session.register("com.example.never", () => Effect.never)
      const before = yield* snapshot
      const errorsBefore = yield* allErrors
      const calling = yield* Effect.fork(Effect.timeout(session.call("com.example.never"), "50 millis"))
      yield* TestClock.adjust("50 millis")
      const result = yield* Effect.option(Fiber.join(calling))
      expect(Option.isNone(result)).toBe(true)
      const after = yield* snapshot
      expect([after.calls - before.calls, after.timed - before.timed]).toEqual([1, 1])
      expect(yield* allErrors).toBe(errorsBefore)
    }))

  it.scoped("reconnects: a Connection's session after a lost one", () =>
    Effect.gen(function*() {
      const router = yield* Router.make({ realms: ["realm1"] })
      const before = yield* snapshot
      const connection = yield* Connection.make({ realm: "realm1", retry: Schedule.spaced("10 millis") }).pipe(
        Effect.provide(client(router))
      )
      const first = yield* connection.awaitOpen
      // A router shutting the realm down is retried (wamp.close.system_shutdown).
      yield* router.killSession(first.id, "wamp.close.system_shutdown")
      yield* retryNow(connection)
      const open = yield* waitFor(connection, "Open")
      expect(open._tag === "Open" && open.info.id).not.toBe(first.id)
      const after = yield* snapshot
      expect(after.reconnects - before.reconnects).toBe(1)
    }))

  it.scopedLive("the Autobahn facade's calls are counted, timed and their errors counted by URI", () =>
    Effect.gen(function*() {
      const router = yield* Router.make({ realms: ["realm1"] })
      const bound = yield* router.serve({ host: "127.0.0.1", port: 0 })
      const callee = yield* Session.make({ realm: "realm1" }).pipe(Effect.provide(client(router)))
      yield* callee.register("com.example.ok", () => Effect.succeed({ args: [1] }))
      const session = yield* Effect.acquireRelease(
        Effect.promise(() =>
          new Promise<{ connection: autobahn.Connection; session: autobahn.Session }>((resolve) => {
            const connection = new autobahn.Connection({
              url: `ws://127.0.0.1:${bound.port}/ws`,
              realm: "realm1",
              max_retries: 0
            })
            connection.onopen = (session) => resolve({ connection, session })
            connection.open()
          })
        ),
        ({ connection }) => Effect.promise(() => connection.close().then(() => {}, () => {}))
      ).pipe(Effect.map(({ session }) => session))
      const before = yield* snapshot
      yield* Effect.promise(() => session.call("com.example.ok"))
      yield* Effect.promise(() => session.call("com.example.ok"))
      yield* Effect.promise(() => session.call("com.example.missing").catch(() => null))
      const after = yield* snapshot
      expect([after.calls - before.calls, after.timed - before.timed, after.noSuchProcedure - before.noSuchProcedure])
        .toEqual([3, 3, 1])
    }))

  it.scoped("metrics: false: the session's calls, publishes and events are not counted", () =>
    Effect.gen(function*() {
      const router = yield* Router.make({ realms: ["realm1"] })
      const session = yield* Session.make({ realm: "realm1", metrics: false }).pipe(Effect.provide(client(router)))
      yield* session.register("com.example.ok", () => Effect.succeed({ args: [1] }))
      const subscription = yield* session.subscribe("com.example.topic")
      const before = yield* snapshot
      yield* session.call("com.example.ok")
      yield* Effect.flip(session.call("com.example.missing"))
      yield* session.publish("com.example.topic", [1], undefined, { exclude_me: false, acknowledge: true })
      expect(Chunk.size(yield* Stream.runCollect(Stream.take(subscription.events, 1)))).toBe(1)
      const after = yield* snapshot
      expect(after).toEqual(before)
    }))
})
