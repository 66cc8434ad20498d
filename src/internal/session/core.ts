/**
 * The callback-level core of a session: state, request ids, the request table of plain callbacks,
 * and writes gated on state. Everything here is synchronous; the Effect API wraps one operation in
 * one abandonable wait (`request`), the Autobahn facade in one Promise (`start`). How the session
 * ends lives in `lifecycle.ts`, message routing in `dispatcher.ts`.
 */
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import { type EncodeError, SessionClosedError, type SessionError } from "../../Errors.js"
import * as Message from "../../Message.js"
import type { CloseReason, SessionInfo, SessionOptions } from "../../Session.js"
import type { Link } from "../../Transport.js"
import * as WampError from "../../WampError.js"
import { abandonable } from "../abandonable.js"
import { maxId } from "../messageElements.js"
import { RequestTable } from "../requestTable.js"
import { Tombstones } from "../tombstones.js"

export type { SessionError }

/**
 * What an operation that writes a message can fail with: the router's answer, the end of the
 * session, or a message of ours that cannot be encoded (nothing was sent).
 */
export type OperationError = WampError.WampError | SessionError | EncodeError

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

/**
 * What a single-reply request makes of a reply: an Exit when the request is complete, the text of a
 * protocol violation, or undefined when the reply does not complete it (e.g. an unasked progress).
 */
export type ReplyHandler<A> = (message: Message.Message) => Exit.Exit<A, WampError.WampError> | string | undefined

/** Called once with the outcome of a single-reply request. */
export type Resume<A> = (exit: Exit.Exit<A, OperationError>) => void

/** Told how a request ended, just before its `resume` is (a call's metrics and span). */
export interface EndObserver {
  readonly end: (exit: Exit.Exit<unknown, unknown>) => void
}

/** Tells `observer` (if any), then `resume`, how the request ended. */
export const settle = <A>(observer: EndObserver | undefined, resume: Resume<A>, exit: Exit.Exit<A, OperationError>) => {
  if (observer !== undefined) observer.end(exit)
  resume(exit)
}

const ABANDONED_CAPACITY = 4096

export class Core {
  state: State = "establishing"
  info: SessionInfo | undefined
  closeReason: CloseReason | undefined
  /** Set once when the session ends: what pending and later operations fail with. */
  closeError: SessionError | undefined
  readonly pending = new RequestTable<Pending>()
  /** Requests we gave up on locally: their late replies are ignored, not violations. */
  readonly abandoned = new Tombstones(ABANDONED_CAPACITY)
  private lastRequestId = 0

  constructor(readonly link: Link, readonly options: SessionOptions) {}

  get serializer() {
    return this.link.serializer
  }

  /** One counter for all request kinds, 1..2^53, wrapping to 1. */
  nextRequestId(): number {
    this.lastRequestId = this.lastRequestId >= maxId ? 1 : this.lastRequestId + 1
    return this.lastRequestId
  }

  /** Gives back the id just taken when its message could not be encoded, so ids stay sequential. */
  releaseRequestId(id: number): void {
    if (id === this.lastRequestId) this.lastRequestId = id === 1 ? 0 : id - 1
  }

  /** The error for operations started after (or pending at) the end of the session. */
  sessionError(): SessionError {
    return this.closeError ?? notOpenError()
  }

  /** Fails unless the session is established. */
  ensureOpen(): SessionError | undefined {
    return this.state === "established" ? undefined : this.sessionError()
  }

  /** Encodes a message; an unserializable payload fails locally with the `EncodeError`, nothing sent. */
  encode(message: Message.Message): Either.Either<string | Uint8Array, EncodeError> {
    return this.serializer.encode(Message.encode(message))
  }

  /**
   * Writes an encoded frame; returns the error, if any. A frame over the peer's limit fails with
   * `wamp.error.payload_size_exceeded`; a link that is gone with the session's error.
   */
  write(frame: string | Uint8Array): WampError.WampError | SessionError | undefined {
    const sent = this.link.send(frame)
    if (sent._tag === "Success") return undefined
    const failure = sent.cause._tag === "Fail" ? sent.cause.error : undefined
    return failure?.reason === "TooLarge"
      ? WampError.make(WampError.StandardUri.PayloadSizeExceeded, { args: [failure.message] })
      : this.sessionError()
  }

  /** Encodes and writes a message we are not waiting a reply for; returns the error, if any. */
  send(message: Message.Message): OperationError | undefined {
    const frame = this.encode(message)
    return Either.isLeft(frame) ? frame.left : this.write(frame.right)
  }

  /** Best-effort write for protocol housekeeping (replies, ABORT, CANCEL): errors are dropped. */
  sendQuietly(message: Message.Message): void {
    this.send(message)
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

  /**
   * Takes a fresh id, puts `pending` in the request table, and writes the request built from the id.
   * Returns the id, or the error (with nothing left pending) when the session is not open or the
   * message cannot be sent.
   */
  open(
    requestType: number,
    build: (id: number) => Message.Message,
    onReply: Pending["onReply"],
    onClose: Pending["onClose"]
  ): number | OperationError {
    const notOpen = this.ensureOpen()
    if (notOpen) return notOpen
    const id = this.nextRequestId()
    const frame = this.encode(build(id))
    if (Either.isLeft(frame)) {
      this.releaseRequestId(id)
      return frame.left
    }
    this.pending.set(id, { requestType, onReply, onClose })
    const error = this.write(frame.right)
    if (error === undefined) return id
    this.pending.delete(id)
    return error
  }

  /** Takes a fresh id and puts `pending` in the request table without writing anything yet. */
  reserve(requestType: number, onReply: Pending["onReply"], onClose: Pending["onClose"]): number | SessionError {
    const notOpen = this.ensureOpen()
    if (notOpen) return notOpen
    const id = this.nextRequestId()
    this.pending.set(id, { requestType, onReply, onClose })
    return id
  }

  /**
   * Starts a single-reply request: `resume` is called exactly once, with the reply's Exit, the
   * session's error when it ends first, or (synchronously, before this returns) the error that kept
   * the request from being sent. Returns the request id while the request is pending, else 0.
   */
  start<A>(
    requestType: number,
    build: (id: number) => Message.Message,
    onReply: ReplyHandler<A>,
    resume: Resume<A>,
    observer?: EndObserver
  ): number {
    const notOpen = this.ensureOpen()
    if (notOpen) {
      settle(observer, resume, Exit.fail(notOpen))
      return 0
    }
    const id = this.nextRequestId()
    const frame = this.encode(build(id))
    if (Either.isLeft(frame)) {
      this.releaseRequestId(id)
      settle(observer, resume, Exit.fail(frame.left))
      return 0
    }
    // One object per request (no closures): this is every call's hot path.
    this.pending.set(id, new SingleReply(requestType, onReply, resume, observer))
    const error = this.write(frame.right)
    if (error === undefined) return id
    this.pending.delete(id)
    settle(observer, resume, Exit.fail(error))
    return 0
  }

  /**
   * A single-reply request as one Effect: one abandonable wait (`abandonable.ts`); interrupting it
   * abandons the request (late replies are then ignored) and runs `onAbandon` (e.g. to send CANCEL).
   */
  request<A>(
    requestType: number,
    build: (id: number) => Message.Message,
    onReply: ReplyHandler<A>,
    onAbandon?: (id: number) => void
  ): Effect.Effect<A, OperationError> {
    return abandonable<A, OperationError>((resume) => {
      const id = this.start(requestType, build, onReply, resume)
      return id === 0 ? undefined : () => {
        this.abandon(id, onAbandon)
      }
    })
  }

  /**
   * `request` for a message made of ids alone (UNREGISTER, UNSUBSCRIBE): every serializer encodes
   * it, so `EncodeError` is left out of the type.
   */
  requestByIds<A>(
    requestType: number,
    build: (id: number) => Message.Message,
    onReply: ReplyHandler<A>
  ): Effect.Effect<A, WampError.WampError | SessionError> {
    return this.request(requestType, build, onReply) as Effect.Effect<A, WampError.WampError | SessionError>
  }

  /** Forgets a pending request; its late replies will be ignored. False when it was not pending. */
  abandon(id: number, onAbandon?: (id: number) => void): boolean {
    if (!this.pending.delete(id)) return false
    this.abandoned.add(id)
    if (onAbandon && this.state === "established") onAbandon(id)
    return true
  }

  /** `abandon` as an Effect, for scope finalizers. */
  abandonEffect(id: number, onAbandon?: (id: number) => void): Effect.Effect<void> {
    return Effect.sync(() => this.abandon(id, onAbandon))
  }

  /**
   * Routes a reply to its pending request. Returns the text of a protocol violation: a reply for an
   * id never issued, or of the wrong kind. A late reply for an abandoned id is ignored.
   */
  reply(request: number, requestType: number, message: Message.Message): string | undefined {
    const entry = this.pending.get(request)
    if (entry === undefined) {
      if (this.abandoned.has(request)) {
        if (isFinal(message)) this.abandoned.delete(request)
        return undefined
      }
      return `${Message.name(Message.Code[message._tag])} for request ${request}, which is not pending`
    }
    if (entry.requestType !== requestType) {
      return `${Message.name(Message.Code[message._tag])} for request ${request}, which is a ${
        Message.name(entry.requestType)
      }`
    }
    const outcome = entry.onReply(message)
    if (outcome === true) this.pending.delete(request)
    else if (typeof outcome === "string") return outcome
    return undefined
  }

  /** Fails every pending request with `error`; the first call wins. Returns false when already done. */
  failPending(reason: CloseReason, error: SessionError): boolean {
    if (this.closeError !== undefined) return false
    this.closeReason = reason
    this.closeError = error
    const entries = this.pending.values()
    this.pending.clear()
    for (const entry of entries) entry.onClose(error)
    return true
  }
}

/** The table entry of a single-reply request (`Core.start`). */
class SingleReply<A> implements Pending {
  constructor(
    readonly requestType: number,
    private readonly handler: ReplyHandler<A>,
    private readonly resume: Resume<A>,
    private readonly observer: EndObserver | undefined
  ) {}

  onReply(message: Message.Message): boolean | string {
    const exit = this.handler(message)
    if (exit === undefined) return false
    if (typeof exit === "string") return exit
    settle(this.observer, this.resume, exit)
    return true
  }

  onClose(error: SessionError): void {
    settle(this.observer, this.resume, Exit.fail(error))
  }
}

const notOpenError = (): SessionError =>
  new SessionClosedError({
    reason: WampError.StandardUri.TransportLost,
    message: "the session is not open",
    wasClean: false
  })

const isFinal = (message: Message.Message): boolean =>
  !(message._tag === "Result" && message.details["progress"] === true)
