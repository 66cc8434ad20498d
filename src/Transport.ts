/**
 * Transport: opens a Link (a duplex of frames) to a router over WebSocket, RawSocket or memory.
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import type * as Option from "effect/Option"
import type * as Scope from "effect/Scope"
import type * as Stream from "effect/Stream"
import { TransportError } from "./Errors.js"
import * as Inbox from "./internal/transport/inbox.js"
import type { Frame, SerializerService } from "./Serializer.js"

/** How a link ended. `clean` is false for drops (WebSocket 1006, TCP reset, ...). */
export interface CloseInfo {
  readonly code: number
  readonly reason: string
  readonly clean: boolean
}

export interface Link {
  /** The serializer negotiated for this link. */
  readonly serializer: SerializerService
  /**
   * Sends one frame, synchronously: the frame is handed to the socket (or its buffer) before this
   * returns, and the result says whether that worked: `Exit.void`, or a failure with a
   * `TransportError` ("Closed" once the link has ended, "TooLarge" over the peer's limit, "Write").
   * Nothing waits: WAMP has no flow control, and the session's hot path builds no Effect per write.
   * (An Exit is also an Effect, so `yield* link.send(frame)` still fails with the error.)
   */
  readonly send: (frame: Frame) => Exit.Exit<void, TransportError>
  /**
   * Inbound frames in arrival order. Ends when the link closes cleanly, fails with
   * `TransportError` ("Closed") when it drops. Single consumer.
   */
  readonly inbound: Stream.Stream<Frame, TransportError>
  /**
   * The same frames as `inbound`, pulled in batches without the Stream machinery (the session's hot
   * path): everything buffered, waiting when there is nothing; fails with `None` at a clean end and
   * `Some(TransportError)` on a drop. Optional for custom links: the session falls back to `inbound`.
   * Use either `inbound` or `receive`, not both.
   */
  readonly receive?: Effect.Effect<ReadonlyArray<Frame>, Option.Option<TransportError>> | undefined
  /**
   * Push delivery, with `receive` (optional; the session's hot path: a reply reaches its caller
   * without a consumer fiber waking first). Each later frame goes to `handler` in place, from the
   * socket's callback, in order. When `handler` returns false, delivery pauses: later frames buffer
   * and `receive` returns at once (possibly with no frames), so the consumer can finish that frame's
   * work, take the buffered frames and call `push` again, which returns false (still paused) while
   * frames are buffered. `receive` still reports the end. Never with `inbound`.
   */
  readonly push?: ((handler: (frame: Frame) => boolean) => boolean) | undefined
  /** Completes when the link has ended, whichever side closed it. */
  readonly closed: Effect.Effect<CloseInfo>
  /** Closes the link (idempotent) and waits until it has ended. */
  readonly close: (code?: number, reason?: string) => Effect.Effect<void>
  /** TLS channel binding data (`tls-unique`) when the transport has it. */
  readonly channelBinding?: Uint8Array | undefined
}

export interface TransportService {
  /** Opens a link offering the given serializers in preference order; the scope closes it. */
  readonly open: (
    serializers: ReadonlyArray<SerializerService>
  ) => Effect.Effect<Link, TransportError, Scope.Scope>
}

export class Transport extends Context.Tag("effect-wamp/Transport")<Transport, TransportService>() {}

/**
 * Two links joined back to back in memory, both using `serializer`. Frames still go through the
 * serializer on each side, so in-memory tests exercise the same code as sockets. Closing one side
 * ends the other cleanly with the same code.
 */
export const memoryPair = (
  serializer: SerializerService
): Effect.Effect<readonly [client: Link, peer: Link]> =>
  Effect.gen(function*() {
    const inboxA = yield* Inbox.make
    const inboxB = yield* Inbox.make
    const endBoth = (code: number, reason: string) => {
      const info: CloseInfo = { code, reason, clean: code === 1000 || code === 1001 }
      inboxA.end(info)
      inboxB.end(info)
    }
    const side = (own: Inbox.Inbox, other: Inbox.Inbox): Link => ({
      serializer,
      send: (frame) => {
        if (own.isEnded()) return Exit.fail(new TransportError({ reason: "Closed", message: "link is closed" }))
        other.offer(frame)
        return Exit.void
      },
      inbound: own.stream,
      receive: own.pull,
      push: own.push,
      closed: own.closed,
      close: (code = 1000, reason = "") => Effect.zipRight(Effect.sync(() => endBoth(code, reason)), own.closed)
    })
    return [side(inboxA, inboxB), side(inboxB, inboxA)] as const
  })

/** A Transport (the service value itself, as `HttpClient.make` gives one) whose every `open` runs `open`. */
export const make = (open: TransportService["open"]): TransportService => ({ open })
