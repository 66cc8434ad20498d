/**
 * `autobahn.when`: the when.js library, as Autobahn|JS exports it (the `when` package, 3.7.8, the
 * version Autobahn|JS ships). Code written against Autobahn|JS uses `autobahn.when.defer()`,
 * `when.all(...)`, `promise.otherwise(...)`, ...; this is that same library, typed here. It accepts
 * the facade's native promises (any thenable) wherever it takes a promise.
 */
import whenJs from "when"

/** A when.js promise: Promises/A+ plus when.js's extras. */
export interface WhenPromise<T> extends PromiseLike<T> {
  /** The third argument receives progress updates (`deferred.notify`, deprecated in when.js). */
  then<A = T, B = never>(
    onFulfilled?: ((value: T) => A | PromiseLike<A>) | null,
    onRejected?: ((reason: any) => B | PromiseLike<B>) | null,
    onProgress?: ((update: any) => void) | null
  ): WhenPromise<A | B>
  catch<B = never>(onRejected?: ((reason: any) => B | PromiseLike<B>) | null): WhenPromise<T | B>
  otherwise<B = never>(onRejected?: ((reason: any) => B | PromiseLike<B>) | null): WhenPromise<T | B>
  finally(onSettled: () => unknown): WhenPromise<T>
  ensure(onSettled: () => unknown): WhenPromise<T>
  /** Consumes the promise: a rejection nobody handles is rethrown (asynchronously). */
  done(onResult?: (value: T) => unknown, onError?: (reason: any) => unknown): void
  tap(onFulfilledSideEffect: (value: T) => unknown): WhenPromise<T>
  spread<A>(onFulfilled: (...values: Array<any>) => A | PromiseLike<A>): WhenPromise<A>
  delay(ms: number): WhenPromise<T>
  /** Rejects with `when.TimeoutError` (or `reason`) unless settled within `ms`. */
  timeout(ms: number, reason?: unknown): WhenPromise<T>
  yield<A>(value: A | PromiseLike<A>): WhenPromise<A>
  else<A>(defaultValue: A): WhenPromise<T | A>
  orElse<A>(defaultValue: A): WhenPromise<T | A>
  progress(onProgress: (update: any) => void): WhenPromise<T>
  inspect(): { readonly state: "pending" | "fulfilled" | "rejected"; readonly value?: T; readonly reason?: any }
}

/** `when.defer()`: a promise with its settle functions. */
export interface Deferred<T> {
  readonly promise: WhenPromise<T>
  readonly resolve: (value?: T | PromiseLike<T>) => void
  readonly reject: (reason?: unknown) => void
  /** Sends a progress update to the promise's progress handlers (deprecated in when.js). */
  readonly notify: (update?: unknown) => void
  readonly resolver: {
    readonly resolve: (value?: T | PromiseLike<T>) => void
    readonly reject: (reason?: unknown) => void
    readonly notify: (update?: unknown) => void
  }
}

export interface SettledDescriptor<T> {
  readonly state: "fulfilled" | "rejected"
  readonly value?: T
  readonly reason?: any
}

type Awaited1<T> = T extends PromiseLike<infer A> ? A : T

export interface When {
  /** `when(x)`: a trusted promise for `x`; with handlers, `when(x).then(...)`. */
  <T>(value: T | PromiseLike<T>): WhenPromise<T>
  <T, A>(
    value: T | PromiseLike<T>,
    onFulfilled: (value: T) => A | PromiseLike<A>,
    onRejected?: (reason: any) => A | PromiseLike<A>,
    onProgress?: (update: any) => void
  ): WhenPromise<A>
  promise<T>(
    executor: (
      resolve: (value?: T | PromiseLike<T>) => void,
      reject: (reason?: unknown) => void,
      notify: (update?: unknown) => void
    ) => void
  ): WhenPromise<T>
  resolve<T>(value?: T | PromiseLike<T>): WhenPromise<T>
  reject<T = never>(reason?: unknown): WhenPromise<T>
  defer<T = any>(): Deferred<T>
  all<T>(
    values: ReadonlyArray<T | PromiseLike<T>> | PromiseLike<ReadonlyArray<T | PromiseLike<T>>>
  ): WhenPromise<Array<Awaited1<T>>>
  settle<T>(values: ReadonlyArray<T | PromiseLike<T>>): WhenPromise<Array<SettledDescriptor<Awaited1<T>>>>
  any<T>(values: ReadonlyArray<T | PromiseLike<T>>): WhenPromise<Awaited1<T>>
  some<T>(values: ReadonlyArray<T | PromiseLike<T>>, howMany: number): WhenPromise<Array<Awaited1<T>>>
  race<T>(values: ReadonlyArray<T | PromiseLike<T>>): WhenPromise<Awaited1<T>>
  join(...values: Array<unknown>): WhenPromise<Array<any>>
  map<T, A>(
    values: ReadonlyArray<T | PromiseLike<T>>,
    f: (value: T, index: number) => A | PromiseLike<A>
  ): WhenPromise<Array<A>>
  filter<T>(
    values: ReadonlyArray<T | PromiseLike<T>>,
    predicate: (value: T, index: number) => boolean | PromiseLike<boolean>
  ): WhenPromise<Array<T>>
  reduce<T, A>(
    values: ReadonlyArray<T | PromiseLike<T>>,
    f: (accumulator: A, value: T, index: number) => A | PromiseLike<A>,
    initial: A | PromiseLike<A>
  ): WhenPromise<A>
  reduceRight<T, A>(
    values: ReadonlyArray<T | PromiseLike<T>>,
    f: (accumulator: A, value: T, index: number) => A | PromiseLike<A>,
    initial: A | PromiseLike<A>
  ): WhenPromise<A>
  /** `when.try(f, ...args)`: calls `f` with resolved args; a throw becomes a rejection. */
  try<A>(f: (...args: Array<any>) => A | PromiseLike<A>, ...args: Array<unknown>): WhenPromise<A>
  attempt<A>(f: (...args: Array<any>) => A | PromiseLike<A>, ...args: Array<unknown>): WhenPromise<A>
  lift<A>(f: (...args: Array<any>) => A | PromiseLike<A>): (...args: Array<unknown>) => WhenPromise<A>
  isPromiseLike(value: unknown): value is PromiseLike<unknown>
  /** when.js's own promise constructor. */
  readonly Promise: new<T>(
    executor: (resolve: (value?: T | PromiseLike<T>) => void, reject: (reason?: unknown) => void) => void
  ) => WhenPromise<T>
  readonly TimeoutError: new(message?: string) => Error
}

export const when: When = whenJs as When
