/**
 * Transport: opens a Link (a duplex of frames) to a router over WebSocket, RawSocket or memory.
 */
import { Context, Effect, type Option, type Scope, type Stream } from "effect"
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
  /** Sends one frame. Fails with `TransportError` ("Closed" once the link has ended, "TooLarge" over the peer's limit). */
  readonly send: (frame: Frame) => Effect.Effect<void, TransportError>
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
      send: (frame) =>
        own.isEnded()
          ? Effect.fail(new TransportError({ reason: "Closed", message: "link is closed" }))
          : Effect.sync(() => other.offer(frame)),
      inbound: own.stream,
      receive: own.pull,
      closed: own.closed,
      close: (code = 1000, reason = "") => Effect.zipRight(Effect.sync(() => endBoth(code, reason)), own.closed)
    })
    return [side(inboxA, inboxB), side(inboxB, inboxA)] as const
  })

/** A Transport whose every `open` is served by `connect` (used by the test kit). */
export const make = (open: TransportService["open"]): TransportService => ({ open })
