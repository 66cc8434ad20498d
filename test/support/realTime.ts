/**
 * Test helpers for tests on `TestClock`: a safety-net timeout that runs on the real clock, so a
 * reply that never comes fails the test with a clear message instead of hanging it (virtual time
 * only moves when the test adjusts it).
 */
import * as Clock from "effect/Clock"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"

const realClock = Clock.make()

/** Runs `effect` with the real clock (its own sleeps and timeouts are real). */
export const inRealTime = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.withClock(effect, realClock)

/** `Effect.timeoutFail` on the real clock. */
export const realTimeoutFail =
  <E2>(duration: Duration.DurationInput, onTimeout: () => E2) =>
  <A, E, R>(effect: Effect.Effect<A, E | E2, R>): Effect.Effect<A, E | E2, R> =>
    inRealTime(Effect.timeoutFail(effect, { duration, onTimeout }))
