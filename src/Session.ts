/**
 * Session: one WAMP session as a Scope-managed fiber.
 *
 * `Session.make(options)` opens a link with the `Transport`, joins the realm (HELLO, CHALLENGE /
 * AUTHENTICATE rounds with the `Authenticator`, WELCOME) and returns the session; closing the scope
 * leaves it (GOODBYE, wait for the reply up to `goodbyeTimeout`, close the link). One dispatcher fiber
 * reads frames in order; every operation is an Effect whose error channel names what it can fail with:
 * `WampError` (the router's or callee's ERROR, or a local refusal such as `wamp.error.invalid_uri`),
 * `SessionError` (the session ended), and for operations that carry user values `EncodeError` (the
 * serializer cannot write them, e.g. a bigint under JSON or a cycle: nothing was sent).
 */
import type * as EffectChunk from "effect/Chunk"
import * as Config from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import * as Context from "effect/Context"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Scope from "effect/Scope"
import type * as Stream from "effect/Stream"
import type { Authenticator } from "./Authenticator.js"
import type {
  AuthenticationError,
  EncodeError,
  ProtocolError,
  SessionClosedError,
  SessionError,
  SubscriptionOverflowError,
  SubscriptionRevokedError,
  TransportError
} from "./Errors.js"
import * as internal from "./internal/session/make.js"
import type { Dict, List } from "./Message.js"
import type { Passthru } from "./Passthru.js"
import type { Serializers } from "./Serializer.js"
import type { Transport } from "./Transport.js"
import type { Match } from "./Uri.js"
import type { WampError } from "./WampError.js"

export type { Dict, List }

// ---------------------------------------------------------------------------------------------
// Options and info
// ---------------------------------------------------------------------------------------------

/** What happens when a subscriber's buffer is full (WAMP has no flow control). */
export type OverflowStrategy =
  /** The subscriber's stream fails with `SubscriptionOverflowError` after the buffered events (default). */
  | "fail"
  /** The dispatcher waits for the subscriber: nothing is lost, but the whole session stalls meanwhile. */
  | "suspend"
  /** The oldest buffered event is dropped: for "latest value" feeds. */
  | "dropOldest"

export interface SessionOptions {
  readonly realm: string
  /** HELLO.Details.agent. Default `effect-wamp/<version>`. */
  readonly agent?: string | undefined
  /**
   * How long joining may take from HELLO to WELCOME, authentication rounds included (the link's
   * own open is bounded by the transport's `openTimeout`). Then the link is closed and the join
   * fails with `TransportError` "Timeout". Default 10 seconds.
   */
  readonly joinTimeout?: Duration.DurationInput | undefined
  /** How long `leave` / scope close waits for the router's GOODBYE reply. Default 5 seconds. */
  readonly goodbyeTimeout?: Duration.DurationInput | undefined
  /** Default buffer of each subscriber. Default `{ capacity: 4096, overflow: "fail" }`. */
  readonly subscriptionBuffer?: SubscriptionBuffer | undefined
  /** Extra HELLO.Details entries (implementation-specific keys). */
  readonly helloDetails?: Dict | undefined
  /**
   * One tracing span per user operation (`wamp.call`, `wamp.publish`, `wamp.subscribe`,
   * `wamp.register`) and per invocation handled (`wamp.invocation`), none per event, with the trace
   * context sent in CALL / PUBLISH options (`_traceparent`, see `Tracing`). Default: on when the
   * session is made under a tracer other than Effect's built-in one (e.g. @effect/opentelemetry's),
   * off otherwise; then the cost is one boolean test per operation and nothing is added on the wire.
   */
  readonly tracing?: boolean | undefined
  /**
   * Whether this session updates the client's Effect Metrics (`Metrics`: calls, call errors, call
   * latency, events). Default true; false saves their cost on the hot path.
   */
  readonly metrics?: boolean | undefined
}

export interface SubscriptionBuffer {
  readonly capacity: number
  readonly overflow: OverflowStrategy
}

/** What the router said in WELCOME, and the features both sides announced. */
export interface SessionInfo {
  readonly id: number
  readonly realm: string
  readonly authid: string | undefined
  readonly authrole: string | undefined
  readonly authmethod: string | undefined
  readonly authprovider: string | undefined
  readonly authextra: Dict
  /** WELCOME.Details.roles as sent by the router (`broker`, `dealer`). */
  readonly routerRoles: Dict
  /** The full WELCOME.Details. */
  readonly details: Dict
  /** Whether the router announced `feature` for `role` (and we implement it). */
  readonly supports: (role: "broker" | "dealer", feature: string) => boolean
}

/** How and why a session ended. */
export interface CloseReason {
  readonly reason: string
  readonly message: string
  /** Who ended it. */
  readonly by: "local" | "router" | "transport" | "violation"
  readonly wasClean: boolean
}

// ---------------------------------------------------------------------------------------------
// RPC
// ---------------------------------------------------------------------------------------------

export type CancelMode = "skip" | "kill" | "killnowait"

export interface CallOptions {
  /** Router-side timeout in milliseconds (`call_timeout`). */
  readonly timeout?: number | undefined
  readonly disclose_me?: boolean | undefined
  /**
   * CANCEL mode sent when the calling fiber is interrupted. Default `killnowait`. A function is read
   * when the CANCEL is sent (for whoever interrupts to choose). Not sent as an option.
   */
  readonly cancelMode?: CancelMode | (() => CancelMode) | undefined
  /**
   * Payload passthru mode: sends these bytes (with their `ppt_*` labels) instead of args/kwargs,
   * which must then be absent. Needs the dealer's `payload_passthru_mode` (`payload_transparency`
   * for the transparent form); fails locally otherwise. See `Passthru`.
   */
  readonly passthru?: Passthru | undefined
  /** Any other CALL.Options pass through unchanged. */
  readonly [option: string]: unknown
}

export interface CallResult {
  readonly args: List
  readonly kwargs: Dict
  readonly details: Dict
  /** The payload passthru bytes and labels, when the result carried one (`args` is then `[bytes]`). */
  readonly passthru?: Passthru | undefined
}

/** A chunk of a progressive call: its payload and whether more follow. */
export interface Chunk {
  readonly args?: List | undefined
  readonly kwargs?: Dict | undefined
  /** A handler's final result only: answers with a passthru payload instead (see `CallOptions.passthru`). */
  readonly passthru?: Passthru | undefined
}

export type { SessionError } from "./Errors.js"

/** How the router matches a topic or procedure (the URI rules of each are `Uri.Match`'s). */
export type MatchPolicy = Match
export type InvokePolicy = "single" | "roundrobin" | "random" | "first" | "last"

export interface RegisterOptions {
  readonly match?: MatchPolicy | undefined
  readonly invoke?: InvokePolicy | undefined
  readonly disclose_caller?: boolean | undefined
  /** Ask the dealer to forward callers' timeouts to this callee, which then enforces them (see `InvocationDetails.timeout`). */
  readonly forward_timeout?: boolean | undefined
  readonly [option: string]: unknown
}

export interface InvocationDetails {
  readonly caller: number | undefined
  readonly caller_authid: string | undefined
  readonly caller_authrole: string | undefined
  /** The concrete URI called (pattern registrations). */
  readonly procedure: string
  readonly receive_progress: boolean
  /**
   * The caller's timeout in ms when the dealer forwarded it, else 0. Dealers forward it to callees
   * that announce `call_timeout` (we do) and registered with `forward_timeout: true`; the handler
   * is then interrupted after that long and the caller gets `wamp.error.timeout`. Otherwise the
   * dealer runs the timer itself and INTERRUPTs the handler.
   */
  readonly timeout: number
  /** All INVOCATION.Details as received. */
  readonly raw: Dict
}

export interface Invocation {
  readonly args: List
  readonly kwargs: Dict
  readonly details: InvocationDetails
  /** The payload passthru bytes and labels, when the CALL carried one (`args` is then `[bytes]`). */
  readonly passthru?: Passthru | undefined
  /** Sends a progressive result; a no-op when the caller did not ask for progress. */
  readonly progress: (args?: List, kwargs?: Dict) => Effect.Effect<void>
  /**
   * Progressive call invocations: every chunk the caller sent (the first included), ending with
   * the final one. For an ordinary invocation, a stream of the one chunk.
   */
  readonly input: Stream.Stream<Chunk>
}

/** What a handler may return: a payload, or nothing (an empty RESULT). */
export type HandlerResult = Chunk | void

export interface Registration {
  readonly id: number
  readonly procedure: string
  readonly options: RegisterOptions
  /** Unregisters now (idempotent); the scope would otherwise do it on close. */
  readonly unregister: Effect.Effect<void, WampError | SessionError>
  /** Completes when the registration ends: unregistered, revoked by the router, or session closed. */
  readonly ended: Effect.Effect<RegistrationEnd>
}

export interface RegistrationEnd {
  readonly reason: "unregistered" | "revoked" | "session-closed"
  readonly message: string | undefined
}

// ---------------------------------------------------------------------------------------------
// PubSub
// ---------------------------------------------------------------------------------------------

export interface SubscribeOptions {
  readonly match?: MatchPolicy | undefined
  readonly get_retained?: boolean | undefined
  /** This subscriber's buffer; the session default otherwise. Not sent as an option. */
  readonly buffer?: SubscriptionBuffer | undefined
  readonly [option: string]: unknown
}

export interface EventDetails {
  readonly publication: number
  readonly publisher: number | undefined
  readonly publisher_authid: string | undefined
  readonly publisher_authrole: string | undefined
  /** The concrete topic (pattern subscriptions), else the subscribed topic. */
  readonly topic: string
  readonly retained: boolean
  readonly raw: Dict
}

export interface Event {
  readonly args: List
  readonly kwargs: Dict
  readonly details: EventDetails
  /** The payload passthru bytes and labels, when the PUBLISH carried one (`args` is then `[bytes]`). */
  readonly passthru?: Passthru | undefined
}

export interface Subscription {
  readonly id: number
  readonly topic: string
  readonly options: SubscribeOptions
  /**
   * The events. Ends when the subscription ends locally (unsubscribe, leave); fails with
   * `SubscriptionRevokedError` on revocation, `SubscriptionOverflowError` per the overflow
   * strategy, or the session error when the session is lost. Single consumer.
   */
  readonly events: Stream.Stream<Event, SubscriptionStreamError>
  /**
   * The events received so far, all at once, waiting while there are none: the pull form of
   * `events`, for a busy topic read in a loop (one wait per batch, none of a Stream's per-chunk
   * steps). `done` is true, with no events, once the subscription has ended; it fails as `events`
   * does. The same single consumer as `events`: read one of the two.
   */
  readonly takeAll: Effect.Effect<readonly [events: EffectChunk.Chunk<Event>, done: boolean], SubscriptionStreamError>
  /** Unsubscribes this subscriber now (idempotent); the scope would otherwise do it on close. */
  readonly unsubscribe: Effect.Effect<void, WampError | SessionError>
}

export type SubscriptionStreamError = SubscriptionRevokedError | SubscriptionOverflowError | SessionError

export interface PublishOptions {
  readonly acknowledge?: boolean | undefined
  readonly exclude_me?: boolean | undefined
  readonly exclude?: ReadonlyArray<number> | undefined
  readonly exclude_authid?: ReadonlyArray<string> | undefined
  readonly exclude_authrole?: ReadonlyArray<string> | undefined
  readonly eligible?: ReadonlyArray<number> | undefined
  readonly eligible_authid?: ReadonlyArray<string> | undefined
  readonly eligible_authrole?: ReadonlyArray<string> | undefined
  readonly retain?: boolean | undefined
  readonly disclose_me?: boolean | undefined
  /** Payload passthru mode, as `CallOptions.passthru` (needs the broker's feature). */
  readonly passthru?: Passthru | undefined
  readonly [option: string]: unknown
}

// ---------------------------------------------------------------------------------------------
// The service
// ---------------------------------------------------------------------------------------------

export interface SessionService {
  readonly info: SessionInfo
  /** Completes when the session has ended, with how and why. */
  readonly closed: Effect.Effect<CloseReason>
  readonly isOpen: Effect.Effect<boolean>

  /**
   * Calls a procedure. Interrupting the caller cancels the call on the router (`call_canceling`):
   * CANCEL goes out when the interrupted fiber has unwound (after the finalizers its interruption
   * runs), or before its next request if it catches the interruption and goes on.
   */
  readonly call: (
    procedure: string,
    args?: List,
    kwargs?: Dict,
    options?: CallOptions
  ) => Effect.Effect<CallResult, WampError | SessionError | EncodeError>

  /**
   * Calls with `receive_progress`: a stream of the progressive results, ending with the final
   * result (its `details.progress` is not true). Ending the stream early cancels the call.
   */
  readonly callProgressive: (
    procedure: string,
    args?: List,
    kwargs?: Dict,
    options?: CallOptions
  ) => Stream.Stream<CallResult, WampError | SessionError | EncodeError>

  /**
   * Progressive call invocations: sends each chunk of `input` as a `progress: true` CALL with the
   * same request id, the last one as the final CALL. Needs the feature on both sides.
   * With `options.receive_progress` use `callStreaming` to see the results too.
   */
  readonly callWithInput: (
    procedure: string,
    input: Stream.Stream<Chunk>,
    options?: CallOptions
  ) => Effect.Effect<CallResult, WampError | SessionError | EncodeError>

  /** Full duplex: progressive invocations in, progressive results out. */
  readonly callStreaming: (
    procedure: string,
    input: Stream.Stream<Chunk>,
    options?: CallOptions
  ) => Stream.Stream<CallResult, WampError | SessionError | EncodeError>

  /**
   * Registers a procedure for the lifetime of the scope. The handler runs in its own fiber per
   * invocation; failing with a `WampError` sends that ERROR, any other failure or defect sends
   * `wamp.error.runtime_error` with its message. INTERRUPT interrupts the handler.
   *
   * The registrations (and subscriptions) of one scope share one finalizer, so one that ended early
   * leaves nothing in the scope: closing it releases those still live, newest first, where the first
   * of them was made in the scope's finalizer order.
   */
  readonly register: <E, R>(
    procedure: string,
    handler: (invocation: Invocation) => Effect.Effect<HandlerResult, E, R>,
    options?: RegisterOptions
  ) => Effect.Effect<Registration, WampError | SessionError | EncodeError, Scope.Scope | R>

  /**
   * Subscribes for the lifetime of the scope. Subscribers of the same topic+match share one router
   * subscription. A scope releases its subscriptions as it does its registrations (see `register`).
   */
  readonly subscribe: (
    topic: string,
    options?: SubscribeOptions
  ) => Effect.Effect<Subscription, WampError | SessionError | EncodeError, Scope.Scope>

  /**
   * Publishes. Without `acknowledge` the result is `undefined` as soon as the message is written
   * (nothing is pending); with `acknowledge: true` it is the publication id, and router errors are typed.
   */
  readonly publish: (
    topic: string,
    args?: List,
    kwargs?: Dict,
    options?: PublishOptions
  ) => Effect.Effect<number | undefined, WampError | SessionError | EncodeError>

  /** Leaves the realm (GOODBYE) and closes the link. Idempotent. */
  readonly leave: (reason?: string, message?: string) => Effect.Effect<void>
}

/** The current session. User code does `const session = yield* Session`. */
export class Session extends Context.Tag("effect-wamp/Session")<Session, SessionService>() {}

/**
 * Why joining failed. `EncodeError`: our own HELLO could not be serialized (an unserializable
 * `helloDetails` or `authextra`). A join that takes longer than `joinTimeout` fails with
 * `TransportError` "Timeout".
 */
export type JoinError =
  | TransportError
  | AuthenticationError
  | WampError
  | ProtocolError
  | SessionClosedError
  | EncodeError

/** Joins a realm, as a scoped Effect that gives the session once WELCOME came; the scope leaves it. */
export const make: (
  options: SessionOptions
) => Effect.Effect<SessionService, JoinError, Scope.Scope | Transport | Serializers | Authenticator> = internal.make

/** The session as a layer. */
export const layer = (
  options: SessionOptions
): Layer.Layer<Session, JoinError, Transport | Serializers | Authenticator> => Layer.scoped(Session, make(options))

/**
 * The session from `Config`, as @effect/sql's clients do, e.g.
 * `layerConfig({ realm: Config.string("WAMP_REALM") })`.
 */
export const layerConfig = (
  config: Config.Config.Wrap<SessionOptions>
): Layer.Layer<Session, JoinError | ConfigError.ConfigError, Transport | Serializers | Authenticator> =>
  Layer.scoped(Session, Effect.flatMap(Config.unwrap(config), make))

/** Registers with the handler, within the current `Session`. */
export const register = <E, R>(
  procedure: string,
  handler: (invocation: Invocation) => Effect.Effect<HandlerResult, E, R>,
  options?: RegisterOptions
): Effect.Effect<Registration, WampError | SessionError | EncodeError, Session | Scope.Scope | R> =>
  Effect.flatMap(Session, (s) => s.register(procedure, handler, options))

export const call = (
  procedure: string,
  args?: List,
  kwargs?: Dict,
  options?: CallOptions
): Effect.Effect<CallResult, WampError | SessionError | EncodeError, Session> =>
  Effect.flatMap(Session, (s) => s.call(procedure, args, kwargs, options))

export const subscribe = (
  topic: string,
  options?: SubscribeOptions
): Effect.Effect<Subscription, WampError | SessionError | EncodeError, Session | Scope.Scope> =>
  Effect.flatMap(Session, (s) => s.subscribe(topic, options))

export const publish = (
  topic: string,
  args?: List,
  kwargs?: Dict,
  options?: PublishOptions
): Effect.Effect<number | undefined, WampError | SessionError | EncodeError, Session> =>
  Effect.flatMap(Session, (s) => s.publish(topic, args, kwargs, options))
