/**
 * How a session ends, once: protocol violations (ABORT), the router's GOODBYE or ABORT, our leave,
 * the transport going away. Every ending fails what is pending, ends the parts' subscriptions and
 * registrations, records the reason and closes the link.
 */
import * as Deferred from "effect/Deferred"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import { ProtocolError, SessionClosedError } from "../../Errors.js"
import type { CloseReason, JoinError, SessionInfo } from "../../Session.js"
import * as WampError from "../../WampError.js"
import type { Core, SessionError } from "./core.js"

/** A part of the session (callee, pubsub) that holds something to end with the session. */
export interface Part {
  /** Called once when the session ends, after pending requests were failed. */
  readonly end: (error: SessionError, local: boolean) => void
}

export class Lifecycle {
  constructor(
    readonly core: Core,
    readonly closed: Deferred.Deferred<CloseReason>,
    readonly joined: Deferred.Deferred<SessionInfo, JoinError>,
    private readonly parts: ReadonlyArray<Part>
  ) {}

  /**
   * Protocol violation: ABORT `wamp.error.protocol_violation`, end the session, close the link.
   * `error` carries the detail when there is more than the text (a frame that could not be decoded).
   */
  violation(message: string, error?: ProtocolError): Effect.Effect<void> {
    return Effect.suspend(() => {
      if (this.core.state === "closed") return Effect.void
      this.core.sendQuietly({ _tag: "Abort", details: { message }, reason: WampError.StandardUri.ProtocolViolation })
      return this.terminate(
        { reason: WampError.StandardUri.ProtocolViolation, message, by: "violation", wasClean: false },
        error ?? new ProtocolError({ reason: "Violation", message })
      )
    })
  }

  /** Ends the session once (see the module comment) and closes the link. */
  terminate(reason: CloseReason, error: SessionError, linkCode = 1000): Effect.Effect<void> {
    return Effect.suspend(() => {
      const core = this.core
      if (core.state === "closed") return Effect.void
      const wasJoined = core.state !== "establishing"
      core.state = "closed"
      this.failAll(reason, error)
      core.closeReason = reason
      Deferred.unsafeDone(this.closed, Effect.succeed(reason))
      if (!wasJoined) Deferred.unsafeDone(this.joined, Effect.fail(error))
      return core.link.close(linkCode, reason.reason.slice(0, 100))
    })
  }

  private failAll(reason: CloseReason, error: SessionError): void {
    if (!this.core.failPending(reason, error)) return
    for (const part of this.parts) part.end(error, reason.by === "local")
  }

  /**
   * Leaves: GOODBYE, then only the reply matters. Pending operations fail at once; the link closes
   * when the reply arrives or after `timeout`.
   */
  leave(reason: string, message: string | undefined, timeout: Duration.DurationInput): Effect.Effect<void> {
    return Effect.suspend(() => {
      const core = this.core
      if (core.state === "closed") return Effect.void
      if (core.state === "closing") return Effect.asVoid(Deferred.await(this.closed))
      // Leaving before WELCOME (the join was interrupted): nothing to say GOODBYE to, and waiting
      // for the router would hang on one that never answers HELLO. End here and close the link.
      if (core.state === "establishing") {
        const text = message ?? "the join was abandoned by this client"
        return this.terminate(
          { reason, message: text, by: "local", wasClean: false },
          new SessionClosedError({ reason, message: text, wasClean: false })
        )
      }
      core.state = "closing"
      const closeReason: CloseReason = { reason, message: message ?? "", by: "local", wasClean: true }
      this.failAll(
        closeReason,
        new SessionClosedError({ reason, message: message ?? "the session was closed by this client", wasClean: true })
      )
      core.sendQuietly({ _tag: "Goodbye", details: message ? { message } : {}, reason })
      // Interruptible: leave usually runs as a scope finalizer, and the timeout must be able to
      // stop the wait for a reply that never comes.
      return Effect.interruptible(Deferred.await(this.closed)).pipe(
        Effect.timeoutTo({
          duration: timeout,
          onSuccess: () => Effect.void,
          onTimeout: () =>
            this.terminate(
              { ...closeReason, wasClean: false, message: "no GOODBYE reply from the router in time" },
              core.sessionError()
            )
        }),
        Effect.flatten
      )
    })
  }
}
