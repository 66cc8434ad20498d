/**
 * Small conversions between user-facing values and message fields, shared by RPC and PubSub.
 */
import * as Cause from "effect/Cause"
import * as Option from "effect/Option"
import type { Dict, List } from "../../Message.js"
import * as Passthru from "../../Passthru.js"
import * as Uri from "../../Uri.js"
import * as WampError from "../../WampError.js"
import { errorText } from "../values.js"

// Absent args/kwargs come back as these two shared values: frozen, so that no handler can change
// what every later message without a payload would carry. The Effect API types them readonly; the
// Autobahn facade, whose users expect mutable objects, hands out fresh copies instead.
const EMPTY_LIST: List = Object.freeze([])
const EMPTY_DICT: Dict = Object.freeze({})

/** The `args`/`kwargs` fields of a message, present only when given (exact optional properties). */
export const payload = (
  args: List | undefined,
  kwargs: Dict | undefined
): { readonly args?: List; readonly kwargs?: Dict } => {
  if (kwargs !== undefined) return { args: args ?? EMPTY_LIST, kwargs }
  if (args !== undefined) return { args }
  return {}
}

/** A bare binary payload (Autobahn|Python's transparent form) reads as `[bytes]`, as the spec form is. */
export const argsOf = (
  message: { readonly args?: List | undefined; readonly payload?: Uint8Array | undefined }
): List => message.payload !== undefined ? [message.payload] : message.args ?? EMPTY_LIST
export const kwargsOf = (message: { readonly kwargs?: Dict | undefined }): Dict => message.kwargs ?? EMPTY_DICT

/** User options as WAMP Options: drops `undefined` values and our local-only keys. */
export const wireOptions = (
  options: { readonly [key: string]: unknown } | undefined,
  localOnly: ReadonlyArray<string>
): Record<string, unknown> => {
  const out: Record<string, unknown> = {}
  if (options === undefined) return out
  for (const key in options) {
    const value = options[key]
    if (value !== undefined && !localOnly.includes(key)) out[key] = value
  }
  return out
}

/** What an outgoing CALL / PUBLISH / YIELD carries: its options and its payload fields. */
export interface Outgoing {
  readonly options: Record<string, unknown>
  readonly fields: { readonly args?: List; readonly kwargs?: Dict; readonly payload?: Uint8Array }
}

/**
 * Options and payload of an outgoing message. With a `passthru` payload (never sent as an option)
 * args/kwargs must be absent, the payload valid (`Passthru.validate`) and the router's role must
 * announce the form's feature: sending it otherwise is a protocol violation, so it fails here
 * with `wamp.error.invalid_argument` / `wamp.error.feature_not_supported` and nothing is sent.
 */
export const outgoing = (
  options: { readonly [key: string]: unknown } | undefined,
  localOnly: ReadonlyArray<string>,
  args: List | undefined,
  kwargs: Dict | undefined,
  passthru: Passthru.Passthru | undefined,
  routerSupports: (feature: string) => boolean
): Outgoing | WampError.WampError => {
  const wire = wireOptions(options, localOnly)
  if (passthru === undefined) return { options: wire, fields: payload(args, kwargs) }
  if ((args !== undefined && args.length > 0) || (kwargs !== undefined && Object.keys(kwargs).length > 0)) {
    return WampError.make(WampError.StandardUri.InvalidArgument, {
      args: ["a passthru payload replaces args and kwargs"]
    })
  }
  const invalid = Passthru.validate(passthru)
  if (invalid !== undefined) return WampError.make(WampError.StandardUri.InvalidArgument, { args: [invalid] })
  const feature = Passthru.featureOf(passthru.form)
  if (!routerSupports(feature)) {
    return WampError.make(WampError.StandardUri.FeatureNotSupported, {
      args: [`the router does not announce ${feature}`]
    })
  }
  const { options: ppt, ...fields } = Passthru.toWire(passthru)
  return { options: { ...wire, ...ppt }, fields }
}

/**
 * The last exact URI found valid: calls and publishes usually repeat one procedure or topic, and
 * comparing to it is cheaper than the URI expression (~0.25 µs per call in the peers bench profile).
 */
let lastValidExact: string | undefined = undefined

/** Rejects a bad URI locally with `wamp.error.invalid_uri` before anything is sent. */
export const checkUri = (
  uri: string,
  match: "exact" | "prefix" | "wildcard" | undefined
): WampError.WampError | undefined => {
  const exact = match === undefined || match === "exact"
  if (exact && lastValidExact !== undefined && uri === lastValidExact) return undefined
  if (Uri.isValid(uri, match ?? "exact")) {
    if (exact) lastValidExact = uri
    return undefined
  }
  return WampError.make(WampError.StandardUri.InvalidUri, {
    args: [`invalid URI ${JSON.stringify(uri)}${match && match !== "exact" ? ` for match "${match}"` : ""}`]
  })
}

export const errorFromMessage = (message: {
  readonly error: string
  readonly details: Dict
  readonly args?: List
  readonly kwargs?: Dict
}): WampError.WampError =>
  new WampError.WampError({
    error: message.error,
    details: message.details,
    args: argsOf(message),
    kwargs: kwargsOf(message)
  })

/**
 * The ERROR a callee sends for a failed handler: a `WampError` as it is; anything else (a failure
 * of another type, a defect) as `wamp.error.runtime_error` carrying its message, never `[{}]`.
 */
export const errorForCause = (cause: Cause.Cause<unknown>): WampError.WampError => {
  const failure = Cause.failureOption(cause)
  if (Option.isSome(failure)) {
    if (failure.value instanceof WampError.WampError) return failure.value
    return WampError.make(WampError.StandardUri.RuntimeError, { args: [errorText(failure.value)] })
  }
  const defect = Cause.dieOption(cause)
  return WampError.make(WampError.StandardUri.RuntimeError, {
    args: [Option.isSome(defect) ? errorText(defect.value) : Cause.pretty(cause)]
  })
}
