/**
 * Small helpers on values that several layers need, defined once each.
 */

/** The text of a thrown value: an `Error`'s message, anything else as `String` gives it. */
export const errorText = (cause: unknown): string => cause instanceof Error ? cause.message : String(cause)

/** The value if it is a string, else undefined: reads an optional string field of untyped details. */
export const optionalString = (u: unknown): string | undefined => typeof u === "string" ? u : undefined

/** Options given per use over a contract's defaults (a shallow merge); either may be absent. */
export const mergeOptions = <O extends object>(defaults: O | undefined, given: O | undefined): O | undefined =>
  defaults === undefined ? given : given === undefined ? defaults : { ...defaults, ...given }
