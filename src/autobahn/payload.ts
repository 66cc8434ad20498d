/**
 * Payloads handed to Autobahn|JS code: plain mutable arrays and objects of their own, as Autobahn|JS
 * gives (`msg[4] || []`). The core shares frozen empties between messages without a payload; user
 * code writing into one of them must not change another message's payload, nor throw.
 */
import type { Args, Kwargs } from "./errors.js"

/** The message's args as a mutable array of its own (a fresh copy when the core's is shared). */
export const ownArgs = (args: ReadonlyArray<unknown>): Args => Object.isFrozen(args) ? [...args] : (args as Args)

/** The message's kwargs as a mutable object of its own (a fresh copy when the core's is shared). */
export const ownKwargs = (kwargs: { readonly [key: string]: unknown }): Kwargs =>
  Object.isFrozen(kwargs) ? { ...kwargs } : (kwargs as Kwargs)
