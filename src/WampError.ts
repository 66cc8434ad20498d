/**
 * `WampError`: an ERROR or ABORT received from the other side, with the standard URIs as data and
 * readable refinements instead of a class per URI.
 */
import { Data } from "effect"

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

/** Standard URIs of the spec (basic + advanced) and the de-facto ones every router uses. */
export const Uri = {
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

export const is = (uri: string) => (u: unknown): u is WampError => u instanceof WampError && u.error === uri

export const isNoSuchProcedure = is(Uri.NoSuchProcedure)
/** Both spellings: the spec once writes `wamp.error.cancelled`. */
export const isCanceled = (u: unknown): u is WampError =>
  u instanceof WampError && (u.error === Uri.Canceled || u.error === "wamp.error.cancelled")
export const isTimeout = is(Uri.Timeout)
export const isNotAuthorized = is(Uri.NotAuthorized)
export const isInvalidArgument = is(Uri.InvalidArgument)
export const isNoSuchRealm = is(Uri.NoSuchRealm)
export const isRuntimeError = is(Uri.RuntimeError)
