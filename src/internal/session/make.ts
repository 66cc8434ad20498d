/**
 * Builds a session: opens the link, forks the dispatcher, waits for WELCOME, and registers the
 * leave on the scope.
 */
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import { identity } from "effect/Function"
import type * as Scope from "effect/Scope"
import type * as Stream from "effect/Stream"
import { Authenticator } from "../../Authenticator.js"
import { SessionClosedError, TransportError } from "../../Errors.js"
import type {
  CallOptions,
  CloseReason,
  Invocation,
  JoinError,
  RegisterOptions,
  SessionInfo,
  SessionOptions,
  SessionService
} from "../../Session.js"
import { Transport } from "../../Transport.js"
import * as WampError from "../../WampError.js"
import * as Metrics from "../metrics.js"
import { Serializers } from "../serializer/tags.js"
import * as Tracing from "../tracing.js"
import { type Callee, type DirectCallee, makeCallee, type RegistrationEntry } from "./callee.js"
import { type Caller, makeCaller } from "./caller.js"
import { Core, DEFAULT_GOODBYE_TIMEOUT, type OperationError } from "./core.js"
import * as Dispatcher from "./dispatcher.js"
import { Lifecycle } from "./lifecycle.js"
import { makePubSub, type PubSub } from "./pubsub.js"

/** A session with what its owner inside the library may ask of it beyond the public service. */
export interface SessionHandle {
  readonly service: SessionService
  /** Whether operations may be sent now: a plain read, for routing on the hot path. */
  readonly isEstablished: () => boolean
  /** Sizes of the tables, for leak checks. */
  readonly counters: () => SessionCounters
  /** A call at callback level (the facade's: one Promise per call, no fiber). */
  readonly call: Caller["startCall"]
  /** A subscription at callback level (the facade's: the handler called in place, no stream). */
  readonly subscribe: PubSub["subscribeDirect"]
  /** A subscription held without a scope (the Connection's durable subscriptions). */
  readonly subscribeHeld: PubSub["subscribeHeld"]
  /**
   * A registration held without a scope (the Connection's durable registrations): `callee.invoke`
   * runs on the session's runtime; the entry's `finalize` unregisters, bounded in time; it ends
   * with the session otherwise, and tells `callee.ended`.
   */
  readonly registerHeld: (
    procedure: string,
    callee: DirectCallee,
    options: RegisterOptions | undefined
  ) => Effect.Effect<RegistrationEntry, OperationError>
  /** A registration at callback level (the facade's: no scope, no fiber per registration). */
  readonly register: Callee["registerDirect"]
}

/**
 * The handle of a session by its service, for the Autobahn facade, which is handed the service:
 * looked up once per session, never per operation.
 */
export const handles = new WeakMap<SessionService, SessionHandle>()

export interface SessionCounters {
  readonly pending: number
  readonly registrations: number
  readonly activeInvocations: number
  readonly subscriptions: number
}

/** The metrics wrappers as pass-throughs, for `metrics: false`. */
const unmetered: Pick<typeof Metrics, "timeCall" | "timeCallStream" | "countPublish"> = {
  timeCall: identity,
  timeCallStream: identity,
  countPublish: identity
}

export const DEFAULT_JOIN_TIMEOUT: Duration.DurationInput = "10 seconds"

/**
 * Waits for WELCOME (or the ABORT / failure that ends the join) at most `timeout`, counted from
 * HELLO and covering the authentication rounds; then closes the link and fails with "Timeout".
 */
const awaitJoin = (lifecycle: Lifecycle, timeout: Duration.DurationInput): Effect.Effect<SessionInfo, JoinError> =>
  Deferred.await(lifecycle.joined).pipe(
    Effect.timeoutTo({
      duration: timeout,
      onSuccess: Effect.succeed,
      onTimeout: () => {
        const message = `no WELCOME from the router within ${Duration.format(Duration.decode(timeout))} of HELLO`
        return Effect.zipRight(
          lifecycle.terminate(
            { reason: WampError.StandardUri.Timeout, message, by: "local", wasClean: false },
            new SessionClosedError({ reason: WampError.StandardUri.Timeout, message, wasClean: false })
          ),
          Effect.fail(new TransportError({ reason: "Timeout", message }))
        )
      }
    }),
    Effect.flatten
  )

export const make = (
  options: SessionOptions
): Effect.Effect<SessionService, JoinError, Scope.Scope | Transport | Serializers | Authenticator> =>
  Effect.map(makeHandle(options), (handle) => handle.service)

export const makeHandle = (
  options: SessionOptions
): Effect.Effect<SessionHandle, JoinError, Scope.Scope | Transport | Serializers | Authenticator> =>
  Effect.gen(function*() {
    const transport = yield* Transport
    const serializers = yield* Serializers
    // A fresh attempt per join when the authenticator keeps per-HELLO state (nonces, challenges).
    const authenticatorService = yield* Authenticator
    const authenticator = authenticatorService.attempt?.() ?? authenticatorService
    const scope = yield* Effect.scope
    const link = yield* transport.open(serializers)
    const closed = yield* Deferred.make<CloseReason>()
    const joined = yield* Deferred.make<SessionInfo, JoinError>()
    const core = new Core(link, options)
    const callee = makeCallee(core, yield* Effect.runtime<never>())
    const pubsub = makePubSub(core)
    const lifecycle = new Lifecycle(core, closed, joined, [callee, pubsub])
    // Finalizers run in reverse: the leave first, then the handlers still running are stopped.
    yield* Effect.addFinalizer(() => callee.awaitHandlers)
    yield* Effect.forkIn(
      Dispatcher.run({ core, lifecycle, authenticator, subscriber: pubsub, callee }),
      scope
    )
    const goodbyeTimeout = options.goodbyeTimeout ?? DEFAULT_GOODBYE_TIMEOUT
    yield* Effect.addFinalizer(() => lifecycle.leave(WampError.StandardUri.CloseNormal, undefined, goodbyeTimeout))
    const info = yield* awaitJoin(lifecycle, options.joinTimeout ?? DEFAULT_JOIN_TIMEOUT)

    const tracing = yield* Tracing.enabled(options.tracing)
    const traced = Tracing.makeHooks(tracing, info.realm)
    const metered = options.metrics === false ? unmetered : Metrics
    // Calls are counted and traced in the caller core, which both APIs go through.
    const caller = makeCaller(core, {
      metrics: options.metrics !== false,
      tracer: tracing ? yield* Effect.tracer : undefined,
      clock: yield* Effect.clock,
      realm: info.realm
    })
    // The other call forms: one client span (its trace context put in the options) around the metered call.
    const tracedCall = <A, E>(
      procedure: string,
      callOptions: CallOptions | undefined,
      run: (callOptions: CallOptions | undefined) => Effect.Effect<A, E>
    ) => traced.outbound("wamp.call", procedure, "client", callOptions, (o) => metered.timeCall(run(o)))
    const tracedCallStream = <A, E>(
      procedure: string,
      callOptions: CallOptions | undefined,
      run: (callOptions: CallOptions | undefined) => Stream.Stream<A, E>
    ) => traced.outboundStream("wamp.call", procedure, callOptions, (o) => metered.timeCallStream(run(o)))
    /** The server span of one invocation's handler run (registrations of both kinds, tracing on). */
    const invocationSpan = <A, E, R>(invocation: Invocation, effect: Effect.Effect<A, E, R>) =>
      traced.inbound("wamp.invocation", invocation.details.procedure, invocation.details.raw, effect)
    const service: SessionService = {
      info,
      closed: Deferred.await(closed),
      isOpen: Effect.sync(() => core.state === "established"),
      call: caller.call,
      callProgressive: (procedure, args, kwargs, callOptions) =>
        tracedCallStream(procedure, callOptions, (o) => caller.callProgressive(procedure, args, kwargs, o)),
      callWithInput: (procedure, input, callOptions) =>
        tracedCall(procedure, callOptions, (o) => caller.callWithInput(procedure, input, o)),
      callStreaming: (procedure, input, callOptions) =>
        tracedCallStream(procedure, callOptions, (o) => caller.callStreaming(procedure, input, o)),
      register: (procedure, handler, registerOptions) =>
        traced.local(
          "wamp.register",
          procedure,
          callee.register(
            procedure,
            traced.enabled ? (invocation) => invocationSpan(invocation, handler(invocation)) : handler,
            registerOptions
          )
        ),
      subscribe: (topic, subscribeOptions) =>
        // Events are counted (unless `metrics: false`) inside the subscription's lazily made stream.
        traced.local("wamp.subscribe", topic, pubsub.subscribe(topic, subscribeOptions)),
      publish: (topic, args, kwargs, publishOptions) =>
        traced.outbound(
          "wamp.publish",
          topic,
          "producer",
          publishOptions,
          (publishOptions) => metered.countPublish(pubsub.publish(topic, args, kwargs, publishOptions))
        ),
      leave: (reason, message) => lifecycle.leave(reason ?? WampError.StandardUri.CloseNormal, message, goodbyeTimeout)
    }
    const handle: SessionHandle = {
      service,
      isEstablished: () => core.state === "established",
      counters: () => ({ pending: core.pending.size, ...callee.counters(), ...pubsub.counters() }),
      call: caller.startCall,
      subscribe: pubsub.subscribeDirect,
      subscribeHeld: (topic, subscribeOptions) =>
        traced.local("wamp.subscribe", topic, pubsub.subscribeHeld(topic, subscribeOptions)),
      register: callee.registerDirect,
      registerHeld: (procedure, held, registerOptions) => {
        const traceable: DirectCallee = traced.enabled
          ? {
            invoke: (invocation) => invocationSpan(invocation, held.invoke(invocation)),
            ended: (end) => held.ended(end)
          }
          : held
        return traced.local(
          "wamp.register",
          procedure,
          Effect.uninterruptible(Effect.async<RegistrationEntry, OperationError>((resume) => {
            callee.registerDirect(procedure, traceable, registerOptions, resume)
          }))
        )
      }
    }
    handles.set(service, handle)
    return handle
  })
