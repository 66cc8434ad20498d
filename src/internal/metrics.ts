/**
 * The client's Effect Metrics (see `Metrics.ts`), updated with `unsafeUpdate`: a synchronous
 * registry update, no Effect built per event. Metrics live in Effect's global registry, so any
 * exporter that reads it (e.g. @effect/opentelemetry's) sees them.
 */
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Metric from "effect/Metric"
import * as MetricBoundaries from "effect/MetricBoundaries"
import * as MetricLabel from "effect/MetricLabel"
import * as Stream from "effect/Stream"
import { WampError } from "../WampError.js"

export const calls = Metric.counter("wamp_client_calls_total", {
  description: "Calls made (plain and progressive)",
  incremental: true
})

export const callErrors = Metric.counter("wamp_client_call_errors_total", {
  description: "Calls that failed, by error URI (label `error`: the WAMP error URI, or the error's tag)",
  incremental: true
})

export const callDuration = Metric.histogram(
  "wamp_client_call_duration_ms",
  MetricBoundaries.exponential({ start: 0.125, factor: 2, count: 20 }),
  "Call latency in milliseconds, CALL written to final RESULT or ERROR"
)

export const eventsReceived = Metric.counter("wamp_client_events_received_total", {
  description: "Events delivered to subscribers",
  incremental: true
})

export const eventsPublished = Metric.counter("wamp_client_events_published_total", {
  description: "Events published",
  incremental: true
})

export const reconnects = Metric.counter("wamp_client_reconnects_total", {
  description: "Sessions a Connection opened after an earlier one had been lost",
  incremental: true
})

const noTags: ReadonlyArray<MetricLabel.MetricLabel> = []

const errorTag = (error: unknown): string =>
  error instanceof WampError
    ? error.error
    : typeof error === "object" && error !== null && typeof (error as { _tag?: unknown })._tag === "string"
    ? (error as { _tag: string })._tag
    : "unknown"

const recordFailure = (error: unknown): void => callErrors.unsafeUpdate(1, [MetricLabel.make("error", errorTag(error))])

const recordEnd = (started: number, failure: { readonly error: unknown } | undefined): void => {
  callDuration.unsafeUpdate(performance.now() - started, noTags)
  if (failure !== undefined) recordFailure(failure.error)
}

const failureOf = <A, E>(exit: Exit.Exit<A, E>): { readonly error: unknown } | undefined => {
  if (exit._tag === "Success") return undefined
  // An interrupted call (canceled by its caller) is not an error of the call.
  if (Cause.isInterruptedOnly(exit.cause)) return undefined
  const failure = Cause.failureOption(exit.cause)
  return { error: failure._tag === "Some" ? failure.value : Cause.squash(exit.cause) }
}

/** Callback level (the session core's call hook): counts a call; returns its start time for `callEnded`. */
export const callStarted = (): number => {
  calls.unsafeUpdate(1, noTags)
  return performance.now()
}

/** Callback level: times a call started at `started` and counts its failure by URI. */
export const callEnded = (started: number, exit: Exit.Exit<unknown, unknown>): void =>
  recordEnd(started, failureOf(exit))

/** Counts the call, times it to its end, counts its failure by URI. */
export const timeCall = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.suspend(() => {
    calls.unsafeUpdate(1, noTags)
    const started = performance.now()
    return Effect.onExit(effect, (exit) => Effect.sync(() => recordEnd(started, failureOf(exit))))
  })

/** The same for a progressive call: timed from the start of the stream to its end. */
export const timeCallStream = <A, E, R>(stream: Stream.Stream<A, E, R>): Stream.Stream<A, E, R> =>
  Stream.suspend(() => {
    calls.unsafeUpdate(1, noTags)
    const started = performance.now()
    return stream.pipe(
      Stream.onError((cause) => Effect.sync(() => recordEnd(started, failureOf(Exit.failCause(cause))))),
      Stream.onEnd(Effect.sync(() => recordEnd(started, undefined)))
    )
  })

/** Counts events as a subscriber's consumer takes them (a whole buffered chunk at once). */
export const countEvents = (count: number): void => eventsReceived.unsafeUpdate(count, noTags)

export const countPublish = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.tap(effect, () => {
    eventsPublished.unsafeUpdate(1, noTags)
  })

export const countReconnect = (): void => reconnects.unsafeUpdate(1, noTags)
