import { describe, expect, it } from "@effect/vitest"
import {
  Duration,
  Effect,
  Layer,
  Option,
  Random,
  Schedule,
  ScheduleDecision,
  ScheduleIntervals,
  Stream,
  TestClock
} from "effect"
import * as Authenticator from "../src/Authenticator.js"
import * as Connection from "../src/Connection.js"
import { AuthenticationError, ProtocolError, SessionClosedError, TransportError } from "../src/Errors.js"
import * as Serializer from "../src/Serializer.js"
import type * as Session from "../src/Session.js"
import * as Transport from "../src/Transport.js"
import * as WampError from "../src/WampError.js"

const nominal = (retry: number) => Math.min(1500 * 1.5 ** (retry - 1), 300_000)

/** The delays a schedule gives, stepped as the supervisor steps it (time advancing by each delay). */
const delaysOf = (schedule: Schedule.Schedule<unknown, unknown>, limit = 30) =>
  Effect.gen(function*() {
    let state = schedule.initial
    let now = 0
    const delays: Array<number> = []
    for (let i = 0; i < limit; i++) {
      const [nextState, , decision] = yield* schedule.step(now, undefined, state)
      if (ScheduleDecision.isDone(decision)) break
      const delay = ScheduleIntervals.start(decision.intervals) - now
      delays.push(delay)
      now += delay
      state = nextState
    }
    return delays
  })

const defaultDelays = (seed: number) => delaysOf(Connection.defaultRetry).pipe(Effect.withRandom(Random.make(seed)))

/** A connection whose transport never opens; counts the attempts. */
const unreachable = (options?: Partial<Connection.ConnectionOptions>) =>
  Effect.gen(function*() {
    const attempts = { count: 0 }
    const layer = Layer.mergeAll(
      Layer.succeed(
        Transport.Transport,
        Transport.make(() =>
          Effect.suspend(() => {
            attempts.count++
            return Effect.fail(new TransportError({ reason: "Open", message: "connection refused" }))
          })
        )
      ),
      Layer.succeed(Serializer.Serializers, [Serializer.json]),
      Layer.succeed(Authenticator.Authenticator, Authenticator.anonymous())
    )
    const connection = yield* Connection.make({ realm: "realm1", ...options }).pipe(Effect.provide(layer))
    return { connection, attempts }
  })

const next = (connection: Connection.ConnectionService, tag: Connection.ConnectionState["_tag"], attempt?: number) =>
  connection.changes.pipe(
    Stream.filter((state) =>
      state._tag === tag && (attempt === undefined || ("attempt" in state && state.attempt === attempt))
    ),
    Stream.runHead,
    Effect.map(Option.getOrThrow)
  )

const lost = (by: Session.CloseReason["by"], reason: string, wasClean = false): Connection.ConnectionFailure =>
  Connection.ConnectionFailure.SessionLost({ reason: { by, reason, message: "", wasClean } })

const joinFailed = (error: Session.JoinError) => Connection.ConnectionFailure.JoinFailed({ error })

describe("Connection retry schedule", () => {
  it.effect("defaultRetry: 15 retries, 1.5 s growing ×1.5, jitter within ±10 %, capped at 300 s", () =>
    Effect.gen(function*() {
      const delays = yield* defaultDelays(7)
      expect(delays).toHaveLength(15)
      delays.forEach((delay, index) => {
        const expected = nominal(index + 1)
        expect(delay).toBeGreaterThanOrEqual(Math.min(expected * 0.9, 300_000))
        expect(delay).toBeLessThanOrEqual(Math.min(expected * 1.1, 300_000))
      })
      expect(delays[14]).toBe(300_000)
      // Jitter: not the nominal values, and the same for the same seed.
      expect(delays.slice(0, 5).some((delay, index) => delay !== nominal(index + 1))).toBe(true)
      expect(yield* defaultDelays(7)).toEqual(delays)
      expect(yield* defaultDelays(8)).not.toEqual(delays)
    }))

  it.scoped("under TestClock: each retry waits exactly its delay, then the connection closes for good", () =>
    Effect.gen(function*() {
      const { attempts, connection } = yield* unreachable()
      const retried: Array<number> = []
      for (let retry = 1; retry <= 15; retry++) {
        const state = yield* next(connection, "Retrying", retry)
        if (state._tag !== "Retrying") return expect.unreachable()
        expect(state.details).toMatchObject({ wasClean: false, everOpened: false, willRetry: true, retryCount: retry })
        expect(state.lastError._tag).toBe("JoinFailed")
        expect(yield* connection.isRetrying).toBe(true)
        const delay = Duration.toMillis(state.delay)
        retried.push(delay)
        expect(attempts.count).toBe(retry)
        // Nothing happens a millisecond early.
        yield* TestClock.adjust(Duration.millis(delay - 1))
        expect(attempts.count).toBe(retry)
        yield* TestClock.adjust(Duration.millis(1))
        if (retry < 15) yield* next(connection, "Retrying", retry + 1)
      }
      const details = yield* connection.closed
      expect(attempts.count).toBe(16)
      expect(details).toMatchObject({ wasClean: false, everOpened: false, willRetry: false, retryCount: undefined })
      expect(retried.some((delay, index) => delay !== nominal(index + 1))).toBe(true)
      expect(retried.every((delay, index) => Math.abs(delay - nominal(index + 1)) <= nominal(index + 1) * 0.1)).toBe(
        true
      )
    }).pipe(Effect.withRandom(Random.make(1))))

  it.scoped("jitter is deterministic with a seeded Random", () =>
    Effect.gen(function*() {
      const firstDelay = (seed: number) =>
        Effect.scoped(Effect.gen(function*() {
          const { connection } = yield* unreachable()
          const state = yield* next(connection, "Retrying", 1)
          return state._tag === "Retrying" ? Duration.toMillis(state.delay) : -1
        })).pipe(Effect.withRandom(Random.make(seed)))
      const a = yield* firstDelay(3)
      expect(yield* firstDelay(3)).toBe(a)
      expect(a).toBeGreaterThanOrEqual(1350)
      expect(a).toBeLessThanOrEqual(1650)
    }))

  it.scoped("a user Schedule decides: recurs(2) gives two retries; the input is the failure", () =>
    Effect.gen(function*() {
      const { attempts, connection } = yield* unreachable({
        retry: Schedule.spaced("1 second").pipe(
          Schedule.intersect(Schedule.recurs(2)),
          Schedule.whileInput((failure: Connection.ConnectionFailure) => failure._tag === "JoinFailed")
        )
      })
      yield* next(connection, "Retrying", 1)
      yield* TestClock.adjust("1 second")
      yield* next(connection, "Retrying", 2)
      yield* TestClock.adjust("1 second")
      const details = yield* connection.closed
      expect(attempts.count).toBe(3)
      expect(details.willRetry).toBe(false)
    }))

  it.scoped("retryFirstConnect: false closes after the first failure; shouldRetry overrides the classification", () =>
    Effect.gen(function*() {
      const first = yield* unreachable({ retryFirstConnect: false })
      expect(yield* first.connection.closed).toMatchObject({ wasClean: false, everOpened: false })
      expect(first.attempts.count).toBe(1)
      const never = yield* unreachable({ shouldRetry: () => false })
      yield* never.connection.closed
      expect(never.attempts.count).toBe(1)
    }))

  it("isRetryable: what retries by default", () => {
    const retries = [
      joinFailed(new TransportError({ reason: "Open", message: "refused" })),
      joinFailed(new TransportError({ reason: "Timeout", message: "timeout" })),
      joinFailed(new SessionClosedError({ reason: WampError.StandardUri.TransportLost, message: "", wasClean: false })),
      joinFailed(WampError.make(WampError.StandardUri.CloseSystemShutdown)),
      lost("transport", WampError.StandardUri.TransportLost),
      lost("violation", WampError.StandardUri.ProtocolViolation),
      lost("router", WampError.StandardUri.CloseSystemShutdown, true),
      lost("router", WampError.StandardUri.CloseRealm, true),
      lost("router", "com.example.overloaded")
    ]
    const stops = [
      joinFailed(WampError.make(WampError.StandardUri.NoSuchRealm)),
      joinFailed(WampError.make(WampError.StandardUri.NotAuthorized)),
      joinFailed(WampError.make(WampError.StandardUri.AuthenticationFailed)),
      joinFailed(new AuthenticationError({ reason: "Signature", method: "wampcra", message: "bad secret" })),
      joinFailed(new ProtocolError({ reason: "Violation", message: "second WELCOME" })),
      lost("router", WampError.StandardUri.Killed, true),
      lost("router", WampError.StandardUri.CloseNormal, true),
      lost("router", WampError.StandardUri.NotAuthorized),
      lost("local", WampError.StandardUri.CloseNormal, true)
    ]
    for (const failure of retries) expect(Connection.isRetryable(failure), JSON.stringify(failure)).toBe(true)
    for (const failure of stops) expect(Connection.isRetryable(failure), JSON.stringify(failure)).toBe(false)
  })
})
