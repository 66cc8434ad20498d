/**
 * The session machine shared by the RPC and PubSub parts: state, request ids, the request table,
 * writes gated on state, and termination that leaves nothing pending.
 */
import { Deferred, type Duration, Effect, Either, Exit } from "effect"
import type { AuthenticatorService } from "../../Authenticator.js"
import { ProtocolError, SessionClosedError } from "../../Errors.js"
import * as Message from "../../Message.js"
import type { CloseReason, JoinError, SessionInfo, SessionOptions } from "../../Session.js"
import type { Link } from "../../Transport.js"
import * as WampError from "../../WampError.js"
import { Tombstones } from "../tombstones.js"

export type SessionError = SessionClosedError | ProtocolError

export const DEFAULT_GOODBYE_TIMEOUT: Duration.DurationInput = "5 seconds"

export type State = "establishing" | "established" | "closing" | "closed"

/** One entry of the request table: the reply handler of a request we sent. */
export interface Pending {
  /** The message code of the request (CALL 48, SUBSCRIBE 32, ...), to check the reply's kind. */
  readonly requestType: number
  /**
   * Handles a reply of the right kind; returns true when the request is complete, or the text of
   * a protocol violation the reply amounts to.
   */
  readonly onReply: (message: Message.Message) => boolean | string
  readonly onClose: (error: SessionError) => void
}

/** The largest id: 2^53. Ids wrap to 1 after it. */
export const MAX_ID = 2 ** 53

const ABANDONED_CAPACITY = 4096

/** What the RPC and PubSub parts plug into the dispatcher. */
export interface Handlers {
  readonly event: (message: Message.Event) => Effect.Effect<void> | undefined
  readonly invocation: (message: Message.Invocation) => Effect.Effect<void> | undefined
  readonly interrupt: (message: Message.Interrupt) => Effect.Effect<void> | undefined
  readonly revokeSubscription: (details: Message.Dict) => void
  readonly revokeRegistration: (details: Message.Dict) => void
  /** Called once when the session ends, after pending requests were failed. */
  readonly terminate: (error: SessionError, local: boolean) => void
}

export class Core {
  state: State = "establishing"
  info: SessionInfo | undefined
  closeReason: CloseReason | undefined
  readonly pending = new Map<number, Pending>()
  /** Requests we gave up on locally: their late replies are ignored, not violations. */
  readonly abandoned = new Tombstones(ABANDONED_CAPACITY)
  private lastRequestId = 0
  private closeError: SessionError | undefined
  handlers: Handlers | undefined

  constructor(
    readonly link: Link,
    readonly options: SessionOptions,
    readonly authenticator: AuthenticatorService,
    readonly closed: Deferred.Deferred<CloseReason>,
    readonly joined: Deferred.Deferred<SessionInfo, JoinError>
  ) {}

  get serializer() {
    return this.link.serializer
  }

  /** One counter for all request kinds, 1..2^53, wrapping to 1. */
  nextRequestId(): number {
    this.lastRequestId = this.lastRequestId >= MAX_ID ? 1 : this.lastRequestId + 1
    return this.lastRequestId
  }

  /** Gives back the id just taken when its message could not be encoded, so ids stay sequential. */
  releaseRequestId(id: number): void {
    if (id === this.lastRequestId) this.lastRequestId = id === 1 ? 0 : id - 1
  }

  /** The error for operations started after (or pending at) the end of the session. */
  sessionError(): SessionError {
    return this.closeError ?? new SessionClosedError({
      reason: WampError.Uri.TransportLost,
      message: "the session is not open",
      wasClean: false
    })
  }

  /** Fails unless the session is established. */
  ensureOpen(): SessionError | undefined {
    return this.state === "established" ? undefined : this.sessionError()
  }

  /**
   * Encodes a message; an unserializable payload fails locally with `wamp.error.invalid_payload`
   * and nothing is sent.
   */
  encode(message: Message.Message): Either.Either<string | Uint8Array, WampError.WampError> {
    return Either.mapLeft(
      this.serializer.encode(Message.encode(message)),
      (error) => WampError.make(WampError.Uri.InvalidPayload, { args: [error.message] })
    )
  }

  /** Writes an encoded frame; a frame over the peer's limit fails with `wamp.error.payload_size_exceeded`. */
  write(frame: string | Uint8Array): Effect.Effect<void, WampError.WampError | SessionError> {
    return Effect.catchAll(
      this.link.send(frame),
      (error): Effect.Effect<never, WampError.WampError | SessionError> =>
        error.reason === "TooLarge"
          ? Effect.fail(WampError.make(WampError.Uri.PayloadSizeExceeded, { args: [error.message] }))
          : Effect.fail(this.sessionError())
    )
  }

  /** Encodes and writes a message we are not waiting a reply for. */
  send(message: Message.Message): Effect.Effect<void, WampError.WampError | SessionError> {
    const frame = this.encode(message)
    return Either.isLeft(frame) ? Effect.fail(frame.left) : this.write(frame.right)
  }

  /**
   * Runs a scope finalizer's request (UNSUBSCRIBE, UNREGISTER) bounded in time, so that a router
   * that never answers cannot hang the closing of a scope. Errors are dropped: the scope is closing.
   */
  bounded(effect: Effect.Effect<void, unknown>): Effect.Effect<void> {
    return Effect.interruptible(effect).pipe(
      Effect.timeout(this.options.goodbyeTimeout ?? DEFAULT_GOODBYE_TIMEOUT),
      Effect.ignore
    )
  }

  /** Best-effort write for protocol housekeeping (replies, ABORT, CANCEL): errors are dropped. */
  sendQuietly(message: Message.Message): Effect.Effect<void> {
    return Effect.ignore(this.send(message))
  }

  /**
   * Takes a fresh id, puts `pending` in the request table, and writes the request built from the id.
   * Fails (with nothing left pending) when the session is not open or the message cannot be sent.
   */
  open(
    requestType: number,
    build: (id: number) => Message.Message,
    onReply: Pending["onReply"],
    onClose: Pending["onClose"]
  ): Effect.Effect<number, WampError.WampError | SessionError> {
    return Effect.suspend(() => {
      const notOpen = this.ensureOpen()
      if (notOpen) return Effect.fail(notOpen)
      const id = this.nextRequestId()
      const frame = this.encode(build(id))
      if (Either.isLeft(frame)) {
        this.releaseRequestId(id)
        return Effect.fail(frame.left)
      }
      this.pending.set(id, { requestType, onReply, onClose })
      return this.write(frame.right).pipe(
        Effect.as(id),
        Effect.tapError(() => Effect.sync(() => this.pending.delete(id)))
      )
    })
  }

  /** Takes a fresh id and puts `pending` in the request table without writing anything yet. */
  reserve(
    requestType: number,
    onReply: Pending["onReply"],
    onClose: Pending["onClose"]
  ): Effect.Effect<number, SessionError> {
    return Effect.suspend(() => {
      const notOpen = this.ensureOpen()
      if (notOpen) return Effect.fail(notOpen)
      const id = this.nextRequestId()
      this.pending.set(id, { requestType, onReply, onClose })
      return Effect.succeed(id)
    })
  }

  /**
   * Sends a request and waits for its reply. `onReply` receives the replies of the request's kind
   * and returns an Exit when the request is complete (or a violation text). Interruption abandons
   * the request (late replies are then ignored) and runs `onAbandon` (e.g. to send CANCEL).
   */
  request<A>(
    requestType: number,
    build: (id: number) => Message.Message,
    onReply: (message: Message.Message) => Exit.Exit<A, WampError.WampError> | string | undefined,
    onAbandon?: (id: number) => Effect.Effect<void>
  ): Effect.Effect<A, WampError.WampError | SessionError> {
    return Effect.suspend(() => {
      let outcome: Exit.Exit<A, WampError.WampError | SessionError> | undefined
      let resume: ((exit: Exit.Exit<A, WampError.WampError | SessionError>) => void) | undefined
      const settle = (exit: Exit.Exit<A, WampError.WampError | SessionError>) => {
        if (outcome !== undefined) return
        outcome = exit
        resume?.(exit)
      }
      let id = 0
      // Uninterruptible so that a written request always has its id recorded for CANCEL.
      return Effect.uninterruptible(this.open(
        requestType,
        build,
        (message) => {
          const exit = onReply(message)
          if (exit === undefined) return false
          if (typeof exit === "string") return exit
          settle(exit)
          return true
        },
        (error) => settle(Exit.fail(error))
      )).pipe(
        Effect.flatMap((requestId) => {
          id = requestId
          return Effect.async<A, WampError.WampError | SessionError>((cb) => {
            if (outcome !== undefined) return cb(outcome)
            resume = cb
          })
        }),
        Effect.onInterrupt(() => id === 0 ? Effect.void : this.abandon(id, onAbandon))
      )
    })
  }

  /** Forgets a pending request; its late replies will be ignored. */
  abandon(id: number, onAbandon?: (id: number) => Effect.Effect<void>): Effect.Effect<void> {
    return Effect.suspend(() => {
      if (!this.pending.delete(id)) return Effect.void
      this.abandoned.add(id)
      return onAbandon && this.state === "established" ? onAbandon(id) : Effect.void
    })
  }

  /**
   * Routes a reply to its pending request. A reply for an id never issued (or of the wrong kind) is
   * a protocol violation; for an abandoned id it is ignored.
   */
  reply(request: number, requestType: number, message: Message.Message): Effect.Effect<void> | undefined {
    const entry = this.pending.get(request)
    if (entry === undefined) {
      if (this.abandoned.has(request)) {
        if (isFinal(message)) this.abandoned.delete(request)
        return undefined
      }
      return this.violation(`${Message.name(Message.Code[message._tag])} for request ${request}, which is not pending`)
    }
    if (entry.requestType !== requestType) {
      return this.violation(
        `${Message.name(Message.Code[message._tag])} for request ${request}, which is a ${
          Message.name(entry.requestType)
        }`
      )
    }
    const outcome = entry.onReply(message)
    if (outcome === true) this.pending.delete(request)
    else if (typeof outcome === "string") return this.violation(outcome)
    return undefined
  }

  /** Protocol violation: ABORT `wamp.error.protocol_violation`, end the session, close the link. */
  violation(message: string): Effect.Effect<void> {
    return Effect.suspend(() => {
      if (this.state === "closed") return Effect.void
      const error = new ProtocolError({ reason: "Violation", message })
      const abort = this.sendQuietly({
        _tag: "Abort",
        details: { message },
        reason: WampError.Uri.ProtocolViolation
      })
      return Effect.zipRight(
        abort,
        this.terminate(
          { reason: WampError.Uri.ProtocolViolation, message, by: "violation", wasClean: false },
          error
        )
      )
    })
  }

  /**
   * Ends the session once: fails every pending request with `error`, ends subscriptions and
   * registrations, records the reason, and closes the link.
   */
  terminate(reason: CloseReason, error: SessionError, linkCode = 1000): Effect.Effect<void> {
    return Effect.suspend(() => {
      if (this.state === "closed") return Effect.void
      const wasJoined = this.state !== "establishing"
      this.state = "closed"
      this.failAll(reason, error)
      this.closeReason = reason
      Deferred.unsafeDone(this.closed, Effect.succeed(reason))
      if (!wasJoined) Deferred.unsafeDone(this.joined, Effect.fail(error))
      return this.link.close(linkCode, reason.reason.slice(0, 100))
    })
  }

  /** Fails everything pending and ends subscriptions/registrations; the first call wins. */
  private failAll(reason: CloseReason, error: SessionError): void {
    if (this.closeError !== undefined) return
    this.closeReason = reason
    this.closeError = error
    const entries = [...this.pending.values()]
    this.pending.clear()
    for (const entry of entries) entry.onClose(error)
    this.handlers?.terminate(error, reason.by === "local")
  }

  /**
   * Leaves: GOODBYE, then only the reply matters. Pending operations fail at once; the link closes
   * when the reply arrives or after `timeout`.
   */
  leave(reason: string, message: string | undefined, timeout: Duration.DurationInput): Effect.Effect<void> {
    return Effect.suspend(() => {
      if (this.state === "closed") return Effect.void
      if (this.state === "closing") return Effect.asVoid(Deferred.await(this.closed))
      // Leaving before WELCOME (the join was interrupted): nothing to say GOODBYE to, and waiting
      // for the router would hang on one that never answers HELLO. End here and close the link.
      if (this.state === "establishing") {
        const text = message ?? "the join was abandoned by this client"
        return this.terminate(
          { reason, message: text, by: "local", wasClean: false },
          new SessionClosedError({ reason, message: text, wasClean: false })
        )
      }
      this.state = "closing"
      const closeReason: CloseReason = { reason, message: message ?? "", by: "local", wasClean: true }
      this.failAll(
        closeReason,
        new SessionClosedError({ reason, message: message ?? "the session was closed by this client", wasClean: true })
      )
      // Interruptible: leave usually runs as a scope finalizer, and the timeout must be able to
      // stop the wait for a reply that never comes.
      return this.sendQuietly({ _tag: "Goodbye", details: message ? { message } : {}, reason }).pipe(
        Effect.zipRight(Effect.interruptible(Deferred.await(this.closed))),
        Effect.timeoutTo({
          duration: timeout,
          onSuccess: () => Effect.void,
          onTimeout: () =>
            this.terminate(
              { ...closeReason, wasClean: false, message: "no GOODBYE reply from the router in time" },
              this.sessionError()
            )
        }),
        Effect.flatten
      )
    })
  }
}

const isFinal = (message: Message.Message): boolean =>
  !(message._tag === "Result" && message.details["progress"] === true)
