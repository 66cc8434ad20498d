/**
 * The typed failures of effect-wamp, below the application level.
 * `WampError` (an ERROR or ABORT from the other side) lives in `WampError.ts`.
 */
import * as Data from "effect/Data"
import type * as ParseResult from "effect/ParseResult"

/** A frame could not be turned into a message list (bad JSON / MessagePack / CBOR, wrong frame kind). */
export class DecodeError extends Data.TaggedError("DecodeError")<{
  readonly reason: "Syntax" | "FrameKind" | "Utf8" | "TooLarge"
  readonly message: string
  readonly cause?: unknown
}> {}

/** An outgoing message could not be serialized (BigInt in JSON, cyclic payload, ...): nothing was sent. */
export class EncodeError extends Data.TaggedError("EncodeError")<{
  readonly message: string
  readonly cause?: unknown
}> {}

/** The peer broke the protocol: undecodable frame, malformed message, message in the wrong state, ... */
export class ProtocolError extends Data.TaggedError("ProtocolError")<{
  readonly reason: "Decode" | "Malformed" | "UnknownMessage" | "Violation"
  readonly message: string
  readonly cause?: unknown
}> {}

/** The transport failed to open, to negotiate, to write, or closed under us. */
export class TransportError extends Data.TaggedError("TransportError")<{
  readonly reason: "Open" | "Handshake" | "Write" | "Closed" | "TooLarge" | "Timeout"
  readonly message: string
  readonly code?: number
  readonly cause?: unknown
}> {}

/**
 * Authentication could not be done on our side (method not offered, signing failed, bad secret),
 * or the router failed to prove itself when asked to ("Router": a cryptosign router signature, a
 * WAMP-SCRAM server signature).
 */
export class AuthenticationError extends Data.TaggedError("AuthenticationError")<{
  readonly reason: "UnsupportedMethod" | "Challenge" | "Signature" | "Router"
  readonly method: string
  readonly message: string
  readonly cause?: unknown
}> {}

/**
 * The session ended (GOODBYE, ABORT, transport lost) while an operation was pending or when one was
 * started. Its `message` always starts with the `reason` URI, followed by the explanation when
 * there is one (`wamp.close.system_shutdown: router going down`), so a log line says what happened
 * even when the router sent no text.
 */
export class SessionClosedError extends Data.TaggedError("SessionClosedError")<{
  /** A WAMP close/error URI, e.g. `wamp.close.normal`, `wamp.close.transport_lost`. */
  readonly reason: string
  readonly message: string
  readonly wasClean: boolean
}> {
  constructor(args: { readonly reason: string; readonly message: string; readonly wasClean: boolean }) {
    super({ ...args, message: withUri(args.reason, args.message) })
  }
}

/** `uri: text`, or just the URI when there is no text or the text already starts with it. */
export const withUri = (uri: string, text: string): string =>
  text === "" || text === uri ? uri : text.startsWith(`${uri}:`) ? text : `${uri}: ${text}`

/** The router revoked a subscription (`[35, 0, {subscription, reason}]`); its stream fails with this. */
export class SubscriptionRevokedError extends Data.TaggedError("SubscriptionRevokedError")<{
  readonly subscription: number
  readonly topic: string
  readonly reason: string | undefined
  readonly message: string
}> {}

/** A subscriber's buffer overflowed under the "fail" strategy; the events before it were delivered. */
export class SubscriptionOverflowError extends Data.TaggedError("SubscriptionOverflowError")<{
  readonly topic: string
  readonly capacity: number
  readonly message: string
}> {}

/** What an operation on a session can fail with, besides the router's own `WampError`. */
export type SessionError = SessionClosedError | ProtocolError

/**
 * A payload did not match its contract (`Procedure` / `Topic`) on our side. Nothing was sent for
 * the `Encode…` reasons; for the `Decode…` reasons the peer sent something the contract does not allow.
 */
export class PayloadError extends Data.TaggedError("PayloadError")<{
  readonly reason:
    | "EncodeInput"
    | "DecodeResult"
    | "DecodeProgress"
    | "DecodeError"
    | "EncodeEvent"
    | "DecodeEvent"
  /** The procedure or topic URI of the contract. */
  readonly uri: string
  readonly message: string
  /** The Schema parse failure. */
  readonly cause: ParseResult.ParseError
}> {}
