/**
 * Small helpers on values that several layers need, defined once each.
 */

/**
 * The text of a thrown value or failure: an `Error`'s (or any object's) `message`, a string as it
 * is, anything else as JSON (never `[object Object]`), or as `String` gives it when that fails.
 */
export const errorText = (cause: unknown): string => {
  if (cause instanceof Error) return cause.message
  if (typeof cause === "object" && cause !== null && "message" in cause && typeof cause.message === "string") {
    return cause.message
  }
  if (typeof cause === "string") return cause
  try {
    return JSON.stringify(cause) ?? String(cause)
  } catch {
    return String(cause)
  }
}

/** The value if it is a string, else undefined: reads an optional string field of untyped details. */
export const optionalString = (u: unknown): string | undefined => typeof u === "string" ? u : undefined

/** Options given per use over a contract's defaults (a shallow merge); either may be absent. */
export const mergeOptions = <O extends object>(defaults: O | undefined, given: O | undefined): O | undefined =>
  defaults === undefined ? given : given === undefined ? defaults : { ...defaults, ...given }
