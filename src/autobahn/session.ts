/**
 * `autobahn.Session`: one WAMP session with Autobahn|JS's Promise/callback API, translated onto the
 * core's `SessionService` of that one session (unrouted: once it has ended, everything on it fails
 * instead of reaching a later session; registrations and subscriptions are redone in `onopen`).
 */
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import type * as Fiber from "effect/Fiber"
import type * as ManagedRuntime from "effect/ManagedRuntime"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import { SubscriptionRevokedError } from "../Errors.js"
import type { DirectCallee } from "../internal/session/callee.js"
import { clientRoles } from "../internal/session/hello.js"
import { handles, type SessionHandle } from "../internal/session/make.js"
import type { DirectSink } from "../internal/session/pubsub.js"
import type * as Core from "../Session.js"
import { StandardUri, type WampError } from "../WampError.js"
import { type Args, Error as AutobahnError, fromCause, type Kwargs, Result, toWampError, unwrap } from "./errors.js"
import {
  type Endpoint,
  Event,
  type EventHandler,
  Invocation,
  Publication,
  Registration,
  Subscription
} from "./objects.js"
import { ownArgs, ownKwargs } from "./payload.js"
import { type CallControl, CallPromise, type CancelOptions, ProgressHub, type ProgressListener } from "./promise.js"

/** Options of `session.call`: Autobahn|JS's, plus `on_progress`, `signal` and `cancel_mode`. Others pass through. */
export interface CallOptions {
  /** Router-side timeout in milliseconds. */
  readonly timeout?: number | undefined
  /** Ask for progressive results (delivered to `then`'s third argument, `progress(cb)` and `on_progress`). */
  readonly receive_progress?: boolean | undefined
  readonly disclose_me?: boolean | undefined
  /** Called with each progressive result; implies `receive_progress`. Not sent to the router. */
  readonly on_progress?: ProgressListener | undefined
  /** Aborting it cancels the call, like `promise.cancel()`. Not sent to the router. */
  readonly signal?: AbortSignal | undefined
  /** The CANCEL mode when the call is canceled (default `killnowait`). Not sent to the router. */
  readonly cancel_mode?: Core.CancelMode | undefined
  readonly [option: string]: unknown
}

/** REGISTER.Options: the core's. */
export interface RegisterOptions extends Core.RegisterOptions {}

/** SUBSCRIBE.Options (the core's, without its local `buffer`). */
export interface SubscribeOptions {
  readonly match?: Core.MatchPolicy | undefined
  readonly get_retained?: boolean | undefined
  readonly [option: string]: unknown
}

/**
 * PUBLISH.Options: the core's. With `acknowledge`, `publish` resolves a `Publication` once the
 * broker has accepted the event (else it returns `undefined`).
 */
export interface PublishOptions extends Core.PublishOptions {}

/** Features both sides announced, per role (Autobahn|JS's `session.features`). */
export type Features = { [role: string]: { [feature: string]: boolean } }

/** What the connection lends each of its sessions. */
export interface SessionHost {
  readonly runtime: ManagedRuntime.ManagedRuntime<never, never>
  readonly realm: string
  readonly onUserError: (error: unknown, message: string) => void
  readonly onInternalError: (error: unknown, message: string) => void
  /** `session.leave`: Autobahn|JS closes the connection (no retry) when the session leaves. */
  readonly leave: (reason: string | undefined, message: string | undefined) => void
}

const isArgs = (u: unknown): u is Args => Array.isArray(u)
const isKwargs = (u: unknown): u is Kwargs => typeof u === "object" && u !== null && !Array.isArray(u)

/** Checks the payload Autobahn|JS asserts on; `null` counts as absent as it does there. */
const payloadError = (args: unknown, kwargs: unknown, options: unknown): AutobahnError | undefined => {
  if (args != null && !isArgs(args)) return new AutobahnError(StandardUri.InvalidArgument, ["args must be an array"])
  if (kwargs != null && !isKwargs(kwargs)) {
    return new AutobahnError(StandardUri.InvalidArgument, ["kwargs must be an object"])
  }
  if (options != null && !isKwargs(options)) {
    return new AutobahnError(StandardUri.InvalidArgument, ["options must be an object"])
  }
  return undefined
}

const notOpen = () => new AutobahnError(StandardUri.TransportLost, ["session not open"])

/** A function's failure as a Promise rejection, never a throw (Autobahn|JS's `as_promise`). */
const attempt = <A>(f: () => A | PromiseLike<A>): Promise<A> => new Promise<A>((resolve) => resolve(f()))

/**
 * One call without progressive results: its state, settle callback and cancel, in one object (the
 * facade's hot path: no closures per call beyond this). Canceling abandons the request in the core
 * (CANCEL with the chosen mode) and rejects at once.
 */
class DirectCall implements CallControl {
  settled = false
  defaultMode: Core.CancelMode | undefined
  abandon: ((mode?: Core.CancelMode) => void) | undefined
  resolve: ((value: unknown) => void) | undefined
  reject: ((reason: unknown) => void) | undefined
  /** Made only for a call with an AbortSignal. */
  onAbort: (() => void) | undefined

  constructor(private readonly signal: AbortSignal | undefined) {}

  // Without progressive results there is nothing to deliver to a progress listener.
  listen(): void {}

  cancel(cancelOptions?: CancelOptions): void {
    if (this.settled || this.abandon === undefined) return
    this.settled = true
    if (this.onAbort !== undefined) this.signal?.removeEventListener("abort", this.onAbort)
    this.abandon(cancelOptions?.mode ?? this.defaultMode)
    this.reject!(new AutobahnError(StandardUri.Canceled, ["Cancelled"]))
  }

  readonly settle = (exit: Exit.Exit<Core.CallResult, unknown>): void => {
    if (this.settled) return
    this.settled = true
    if (this.onAbort !== undefined) this.signal?.removeEventListener("abort", this.onAbort)
    if (exit._tag === "Success") this.resolve!(unwrap(exit.value.args, exit.value.kwargs))
    else this.reject!(fromCause(exit.cause))
  }
}

/** What every registration callee and subscription sink of one session reports to. */
interface Owner {
  readonly onUserError: (error: unknown, message: string) => void
  readonly details: (invocation: Core.Invocation, signal: AbortSignal) => Invocation
  readonly forgetRegistration: (registration: Registration) => void
  readonly forgetSubscription: (subscription: Subscription) => void
}

/**
 * Where the core delivers one subscription's events: the handler, called with Autobahn|JS's
 * arguments, and the end. One small object per subscription (no closures).
 */
class SubscriptionSink implements DirectSink {
  subscription: Subscription | undefined = undefined
  constructor(private readonly owner: Owner, private readonly handler: EventHandler) {}

  event(event: Core.Event): void {
    const subscription = this.subscription
    if (subscription === undefined) return
    const d = event.details
    const details = new Event(
      d.publication,
      d.topic,
      d.publisher,
      d.publisher_authid,
      d.publisher_authrole,
      d.retained,
      d.raw["forward_for"]
    )
    try {
      this.handler(ownArgs(event.args), ownKwargs(event.kwargs), details, subscription)
    } catch (error) {
      this.owner.onUserError(error, "Exception raised in event handler:")
    }
  }

  end(error: Option.Option<unknown>): void {
    const subscription = this.subscription
    if (subscription === undefined) return
    this.owner.forgetSubscription(subscription)
    subscription._ended(revocationReason(Option.isSome(error) ? Exit.fail(error.value) : Exit.void))
  }
}

/**
 * What the core runs for one registration: the endpoint, called with Autobahn|JS's arguments (its
 * value, `autobahn.Result` or Promise the result; its throw the error), and the end. One small
 * object per registration (no closures).
 */
class RegistrationCallee implements DirectCallee {
  registration: Registration | undefined = undefined
  constructor(private readonly owner: Owner, private readonly endpoint: Endpoint) {}

  invoke(invocation: Core.Invocation): Effect.Effect<Core.HandlerResult, WampError> {
    return Effect.map(
      Effect.tryPromise({
        try: (signal) =>
          attempt(() =>
            this.endpoint(
              ownArgs(invocation.args),
              ownKwargs(invocation.kwargs),
              this.owner.details(invocation, signal)
            )
          ),
        catch: (error) => {
          if (!(error instanceof AutobahnError)) {
            this.owner.onUserError(error, "Exception raised in invocation handler:")
          }
          return toWampError(error)
        }
      }),
      (value): Core.HandlerResult =>
        value instanceof Result
          ? { args: value.args, kwargs: value.kwargs }
          : { args: [value === undefined ? null : value] }
    )
  }

  ended(end: Core.RegistrationEnd): void {
    const registration = this.registration
    if (registration === undefined) return
    this.owner.forgetRegistration(registration)
    registration._ended(end.reason === "revoked" ? end.message ?? "revoked" : undefined)
  }
}

export class Session {
  readonly #core: Core.SessionService | undefined
  /** The core's callback-level operations for this session (no fiber per call). */
  readonly #handle: SessionHandle | undefined
  readonly #host: SessionHost
  #ended = false
  readonly #prefixes = new Map<string, string>()
  readonly #registrations = new Map<number, Registration>()
  /** By router subscription id: one subscription, or several sharing it (no array for one). */
  readonly #subscriptions = new Map<number, Subscription | Array<Subscription>>()
  /** What every registration callee and subscription sink of this session reports to. */
  readonly #owner: Owner = {
    onUserError: (error, message) => this.#host.onUserError(error, message),
    details: (invocation, signal) => this.#details(invocation, signal),
    forgetRegistration: (registration) => {
      if (this.#registrations.get(registration.id) === registration) this.#registrations.delete(registration.id)
    },
    forgetSubscription: (subscription) => this.#forget(subscription)
  }

  /** Default of `disclose_me` on calls. */
  caller_disclose_me = false
  /** Default of `disclose_me` on publishes. */
  publisher_disclose_me = false

  /** Made by `Connection`, not by application code; `core` is absent for the not-yet-joined session `onchallenge` sees. */
  constructor(core: Core.SessionService | undefined, host: SessionHost) {
    this.#core = core
    this.#handle = core === undefined ? undefined : handles.get(core)
    this.#host = host
    if (core !== undefined) {
      host.runtime.runFork(Effect.map(core.closed, () => {
        this.#ended = true
      }))
    }
  }

  /** The WAMP session id, `null` when not joined. */
  get id(): number | null {
    return this.isOpen ? this.#core!.info.id : null
  }

  /** The realm joined, `null` when not joined. */
  get realm(): string | null {
    return this.isOpen ? this.#core!.info.realm : null
  }

  get isOpen(): boolean {
    return this.#core !== undefined && !this.#ended && this.#host.runtime.runSync(this.#core.isOpen)
  }

  /** The advanced features both this client and the router announced, per role; `null` when not joined. */
  get features(): Features | null {
    const core = this.#core
    if (core === undefined || !this.isOpen) return null
    const features: Features = {}
    const routerRoleOf = { caller: "dealer", callee: "dealer", publisher: "broker", subscriber: "broker" } as const
    for (const [role, routerRole] of Object.entries(routerRoleOf)) {
      if (core.info.routerRoles[routerRole] === undefined) continue
      const ours = (clientRoles[role] as { features: Kwargs }).features
      features[role] = Object.fromEntries(Object.keys(ours).map((name) => [name, core.info.supports(routerRole, name)]))
    }
    return features
  }

  /** The subscriptions in place, grouped by router subscription (one array per id). */
  get subscriptions(): Array<Array<Subscription>> {
    return Array.from(this.#subscriptions.values(), (list) => Array.isArray(list) ? [...list] : [list])
  }

  get registrations(): Array<Registration> {
    return [...this.#registrations.values()]
  }

  /** Defines a CURIE prefix (`prefix("api", "com.example.api")`); a falsy `uri` removes it. */
  prefix(prefix: string, uri?: string | null): void {
    if (uri) this.#prefixes.set(prefix, uri)
    else this.#prefixes.delete(prefix)
  }

  /** Expands a CURIE (`api:add` → `com.example.api.add`); anything else is returned unchanged. */
  resolve(curie: string): string {
    const colon = curie.indexOf(":")
    if (colon < 0) return curie
    const uri = this.#prefixes.get(curie.slice(0, colon))
    return uri === undefined ? curie : `${uri}.${curie.slice(colon + 1)}`
  }

  /** Leaves the realm (GOODBYE) and, as in Autobahn|JS, closes the connection without retrying. */
  leave(reason?: string, message?: string): void {
    this.#host.leave(reason, message)
  }

  /** `console.log` with a header naming the session. */
  log(...items: Array<unknown>): void {
    const header = this.isOpen ? `WAMP session ${this.id} on '${this.realm}'` : "WAMP session"
    console.log(`${header}:`, ...items)
  }

  // -------------------------------------------------------------------------------------------
  // RPC
  // -------------------------------------------------------------------------------------------

  /**
   * Calls a procedure. Resolves to the single positional result, an `autobahn.Result` for several
   * or any keyword results, or `null`. The promise has `cancel()` (also on promises derived from it).
   */
  call(procedure: string, args?: Args | null, kwargs?: Kwargs | null, options?: CallOptions | null): CallPromise<any> {
    const core = this.#core
    const invalid = payloadError(args, kwargs, options)
    if (invalid !== undefined || core === undefined || this.#ended) {
      return CallPromise.rejected(invalid ?? notOpen())
    }
    const uri = this.resolve(procedure)
    const callArgs = args ?? undefined
    const callKwargs = kwargs ?? undefined
    // The common case, a call without options: nothing to copy or sort out.
    if (options == null && !this.caller_disclose_me && this.#handle !== undefined) {
      return this.#callDirect(this.#handle, uri, callArgs, callKwargs, undefined, undefined, undefined)
    }
    const { cancel_mode, on_progress, signal, ...wire } = options ?? {}
    if (wire.disclose_me === undefined && this.caller_disclose_me) wire.disclose_me = true
    const progressive = wire.receive_progress === true || on_progress !== undefined
    if (!progressive && this.#handle !== undefined) {
      return this.#callDirect(this.#handle, uri, callArgs, callKwargs, wire, cancel_mode, signal)
    }

    const hub = new ProgressHub((error) => this.#host.onUserError(error, "Exception raised in progress handler:"))
    let fiber: Fiber.RuntimeFiber<Core.CallResult, unknown> | undefined
    let canceled = false
    let cancelMode: Core.CancelMode = cancel_mode ?? "killnowait"
    const control = {
      listen: hub.listen,
      cancel: (cancelOptions?: CancelOptions) => {
        if (canceled || fiber === undefined) return
        canceled = true
        if (cancelOptions?.mode !== undefined) cancelMode = cancelOptions.mode
        // Interrupting the call is what sends CANCEL in the core.
        fiber.unsafeInterruptAsFork(fiber.id())
      }
    }
    // Read when the call is interrupted, so that `cancel({ mode })` picks the CANCEL mode.
    const coreOptions: Core.CallOptions = { ...wire, cancelMode: () => cancelMode }
    if (typeof on_progress === "function") hub.listen(on_progress)

    const effect: Effect.Effect<Core.CallResult, unknown> = progressive
      ? Effect.suspend(() => {
        let last: Core.CallResult | undefined
        return core.callProgressive(uri, callArgs, callKwargs, coreOptions).pipe(
          Stream.runForEach((result) =>
            Effect.sync(() => {
              if (result.details["progress"] === true) hub.notify(unwrap(result.args, result.kwargs))
              else last = result
            })
          ),
          Effect.map(() => last ?? { args: [], kwargs: {}, details: {} })
        )
      })
      : core.call(uri, callArgs, callKwargs, coreOptions)

    const onAbort = () => control.cancel()
    const promise = CallPromise.make<unknown>((resolve, reject) => {
      fiber = this.#host.runtime.runFork(effect)
      fiber.addObserver((exit) => {
        hub.clear()
        signal?.removeEventListener("abort", onAbort)
        if (Exit.isSuccess(exit)) resolve(unwrap(exit.value.args, exit.value.kwargs))
        else reject(canceled ? new AutobahnError(StandardUri.Canceled, ["Cancelled"]) : fromCause(exit.cause))
      })
    }, control)
    if (signal !== undefined) {
      if (signal.aborted) onAbort()
      else signal.addEventListener("abort", onAbort, { once: true })
    }
    return promise
  }

  /**
   * A call without progressive results: one Promise on the core's callback-level call, no fiber.
   * Canceling abandons the request in the core (CANCEL with the chosen mode) and rejects at once.
   */
  #callDirect(
    handle: SessionHandle,
    uri: string,
    args: Args | undefined,
    kwargs: Kwargs | undefined,
    wire: Record<string, unknown> | undefined,
    cancelMode: Core.CancelMode | undefined,
    signal: AbortSignal | undefined
  ): CallPromise<any> {
    const call = new DirectCall(signal)
    const promise = CallPromise.make<unknown>((resolve, reject) => {
      call.resolve = resolve
      call.reject = reject
      call.abandon = handle.call(uri, args, kwargs, wire, call.settle)
    }, call)
    call.defaultMode = cancelMode
    if (signal !== undefined && !call.settled) {
      const onAbort = () => call.cancel()
      call.onAbort = onAbort
      if (signal.aborted) onAbort()
      else signal.addEventListener("abort", onAbort, { once: true })
    }
    return promise
  }

  /**
   * Registers `endpoint(args, kwargs, details)`. It may return a value, an `autobahn.Result` or a
   * Promise; throwing an `autobahn.Error` sends that error, anything else `wamp.error.runtime_error`.
   */
  register(procedure: string, endpoint: Endpoint, options?: RegisterOptions | null): Promise<Registration> {
    const core = this.#core
    if (typeof endpoint !== "function") {
      return Promise.reject(new AutobahnError(StandardUri.InvalidArgument, ["endpoint must be a function"]))
    }
    const invalid = payloadError(undefined, undefined, options)
    if (invalid !== undefined) return Promise.reject(invalid)
    if (core === undefined || this.#ended) return Promise.reject(notOpen())
    const uri = this.resolve(procedure)
    const handle = this.#handle
    if (handle === undefined) return Promise.reject(notOpen())
    const given = options ?? undefined
    const callee = new RegistrationCallee(this.#owner, endpoint)
    // At callback level: no scope, fiber or Promise adoption per registration; it ends with the
    // session or by `unregister`, and tells its end to the callee.
    return new Promise<Registration>((resolve, reject) => {
      handle.register(uri, callee, given, (exit) => {
        if (exit._tag === "Failure") return reject(fromCause(exit.cause))
        const made = new Registration(procedure, endpoint, given, this, exit.value.id, exit.value)
        callee.registration = made
        this.#registrations.set(made.id, made)
        resolve(made)
      })
    })
  }

  /** Unregisters (what `registration.unregister()` calls). */
  unregister(registration: Registration): Promise<void> {
    if (registration.session !== this || !registration.active) {
      return Promise.reject(new AutobahnError(StandardUri.NoSuchRegistration, ["registration not active"]))
    }
    return this.#host.runtime.runPromiseExit(Registration.heldBy(registration).unregister).then((exit) => {
      if (Exit.isFailure(exit)) throw fromCause(exit.cause)
    })
  }

  #details(invocation: Core.Invocation, signal: AbortSignal): Invocation {
    const details = invocation.details
    const progress = details.receive_progress
      ? (args?: Args, kwargs?: Kwargs) => {
        this.#host.runtime.runFork(invocation.progress(args ?? undefined, kwargs ?? undefined))
      }
      : null
    return new Invocation(
      details.procedure,
      progress,
      details.caller,
      details.caller_authid,
      details.caller_authrole,
      signal
    )
  }

  // -------------------------------------------------------------------------------------------
  // PubSub
  // -------------------------------------------------------------------------------------------

  /** Subscribes `handler(args, kwargs, details, subscription)` to a topic. */
  subscribe(topic: string, handler: EventHandler, options?: SubscribeOptions | null): Promise<Subscription> {
    const core = this.#core
    if (typeof handler !== "function") {
      return Promise.reject(new AutobahnError(StandardUri.InvalidArgument, ["handler must be a function"]))
    }
    const invalid = payloadError(undefined, undefined, options)
    if (invalid !== undefined) return Promise.reject(invalid)
    if (core === undefined || this.#ended) return Promise.reject(notOpen())
    const handle = this.#handle
    if (handle === undefined) return Promise.reject(notOpen())
    const sink = new SubscriptionSink(this.#owner, handler)
    const given = options ?? undefined
    return new Promise<Subscription>((resolve, reject) => {
      // Events are delivered by the session's dispatcher, in place: no fiber or stream per subscription.
      handle.subscribe(this.resolve(topic), given, sink, (exit) => {
        if (exit._tag === "Failure") return reject(fromCause(exit.cause))
        const made = new Subscription(topic, handler, given, this, exit.value.id, exit.value)
        sink.subscription = made
        const siblings = this.#subscriptions.get(made.id)
        if (siblings === undefined) this.#subscriptions.set(made.id, made)
        else if (Array.isArray(siblings)) siblings.push(made)
        else this.#subscriptions.set(made.id, [siblings, made])
        resolve(made)
      })
    })
  }

  /** Unsubscribes (what `subscription.unsubscribe()` calls): `true` when the router subscription ended. */
  unsubscribe(subscription: Subscription): Promise<boolean> {
    if (subscription.session !== this || !subscription.active) {
      return Promise.reject(new AutobahnError(StandardUri.NoSuchSubscription, ["subscription not active"]))
    }
    this.#forget(subscription)
    subscription.active = false
    const last = !this.#subscriptions.has(subscription.id)
    return this.#host.runtime.runPromiseExit(Subscription.heldBy(subscription).unsubscribe).then((exit) => {
      if (Exit.isFailure(exit)) throw fromCause(exit.cause)
      return last
    })
  }

  /**
   * Publishes. Returns `undefined`, or with `acknowledge: true` a Promise of the `Publication`.
   * Without acknowledgement a failure (session closed, unencodable payload) goes to `on_internal_error`.
   */
  publish(
    topic: string,
    args?: Args | null,
    kwargs?: Kwargs | null,
    options?: PublishOptions | null
  ): Promise<Publication> | undefined {
    const core = this.#core
    const invalid = payloadError(args, kwargs, options)
    const wire: { [option: string]: unknown } = { ...options }
    if (wire["disclose_me"] === undefined && this.publisher_disclose_me) wire["disclose_me"] = true
    const acknowledge = wire["acknowledge"] === true
    const failed = invalid ?? (core === undefined || this.#ended ? notOpen() : undefined)
    if (failed !== undefined || core === undefined) {
      if (acknowledge) return Promise.reject(failed)
      this.#host.onInternalError(failed, "publish failed:")
      return undefined
    }
    const effect = core.publish(this.resolve(topic), args ?? undefined, kwargs ?? undefined, wire)
    if (acknowledge) {
      return this.#host.runtime.runPromiseExit(effect).then((exit) => {
        if (Exit.isFailure(exit)) throw fromCause(exit.cause)
        return new Publication(exit.value ?? 0)
      })
    }
    this.#host.runtime.runFork(effect).addObserver((exit) => {
      if (Exit.isFailure(exit)) this.#host.onInternalError(fromCause(exit.cause), "publish failed:")
    })
    return undefined
  }

  #forget(subscription: Subscription): void {
    const siblings = this.#subscriptions.get(subscription.id)
    if (siblings === subscription) return void this.#subscriptions.delete(subscription.id)
    if (!Array.isArray(siblings)) return
    const index = siblings.indexOf(subscription)
    if (index >= 0) siblings.splice(index, 1)
    if (siblings.length === 1) this.#subscriptions.set(subscription.id, siblings[0]!)
  }
}

/** The router's reason when a subscriber's stream ended by revocation (Autobahn|JS resolves `on_unsubscribe` with it). */
const revocationReason = (exit: Exit.Exit<unknown, unknown>): string | undefined => {
  if (Exit.isSuccess(exit)) return undefined
  const failure = Cause.failureOption(exit.cause)
  return Option.isSome(failure) && failure.value instanceof SubscriptionRevokedError
    ? failure.value.reason ?? "revoked"
    : undefined
}
