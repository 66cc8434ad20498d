/**
 * The inbound side of every Link: socket callbacks push frames synchronously, one consumer takes
 * them in order. Ending is in-band (after the buffered frames), so no frame that arrived before the
 * close is lost.
 *
 * Two ways to consume. Pull: everything buffered at once, one `Effect.async` per wait. Push (the
 * session's hot path): a handler called in place from the socket callback, so a reply reaches its
 * caller without waking a consumer fiber first; when the handler has asynchronous work to finish
 * before the next frame, it pauses delivery and the consumer pulls what arrived meanwhile.
 *
 * Hot path: a plain array and plain callbacks — no Queue, Deferred or Stream per frame.
 */
import * as Chunk from "effect/Chunk"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as FiberId from "effect/FiberId"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import { TransportError } from "../../Errors.js"
import type { Frame } from "../../Serializer.js"
import type { CloseInfo } from "../../Transport.js"

export type Pull = Effect.Effect<ReadonlyArray<Frame>, Option.Option<TransportError>>

/** Handles one frame in place; returns false to pause delivery (see `Inbox.push`). */
export type PushHandler = (frame: Frame) => boolean

export interface Inbox {
  /** Called from socket callbacks; frames after `end` are dropped. */
  readonly offer: (frame: Frame) => void
  /** Idempotent: the first call wins. `error` replaces the default "connection lost" failure of an unclean end. */
  readonly end: (info: CloseInfo, error?: TransportError) => void
  /**
   * Everything buffered, waiting when there is nothing (and push delivery is not paused). After the
   * end and the last frame: fails with `None` for a clean close, `Some(TransportError)` for a drop.
   * Single consumer. Never empty, except in push mode right after the handler paused delivery.
   */
  readonly pull: Pull
  /**
   * Starts (or resumes) push delivery: each later frame goes to `handler` in place, in order, frames
   * arriving while it runs (a reentrant send) after it returns. When `handler` returns false,
   * delivery pauses: frames buffer and `pull` returns at once, so the consumer can finish the
   * paused frame's work, take the buffered frames, and call `push` again. `push` returns false (and
   * stays paused) while frames are buffered: pull them first. The end is still reported by `pull`.
   */
  readonly push: (handler: PushHandler) => boolean
  readonly stream: Stream.Stream<Frame, TransportError>
  readonly closed: Effect.Effect<CloseInfo>
  readonly isEnded: () => boolean
}

const closeError = (info: CloseInfo) =>
  new TransportError({
    reason: "Closed",
    message: `connection lost (code ${info.code}${info.reason ? `: ${info.reason}` : ""})`,
    code: info.code
  })

const none: ReadonlyArray<Frame> = []

export const unsafeMake = (): Inbox => {
  let buffer: Array<Frame> = []
  let ending: Effect.Effect<never, Option.Option<TransportError>> | undefined
  let waiter: ((pull: Pull) => void) | undefined
  /** Push mode: the handler, whether delivery is paused, and whether it is running now. */
  let handler: PushHandler | undefined
  let paused = false
  let delivering = false
  const closedSignal = Deferred.unsafeMake<CloseInfo>(FiberId.none)

  const wake = () => {
    const resume = waiter
    if (resume === undefined) return
    waiter = undefined
    // The consumer takes what is there when it runs, so frames arriving meanwhile join the batch.
    resume(pull)
  }

  const take = (): ReadonlyArray<Frame> => {
    const frames = buffer
    buffer = []
    return frames
  }

  const pull: Pull = Effect.suspend(() => {
    if (buffer.length > 0) return Effect.succeed(take())
    if (handler !== undefined && paused) return Effect.succeed(none)
    if (ending !== undefined) return ending
    return Effect.async<ReadonlyArray<Frame>, Option.Option<TransportError>>((resume) => {
      waiter = resume
      return Effect.sync(() => {
        if (waiter === resume) waiter = undefined
      })
    })
  })

  /** Delivers `first`, then what a reentrant offer buffered meanwhile, until empty or paused. */
  const deliver = (push: PushHandler, first: Frame): void => {
    delivering = true
    try {
      let frame = first
      for (;;) {
        if (!push(frame)) {
          paused = true
          break
        }
        if (buffer.length === 0) break
        frame = buffer.shift()!
      }
    } finally {
      delivering = false
    }
    // The consumer is needed when delivery paused, or when the link ended meanwhile.
    if (paused || ending !== undefined) wake()
  }

  return {
    offer: (frame) => {
      if (ending !== undefined) return
      const push = handler
      if (push !== undefined && !paused && !delivering) return deliver(push, frame)
      buffer.push(frame)
      if (waiter !== undefined && !delivering) wake()
    },
    end: (info, error) => {
      if (ending !== undefined) return
      ending = info.clean && error === undefined
        ? Effect.fail(Option.none())
        : Effect.fail(Option.some(error ?? closeError(info)))
      Deferred.unsafeDone(closedSignal, Effect.succeed(info))
      if (waiter !== undefined && !delivering) wake()
    },
    pull,
    push: (push) => {
      handler = push
      paused = buffer.length > 0
      return !paused
    },
    stream: Stream.repeatEffectChunkOption(Effect.map(pull, (frames) => Chunk.unsafeFromArray(frames as Array<Frame>))),
    closed: Deferred.await(closedSignal),
    isEnded: () => ending !== undefined
  }
}

export const make: Effect.Effect<Inbox> = Effect.sync(unsafeMake)
