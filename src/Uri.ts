/**
 * Uri: the WAMP URI rules (spec "Identifiers" / "URIs"), for checking a procedure, topic or error
 * URI before it is sent. Every session operation applies them (a bad URI fails locally with
 * `wamp.error.invalid_uri`); they are exported for code that validates URIs of its own. The
 * standard error and close URIs themselves are `WampError.StandardUri`.
 *
 * Loose URIs are what the spec says every peer MUST accept: components of anything but `.`, `#` and
 * whitespace. Strict URIs (lower-case letters, digits, `_`) are a SHOULD, offered for users who want it.
 * Empty components are only meaningful in subscription/registration patterns.
 */
import * as Either from "effect/Either"

/** How a URI is matched by the router; decides which empty components are allowed. */
export type Match = "exact" | "prefix" | "wildcard"

const loose = /^([^\s.#]+\.)*([^\s.#]+)$/u
const looseWithEmpty = /^(([^\s.#]+\.)|\.)*([^\s.#]+)?$/u
const loosePrefix = /^([^\s.#]+\.)*([^\s.#]*)$/u
const strict = /^([0-9a-z_]+\.)*([0-9a-z_]+)$/
const strictWithEmpty = /^(([0-9a-z_]+\.)|\.)*([0-9a-z_]+)?$/
const strictPrefix = /^([0-9a-z_]+\.)*([0-9a-z_]*)$/

/** Loose URI, no empty component: the form of realms, error URIs, close reasons, exact topics/procedures. */
export const isLoose = (uri: string): boolean => loose.test(uri)

/** Loose URI whose components may be empty: a wildcard pattern such as `com..update`. */
export const isLooseWithEmpty = (uri: string): boolean => looseWithEmpty.test(uri)

/** Loose URI whose last component may be empty: a prefix pattern such as `com.myapp.`. */
export const isLoosePrefix = (uri: string): boolean => loosePrefix.test(uri)

/** Strict URI (lower-case letters, digits and `_` only), no empty component. */
export const isStrict = (uri: string): boolean => strict.test(uri)

/** Strict URI whose components may be empty (strict wildcard pattern). */
export const isStrictWithEmpty = (uri: string): boolean => strictWithEmpty.test(uri)

/** Strict URI whose last component may be empty (strict prefix pattern). */
export const isStrictPrefix = (uri: string): boolean => strictPrefix.test(uri)

/**
 * Whether a user-supplied topic/procedure URI is acceptable for the given match policy (default `"exact"`),
 * as loose URIs: `exact` forbids empty components, `prefix` allows an empty last component, `wildcard`
 * allows empty components anywhere.
 */
export const isValid = (uri: string, match: Match = "exact"): boolean => {
  switch (match) {
    case "exact":
      return isLoose(uri)
    case "prefix":
      return isLoosePrefix(uri)
    case "wildcard":
      return isLooseWithEmpty(uri)
  }
}

/** Whether `uri` starts with the reserved `wamp` component (the protocol and meta API own `wamp.*`). */
export const isReserved = (uri: string): boolean => uri === "wamp" || uri.startsWith("wamp.")

/**
 * Validates a user-supplied URI before sending it; the Left carries a readable message. The session uses it
 * so a bad URI fails the user's call locally instead of costing an ERROR round trip (or an ABORT).
 */
export const validate = (uri: unknown, match: Match = "exact"): Either.Either<string, string> => {
  if (typeof uri !== "string") {
    return Either.left(`URI must be a string, got ${typeof uri}`)
  }
  if (isValid(uri, match)) return Either.right(uri)
  const allowed = match === "exact"
    ? "non-empty components"
    : match === "prefix"
    ? "non-empty components (the last may be empty)"
    : "components (possibly empty)"
  return Either.left(
    `invalid URI ${JSON.stringify(uri)} for match "${match}": expected ${allowed} without whitespace or "#"`
  )
}
