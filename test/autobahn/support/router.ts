/**
 * The test-kit router served on loopback (WebSocket and RawSocket) for Promise-style facade tests,
 * and small helpers to wait on callbacks without timing assertions.
 */
import { Effect, Exit, Scope } from "effect"
import * as Router from "../../../src/testing/Router.js"

export interface Served {
  readonly router: Router.RouterService
  readonly url: string
  readonly host: string
  readonly rawSocketPort: number
  readonly run: <A, E>(effect: Effect.Effect<A, E>) => Promise<A>
  readonly close: () => Promise<void>
}

export const serve = async (config: Router.Config = { realms: ["realm1"], goodbyeTimeout: 300 }): Promise<Served> => {
  const scope = await Effect.runPromise(Scope.make())
  const router = await Effect.runPromise(Scope.extend(Router.make(config), scope))
  const bound = await Effect.runPromise(
    Scope.extend(router.serve({ host: "127.0.0.1", port: 0, rawSocketPort: 0 }), scope)
  )
  return {
    router,
    url: `ws://127.0.0.1:${bound.port}/ws`,
    host: "127.0.0.1",
    rawSocketPort: bound.rawSocketPort!,
    run: (effect) => Effect.runPromise(effect),
    close: () => Effect.runPromise(Scope.close(scope, Exit.void))
  }
}

/** A promise with its settle functions, for turning callbacks into awaitable values. */
export const deferred = <T>() => {
  let resolve!: (value: T) => void
  let reject!: (reason: unknown) => void
  const promise = new Promise<T>((ok, fail) => {
    resolve = ok
    reject = fail
  })
  return { promise, resolve, reject }
}

/** Rejects after `ms` so a broken test fails instead of hanging (a bound, not a timing assertion). */
export const within = <T>(promise: Promise<T>, ms = 5000, what = "operation"): Promise<T> =>
  new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms)
    promise.then(
      (value) => {
        clearTimeout(timer)
        resolve(value)
      },
      (error) => {
        clearTimeout(timer)
        reject(error)
      }
    )
  })

/** Polls `check` (bounded) until it is true. */
export const until = async (check: () => boolean, what = "condition", tries = 200): Promise<void> => {
  for (let i = 0; i < tries; i++) {
    if (check()) return
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  throw new Error(`${what} not reached`)
}
