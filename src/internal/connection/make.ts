/**
 * The connection, wired from its parts: the state (`state.ts`), the slot holding the open session
 * (`slot.ts`), the retry supervisor (`supervisor.ts`), the durable intents (`durable.ts`) and the
 * routed session service (`routed.ts`). Here: how they meet, and how the connection ends.
 */
import * as Context from "effect/Context"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as PubSub from "effect/PubSub"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import * as SubscriptionRef from "effect/SubscriptionRef"
import type { Authenticator } from "../../Authenticator.js"
import type {
  CloseDetails,
  ConnectionOptions,
  ConnectionService,
  LayerOptions,
  ReapplyFailure
} from "../../Connection.js"
import { SessionClosedError } from "../../Errors.js"
import type { Serializers } from "../../Serializer.js"
import type { JoinError, SessionInfo, SessionService } from "../../Session.js"
import type { Transport } from "../../Transport.js"
import * as WampError from "../../WampError.js"
import * as SessionInternal from "../session/make.js"
import { makeDurables } from "./durable.js"
import * as policy from "./policy.js"
import { makeAcquire, makeRouted } from "./routed.js"
import { makeSlot } from "./slot.js"
import { ConnectionState, isRetrying, makeStateRef } from "./state.js"
import { makeSupervisor } from "./supervisor.js"

/** A connection with what the library's own tests may ask of it: the sizes of its tables. */
export interface ConnectionHandle {
  readonly service: ConnectionService
  readonly counters: () => {
    readonly durableRegistrations: number
    readonly durableSubscriptions: number
    readonly watchers: number
    /** Operations waiting for a session. */
    readonly waiting: number
    /** Sessions made and not yet released (0 or 1 outside transitions). */
    readonly liveSessions: number
    readonly sessions: number
    readonly session: SessionInternal.SessionCounters | undefined
  }
}

/** The error operations fail with once the connection has closed for good. */
const finalError = (details: CloseDetails) =>
  new SessionClosedError({
    reason: details.reason,
    message: details.failure === undefined
      ? "the connection was closed by this client"
      : `the connection closed for good: ${details.message || details.reason}`,
    wasClean: details.wasClean
  })

export const makeHandle = (
  options: ConnectionOptions
): Effect.Effect<ConnectionHandle, never, Scope.Scope | Transport | Serializers | Authenticator> =>
  Effect.gen(function*() {
    const context = yield* Effect.context<Transport | Serializers | Authenticator>()
    const scope = yield* Effect.scope
    const state = yield* makeStateRef
    const done = yield* Deferred.make<CloseDetails>()
    const reapplyFailures = yield* PubSub.unbounded<ReapplyFailure>()
    const slot = makeSlot()
    const acquire = makeAcquire(slot, options.whenDisconnected ?? { wait: policy.DEFAULT_DISCONNECTED_WAIT })
    const durables = makeDurables({
      acquire: acquire.acquire,
      reapplyFailed: (failure) =>
        Effect.zipRight(
          Effect.logWarning(`effect-wamp: could not re-${failure.kind} ${failure.uri} on session ${failure.session}`),
          PubSub.publish(reapplyFailures, failure)
        )
    })
    let finished = false
    let lastInfo: SessionInfo | undefined
    let lastJoinError: JoinError | undefined

    const finish = (details: CloseDetails): Effect.Effect<void> =>
      Effect.suspend(() => {
        if (finished) return Effect.void
        finished = true
        const error = finalError(details)
        slot.end(error)
        durables.finish(details.failure === undefined ? undefined : error)
        Deferred.unsafeDone(done, Exit.succeed(details))
        return SubscriptionRef.set(state, ConnectionState.Closed({ details }))
      })

    const supervisor = makeSupervisor({
      options,
      join: (sessionScope) => joinSession(options, sessionScope, context),
      scope,
      slot,
      durables,
      state,
      joinFailed: (error) => {
        lastJoinError = error
      },
      opened: (live) => {
        lastInfo = live.session.info
      },
      finish,
      closing: slot.closing
    })
    const fiber = yield* Effect.forkIn(supervisor.run, scope)

    const close = (reason?: string, message?: string): Effect.Effect<void> =>
      Effect.suspend(() => {
        const current = slot.current()
        if (!slot.beginClose()) return Effect.asVoid(Deferred.await(done))
        const uri = reason ?? WampError.StandardUri.CloseNormal
        return Effect.gen(function*() {
          // Leaving first makes the goodbye graceful; then nothing may reconnect.
          if (current !== undefined) yield* current.session.leave(uri, message)
          yield* Fiber.interrupt(fiber)
          yield* finish(policy.userCloseDetails(uri, message, lastInfo !== undefined))
        })
      })

    // Closing the scope closes the connection before the supervisor fiber is interrupted.
    yield* Effect.addFinalizer(() => close())

    const session = makeRouted({
      realm: options.realm,
      slot,
      durables,
      acquire,
      lastInfo: () => lastInfo,
      closed: Deferred.await(done),
      close
    })

    const awaitOpen: Effect.Effect<SessionInfo, JoinError> = Effect.suspend(() => {
      const current = slot.current()
      if (current !== undefined) return Effect.succeed(current.session.info)
      return slot.next.pipe(
        Effect.map((live) => live.session.info),
        Effect.mapError((error): JoinError => lastJoinError ?? error)
      )
    })

    const service: ConnectionService = {
      session,
      state: SubscriptionRef.get(state),
      changes: state.changes,
      isOpen: session.isOpen,
      isRetrying: Effect.map(SubscriptionRef.get(state), isRetrying),
      awaitOpen,
      close,
      closed: Deferred.await(done),
      reapplyFailures: Stream.fromPubSub(reapplyFailures),
      register: durables.register,
      subscribe: durables.subscribe
    }
    return {
      service,
      counters: () => ({
        ...durables.counters(),
        waiting: slot.waiting(),
        ...supervisor.counters(),
        session: slot.current()?.handle.counters()
      })
    } satisfies ConnectionHandle
  })

const joinSession = (
  options: ConnectionOptions,
  scope: Scope.Scope,
  context: Context.Context<Transport | Serializers | Authenticator>
) => SessionInternal.makeHandle(options).pipe(Scope.extend(scope), Effect.provide(context))

export const make = (
  options: ConnectionOptions
): Effect.Effect<ConnectionService, never, Scope.Scope | Transport | Serializers | Authenticator> =>
  Effect.map(makeHandle(options), (handle) => handle.service)

/** The connection and the routed session as a context, for `Layer.scopedContext`. */
export const makeContext = <C, S>(
  options: LayerOptions,
  connectionTag: Context.Tag<C, ConnectionService>,
  sessionTag: Context.Tag<S, SessionService>
): Effect.Effect<
  Context.Context<C | S>,
  JoinError,
  Scope.Scope | Transport | Serializers | Authenticator
> =>
  Effect.gen(function*() {
    const connection = yield* make(options)
    if (options.awaitOpen !== false) yield* connection.awaitOpen
    return Context.make(connectionTag, connection).pipe(Context.add(sessionTag, connection.session))
  })
