/**
 * What a connection failure means, as data: whether it retries by default, and how Autobahn|JS
 * would describe it to `onclose`.
 */
import { Duration } from "effect"
import type { CloseDetails, CloseKind, ConnectionFailure } from "../../Connection.js"
import { AuthenticationError, EncodeError, ProtocolError, SessionClosedError, TransportError } from "../../Errors.js"
import type { JoinError } from "../../Session.js"
import { Uri, WampError } from "../../WampError.js"

/** ABORT / close URIs that a retry cannot fix: the realm, the credentials or the role are wrong. */
export const fatalUris: ReadonlySet<string> = new Set([
  Uri.NoSuchRealm,
  Uri.NotAuthorized,
  Uri.AuthorizationFailed,
  Uri.AuthenticationFailed,
  Uri.AuthenticationDenied,
  Uri.NoSuchRole,
  Uri.NoSuchPrincipal,
  Uri.NoMatchingAuthMethod,
  Uri.CannotAuthenticate,
  Uri.ProtocolViolation
])

/** Router GOODBYE reasons after which coming back makes sense (the router or realm restarts). */
export const retryableGoodbyes: ReadonlySet<string> = new Set([Uri.CloseSystemShutdown, Uri.CloseRealm])

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

/** The WAMP URI and text that describe a failure (`details.reason` / `details.message` in Autobahn|JS). */
export const describe = (failure: ConnectionFailure): { readonly uri: string; readonly message: string } => {
  if (failure._tag === "SessionLost") return { uri: failure.reason.reason, message: failure.reason.message }
  const error = failure.error
  // The peer's own text, as Autobahn|JS reports it: the URI travels beside it in `reason`.
  if (error instanceof WampError) return { uri: error.error, message: withoutUri(error.error, error.message) }
  if (error instanceof SessionClosedError) {
    return { uri: error.reason, message: withoutUri(error.reason, error.message) }
  }
  if (error instanceof AuthenticationError) return { uri: Uri.CannotAuthenticate, message: error.message }
  if (error instanceof ProtocolError) return { uri: Uri.ProtocolViolation, message: error.message }
  if (error instanceof EncodeError) return { uri: Uri.InvalidPayload, message: error.message }
  return { uri: Uri.TransportLost, message: error.message }
}

/** The explanation after `uri: ` in an error message (errors lead with their URI). */
const withoutUri = (uri: string, message: string): string =>
  message === uri ? "" : message.startsWith(`${uri}: `) ? message.slice(uri.length + 2) : message

/**
 * Autobahn|JS's `onclose` reason: "unreachable" while no session was ever open on this connection,
 * "unsupported" when the transport handshake itself was refused (no common serializer or
 * subprotocol), "closed" for a clean end (GOODBYE, ABORT, our own close), "lost" otherwise.
 */
export const kindOf = (failure: ConnectionFailure, everOpened: boolean): CloseKind => {
  if (failure._tag === "JoinFailed") {
    const error = failure.error
    if (error instanceof TransportError && error.reason === "Handshake") return "unsupported"
    if (error instanceof TransportError || error instanceof SessionClosedError) {
      return everOpened ? "lost" : "unreachable"
    }
    return "closed"
  }
  const { by, wasClean } = failure.reason
  return by === "router" || (by === "local" && wasClean) ? "closed" : "lost"
}

export const closeDetails = (
  failure: ConnectionFailure,
  everOpened: boolean,
  retry: { readonly delay: Duration.Duration; readonly count: number } | undefined
): CloseDetails => {
  const { message, uri } = describe(failure)
  return {
    kind: kindOf(failure, everOpened),
    reason: uri,
    message,
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
export const userCloseDetails = (reason: string, message: string | undefined): CloseDetails => ({
  kind: "closed",
  reason,
  message: message ?? "",
  willRetry: false,
  retryDelay: undefined,
  retryCount: undefined,
  failure: undefined
})

/** `onclose` details with Autobahn|JS's names and units (seconds). */
export const toAutobahn = (details: CloseDetails) => ({
  reason: details.reason,
  message: details.message,
  will_retry: details.willRetry,
  retry_delay: details.retryDelay === undefined ? null : Duration.toMillis(details.retryDelay) / 1000,
  retry_count: details.retryCount ?? null
})
