/**
 * How Autobahn|JS describes a close to `onclose(reason, details)`, computed from the core's
 * `CloseDetails`: the facade's translation, kept here so the core knows nothing of it.
 */
import * as Duration from "effect/Duration"
import type * as Core from "../Connection.js"
import { TransportError } from "../Errors.js"

/** Autobahn|JS's `onclose` reason. */
export type CloseReason = "closed" | "lost" | "unreachable" | "unsupported"

/** Autobahn|JS's `onclose` details (delays in seconds). */
export interface CloseDetails {
  /** The WAMP URI that ended the session (`wamp.close.transport_lost` when the transport dropped). */
  readonly reason: string | null
  readonly message: string | null
  readonly retry_delay: number | null
  readonly retry_count: number | null
  readonly will_retry: boolean
}

/**
 * "closed" for a clean end (GOODBYE, ABORT, our own close); "unsupported" when the transport
 * handshake itself was refused (no common serializer or subprotocol); "unreachable" while no
 * session was ever open on this connection; "lost" otherwise.
 */
export const closeReasonOf = (details: Core.CloseDetails): CloseReason => {
  if (details.wasClean) return "closed"
  const failure = details.failure
  if (
    failure?._tag === "JoinFailed" && failure.error instanceof TransportError && failure.error.reason === "Handshake"
  ) {
    return "unsupported"
  }
  return details.everOpened ? "lost" : "unreachable"
}

/** `onclose` details with Autobahn|JS's names and units (seconds, null when absent). */
export const closeDetailsOf = (details: Core.CloseDetails): CloseDetails => ({
  reason: details.reason,
  message: details.message,
  will_retry: details.willRetry,
  retry_delay: details.retryDelay === undefined ? null : Duration.toMillis(details.retryDelay) / 1000,
  retry_count: details.retryCount ?? null
})
