/**
 * `autobahn.Error` and `autobahn.Result`, and the translation of the core's typed failures into
 * the one error type Autobahn|JS code catches.
 */
import * as Cause from "effect/Cause"
import * as Option from "effect/Option"
import { AuthenticationError, EncodeError, ProtocolError, SessionClosedError } from "../Errors.js"
import { errorText } from "../internal/values.js"
import { StandardUri, WampError } from "../WampError.js"
import { ownArgs, ownKwargs, ownValue } from "./payload.js"

/** Positional arguments of a WAMP payload. */
export type Args = Array<unknown>
/** Keyword arguments of a WAMP payload. */
export type Kwargs = { [key: string]: unknown }

/**
 * A WAMP error: thrown by an endpoint to send that ERROR, and what every rejected promise of the
 * facade carries. Unlike Autobahn|JS's, it is a real `Error` (with `message` and `stack`).
 */
class AutobahnError extends globalThis.Error {
  /** The error URI, e.g. `wamp.error.no_such_procedure` or an application URI. */
  readonly error: string
  readonly args: Args
  readonly kwargs: Kwargs

  constructor(error: string, args?: Args | null, kwargs?: Kwargs | null) {
    const first = args?.[0]
    super(typeof first === "string" ? `${error}: ${first}` : error)
    this.name = "autobahn.Error"
    this.error = error
    this.args = args ?? []
    this.kwargs = kwargs ?? {}
  }
}

export { AutobahnError as Error }

/** Several positional results or any keyword result (what a call resolves to, or an endpoint returns). */
export class Result {
  readonly args: Args
  readonly kwargs: Kwargs
  constructor(args?: Args | null, kwargs?: Kwargs | null) {
    this.args = args ?? []
    this.kwargs = kwargs ?? {}
  }
}

/** Any failure of the core (or a defect) as an `autobahn.Error`. */
export const fromFailure = (failure: unknown): AutobahnError => {
  if (failure instanceof AutobahnError) return failure
  if (failure instanceof WampError) {
    return new AutobahnError(failure.error, ownArgs([...failure.args]), ownKwargs({ ...failure.kwargs }))
  }
  if (failure instanceof SessionClosedError) {
    return new AutobahnError(failure.reason, failure.message === "" ? [] : [failure.message])
  }
  if (failure instanceof ProtocolError) return new AutobahnError(StandardUri.ProtocolViolation, [failure.message])
  if (failure instanceof AuthenticationError) {
    return new AutobahnError(StandardUri.CannotAuthenticate, [failure.message])
  }
  // Autobahn|JS lets the serializer's TypeError escape synchronously and leaves the request pending;
  // the facade rejects instead (never a throw), with the URI a WAMP peer would use for it.
  if (failure instanceof EncodeError) return new AutobahnError(StandardUri.InvalidPayload, [failure.message])
  return new AutobahnError(StandardUri.RuntimeError, [errorText(failure)])
}

/** The failure (or defect) in a Cause as an `autobahn.Error`. */
export const fromCause = (cause: Cause.Cause<unknown>): AutobahnError => {
  const failure = Cause.failureOption(cause)
  if (Option.isSome(failure)) return fromFailure(failure.value)
  const defect = Cause.dieOption(cause)
  if (Option.isSome(defect)) return fromFailure(defect.value)
  return new AutobahnError(StandardUri.Canceled, ["Cancelled"])
}

/** What an endpoint threw, as the core's `WampError` (anything else becomes `runtime_error` with its message). */
export const toWampError = (thrown: unknown): WampError =>
  thrown instanceof AutobahnError
    ? new WampError({ error: thrown.error, args: thrown.args, kwargs: thrown.kwargs, details: {} })
    : new WampError({ error: StandardUri.RuntimeError, args: [errorText(thrown)], kwargs: {}, details: {} })

/** Autobahn|JS's call result: one positional value, a `Result` for anything richer, `null` for nothing. */
export const unwrap = (args: ReadonlyArray<unknown>, kwargs: { readonly [key: string]: unknown }): unknown => {
  if (args.length > 1 || Object.keys(kwargs).length > 0) return new Result(ownArgs([...args]), ownKwargs({ ...kwargs }))
  return args.length === 1 ? ownValue(args[0]) : null
}
