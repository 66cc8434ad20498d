/**
 * Payloads handed to Autobahn|JS code, shaped as Autobahn|JS gives them:
 * - plain mutable arrays and objects of their own (`msg[4] || []`). The core shares frozen empties
 *   between messages without a payload; user code writing into one of them must not change another
 *   message's payload, nor throw.
 * - byte strings as Node `Buffer`s where there is a `Buffer` (Autobahn|JS's msgpack5 and cbor give
 *   Buffers in Node): code calling `Buffer.isBuffer(x)` or `x.toString("hex")` keeps working, and a
 *   Buffer is a Uint8Array, so code expecting one does too. The Buffer is a view of the decoded
 *   bytes (no copy). Without a global `Buffer` (browsers) bytes stay `Uint8Array`s.
 */
import type { Args, Kwargs } from "./errors.js"

const NodeBuffer = (globalThis as { Buffer?: typeof Buffer }).Buffer

/** Payloads come from a decoder that bounds nesting; this bound only keeps the walk finite. */
const MAX_DEPTH = 512

const asBuffer = (bytes: Uint8Array): Uint8Array =>
  NodeBuffer === undefined || NodeBuffer.isBuffer(bytes)
    ? bytes
    : NodeBuffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)

/** The value with its byte strings as Buffers: containers changed in place (they are the message's own). */
const withBuffers = (value: unknown, depth: number): unknown => {
  if (typeof value !== "object" || value === null || depth > MAX_DEPTH) return value
  if (value instanceof Uint8Array) return asBuffer(value)
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const item = value[i]
      if (typeof item === "object" && item !== null) value[i] = withBuffers(item, depth + 1)
    }
  } else if (Object.getPrototypeOf(value) === Object.prototype || Object.getPrototypeOf(value) === null) {
    const dict = value as Record<string, unknown>
    for (const key in dict) {
      const item = dict[key]
      if (typeof item === "object" && item !== null) dict[key] = withBuffers(item, depth + 1)
    }
  }
  return value
}

/** A decoded payload value for Autobahn|JS code (byte strings as Buffers in Node). */
export const ownValue = (value: unknown): unknown => NodeBuffer === undefined ? value : withBuffers(value, 0)

/** The message's args as a mutable array of its own (a fresh copy when the core's is shared). */
export const ownArgs = (args: ReadonlyArray<unknown>): Args =>
  Object.isFrozen(args) ? [...args] : (ownValue(args) as Args)

/** The message's kwargs as a mutable object of its own (a fresh copy when the core's is shared). */
export const ownKwargs = (kwargs: { readonly [key: string]: unknown }): Kwargs =>
  Object.isFrozen(kwargs) ? { ...kwargs } : (ownValue(kwargs) as Kwargs)
