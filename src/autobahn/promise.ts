/**
 * The promise `session.call` returns: a native Promise that also speaks the when.js dialect code
 * written for Autobahn|JS uses (`then(ok, err, onProgress)`, `progress(cb)`), and keeps `cancel`
 * on every promise derived from it with `then` / `catch` / `finally`.
 */
import type { CancelMode } from "../Session.js"

/** A progress listener: receives each progressive result, unwrapped like the final one. */
export type ProgressListener = (progress: any) => void

/** What a call shares with every promise derived from it. */
export interface CallControl {
  readonly listen: (listener: ProgressListener) => void
  readonly cancel: (options?: CancelOptions) => void
}

export interface CancelOptions {
  /** The CANCEL mode; default the call's `cancel_mode` option, else `killnowait`. */
  readonly mode?: CancelMode | undefined
}

/** One call's progress listeners, fed by the facade and read by every derived promise. */
export class ProgressHub {
  private listeners: Array<ProgressListener> = []
  constructor(private readonly onListenerError: (error: unknown) => void) {}
  readonly listen = (listener: ProgressListener): void => {
    this.listeners.push(listener)
  }
  notify(value: unknown): void {
    for (const listener of this.listeners) {
      try {
        listener(value)
      } catch (error) {
        this.onListenerError(error)
      }
    }
  }
  clear(): void {
    this.listeners = []
  }
}

export class CallPromise<T> extends Promise<T> {
  /** A call's own promise, settled by `executor`, with `control`: nothing adopted, no extra hop. */
  static make<T>(
    executor: (resolve: (value: T) => void, reject: (reason: unknown) => void) => void,
    control: CallControl
  ): CallPromise<T> {
    const result = new CallPromise<T>(executor)
    result.control = control
    return result
  }

  /** A call that failed before it started: still a CallPromise, so `cancel` and `progress` exist. */
  static rejected(reason: unknown): CallPromise<never> {
    return CallPromise.make<never>((_, reject) => reject(reason), { listen: () => {}, cancel: () => {} })
  }

  private control: CallControl | undefined

  /** `then(onFulfilled, onRejected, onProgress)`: the third argument is when.js's progress handler. */
  override then<A = T, B = never>(
    onFulfilled?: ((value: T) => A | PromiseLike<A>) | null,
    onRejected?: ((reason: any) => B | PromiseLike<B>) | null,
    onProgress?: ProgressListener | null
  ): CallPromise<A | B> {
    // The derived promise is a CallPromise itself (the species), given the same control: no
    // wrapper promise adopting it, so `await` on a call costs no extra microtask hops.
    const next = super.then(onFulfilled, onRejected) as CallPromise<A | B>
    if (this.control === undefined) return next
    next.control = this.control
    if (typeof onProgress === "function") this.control.listen(onProgress)
    return next
  }

  override catch<B = never>(onRejected?: ((reason: any) => B | PromiseLike<B>) | null): CallPromise<T | B> {
    return this.then(undefined, onRejected)
  }

  override finally(onFinally?: (() => void) | null): CallPromise<T> {
    // Promise.prototype.finally goes through `then`, which passes the control on.
    return super.finally(onFinally) as CallPromise<T>
  }

  /** when.js style: `promise.progress(cb)` registers a progress listener and returns the same promise. */
  progress(listener: ProgressListener): this {
    this.control?.listen(listener)
    return this
  }

  /** Cancels the call on the router (CANCEL) and rejects it with `wamp.error.canceled`. */
  cancel(options?: CancelOptions): void {
    this.control?.cancel(options)
  }
}
