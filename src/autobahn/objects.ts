/**
 * The plain objects Autobahn|JS hands to application code: what an endpoint and an event handler
 * receive, and what `register` / `subscribe` / `publish` resolve to.
 */
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

/** Settles a promise from outside (for `on_unregister` / `on_unsubscribe`). */
const settled = <T>(): { readonly promise: Promise<T>; readonly resolve: (value: T) => void } => {
  let resolve!: (value: T) => void
  const promise = new Promise<T>((ok) => {
    resolve = ok
  })
  return { promise, resolve }
}

export type Endpoint = (args: Args, kwargs: Kwargs, details: Invocation) => unknown

export class Registration {
  /** False once unregistered, revoked by the router, or the session has ended. */
  active = true
  /**
   * Settles when the registration ends: with the router's reason on revocation, `undefined` on
   * `unregister()` or when the session ends.
   */
  readonly on_unregister: Promise<string | undefined>
  /** @internal */
  readonly _ended: (reason: string | undefined) => void

  constructor(
    readonly procedure: string,
    readonly endpoint: Endpoint,
    readonly options: { readonly [option: string]: unknown },
    readonly session: Session,
    readonly id: number
  ) {
    const { promise, resolve } = settled<string | undefined>()
    this.on_unregister = promise
    this._ended = (reason) => {
      this.active = false
      resolve(reason)
    }
  }

  /** Unregisters from the router. */
  unregister(): Promise<void> {
    return this.session.unregister(this)
  }
}

export type EventHandler = (args: Args, kwargs: Kwargs, details: Event, subscription: Subscription) => void

export class Subscription {
  /** False once unsubscribed, revoked by the router, or the session has ended. */
  active = true
  /**
   * Settles when this subscription ends: with the router's reason on revocation, `undefined` on
   * `unsubscribe()` or when the session ends.
   */
  readonly on_unsubscribe: Promise<string | undefined>
  /** @internal */
  readonly _ended: (reason: string | undefined) => void

  constructor(
    readonly topic: string,
    readonly handler: EventHandler,
    readonly options: { readonly [option: string]: unknown },
    readonly session: Session,
    readonly id: number
  ) {
    const { promise, resolve } = settled<string | undefined>()
    this.on_unsubscribe = promise
    this._ended = (reason) => {
      this.active = false
      resolve(reason)
    }
  }

  /** Resolves `true` when the router subscription ended, `false` when other handlers of this session keep it. */
  unsubscribe(): Promise<boolean> {
    return this.session.unsubscribe(this)
  }
}
