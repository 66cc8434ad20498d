/**
 * What a connection failure means, as data: whether it retries by default, and how the connection
 * describes its close.
 */
import * as Duration from "effect/Duration"
import * as Schedule from "effect/Schedule"
import type { CloseDetails, ConnectionFailure } from "../../Connection.js"
import { AuthenticationError, EncodeError, ProtocolError, SessionClosedError, TransportError } from "../../Errors.js"
import type { JoinError } from "../../Session.js"
import { StandardUri, WampError } from "../../WampError.js"

/** ABORT / close URIs that a retry cannot fix: the realm, the credentials or the role are wrong. */
export const fatalUris: ReadonlySet<string> = new Set([
  StandardUri.NoSuchRealm,
  StandardUri.NotAuthorized,
  StandardUri.AuthorizationFailed,
  StandardUri.AuthenticationFailed,
  StandardUri.AuthenticationDenied,
  StandardUri.NoSuchRole,
  StandardUri.NoSuchPrincipal,
  StandardUri.NoMatchingAuthMethod,
  StandardUri.CannotAuthenticate,
  StandardUri.ProtocolViolation
])

/** Router GOODBYE reasons after which coming back makes sense (the router or realm restarts). */
export const retryableGoodbyes: ReadonlySet<string> = new Set([StandardUri.CloseSystemShutdown, StandardUri.CloseRealm])

const joinErrorRetries = (error: JoinError): boolean => {
  if (error instanceof TransportError) return true
  // The link ended during the handshake: the router went away, not a refusal.
  if (error instanceof SessionClosedError) return !fatalUris.has(error.reason)
  if (error instanceof WampError) return !fatalUris.has(error.error)
  // AuthenticationError (our side cannot sign), ProtocolError (the router broke the handshake) and
  // EncodeError (our own HELLO cannot be serialized): the same again would fail the same way.
  return false
}

/**
 * The default retry decision:
 * - a join that failed on the transport (refused, timeout, dropped) retries; an ABORT with a URI
 *   in `fatalUris`, a local authentication failure or a router breaking the protocol during the
 *   handshake stops;
 * - a session lost with the transport, or ended by a protocol violation after it had worked,
 *   retries; a router GOODBYE retries only for `wamp.close.system_shutdown` / `close_realm`
 *   (a `wamp.close.killed` means an operator wants us out); a router ABORT retries unless fatal.
 * A close by the user never reaches this function: it never retries.
 */
export const isRetryable = (failure: ConnectionFailure): boolean => {
  if (failure._tag === "JoinFailed") return joinErrorRetries(failure.error)
  const { by, reason, wasClean } = failure.reason
  switch (by) {
    case "transport":
    case "violation":
      return true
    case "local":
      return false
    case "router":
      // GOODBYE is the clean way out; ABORT is not.
      return wasClean ? retryableGoodbyes.has(reason) : !fatalUris.has(reason)
  }
}

/** The WAMP URI and text that describe a failure (`CloseDetails.reason` / `message`). */
export const describe = (failure: ConnectionFailure): { readonly uri: string; readonly message: string } => {
  if (failure._tag === "SessionLost") return { uri: failure.reason.reason, message: failure.reason.message }
  const error = failure.error
  // The peer's own text, as Autobahn|JS reports it: the URI travels beside it in `reason`.
  if (error instanceof WampError) return { uri: error.error, message: withoutUri(error.error, error.message) }
  if (error instanceof SessionClosedError) {
    return { uri: error.reason, message: withoutUri(error.reason, error.message) }
  }
  if (error instanceof AuthenticationError) return { uri: StandardUri.CannotAuthenticate, message: error.message }
  if (error instanceof ProtocolError) return { uri: StandardUri.ProtocolViolation, message: error.message }
  if (error instanceof EncodeError) return { uri: StandardUri.InvalidPayload, message: error.message }
  return { uri: StandardUri.TransportLost, message: error.message }
}

/** The explanation after `uri: ` in an error message (errors lead with their URI). */
const withoutUri = (uri: string, message: string): string =>
  message === uri ? "" : message.startsWith(`${uri}: `) ? message.slice(uri.length + 2) : message

/**
 * Whether the connection ended by a decision rather than by its link: this client's close, a
 * router GOODBYE or ABORT, or a join that ended in an ABORT (refused by the router, or aborted by
 * us because we could not authenticate or the router broke the handshake). A link that failed to
 * open, dropped, or a session ended by a protocol violation after it had worked, is not clean.
 */
export const isCleanEnd = (failure: ConnectionFailure): boolean => {
  if (failure._tag === "JoinFailed") {
    return !(failure.error instanceof TransportError || failure.error instanceof SessionClosedError)
  }
  const { by, wasClean } = failure.reason
  return by === "router" || (by === "local" && wasClean)
}

export const closeDetails = (
  failure: ConnectionFailure,
  everOpened: boolean,
  retry: { readonly delay: Duration.Duration; readonly count: number } | undefined
): CloseDetails => {
  const { message, uri } = describe(failure)
  return {
    reason: uri,
    message,
    wasClean: isCleanEnd(failure),
    everOpened,
    willRetry: retry !== undefined,
    retryDelay: retry?.delay,
    retryCount: retry?.count,
    failure
  }
}

/** A log line's "because …": what failed, the URI and the explanation. */
export const because = (details: CloseDetails): string => {
  const what = details.failure?._tag === "JoinFailed" ? "joining failed" : "the session was lost"
  return details.message === "" ? `${what}: ${details.reason}` : `${what}: ${details.reason}: ${details.message}`
}

/** The details of a close asked for by the user. */
export const userCloseDetails = (reason: string, message: string | undefined, everOpened: boolean): CloseDetails => ({
  reason,
  message: message ?? "",
  wasClean: true,
  everOpened,
  willRetry: false,
  retryDelay: undefined,
  retryCount: undefined,
  failure: undefined
})

/**
 * The default retry schedule: at most 15 retries, first delay 1.5 s, growing ×1.5, at most 300 s,
 * each delay multiplied by a uniform random factor in [0.9, 1.1] and then capped.
 */
export const defaultRetry: Schedule.Schedule<unknown, unknown> = Schedule.exponential(Duration.millis(1500), 1.5).pipe(
  Schedule.jitteredWith({ min: 0.9, max: 1.1 }),
  // modifyDelay passes (output, delay): the output is the un-jittered exponential value.
  Schedule.modifyDelay((_, delay) => Duration.min(delay, Duration.seconds(300))),
  Schedule.intersect(Schedule.recurs(15))
)

export const DEFAULT_DISCONNECTED_WAIT: Duration.DurationInput = "10 seconds"
