/**
 * A subscriber's bounded buffer: the dispatcher offers synchronously, one consumer pulls everything
 * buffered at once. Overflow follows the subscriber's strategy. A few hundred bytes each (an Effect
 * Mailbox costs about 2 KB), which matters at 10,000 subscriptions.
 */
import { Chunk, Effect, Option, Stream } from "effect"
import type { OverflowStrategy } from "../Session.js"

type Pull<A, E> = Effect.Effect<Chunk.Chunk<A>, Option.Option<E>>

export class EventBuffer<A, E> {
  private buffer: Array<A> = []
  private ending: Effect.Effect<never, Option.Option<E>> | undefined
  private waiter: ((pull: Pull<A, E>) => void) | undefined
  /** The dispatcher, waiting for room under "suspend". */
  private spaceWaiter: ((effect: Effect.Effect<void>) => void) | undefined
  private pending: A | undefined

  constructor(
    readonly capacity: number,
    readonly overflow: OverflowStrategy,
    private readonly overflowError: () => E
  ) {}

  /**
   * Offers one element. Returns undefined when done, or an Effect the dispatcher must wait on
   * (only under "suspend" with a full buffer).
   */
  offer(element: A): Effect.Effect<void> | undefined {
    if (this.ending !== undefined) return undefined
    if (this.buffer.length < this.capacity) {
      this.buffer.push(element)
      this.wake()
      return undefined
    }
    switch (this.overflow) {
      case "dropOldest":
        this.buffer.shift()
        this.buffer.push(element)
        return undefined
      case "fail":
        this.end(Option.some(this.overflowError()))
        return undefined
      case "suspend":
        return Effect.async<void>((resume) => {
          this.pending = element
          this.spaceWaiter = resume
          return Effect.sync(() => {
            if (this.spaceWaiter === resume) this.spaceWaiter = undefined
          })
        })
    }
  }

  /** Ends after the buffered elements: `None` ends the stream, `Some(error)` fails it. */
  end(error: Option.Option<E>): void {
    if (this.ending !== undefined) return
    this.ending = Effect.fail(error)
    this.wake()
  }

  /** Ends now, dropping the buffer, and releases a waiting dispatcher: the reader is gone. */
  shutdown(): void {
    this.buffer = []
    this.pending = undefined
    this.end(Option.none())
    this.releaseSpace()
  }

  private wake(): void {
    const resume = this.waiter
    if (resume === undefined) return
    this.waiter = undefined
    resume(this.pull)
  }

  private releaseSpace(): void {
    const resume = this.spaceWaiter
    if (resume === undefined) return
    this.spaceWaiter = undefined
    if (this.pending !== undefined && this.ending === undefined) this.buffer.push(this.pending)
    this.pending = undefined
    resume(Effect.void)
  }

  readonly pull: Pull<A, E> = Effect.suspend(() => {
    if (this.buffer.length > 0) {
      const elements = this.buffer
      this.buffer = []
      this.releaseSpace()
      return Effect.succeed(Chunk.unsafeFromArray(elements))
    }
    if (this.ending !== undefined) return this.ending
    return Effect.async<Chunk.Chunk<A>, Option.Option<E>>((resume) => {
      this.waiter = resume
      return Effect.sync(() => {
        if (this.waiter === resume) this.waiter = undefined
      })
    })
  })

  readonly stream: Stream.Stream<A, E> = Stream.repeatEffectChunkOption(this.pull)
}
