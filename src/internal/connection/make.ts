/**
 * The connection: one supervisor fiber that joins, waits for the session to end, classifies the
 * failure and steps the retry Schedule; and a routed `SessionService` that sends each operation to
 * the open session (or waits for one).
 */
import {
  Clock,
  Context,
  Deferred,
  Duration,
  Effect,
  Either,
  ExecutionStrategy,
  Exit,
  Fiber,
  PubSub,
  Schedule,
  ScheduleDecision,
  ScheduleIntervals,
  Scope,
  Stream,
  SubscriptionRef
} from "effect"
import type { Authenticator } from "../../Authenticator.js"
import {
  type CloseDetails,
  type ConnectionFailure,
  type ConnectionOptions,
  type ConnectionService,
  ConnectionState,
  type LayerOptions,
  type ReapplyFailure
} from "../../Connection.js"
import { SessionClosedError } from "../../Errors.js"
import type { Serializers } from "../../Serializer.js"
import * as Session from "../../Session.js"
import type { Transport } from "../../Transport.js"
import * as WampError from "../../WampError.js"
import { internals as sessionInternals, type SessionInternals } from "../session/make.js"
import { type Live, makeDurables } from "./durable.js"
import * as policy from "./policy.js"

export const defaultRetry: Schedule.Schedule<unknown, unknown> = Schedule.exponential(Duration.millis(1500), 1.5).pipe(
  Schedule.jitteredWith({ min: 0.9, max: 1.1 }),
  // modifyDelay passes (output, delay): the output is the un-jittered exponential value.
  Schedule.modifyDelay((_, delay) => Duration.min(delay, Duration.seconds(300))),
  Schedule.intersect(Schedule.recurs(15))
)

export const DEFAULT_DISCONNECTED_WAIT: Duration.DurationInput = "10 seconds"

interface LiveSession extends Live {
  readonly internals: SessionInternals | undefined
  /** Completed by the supervisor once it has noted the loss of this session. */
  readonly gone: Deferred.Deferred<void>
}

export interface ConnectionInternals {
  readonly counters: () => {
    readonly durableRegistrations: number
    readonly durableSubscriptions: number
    readonly watchers: number
    /** Operations waiting for a session. */
    readonly waiting: number
    /** Sessions made and not yet released (0 or 1 outside transitions). */
    readonly liveSessions: number
    readonly sessions: number
    readonly session: ReturnType<SessionInternals["counters"]> | undefined
  }
}

/** Internals by service, for leak checks; not part of the public API. */
export const internals = new WeakMap<ConnectionService, ConnectionInternals>()

const notOpenError = (message: string) =>
  new SessionClosedError({ reason: WampError.Uri.TransportLost, message, wasClean: false })

export const make = (
  options: ConnectionOptions
): Effect.Effect<ConnectionService, never, Scope.Scope | Transport | Serializers | Authenticator> =>
  Effect.gen(function*() {
    const context = yield* Effect.context<Transport | Serializers | Authenticator>()
    const scope = yield* Effect.scope
    const schedule = options.retry ?? defaultRetry
    const shouldRetry = options.shouldRetry ?? policy.isRetryable
    const retryFirstConnect = options.retryFirstConnect ?? true
    const whenDisconnected = options.whenDisconnected ?? { wait: DEFAULT_DISCONNECTED_WAIT }

    const stateRef = yield* SubscriptionRef.make<ConnectionState>(ConnectionState.Connecting({ attempt: 0 }))
    let state: ConnectionState = ConnectionState.Connecting({ attempt: 0 })
    const setState = (next: ConnectionState) => {
      state = next
      return SubscriptionRef.set(stateRef, next)
    }

    let live: LiveSession | undefined
    let lastInfo: Session.SessionInfo | undefined
    let lastJoinError: Session.JoinError | undefined
    let generation = 0
    let liveSessions = 0
    let waiting = 0
    /** Completed with the next open session; replaced when it is lost; failed when the connection closes. */
    let nextOpen = yield* Deferred.make<LiveSession, SessionClosedError>()
    let closing = false
    let final: CloseDetails | undefined
    let finalError: SessionClosedError | undefined
    const done = yield* Deferred.make<CloseDetails>()
    const reapplyFailures = yield* PubSub.unbounded<ReapplyFailure>()

    const isEstablished = (session: LiveSession) => session.internals?.core.state === "established"

    // -----------------------------------------------------------------------------------------
    // Routing operations to the open session
    // -----------------------------------------------------------------------------------------

    const waitForSession: Effect.Effect<LiveSession, SessionClosedError> = Effect.suspend(() => {
      if (closing || final !== undefined) {
        return Effect.fail(finalError ?? notOpenError("the connection is closing"))
      }
      const current = live
      if (current !== undefined) {
        // Lost, and the supervisor has not caught up yet: wait until it has.
        return isEstablished(current)
          ? Effect.succeed(current)
          : Effect.zipRight(Deferred.await(current.gone), waitForSession)
      }
      return Deferred.await(nextOpen)
    })

    const acquireSlow: Effect.Effect<LiveSession, SessionClosedError> = Effect.suspend(() => {
      if (closing || final !== undefined) {
        return Effect.fail(finalError ?? notOpenError("the connection is closing"))
      }
      if (whenDisconnected === "failFast") return Effect.fail(notOpenError("no session is open"))
      waiting++
      return waitForSession.pipe(
        Effect.timeoutFail({
          duration: whenDisconnected.wait,
          onTimeout: () =>
            notOpenError(`no session opened within ${Duration.format(Duration.decode(whenDisconnected.wait))}`)
        }),
        Effect.ensuring(Effect.sync(() => waiting--))
      )
    })

    /** The open session: on the hot path a plain check, no allocation beyond the operation's own. */
    const acquire: Effect.Effect<LiveSession, SessionClosedError> = Effect.suspend(() => {
      const current = live
      return current !== undefined && !closing && isEstablished(current) ? Effect.succeed(current) : acquireSlow
    })

    const withSession = <A, E>(f: (session: Session.SessionService) => Effect.Effect<A, E>) =>
      Effect.suspend(() => {
        const current = live
        return current !== undefined && !closing && isEstablished(current)
          ? f(current.session)
          : Effect.flatMap(acquireSlow, (l) => f(l.session))
      })

    const durables = makeDurables({
      acquire,
      reapplyFailed: (failure) =>
        Effect.zipRight(
          Effect.logWarning(`effect-wamp: could not re-${failure.kind} ${failure.uri} on session ${failure.session}`),
          PubSub.publish(reapplyFailures, failure)
        )
    })

    // -----------------------------------------------------------------------------------------
    // The end
    // -----------------------------------------------------------------------------------------

    const finish = (details: CloseDetails): Effect.Effect<void> =>
      Effect.suspend(() => {
        if (final !== undefined) return Effect.void
        final = details
        finalError = new SessionClosedError({
          reason: details.reason,
          message: details.failure === undefined
            ? "the connection was closed by this client"
            : `the connection closed for good: ${details.message || details.reason}`,
          wasClean: details.kind === "closed"
        })
        durables.finish(details.failure === undefined ? undefined : finalError)
        Deferred.unsafeDone(nextOpen, Exit.fail(finalError))
        Deferred.unsafeDone(done, Exit.succeed(details))
        return setState(ConnectionState.Closed({ details }))
      })

    // -----------------------------------------------------------------------------------------
    // The supervisor
    // -----------------------------------------------------------------------------------------

    /** Runs one session from join to end, in its own scope; returns why it ended. */
    const attempt = (previous: Session.CloseReason | undefined) =>
      Effect.acquireUseRelease(
        Effect.tap(Scope.fork(scope, ExecutionStrategy.sequential), () => Effect.sync(() => liveSessions++)),
        (sessionScope) =>
          Effect.gen(function*() {
            const joined = yield* Session.make(options).pipe(
              Scope.extend(sessionScope),
              Effect.provide(context),
              Effect.either
            )
            if (Either.isLeft(joined)) return Either.left(joined.left)
            const session = joined.right
            const current: LiveSession = {
              session,
              scope: sessionScope,
              generation: ++generation,
              previous,
              internals: sessionInternals.get(session),
              gone: yield* Deferred.make<void>()
            }
            // Operations wait until the durables are back, so they see the same registrations.
            yield* durables.reapply(current)
            if (isEstablished(current) && !closing) {
              live = current
              lastInfo = session.info
              Deferred.unsafeDone(nextOpen, Exit.succeed(current))
              yield* Effect.logInfo(`effect-wamp: session ${session.info.id} joined realm ${session.info.realm}`)
              yield* setState(ConnectionState.Open({ info: session.info, session }))
            }
            const reason = yield* session.closed
            if (live === current) live = undefined
            if (yield* Deferred.isDone(nextOpen)) {
              nextOpen = yield* Deferred.make<LiveSession, SessionClosedError>()
            }
            Deferred.unsafeDone(current.gone, Exit.void)
            return Either.right(reason)
          }),
        (sessionScope, exit) => Effect.ensuring(Scope.close(sessionScope, exit), Effect.sync(() => liveSessions--))
      )

    /** The next wait, if the schedule wants another attempt. */
    const step = (failure: ConnectionFailure, scheduleState: unknown) =>
      Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        const [nextState, , decision] = yield* schedule.step(now, failure, scheduleState)
        if (ScheduleDecision.isDone(decision)) return undefined
        const delay = Duration.millis(Math.max(0, ScheduleIntervals.start(decision.intervals) - now))
        return { nextState, delay }
      })

    const supervise = Effect.gen(function*() {
      let everOpened = false
      let previous: Session.CloseReason | undefined
      let scheduleState: unknown = schedule.initial
      let retries = 0
      while (true) {
        yield* setState(ConnectionState.Connecting({ attempt: retries }))
        const outcome = yield* attempt(previous)
        if (closing) return
        let failure: ConnectionFailure
        if (Either.isRight(outcome)) {
          everOpened = true
          previous = outcome.right
          failure = { _tag: "SessionLost", reason: outcome.right }
          // Autobahn|JS resets its retry count once connected: each outage gets a fresh schedule.
          scheduleState = schedule.initial
          retries = 0
        } else {
          lastJoinError = outcome.left
          failure = { _tag: "JoinFailed", error: outcome.left }
        }
        const next = shouldRetry(failure) && (everOpened || retryFirstConnect)
          ? yield* step(failure, scheduleState)
          : undefined
        if (next === undefined) {
          const details = policy.closeDetails(failure, everOpened, undefined)
          yield* Effect.logWarning(`effect-wamp: connection closed, not retrying: ${policy.because(details)}`)
          return yield* finish(details)
        }
        scheduleState = next.nextState
        retries++
        const details = policy.closeDetails(failure, everOpened, { delay: next.delay, count: retries })
        yield* Effect.logInfo(
          `effect-wamp: retrying in ${Duration.format(next.delay)} (retry ${retries}) because ${
            policy.because(details)
          }`
        )
        yield* setState(ConnectionState.Retrying({ attempt: retries, delay: next.delay, lastError: failure, details }))
        yield* Effect.sleep(next.delay)
      }
    })

    const supervisor = yield* Effect.forkIn(supervise, scope)

    const close = (reason?: string, message?: string): Effect.Effect<void> =>
      Effect.suspend(() => {
        if (closing || final !== undefined) return Effect.asVoid(Deferred.await(done))
        closing = true
        const uri = reason ?? WampError.Uri.CloseNormal
        const current = live
        return Effect.gen(function*() {
          // Leaving first makes the goodbye graceful; then nothing may reconnect.
          if (current !== undefined) yield* current.session.leave(uri, message)
          yield* Fiber.interrupt(supervisor)
          yield* finish(policy.userCloseDetails(uri, message))
        })
      })

    // Closing the scope closes the connection before the supervisor fiber is interrupted.
    yield* Effect.addFinalizer(() => close())

    // -----------------------------------------------------------------------------------------
    // The routed session service
    // -----------------------------------------------------------------------------------------

    const placeholderInfo: Session.SessionInfo = {
      id: 0,
      realm: options.realm,
      authid: undefined,
      authrole: undefined,
      authmethod: undefined,
      authprovider: undefined,
      authextra: {},
      routerRoles: {},
      details: {},
      supports: () => false
    }

    const session: Session.SessionService = {
      /** The open session's info, else the last one's (a placeholder with id 0 before the first). */
      get info() {
        return live?.session.info ?? lastInfo ?? placeholderInfo
      },
      closed: Effect.map(Deferred.await(done), (details): Session.CloseReason => ({
        reason: details.reason,
        message: details.message,
        by: details.failure === undefined
          ? "local"
          : details.failure._tag === "SessionLost"
          ? details.failure.reason.by
          : "transport",
        wasClean: details.kind === "closed"
      })),
      isOpen: Effect.sync(() => live !== undefined && isEstablished(live) && !closing),
      call: (procedure, args, kwargs, callOptions) => withSession((s) => s.call(procedure, args, kwargs, callOptions)),
      callProgressive: (procedure, args, kwargs, callOptions) =>
        Stream.unwrap(Effect.map(acquire, (l) => l.session.callProgressive(procedure, args, kwargs, callOptions))),
      callWithInput: (procedure, input, callOptions) =>
        withSession((s) => s.callWithInput(procedure, input, callOptions)),
      callStreaming: (procedure, input, callOptions) =>
        Stream.unwrap(Effect.map(acquire, (l) => l.session.callStreaming(procedure, input, callOptions))),
      register: durables.register,
      subscribe: durables.subscribe,
      publish: (topic, args, kwargs, publishOptions) =>
        withSession((s) => s.publish(topic, args, kwargs, publishOptions)),
      leave: close
    }

    const awaitOpen: Effect.Effect<Session.SessionInfo, Session.JoinError> = Effect.suspend(() => {
      const current = live
      if (current !== undefined && isEstablished(current)) return Effect.succeed(current.session.info)
      return Deferred.await(nextOpen).pipe(
        Effect.map((l) => l.session.info),
        Effect.mapError((error): Session.JoinError => lastJoinError ?? error)
      )
    })

    const service: ConnectionService = {
      session,
      state: SubscriptionRef.get(stateRef),
      changes: stateRef.changes,
      isOpen: session.isOpen,
      isRetrying: Effect.sync(() => state._tag === "Retrying" || (state._tag === "Connecting" && state.attempt > 0)),
      awaitOpen,
      close,
      closed: Deferred.await(done),
      reapplyFailures: Stream.fromPubSub(reapplyFailures),
      register: durables.register,
      subscribe: durables.subscribe
    }
    internals.set(service, {
      counters: () => ({
        ...durables.counters(),
        waiting,
        liveSessions,
        sessions: generation,
        session: live?.internals?.counters()
      })
    })
    return service
  })

/** The connection and the routed session as a context, for `Layer.scopedContext`. */
export const makeContext = <C, S>(
  options: LayerOptions,
  connectionTag: Context.Tag<C, ConnectionService>,
  sessionTag: Context.Tag<S, Session.SessionService>
): Effect.Effect<
  Context.Context<C | S>,
  Session.JoinError,
  Scope.Scope | Transport | Serializers | Authenticator
> =>
  Effect.gen(function*() {
    const connection = yield* make(options)
    if (options.awaitOpen !== false) yield* connection.awaitOpen
    return Context.make(connectionTag, connection).pipe(Context.add(sessionTag, connection.session))
  })
