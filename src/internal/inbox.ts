/**
 * The inbound side of every Link: socket callbacks push frames synchronously, one consumer pulls
 * them in order as chunks. Ending is in-band (a sentinel after the last frame), so no frame that
 * arrived before the close is lost.
 */
import { Chunk, Deferred, Effect, Option, Queue, Stream } from "effect"
import { TransportError } from "../Errors.js"
import type { Frame } from "../Serializer.js"
import type { CloseInfo } from "../Transport.js"

const END: unique symbol = Symbol("effect-wamp/inbox/end")

export interface Inbox {
  /** Called from socket callbacks; frames after `end` are dropped. */
  readonly offer: (frame: Frame) => void
  /** Idempotent: the first call wins. */
  readonly end: (info: CloseInfo) => void
  readonly stream: Stream.Stream<Frame, TransportError>
  readonly closed: Effect.Effect<CloseInfo>
  readonly isEnded: () => boolean
}

const MAX_CHUNK = 1024

export const make: Effect.Effect<Inbox> = Effect.gen(function*() {
  const queue = yield* Queue.unbounded<Frame | typeof END>()
  const closedSignal = yield* Deferred.make<CloseInfo>()
  let ended: CloseInfo | undefined
  let drained = false

  const closeError = (info: CloseInfo) =>
    new TransportError({
      reason: "Closed",
      message: `connection lost (code ${info.code}${info.reason ? `: ${info.reason}` : ""})`,
      code: info.code
    })

  const pull: Effect.Effect<Chunk.Chunk<Frame>, Option.Option<TransportError>> = Effect.suspend(() => {
    if (drained) return finish()
    return Effect.flatMap(Queue.takeBetween(queue, 1, MAX_CHUNK), (chunk) => {
      const items = Chunk.toReadonlyArray(chunk)
      const endAt = items.indexOf(END)
      if (endAt === -1) return Effect.succeed(chunk as Chunk.Chunk<Frame>)
      drained = true
      if (endAt === 0) return finish()
      return Effect.succeed(Chunk.unsafeFromArray(items.slice(0, endAt) as Array<Frame>))
    })
  })

  const finish = (): Effect.Effect<never, Option.Option<TransportError>> =>
    ended !== undefined && !ended.clean ? Effect.fail(Option.some(closeError(ended))) : Effect.fail(Option.none())

  return {
    offer: (frame) => {
      if (ended === undefined) queue.unsafeOffer(frame)
    },
    end: (info) => {
      if (ended !== undefined) return
      ended = info
      queue.unsafeOffer(END)
      Deferred.unsafeDone(closedSignal, Effect.succeed(info))
    },
    stream: Stream.repeatEffectChunkOption(pull),
    closed: Deferred.await(closedSignal),
    isEnded: () => ended !== undefined
  }
})
