import { describe, expect } from "@effect/vitest"
import { Effect, Fiber, Layer, Option, Schedule, Stream, Supervisor, TestClock } from "effect"
import * as Authenticator from "../src/Authenticator.js"
import * as Connection from "../src/Connection.js"
import { SessionClosedError } from "../src/Errors.js"
import type * as Message from "../src/Message.js"
import * as Tracked from "./support/connection.js"
import { inRealTime } from "./support/realTime.js"
import { scoped } from "./support/session.js"

const connect = (supervisor?: Supervisor.Supervisor<unknown>) =>
  Effect.gen(function*() {
    const fake = yield* Tracked.fakeRouter({ timeout: "2 seconds" })
    const layer = Layer.merge(fake.layer, Layer.succeed(Authenticator.Authenticator, Authenticator.anonymous()))
    const make = Tracked.make({
      realm: "realm1",
      goodbyeTimeout: "200 millis",
      retry: Schedule.spaced("1 millis")
    }).pipe(Effect.provide(layer))
    const connection = yield* (supervisor === undefined ? make : Effect.supervised(make, supervisor))
    return { connection, fake }
  })

const waitOpen = (connection: Connection.ConnectionService) =>
  connection.changes.pipe(
    Stream.filter((state) => state._tag === "Open"),
    Stream.runHead,
    Effect.map(Option.getOrThrow),
    Effect.timeout("2 seconds"),
    inRealTime
  )

/** Heap in use, after a full GC when the process runs with --expose-gc (NODE_OPTIONS=--expose-gc). */
const heapMiB = () => {
  ;(globalThis as { gc?: () => void }).gc?.()
  return (process.memoryUsage().heapUsed / 1024 / 1024).toFixed(1)
}

describe("Connection under faults", () => {
  scoped(
    "1,000 calls in flight when the link drops: every one fails with SessionClosedError, none hangs",
    () =>
      Effect.gen(function*() {
        const { connection, fake } = yield* connect()
        const peer = yield* fake.accept
        yield* peer.welcome()
        yield* connection.awaitOpen
        const calls = yield* Effect.forEach(
          Array.from({ length: 1000 }, (_, i) => i),
          (i) => Effect.fork(Effect.flip(connection.session.call("com.slow", [i]))),
          { concurrency: "unbounded" }
        )
        for (let i = 0; i < 1000; i++) yield* peer.expect("Call")
        const dropped = performance.now()
        yield* peer.drop
        // The bound only guards against a hang; the figure is printed.
        const errors = yield* inRealTime(Effect.timeout(Fiber.joinAll(calls), "5 seconds"))
        const elapsed = performance.now() - dropped
        expect(errors).toHaveLength(1000)
        for (const error of errors) expect(error).toBeInstanceOf(SessionClosedError)
        console.log(`1,000 in-flight calls failed ${elapsed.toFixed(1)} ms after the drop`)
        expect(Tracked.counters(connection).waiting).toBe(0)
      })
  )

  scoped(
    "200 drop/reconnect cycles: re-applied each time, no growth of pending entries, intents or fibers",
    () =>
      Effect.gen(function*() {
        const supervisor = yield* Supervisor.track
        const { connection, fake } = yield* connect(supervisor)
        let peer = yield* fake.accept
        yield* peer.welcome({ session: 1 })
        yield* connection.awaitOpen
        const registering = yield* Effect.fork(
          connection.register("com.p", () => Effect.succeed({ args: ["ok"] }), { invoke: "roundrobin" })
        )
        const register = yield* peer.expect("Register")
        yield* peer.send({ _tag: "Registered", request: register.request, registration: 1 })
        yield* Fiber.join(registering)
        const subscribing = yield* Effect.fork(connection.subscribe("com.", { match: "prefix" }))
        const subscribe = yield* peer.expect("Subscribe")
        yield* peer.send({ _tag: "Subscribed", request: subscribe.request, subscription: 1 })
        const subscription = yield* Fiber.join(subscribing)
        let received = 0
        const reading = yield* Effect.fork(Stream.runForEach(subscription.events, () => Effect.sync(() => received++)))

        const sample = () => ({
          ...Tracked.counters(connection),
          fibers: 0
        })
        let baseline: ReturnType<typeof sample> | undefined
        const heapBefore = heapMiB()
        for (let cycle = 2; cycle <= 201; cycle++) {
          // One call pending at the drop: it must fail, not linger.
          const pending = yield* Effect.fork(Effect.flip(connection.session.call("com.x")))
          yield* peer.expect("Call")
          yield* peer.drop
          expect(yield* Fiber.join(pending)).toBeInstanceOf(SessionClosedError)
          // The retry schedule's 1 ms, in virtual time.
          yield* TestClock.adjust("1 millis")
          peer = yield* fake.accept
          yield* peer.welcome({ session: cycle })
          const again: Array<Message.Message> = [yield* peer.receive, yield* peer.receive]
          for (const message of again) {
            if (message._tag === "Register") {
              expect(message.options).toEqual({ invoke: "roundrobin" })
              yield* peer.send({ _tag: "Registered", request: message.request, registration: cycle })
            } else if (message._tag === "Subscribe") {
              expect(message.options).toEqual({ match: "prefix" })
              yield* peer.send({ _tag: "Subscribed", request: message.request, subscription: cycle })
            } else {
              expect.unreachable(`unexpected ${message._tag}`)
            }
          }
          yield* waitOpen(connection)
          yield* peer.send({ _tag: "Event", subscription: cycle, publication: cycle, details: {}, args: [cycle] })
          if (cycle === 11) baseline = { ...sample(), fibers: (yield* supervisor.value).length }
        }
        // The event of the last session has been read once it is followed by nothing else.
        yield* Effect.repeat(Effect.sync(() => received), {
          until: (n) => n >= 200,
          schedule: Schedule.spaced("5 millis").pipe(Schedule.upTo("2 seconds"))
        }).pipe(inRealTime)
        expect(received).toBe(200)
        const end = { ...sample(), fibers: (yield* supervisor.value).length }
        console.log(`200 cycles: heap ${heapBefore} MiB -> ${heapMiB()} MiB; counters ${JSON.stringify(end)}`)
        expect(end).toEqual({ ...baseline, sessions: 201 })
        expect(end).toMatchObject({
          durableRegistrations: 1,
          durableSubscriptions: 1,
          watchers: 1,
          waiting: 0,
          liveSessions: 1,
          session: { pending: 0, registrations: 1, subscriptions: 1, activeInvocations: 0 }
        })
        yield* Fiber.interrupt(reading)
      })
  )

  scoped("close() while joining (no WELCOME yet) returns and does not reconnect", () =>
    Effect.gen(function*() {
      const { connection, fake } = yield* connect()
      const peer = yield* fake.accept
      yield* peer.expect("Hello")
      yield* inRealTime(Effect.timeout(connection.close(), "2 seconds"))
      expect((yield* connection.state)._tag).toBe("Closed")
      // Not after the retry schedule's delay either.
      yield* TestClock.adjust("1 second")
      const more = yield* fake.accept.pipe(Effect.timeout("200 millis"), inRealTime, Effect.option)
      expect(Option.isNone(more)).toBe(true)
    }))
})
