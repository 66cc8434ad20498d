/**
 * `autobahn.Connection`: Autobahn|JS's callback API over the core's supervised `Connection`, run
 * on a `ManagedRuntime`. Each connection state the core reports becomes the matching callback:
 * `Open` → `onopen(session, details)`, `Retrying` / `Closed` → `onclose(reason, details)`.
 */
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import * as Authenticator from "../Authenticator.js"
import * as CoreConnection from "../Connection.js"
// The tag from its internal module: Serializer.ts imports the binary codecs (see codecs.ts).
import { Serializers } from "../internal/serializer/tags.js"
import * as Transport from "../Transport.js"
import { type CloseDetails, closeDetailsOf, type CloseReason, closeReasonOf } from "./close.js"
import { loadingCodecs } from "./codecs.js"
import {
  authenticatorOf,
  browserPlatform,
  type ConnectionOptions,
  type ErrorHandler,
  type Platform,
  retrySchedule,
  serializersOf,
  toServices,
  transportOf,
  unsupportedTransport
} from "./options.js"
import { Session, type SessionHost } from "./session.js"

export type { CloseDetails, CloseReason } from "./close.js"

/** WELCOME.Details, plus where the session runs. */
export interface OpenDetails {
  readonly authid?: string
  readonly authrole?: string
  readonly authmethod?: string
  readonly authprovider?: string
  readonly authextra?: { readonly [key: string]: unknown }
  readonly roles?: { readonly [role: string]: unknown }
  readonly transport: { readonly type: string; readonly url: string | null }
  readonly [key: string]: unknown
}

const reportTo = (handler: ErrorHandler | undefined) => (error: unknown, message: string) => {
  if (typeof handler === "function") handler(error, message)
  else console.error(message, error)
}

/** What runs between `open()` and the final close. */
interface Running {
  readonly core: CoreConnection.ConnectionService
  readonly scope: Scope.CloseableScope
  state: CoreConnection.ConnectionState["_tag"]
  /** `onclose` returned true: the close that follows is ours, not reported again. */
  silenced: boolean
}

export class Connection {
  /** Called with each new session. */
  onopen: ((session: Session, details: OpenDetails) => void) | null = null
  /**
   * Called when a session ends or a connect fails; returning `true` stops retrying (a Promise does
   * not count).
   */
  onclose: ((reason: CloseReason, details: CloseDetails) => boolean | void | unknown) | null = null

  readonly #options: ConnectionOptions
  readonly #runtime: ManagedRuntime.ManagedRuntime<never, never>
  readonly #host: SessionHost
  #running: Running | undefined
  #session: Session | null = null

  constructor(options: ConnectionOptions) {
    this.#options = options
    this.#runtime = ManagedRuntime.make(options.tracer === undefined ? Layer.empty : Layer.setTracer(options.tracer))
    this.#host = {
      runtime: this.#runtime,
      realm: options.realm,
      onUserError: reportTo(options.on_user_error),
      onInternalError: reportTo(options.on_internal_error),
      leave: (reason, message) => {
        if (this.#running !== undefined) this.#closeRunning(this.#running, reason, message)
      }
    }
  }

  /** The open session, or `null`. */
  get session(): Session | null {
    return this.#session
  }

  get isOpen(): boolean {
    return this.#session?.isOpen ?? false
  }

  /** Whether a transport is up or being set up. */
  get isConnected(): boolean {
    const state = this.#running?.state
    return state === "Open" || state === "Connecting"
  }

  /** Whether the connection is waiting to reconnect, or reconnecting. */
  get isRetrying(): boolean {
    const running = this.#running
    return running !== undefined && this.#runtime.runSync(running.core.isRetrying)
  }

  /**
   * How transports are made: the global WebSocket here; the Node entry point's subclass gives `ws`
   * and RawSocket.
   * @internal
   */
  protected platform(): Platform {
    return browserPlatform
  }

  /** Opens the connection; it then retries per the options until closed. Throws if already open. */
  open(): void {
    if (this.#running !== undefined) throw new Error("connection already open (or opening)")
    const options = this.#options
    const context = Layer.mergeAll(
      Layer.succeed(Transport.Transport, loadingCodecs(transportOf(options, this.platform()) ?? unsupportedTransport)),
      Layer.succeed(Serializers, toServices(serializersOf(options))),
      Layer.succeed(
        Authenticator.Authenticator,
        authenticatorOf(options, () => new Session(undefined, this.#host))
      )
    )
    const scope = this.#runtime.runSync(Scope.make())
    const core = this.#runtime.runSync(
      CoreConnection.make({
        realm: options.realm,
        retry: retrySchedule(options),
        retryFirstConnect: options.retry_if_unreachable ?? true,
        // Operations go to one session object each, never routed: nothing waits for the next one.
        whenDisconnected: "failFast"
      }).pipe(Effect.provide(context), Scope.extend(scope))
    )
    const running: Running = { core, scope, state: "Connecting", silenced: false }
    this.#running = running
    this.#runtime.runFork(
      Stream.runForEach(core.changes, (state) => Effect.sync(() => this.#transition(running, state)))
    )
  }

  /**
   * Leaves gracefully (GOODBYE) and stops retrying, also during a retry wait. `onclose` then
   * reports "closed". Throws if the connection is not open or retrying, as Autobahn|JS does.
   * Resolves once everything has ended.
   */
  close(reason?: string, message?: string): Promise<void> {
    const running = this.#running
    if (running === undefined || running.state === "Closed") throw new Error("connection already closed")
    return this.#closeRunning(running, reason, message)
  }

  #closeRunning(running: Running, reason: string | undefined, message: string | undefined): Promise<void> {
    return this.#runtime.runPromise(Effect.zipRight(running.core.close(reason, message), running.core.closed)).then(
      () => undefined
    )
  }

  #transition(running: Running, state: CoreConnection.ConnectionState): void {
    running.state = state._tag
    switch (state._tag) {
      case "Connecting":
        return
      case "Open": {
        const session = new Session(state.session, this.#host)
        this.#session = session
        const info = state.info
        const details: OpenDetails = {
          ...info.details,
          transport: { type: this.#transportType(), url: this.#options.url ?? null }
        }
        this.#callUser(
          () => this.onopen?.(session, details),
          "Exception raised from app code while firing Connection.onopen()"
        )
        return
      }
      case "Retrying": {
        this.#session = null
        if (running.silenced) return
        const stop = this.#fireClose(state.details)
        if (stop) {
          running.silenced = true
          void this.#closeRunning(running, undefined, undefined)
        }
        return
      }
      case "Closed": {
        this.#session = null
        if (this.#running === running) this.#running = undefined
        if (!running.silenced) this.#fireClose(state.details)
        this.#runtime.runFork(Scope.close(running.scope, Exit.void))
        return
      }
    }
  }

  /** Calls `onclose`; true when it asked to stop retrying. */
  #fireClose(details: CoreConnection.CloseDetails): boolean {
    let stop: unknown = false
    this.#callUser(() => {
      stop = this.onclose?.(closeReasonOf(details), closeDetailsOf(details))
    }, "Exception raised from app code while firing Connection.onclose()")
    return stop === true
  }

  #callUser(f: () => void, message: string): void {
    try {
      f()
    } catch (error) {
      this.#host.onUserError(error, message)
    }
  }

  #transportType(): string {
    return this.#options.transports?.[0]?.type ?? "websocket"
  }
}
