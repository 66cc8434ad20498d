/**
 * The inbound side of every Link: socket callbacks push frames synchronously, one consumer pulls
 * everything buffered at once, in order. Ending is in-band (after the buffered frames), so no frame
 * that arrived before the close is lost.
 *
 * Hot path: a plain array and one `Effect.async` per wait — no Queue, Deferred or Stream per frame.
 */
import { Chunk, Deferred, Effect, FiberId, Option, Stream } from "effect"
import { TransportError } from "../../Errors.js"
import type { Frame } from "../../Serializer.js"
import type { CloseInfo } from "../../Transport.js"

export type Pull = Effect.Effect<ReadonlyArray<Frame>, Option.Option<TransportError>>

export interface Inbox {
  /** Called from socket callbacks; frames after `end` are dropped. */
  readonly offer: (frame: Frame) => void
  /** Idempotent: the first call wins. `error` replaces the default "connection lost" failure of an unclean end. */
  readonly end: (info: CloseInfo, error?: TransportError) => void
  /**
   * Everything buffered (never empty), waiting when there is nothing. After the end and the last
   * frame: fails with `None` for a clean close, `Some(TransportError)` for a drop. Single consumer.
   */
  readonly pull: Pull
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

export const unsafeMake = (): Inbox => {
  let buffer: Array<Frame> = []
  let ending: Effect.Effect<never, Option.Option<TransportError>> | undefined
  let waiter: ((pull: Pull) => void) | undefined
  const closedSignal = Deferred.unsafeMake<CloseInfo>(FiberId.none)

  const wake = () => {
    const resume = waiter
    if (resume === undefined) return
    waiter = undefined
    // The consumer takes what is there when it runs, so frames arriving meanwhile join the batch.
    resume(pull)
  }

  const pull: Pull = Effect.suspend(() => {
    if (buffer.length > 0) {
      const frames = buffer
      buffer = []
      return Effect.succeed(frames)
    }
    if (ending !== undefined) return ending
    return Effect.async<ReadonlyArray<Frame>, Option.Option<TransportError>>((resume) => {
      waiter = resume
      return Effect.sync(() => {
        if (waiter === resume) waiter = undefined
      })
    })
  })

  return {
    offer: (frame) => {
      if (ending !== undefined) return
      buffer.push(frame)
      if (waiter !== undefined) wake()
    },
    end: (info, error) => {
      if (ending !== undefined) return
      ending = info.clean && error === undefined
        ? Effect.fail(Option.none())
        : Effect.fail(Option.some(error ?? closeError(info)))
      Deferred.unsafeDone(closedSignal, Effect.succeed(info))
      if (waiter !== undefined) wake()
    },
    pull,
    stream: Stream.repeatEffectChunkOption(Effect.map(pull, (frames) => Chunk.unsafeFromArray(frames as Array<Frame>))),
    closed: Deferred.await(closedSignal),
    isEnded: () => ending !== undefined
  }
}

export const make: Effect.Effect<Inbox> = Effect.sync(unsafeMake)
