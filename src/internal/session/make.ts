/**
 * Builds a session: opens the link, forks the dispatcher, waits for WELCOME, and registers the
 * leave on the scope.
 */
import { Deferred, Duration, Effect, type Scope } from "effect"
import { Authenticator } from "../../Authenticator.js"
import { SessionClosedError, TransportError } from "../../Errors.js"
import { Serializers } from "../../Serializer.js"
import type { CloseReason, JoinError, SessionInfo, SessionOptions, SessionService } from "../../Session.js"
import { Transport } from "../../Transport.js"
import * as WampError from "../../WampError.js"
import { makeCallee } from "./callee.js"
import { type Caller, makeCaller } from "./caller.js"
import { Core, DEFAULT_GOODBYE_TIMEOUT } from "./core.js"
import * as Dispatcher from "./dispatcher.js"
import { Lifecycle } from "./lifecycle.js"
import { makePubSub, type PubSub } from "./pubsub.js"

export interface SessionInternals {
  readonly core: Core
  readonly counters: () => {
    readonly pending: number
    readonly registrations: number
    readonly activeInvocations: number
    readonly subscriptions: number
  }
}

/** Internals by service, for the test kit and leak checks; not part of the public API. */
export const internals = new WeakMap<SessionService, SessionInternals>()

/**
 * The callback-level operations of a session, for the Autobahn facade: one Promise per operation
 * and no fiber. Looked up once per session, never per operation.
 */
export interface SessionHandle {
  readonly call: Caller["startCall"]
  readonly subscribe: PubSub["subscribeDirect"]
}

export const handles = new WeakMap<SessionService, SessionHandle>()

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
            { reason: WampError.Uri.Timeout, message, by: "local", wasClean: false },
            new SessionClosedError({ reason: WampError.Uri.Timeout, message, wasClean: false })
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
  Effect.gen(function*() {
    const transport = yield* Transport
    const serializers = yield* Serializers
    const authenticator = yield* Authenticator
    const scope = yield* Effect.scope
    const link = yield* transport.open(serializers)
    const closed = yield* Deferred.make<CloseReason>()
    const joined = yield* Deferred.make<SessionInfo, JoinError>()
    const core = new Core(link, options)
    const callee = makeCallee(core, yield* Effect.runtime<never>())
    const caller = makeCaller(core)
    const pubsub = makePubSub(core)
    const lifecycle = new Lifecycle(core, closed, joined, [callee, pubsub])
    // Finalizers run in reverse: the leave first, then the handlers still running are stopped.
    yield* Effect.addFinalizer(() => callee.awaitHandlers)
    yield* Effect.forkIn(
      Dispatcher.run({ core, lifecycle, authenticator, subscriber: pubsub, callee }),
      scope
    )
    const goodbyeTimeout = options.goodbyeTimeout ?? DEFAULT_GOODBYE_TIMEOUT
    yield* Effect.addFinalizer(() => lifecycle.leave(WampError.Uri.CloseNormal, undefined, goodbyeTimeout))
    const info = yield* awaitJoin(lifecycle, options.joinTimeout ?? DEFAULT_JOIN_TIMEOUT)

    const traced = options.tracing === true
    const span = <A, E, R>(name: string, uri: string, effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
      traced ? Effect.withSpan(effect, name, { attributes: { "wamp.uri": uri, "wamp.realm": info.realm } }) : effect
    const service: SessionService = {
      info,
      closed: Deferred.await(closed),
      isOpen: Effect.sync(() => core.state === "established"),
      call: (procedure, args, kwargs, callOptions) =>
        span("wamp.call", procedure, caller.call(procedure, args, kwargs, callOptions)),
      callProgressive: caller.callProgressive,
      callWithInput: caller.callWithInput,
      callStreaming: caller.callStreaming,
      register: (procedure, handler, registerOptions) =>
        span("wamp.register", procedure, callee.register(procedure, handler, registerOptions)),
      subscribe: (topic, subscribeOptions) => span("wamp.subscribe", topic, pubsub.subscribe(topic, subscribeOptions)),
      publish: (topic, args, kwargs, publishOptions) =>
        span("wamp.publish", topic, pubsub.publish(topic, args, kwargs, publishOptions)),
      leave: (reason, message) => lifecycle.leave(reason ?? WampError.Uri.CloseNormal, message, goodbyeTimeout)
    }
    handles.set(service, { call: caller.startCall, subscribe: pubsub.subscribeDirect })
    internals.set(service, {
      core,
      counters: () => ({ pending: core.pending.size, ...callee.counters(), ...pubsub.counters() })
    })
    return service
  })
