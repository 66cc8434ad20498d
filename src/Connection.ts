/**
 * Connection: a supervisor that keeps a WAMP session up.
 *
 * `Connection.layer(options)` provides the same `Session` service as `Session.layer`, so user code
 * does not change, plus the `Connection` service below. Under it, sessions come and go: each one
 * is a `Session.make` in its own scope; when it ends, the failure is classified (data, see
 * `isRetryable`) and the user's `Schedule` decides whether and when to join again.
 *
 * Guarantees:
 * - At most once: an operation in flight when its session is lost fails at once with
 *   `SessionClosedError`; nothing is ever re-sent by the connection.
 * - New operations while no session is open wait for the next one up to `whenDisconnected.wait`
 *   (default 10 seconds) and then fail with `SessionClosedError`, or fail at once with
 *   `whenDisconnected: "failFast"`. After the connection has closed for good they fail at once.
 * - `register` / `subscribe` made through the connection are durable: they are re-established,
 *   with their original options, on every new session until their scope closes. A subscriber's
 *   stream continues across sessions. WAMP does not replay events published while no session was
 *   open: they are lost. `eventsWithGaps` marks where that may have happened with a `Gap`.
 * - `close()` leaves gracefully (GOODBYE) and stops retrying, also during a retry wait.
 */
import * as Config from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import * as Context from "effect/Context"
import type * as Data from "effect/Data"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Schedule from "effect/Schedule"
import type * as Scope from "effect/Scope"
import type * as Stream from "effect/Stream"
import type { Authenticator } from "./Authenticator.js"
import type { EncodeError } from "./Errors.js"
import * as internal from "./internal/connection/make.js"
import * as policy from "./internal/connection/policy.js"
import * as state from "./internal/connection/state.js"
import type { Serializers } from "./Serializer.js"
import {
  type CloseReason,
  type Event,
  type HandlerResult,
  type Invocation,
  type JoinError,
  type RegisterOptions,
  type Registration,
  Session,
  type SessionError,
  type SessionInfo,
  type SessionOptions,
  type SessionService,
  type SubscribeOptions,
  type Subscription,
  type SubscriptionStreamError
} from "./Session.js"
import type { Transport } from "./Transport.js"
import type { WampError } from "./WampError.js"

// ---------------------------------------------------------------------------------------------
// Failures and state as data
// ---------------------------------------------------------------------------------------------

/** Why a session is not (or no longer) open: the input of the retry `Schedule`. */
export type ConnectionFailure = Data.TaggedEnum<{
  /** Joining failed: the transport did not open, the router sent ABORT, authentication failed. */
  JoinFailed: { readonly error: JoinError }
  /** A joined session ended without the user asking (transport lost, router GOODBYE/ABORT, violation). */
  SessionLost: { readonly reason: CloseReason }
}>

export const ConnectionFailure: Data.TaggedEnum.Constructor<ConnectionFailure> = state.ConnectionFailure

/** How a session ended or a join failed, as the state `Retrying` and `Closed` report it. */
export interface CloseDetails {
  /** The WAMP URI (`wamp.close.transport_lost`, the ABORT/GOODBYE reason, ...). */
  readonly reason: string
  readonly message: string
  /**
   * True when it ended by a decision rather than by its link: this client's close, a router
   * GOODBYE or ABORT, a join that ended in an ABORT (refused by the router, or aborted because this
   * client could not authenticate or the router broke the handshake). False when the link failed to
   * open or dropped, or a joined session ended with a protocol violation.
   */
  readonly wasClean: boolean
  /** Whether a session was ever open on this connection before this close. */
  readonly everOpened: boolean
  readonly willRetry: boolean
  /** The wait before the next attempt, when one will be made. */
  readonly retryDelay: Duration.Duration | undefined
  /** The number of the next attempt (1 for the first retry), when one will be made. */
  readonly retryCount: number | undefined
  /** The failure; absent when the user closed the connection. */
  readonly failure: ConnectionFailure | undefined
}

export type ConnectionState = Data.TaggedEnum<{
  /** Opening a link and joining. `attempt` is 0 for the first try after an open session or at start. */
  Connecting: { readonly attempt: number }
  /** A session is open; durable registrations and subscriptions have been re-applied. */
  Open: {
    readonly info: SessionInfo
    /**
     * This one session, unrouted: its operations go to it alone and fail once it has ended, and its
     * registrations and subscriptions are not re-applied on later sessions (per-session semantics,
     * as the Autobahn|JS facade needs). The routed, durable service is `ConnectionService.session`.
     */
    readonly session: SessionService
  }
  /** Waiting `delay` before attempt number `attempt`. */
  Retrying: {
    readonly attempt: number
    readonly delay: Duration.Duration
    readonly lastError: ConnectionFailure
    readonly details: CloseDetails
  }
  /** For good: closed by the user, a failure that does not retry, or the Schedule gave up. */
  Closed: { readonly details: CloseDetails }
}>

export const ConnectionState: Data.TaggedEnum.Constructor<ConnectionState> = state.ConnectionState

// ---------------------------------------------------------------------------------------------
// Options
// ---------------------------------------------------------------------------------------------

/** What operations do while no session is open. */
export type WhenDisconnected =
  /** Fail at once with `SessionClosedError`. */
  | "failFast"
  /** Wait for the next session up to this long, then fail with `SessionClosedError`. */
  | { readonly wait: Duration.DurationInput }

export interface ConnectionOptions extends SessionOptions {
  /**
   * When to join again: fed each `ConnectionFailure`, its delays are the waits; when it ends the
   * connection closes. A fresh run of the schedule starts after every session that opened.
   * Default `Connection.defaultRetry` (Autobahn|JS's defaults).
   */
  readonly retry?: Schedule.Schedule<unknown, ConnectionFailure> | undefined
  /** Which failures go to the schedule at all. Default `Connection.isRetryable`. */
  readonly shouldRetry?: ((failure: ConnectionFailure) => boolean) | undefined
  /** Whether a first connect that fails is retried (Autobahn|JS `retry_if_unreachable`). Default true. */
  readonly retryFirstConnect?: boolean | undefined
  /** Default `{ wait: "10 seconds" }`. */
  readonly whenDisconnected?: WhenDisconnected | undefined
}

export interface LayerOptions extends ConnectionOptions {
  /**
   * Whether building the layer waits for the first session (and fails with the last join error
   * when the connection closes before one opened). Default true. With false the layer is ready at
   * once and operations follow `whenDisconnected`.
   */
  readonly awaitOpen?: boolean | undefined
}

// ---------------------------------------------------------------------------------------------
// Durable registrations and subscriptions
// ---------------------------------------------------------------------------------------------

/** Marks, in `eventsWithGaps`, that the subscription was re-established on a new session. */
export interface Gap {
  readonly _tag: "Gap"
  /** Why the previous session ended. Events published meanwhile were not delivered. */
  readonly reason: CloseReason
  /** The id of the session the subscription continues on. */
  readonly session: number
}

/** A registration that follows the connection; `id` is the one on the current (or last) session. */
export interface DurableRegistration extends Registration {}

/** A subscription that follows the connection; `id` is the one on the current (or last) session. */
export interface DurableSubscription extends Subscription {
  /**
   * The events with a `Gap` before the first event of each new session. Same single-consumer
   * source as `events` and `takeAll` (which skip the gaps): read one of the three.
   */
  readonly eventsWithGaps: Stream.Stream<Event | Gap, SubscriptionStreamError>
}

/** A durable registration or subscription that a new session refused (the old intent is kept). */
export interface ReapplyFailure {
  readonly kind: "register" | "subscribe"
  /** The procedure or topic. */
  readonly uri: string
  readonly session: number
  readonly error: unknown
}

// ---------------------------------------------------------------------------------------------
// The service
// ---------------------------------------------------------------------------------------------

export interface ConnectionService {
  /** The routed session service (also provided as the `Session` tag by `layer`). */
  readonly session: SessionService
  /** The state now. */
  readonly state: Effect.Effect<ConnectionState>
  /** The current state, then every change (each transition is delivered). */
  readonly changes: Stream.Stream<ConnectionState>
  readonly isOpen: Effect.Effect<boolean>
  /** True while waiting to retry or re-joining after a failure (Autobahn|JS `isRetrying`). */
  readonly isRetrying: Effect.Effect<boolean>
  /** Waits for an open session; fails with the last join error if the connection closes first. */
  readonly awaitOpen: Effect.Effect<SessionInfo, JoinError>
  /** Leaves gracefully (GOODBYE) and stops retrying, also during a retry wait. Idempotent. */
  readonly close: (reason?: string, message?: string) => Effect.Effect<void>
  /** Completes when the connection has closed for good. */
  readonly closed: Effect.Effect<CloseDetails>
  /** Durable registrations / subscriptions a new session refused (also logged as warnings). */
  readonly reapplyFailures: Stream.Stream<ReapplyFailure>
  /** Like `Session.register`, durable: re-registered with the same options on every new session. */
  readonly register: <E, R>(
    procedure: string,
    handler: (invocation: Invocation) => Effect.Effect<HandlerResult, E, R>,
    options?: RegisterOptions
  ) => Effect.Effect<DurableRegistration, WampError | SessionError | EncodeError, Scope.Scope | R>
  /** Like `Session.subscribe`, durable: re-subscribed with the same options on every new session. */
  readonly subscribe: (
    topic: string,
    options?: SubscribeOptions
  ) => Effect.Effect<DurableSubscription, WampError | SessionError | EncodeError, Scope.Scope>
}

export class Connection extends Context.Tag("effect-wamp/Connection")<Connection, ConnectionService>() {}

/**
 * Autobahn|JS's defaults as a Schedule: at most 15 retries, first delay 1.5 s, growing ×1.5, at
 * most 300 s, each delay multiplied by a uniform random factor in [0.9, 1.1] (jitter 0.1) and then
 * capped. Autobahn|JS draws the jitter from a normal distribution and lets it compound; a bounded,
 * non-compounding jitter keeps every delay within ±10 % of the nominal one. Uses Effect's `Random`
 * and `Clock`, so it is deterministic under `TestClock` with a seeded `Random`.
 */
export const defaultRetry: Schedule.Schedule<unknown, unknown> = policy.defaultRetry

/** The default classification of failures (see `policy.isRetryable`). */
export const isRetryable: (failure: ConnectionFailure) => boolean = policy.isRetryable

/** The ABORT/close URIs that stop retrying by default. */
export const fatalUris: ReadonlySet<string> = policy.fatalUris

/** Starts the supervisor; closing the scope closes the connection (GOODBYE) and stops it. */
export const make: (
  options: ConnectionOptions
) => Effect.Effect<ConnectionService, never, Scope.Scope | Transport | Serializers | Authenticator> = internal.make

/** The `Connection` and the routed `Session`, as one layer. */
export const layer = (
  options: LayerOptions
): Layer.Layer<Connection | Session, JoinError, Transport | Serializers | Authenticator> =>
  Layer.scopedContext(internal.makeContext(options, Connection, Session))

/**
 * The connection from `Config`, as @effect/sql's clients do, e.g.
 * `layerConfig({ realm: Config.string("WAMP_REALM"), retry: Config.succeed(Schedule.spaced("1 second")) })`.
 */
export const layerConfig = (
  config: Config.Config.Wrap<LayerOptions>
): Layer.Layer<Connection | Session, JoinError | ConfigError.ConfigError, Transport | Serializers | Authenticator> =>
  Layer.unwrapEffect(Effect.map(Config.unwrap(config), layer))
