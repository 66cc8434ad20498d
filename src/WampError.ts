/**
 * `WampError`: an ERROR or ABORT received from the other side, with the standard URIs as data and
 * readable refinements instead of a class per URI. One tag serves every URI, so `catchTag` cannot
 * tell `no_such_procedure` from an application error: `catchUri` and the `is…` refinements can, and
 * they narrow `error` to the URI they matched.
 */
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import { dual } from "effect/Function"

export class WampError extends Data.TaggedError("WampError")<{
  /** The error URI, e.g. `wamp.error.no_such_procedure` or an application URI. */
  readonly error: string
  readonly args: ReadonlyArray<unknown>
  readonly kwargs: { readonly [key: string]: unknown }
  readonly details: { readonly [key: string]: unknown }
}> {
  /**
   * The URI and the peer's explanation: the first argument when it is a string (what ERROR
   * usually carries), else `details.message` (what ABORT and GOODBYE carry).
   */
  override get message(): string {
    const first = this.args[0]
    if (typeof first === "string") return `${this.error}: ${first}`
    const text = this.details["message"]
    return typeof text === "string" && text !== "" ? `${this.error}: ${text}` : this.error
  }
}

/** Builds a WampError with empty payload unless given. */
export const make = (
  error: string,
  options?: {
    readonly args?: ReadonlyArray<unknown> | undefined
    readonly kwargs?: { readonly [key: string]: unknown } | undefined
    readonly details?: { readonly [key: string]: unknown } | undefined
  }
): WampError =>
  new WampError({ error, args: options?.args ?? [], kwargs: options?.kwargs ?? {}, details: options?.details ?? {} })

/**
 * The standard URIs of the spec (basic + advanced) and the de-facto ones every router uses: error
 * URIs (`wamp.error.*`) and close reasons (`wamp.close.*`).
 */
export const StandardUri = {
  InvalidUri: "wamp.error.invalid_uri",
  NoSuchProcedure: "wamp.error.no_such_procedure",
  ProcedureAlreadyExists: "wamp.error.procedure_already_exists",
  ProcedureExistsWithDifferentInvocationPolicy: "wamp.error.procedure_exists_with_different_invocation_policy",
  NoSuchRegistration: "wamp.error.no_such_registration",
  NoSuchSubscription: "wamp.error.no_such_subscription",
  NoSuchSession: "wamp.error.no_such_session",
  InvalidArgument: "wamp.error.invalid_argument",
  Canceled: "wamp.error.canceled",
  Timeout: "wamp.error.timeout",
  PayloadSizeExceeded: "wamp.error.payload_size_exceeded",
  InvalidPayload: "wamp.error.invalid_payload",
  ProtocolViolation: "wamp.error.protocol_violation",
  NotAuthorized: "wamp.error.not_authorized",
  AuthorizationFailed: "wamp.error.authorization_failed",
  AuthenticationFailed: "wamp.error.authentication_failed",
  AuthenticationDenied: "wamp.error.authentication_denied",
  NoSuchRealm: "wamp.error.no_such_realm",
  NoSuchRole: "wamp.error.no_such_role",
  NoSuchPrincipal: "wamp.error.no_such_principal",
  NoMatchingAuthMethod: "wamp.error.no_matching_auth_method",
  CannotAuthenticate: "wamp.error.cannot_authenticate",
  RuntimeError: "wamp.error.runtime_error",
  FeatureNotSupported: "wamp.error.feature_not_supported",
  OptionNotAllowed: "wamp.error.option_not_allowed",
  Unavailable: "wamp.error.unavailable",
  NoAvailableCallee: "wamp.error.no_available_callee",
  CloseNormal: "wamp.close.normal",
  CloseSystemShutdown: "wamp.close.system_shutdown",
  CloseRealm: "wamp.close.close_realm",
  GoodbyeAndOut: "wamp.close.goodbye_and_out",
  Killed: "wamp.close.killed",
  TransportLost: "wamp.close.transport_lost"
} as const

/**
 * @deprecated Use `StandardUri`: `Uri` is also the name of the URI-rules module (`effect-wamp/Uri`),
 * so code that needed both had to rename one on import.
 */
export const Uri = StandardUri

/** A `WampError` known to carry one of the URIs `U`. */
export type WampErrorWith<U extends string> = WampError & { readonly error: U }

/** A refinement: a `WampError` whose URI is `uri` (or one of `uri`). */
export const is = <const U extends string>(uri: U | ReadonlyArray<U>) => {
  if (typeof uri === "string") return (u: unknown): u is WampErrorWith<U> => u instanceof WampError && u.error === uri
  const uris: ReadonlySet<string> = new Set(uri)
  return (u: unknown): u is WampErrorWith<U> => u instanceof WampError && uris.has(u.error)
}

/**
 * Recovers from a `WampError` with the URI `uri` (or one of `uri`); every other failure, other
 * `WampError`s included, passes through. The handler sees `error` narrowed to the URIs matched.
 *
 * ```ts
 * session.call("com.example.add", [1, 2]).pipe(
 *   WampError.catchUri(WampError.StandardUri.NoSuchProcedure, () => Effect.succeed(fallback))
 * )
 * ```
 */
export const catchUri: {
  <const U extends string, A2, E2, R2>(
    uri: U | ReadonlyArray<U>,
    f: (error: WampErrorWith<U>) => Effect.Effect<A2, E2, R2>
  ): <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A | A2, E | E2, R | R2>
  <A, E, R, const U extends string, A2, E2, R2>(
    self: Effect.Effect<A, E, R>,
    uri: U | ReadonlyArray<U>,
    f: (error: WampErrorWith<U>) => Effect.Effect<A2, E2, R2>
  ): Effect.Effect<A | A2, E | E2, R | R2>
} = dual(3, <A, E, R, const U extends string, A2, E2, R2>(
  self: Effect.Effect<A, E, R>,
  uri: U | ReadonlyArray<U>,
  f: (error: WampErrorWith<U>) => Effect.Effect<A2, E2, R2>
): Effect.Effect<A | A2, E | E2, R | R2> => {
  const matches = is(uri)
  return Effect.catchAll(self, (error): Effect.Effect<A2, E | E2, R2> => matches(error) ? f(error) : Effect.fail(error))
})

export const isNoSuchProcedure = is(StandardUri.NoSuchProcedure)
/** Both spellings: the spec once writes `wamp.error.cancelled`. */
export const isCanceled = is([StandardUri.Canceled, "wamp.error.cancelled"])
export const isTimeout = is(StandardUri.Timeout)
export const isNotAuthorized = is(StandardUri.NotAuthorized)
export const isInvalidArgument = is(StandardUri.InvalidArgument)
export const isNoSuchRealm = is(StandardUri.NoSuchRealm)
export const isRuntimeError = is(StandardUri.RuntimeError)
