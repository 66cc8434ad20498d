/**
 * `autobahn.util`: the helpers Autobahn|JS exports there, with the same behaviour (including its
 * quirks, e.g. `is_object(null)` is `true`), so code using them runs unchanged. Not provided:
 * `http_post` / `http_get_json` (XMLHttpRequest helpers of its long-poll transport) and
 * `read_file` (which Autobahn|JS itself sets to `null` unless a global `fs` exists).
 */
import * as Base64 from "../internal/serializer/base64.js"
import { type Deferred, when } from "./when.js"

/**
 * Base64 text to bytes; `null` for an empty or missing text. As lenient as the platform's `atob`
 * (padding optional, whitespace skipped), which throws on anything else.
 */
export const atob = (text: string | null | undefined): Uint8Array | null =>
  text ? Uint8Array.from(globalThis.atob(text), (c) => c.charCodeAt(0)) : null

/** Bytes to base64 text; `null` for missing bytes. */
export const btoa = (bytes: ArrayLike<number> | null | undefined): string | null =>
  bytes ? Base64.encode(Uint8Array.from(bytes)) : null

/** Bytes to lower-case hex; `null` for missing bytes. */
export const btoh = (bytes: ArrayLike<number> | null | undefined): string | null => {
  if (!bytes) return null
  let hex = ""
  for (let i = 0; i < bytes.length; i++) hex += (bytes[i]! & 0xff).toString(16).padStart(2, "0")
  return hex
}

/** Hex to bytes; `null` for an empty or missing text. */
export const htob = (hex: string | null | undefined): Uint8Array | null => {
  if (!hex) return null
  if (typeof hex !== "string") throw new TypeError("Expected input to be a string")
  if (hex.length % 2 !== 0) throw new RangeError("Expected string to be an even number of characters")
  const bytes = new Uint8Array(hex.length / 2)
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16)
  return bytes
}

/** A normally distributed random number (Box–Muller), mean 0 and deviation 1 by default. */
export const rand_normal = (mean?: number, sd?: number): number => {
  let x1: number, x2: number, rad: number
  do {
    x1 = 2 * Math.random() - 1
    x2 = 2 * Math.random() - 1
    rad = x1 * x1 + x2 * x2
  } while (rad >= 1 || rad === 0)
  return (mean || 0) + x1 * Math.sqrt(-2 * Math.log(rad) / rad) * (sd || 1)
}

/**
 * Whether `value` is an object and not an array. Works across realms (objects from `vm`
 * contexts, where `instanceof Object` is false). As in Autobahn|JS, `null` and functions count.
 */
export const is_object = (value: unknown): boolean =>
  !Array.isArray(value) && (value instanceof Object || typeof value === "object")

/** Throws `Error(text)` (default "Assertion failed!") unless `condition` is truthy. */
export const assert = (condition: unknown, text?: string): void => {
  if (condition) return
  throw new Error(text || "Assertion failed!")
}

/**
 * Adds to `base` the keys of each later object that `base` lacks, left to right; a trailing
 * `true` merges nested objects too. Mutates and returns `base` (pass `{}` to keep it intact).
 */
export function defaults(...items: Array<unknown>): any {
  if (items.length === 0) return {}
  const base = items[0] as Record<string, unknown>
  let end = items.length
  let recursive = false
  if (typeof items[end - 1] === "boolean") {
    recursive = items[end - 1] as boolean
    end -= 1
  }
  for (let i = 1; i < end; i++) {
    const source = items[i]
    if (!source) continue
    if (typeof source !== "object") throw new Error(`Expected argument at index ${i} to be an object`)
    for (const key of Object.keys(source)) {
      const value = (source as Record<string, unknown>)[key]
      if (!(key in base)) base[key] = value
      else if (recursive && typeof value === "object" && typeof base[key] === "object") defaults(base[key], value)
    }
  }
  return base
}

/** Calls `handler(error, message)` when it is a function, else logs to `console.error`. */
export const handle_error = (handler: unknown, error: unknown, message?: string): void => {
  if (typeof handler === "function") handler(error, message)
  else console.error(message || "Unhandled exception raised: ", error)
}

/** A random WAMP global-scope id in [1, 2^53]. */
export const new_global_id = (): number => Math.floor(Math.random() * 9007199254740992) + 1

/** A native-Promise deferred, shaped like when.js's (`promise`, `resolve`, `reject`). */
const nativeDeferred = <T>() => {
  const deferred = {} as { promise: Promise<T>; resolve: (value: T) => void; reject: (reason?: unknown) => void }
  deferred.promise = new Promise<T>((resolve, reject) => {
    deferred.resolve = resolve
    deferred.reject = reject
  })
  return deferred
}

export interface DeferredFactoryOptions {
  /** Native Promises instead of when.js's. */
  readonly use_es6_promises?: boolean | undefined
  /** Your own deferred factory (e.g. `Q.defer`). */
  readonly use_deferred?: (() => unknown) | undefined
}

/** A function making deferreds: when.js's `when.defer` by default, as in Autobahn|JS. */
export const deferred_factory = (
  options?: DeferredFactoryOptions | null
): () => Deferred<any> | ReturnType<typeof nativeDeferred> | unknown => {
  if (options?.use_es6_promises) return nativeDeferred
  if (options?.use_deferred) return options.use_deferred
  return when.defer
}

/** The promise of a deferred made by `deferred_factory` (a jQuery-style deferred is its own promise). */
export const promise = (deferred: { readonly promise: any }): any =>
  deferred.promise && typeof deferred.promise.then === "function" ? deferred.promise : deferred

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/** Calls `f(...args)` and gives its result, or what it threw, as a Promise (never a throw). */
export function as_promise<A>(
  this: unknown,
  f: (...args: Array<any>) => A | PromiseLike<A>,
  ...args: Array<unknown>
): Promise<A> {
  return new Promise<A>((resolve) => resolve(f.apply(this, args)))
}
