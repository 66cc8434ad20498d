/**
 * The retry supervisor: one fiber that joins, waits for the session to end, classifies the failure
 * and steps the user's `Schedule`, until the schedule or the classification says stop.
 */
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as ExecutionStrategy from "effect/ExecutionStrategy"
import * as Schedule from "effect/Schedule"
import * as ScheduleDecision from "effect/ScheduleDecision"
import * as ScheduleIntervals from "effect/ScheduleIntervals"
import * as Scope from "effect/Scope"
import * as SubscriptionRef from "effect/SubscriptionRef"
import type { CloseDetails, ConnectionFailure, ConnectionOptions, ConnectionState as State } from "../../Connection.js"
import type { CloseReason, JoinError } from "../../Session.js"
import * as Metrics from "../metrics.js"
import type { SessionHandle } from "../session/make.js"
import type { Durables } from "./durable.js"
import * as policy from "./policy.js"
import type { LiveSession, Slot } from "./slot.js"
import { ConnectionState } from "./state.js"

export interface SupervisorInput {
  readonly options: ConnectionOptions
  /** Joins one session in the given scope. */
  readonly join: (scope: Scope.Scope) => Effect.Effect<SessionHandle, JoinError>
  /** The connection's scope: each session lives in a child of it. */
  readonly scope: Scope.Scope
  readonly slot: Slot
  readonly durables: Durables
  readonly state: SubscriptionRef.SubscriptionRef<State>
  /** Called with each join failure, before the schedule is asked. */
  readonly joinFailed: (error: JoinError) => void
  /** Called when a session has opened and its durables are back. */
  readonly opened: (live: LiveSession) => void
  /** The connection closes for good: no retry. */
  readonly finish: (details: CloseDetails) => Effect.Effect<void>
  /** Whether the user is closing the connection. */
  readonly closing: () => boolean
}

/** The next wait, if the schedule wants another attempt. */
const step = (schedule: Schedule.Schedule<unknown, ConnectionFailure>, failure: ConnectionFailure, state: unknown) =>
  Effect.gen(function*() {
    const now = yield* Clock.currentTimeMillis
    const [nextState, , decision] = yield* schedule.step(now, failure, state)
    if (ScheduleDecision.isDone(decision)) return undefined
    const delay = Duration.millis(Math.max(0, ScheduleIntervals.start(decision.intervals) - now))
    return { nextState, delay }
  })

export interface Supervisor {
  /** The loop; it returns once the connection has finished, or is interrupted by `close`. */
  readonly run: Effect.Effect<void>
  readonly counters: () => {
    /** Sessions made and not yet released (0 or 1 outside transitions). */
    readonly liveSessions: number
    readonly sessions: number
  }
}

export const makeSupervisor = (input: SupervisorInput): Supervisor => {
  const { options, slot } = input
  const schedule = options.retry ?? policy.defaultRetry
  const shouldRetry = options.shouldRetry ?? policy.isRetryable
  const retryFirstConnect = options.retryFirstConnect ?? true
  let generation = 0
  let liveSessions = 0

  /** Runs one session from join to end, in its own scope; returns why it ended. */
  const attempt = (previous: CloseReason | undefined): Effect.Effect<Either.Either<CloseReason, JoinError>> =>
    Effect.acquireUseRelease(
      Effect.tap(Scope.fork(input.scope, ExecutionStrategy.sequential), () => Effect.sync(() => liveSessions++)),
      (sessionScope) =>
        Effect.gen(function*() {
          const joined = yield* Effect.either(input.join(sessionScope))
          if (Either.isLeft(joined)) return Either.left(joined.left)
          const handle = joined.right
          const live: LiveSession = {
            session: handle.service,
            handle,
            scope: sessionScope,
            generation: ++generation,
            previous
          }
          // Operations wait until the durables are back, so they see the same registrations.
          yield* input.durables.reapply(live)
          if (handle.isEstablished() && !input.closing()) {
            slot.open(live)
            input.opened(live)
            yield* Effect.logInfo(
              `effect-wamp: session ${live.session.info.id} joined realm ${live.session.info.realm}`
            )
            yield* SubscriptionRef.set(
              input.state,
              ConnectionState.Open({ info: live.session.info, session: live.session })
            )
            if (previous !== undefined) Metrics.countReconnect()
          }
          const reason = yield* live.session.closed
          slot.lost(live)
          return Either.right(reason)
        }),
      (sessionScope, exit) => Effect.ensuring(Scope.close(sessionScope, exit), Effect.sync(() => liveSessions--))
    )

  const run = Effect.gen(function*() {
    let everOpened = false
    let previous: CloseReason | undefined
    let scheduleState: unknown = schedule.initial
    let retries = 0
    while (true) {
      yield* SubscriptionRef.set(input.state, ConnectionState.Connecting({ attempt: retries }))
      const outcome = yield* attempt(previous)
      if (input.closing()) return
      let failure: ConnectionFailure
      if (Either.isRight(outcome)) {
        everOpened = true
        previous = outcome.right
        failure = { _tag: "SessionLost", reason: outcome.right }
        // Each outage gets a fresh schedule, as Autobahn|JS resets its retry count once connected.
        scheduleState = schedule.initial
        retries = 0
      } else {
        input.joinFailed(outcome.left)
        failure = { _tag: "JoinFailed", error: outcome.left }
      }
      const next = shouldRetry(failure) && (everOpened || retryFirstConnect)
        ? yield* step(schedule, failure, scheduleState)
        : undefined
      if (next === undefined) {
        const details = policy.closeDetails(failure, everOpened, undefined)
        yield* Effect.logWarning(`effect-wamp: connection closed, not retrying: ${policy.because(details)}`)
        return yield* input.finish(details)
      }
      scheduleState = next.nextState
      retries++
      const details = policy.closeDetails(failure, everOpened, { delay: next.delay, count: retries })
      yield* Effect.logInfo(
        `effect-wamp: retrying in ${Duration.format(next.delay)} (retry ${retries}) because ${policy.because(details)}`
      )
      yield* SubscriptionRef.set(
        input.state,
        ConnectionState.Retrying({ attempt: retries, delay: next.delay, lastError: failure, details })
      )
      yield* Effect.sleep(next.delay)
    }
  })

  return { run, counters: () => ({ liveSessions, sessions: generation }) }
}
