/**
 * The plain objects Autobahn|JS hands to application code: what an endpoint and an event handler
 * receive, and what `register` / `subscribe` / `publish` resolve to.
 */
import type { RegistrationEntry } from "../internal/session/callee.js"
import type { DirectSubscription } from "../internal/session/pubsub.js"
import type { Args, Kwargs } from "./errors.js"
import type { Session } from "./session.js"

/** Sends a progressive result to the caller: present only when the caller asked for progress. */
export type ProgressSender = (args?: Args, kwargs?: Kwargs) => void

/** The details an endpoint receives as its third argument. */
export class Invocation {
  /**
   * Aborted when the caller cancels (INTERRUPT) or the session ends: an addition to Autobahn|JS.
   * Not enumerable, so the details' own keys stay Autobahn|JS's five (code logs or copies them).
   */
  declare readonly signal: AbortSignal | undefined

  constructor(
    /** The concrete procedure called (pattern registrations), else the registered one. */
    readonly procedure: string,
    readonly progress: ProgressSender | null,
    readonly caller: number | undefined,
    readonly caller_authid: string | undefined,
    readonly caller_authrole: string | undefined,
    signal?: AbortSignal
  ) {
    Object.defineProperty(this, "signal", { value: signal, enumerable: false })
  }
}

/** The details an event handler receives as its third argument. */
export class Event {
  constructor(
    readonly publication: number,
    /** The concrete topic (pattern subscriptions), else the subscribed one. */
    readonly topic: string,
    readonly publisher: number | undefined,
    readonly publisher_authid: string | undefined,
    readonly publisher_authrole: string | undefined,
    readonly retained: boolean,
    readonly forward_for: unknown
  ) {}
}

/** What `publish(..., { acknowledge: true })` resolves to. */
export class Publication {
  constructor(readonly id: number) {}
}

/** A registration's or subscription's options, as given (Autobahn|JS code may read and change them). */
export type Options = { [option: string]: unknown }

/** How an `Ending` ended, and its Promise: made only when it ends or someone asks for the Promise. */
interface EndState {
  done: boolean
  reason: string | undefined
  promise: Promise<string | undefined> | undefined
  resolve: ((reason: string | undefined) => void) | undefined
}

/**
 * The end of a registration or subscription: `on_unregister` / `on_unsubscribe`, a Promise made
 * only when someone asks for it (a session may hold 100,000 of these objects: two fields beyond
 * Autobahn|JS's, the end state made lazily and the core's entry the facade acts on).
 */
abstract class Ending<Held> {
  /** False once it ended (unregistered / unsubscribed, revoked by the router, or the session ended). */
  active = true
  #end: EndState | undefined = undefined
  readonly #held: Held
  #options: Options | undefined

  constructor(held: Held, options: Options | undefined) {
    this.#held = held
    this.#options = options
  }

  /** The options it was made with; without any, an object of its own, made when first read. */
  get options(): Options {
    return this.#options ??= {}
  }

  /** @internal The core's entry behind this object (the facade's, not application code's). */
  static heldBy<H>(ending: Ending<H>): H {
    return ending.#held
  }

  protected get ending(): Promise<string | undefined> {
    const state = this.#end ??= { done: false, reason: undefined, promise: undefined, resolve: undefined }
    return state.promise ??= state.done ? Promise.resolve(state.reason) : new Promise((resolve) => {
      state.resolve = resolve
    })
  }

  /** @internal */
  _ended(reason: string | undefined): void {
    this.active = false
    const state = this.#end
    if (state === undefined) {
      this.#end = { done: true, reason, promise: undefined, resolve: undefined }
      return
    }
    if (state.done) return
    state.done = true
    state.reason = reason
    const resolve = state.resolve
    state.resolve = undefined
    resolve?.(reason)
  }
}

export type Endpoint = (args: Args, kwargs: Kwargs, details: Invocation) => unknown

export class Registration extends Ending<RegistrationEntry> {
  constructor(
    readonly procedure: string,
    readonly endpoint: Endpoint,
    options: Options | undefined,
    readonly session: Session,
    readonly id: number,
    entry: RegistrationEntry
  ) {
    super(entry, options)
  }

  /**
   * Settles when the registration ends: with the router's reason on revocation, `undefined` on
   * `unregister()` or when the session ends.
   */
  get on_unregister(): Promise<string | undefined> {
    return this.ending
  }

  /** Unregisters from the router. */
  unregister(): Promise<void> {
    return this.session.unregister(this)
  }
}

export type EventHandler = (args: Args, kwargs: Kwargs, details: Event, subscription: Subscription) => void

export class Subscription extends Ending<DirectSubscription> {
  constructor(
    readonly topic: string,
    readonly handler: EventHandler,
    options: Options | undefined,
    readonly session: Session,
    readonly id: number,
    direct: DirectSubscription
  ) {
    super(direct, options)
  }

  /**
   * Settles when this subscription ends: with the router's reason on revocation, `undefined` on
   * `unsubscribe()` or when the session ends.
   */
  get on_unsubscribe(): Promise<string | undefined> {
    return this.ending
  }

  /** Resolves `true` when the router subscription ended, `false` when other handlers of this session keep it. */
  unsubscribe(): Promise<boolean> {
    return this.session.unsubscribe(this)
  }
}
