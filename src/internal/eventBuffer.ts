/**
 * A subscriber's bounded buffer: the dispatcher offers synchronously, one consumer pulls everything
 * buffered at once. Overflow follows the subscriber's strategy.
 *
 * Small, because a session may hold 100,000 of them: no array until the first element, and the
 * pull Effects and the Stream are made when the consumer first reads, by either (an Effect Mailbox
 * costs about 2 KB, an eagerly built Stream several hundred bytes).
 */
import * as Channel from "effect/Channel"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import type { OverflowStrategy } from "../Session.js"

const noChunk = Effect.succeed(undefined)
const endOfStream = <E>(ending: Option.Option<E>): Effect.Effect<undefined, E> =>
  Option.isNone(ending) ? noChunk : Effect.fail(ending.value)

/** The next chunk of elements, or `undefined` at the end. */
type Next<A, E> = Effect.Effect<Chunk.Chunk<A> | undefined, E>

/** What `takeAll` gives: the elements buffered, and true (with none) once the buffer has ended. */
export type Taken<A> = readonly [elements: Chunk.Chunk<A>, done: boolean]

const ended: Taken<never> = [Chunk.empty(), true]

/** The consumer's side, made when it first reads (the stream, `pull` or `takeAll`). */
interface Reader<A, E> {
  readonly next: Next<A, E>
  readonly stream: Stream.Stream<A, E>
  readonly takeAll: Effect.Effect<Taken<A>, E>
  /** The consumer, waiting for elements: resumed with `next`. */
  waiter: ((next: Next<A, E>) => void) | undefined
}

/** The dispatcher, waiting for room under "suspend", with the element it could not place. */
interface Suspended<A> {
  readonly resume: (effect: Effect.Effect<void>) => void
  element: A | undefined
}

export interface BufferPolicy {
  readonly capacity: number
  readonly overflow: OverflowStrategy
}

export abstract class EventBuffer<A, E> {
  private buffer: Array<A> | undefined = undefined
  private ending: Option.Option<E> | undefined = undefined
  private reader: Reader<A, E> | undefined = undefined
  private suspended: Suspended<A> | undefined = undefined

  constructor(readonly policy: BufferPolicy) {}

  get capacity(): number {
    return this.policy.capacity
  }

  /** The error a full buffer fails with under "fail". */
  protected abstract overflowError(): E

  /**
   * Told how many elements the consumer takes at once (e.g. to count them): in the pull itself,
   * because another stage on the stream (`mapChunks`) costs a channel step per chunk.
   */
  protected taken(_count: number): void {}

  /**
   * Offers one element. Returns undefined when done, or an Effect the dispatcher must wait on
   * (only under "suspend" with a full buffer).
   */
  offer(element: A): Effect.Effect<void> | undefined {
    if (this.ending !== undefined) return undefined
    const current = this.buffer
    if ((current?.length ?? 0) < this.policy.capacity) {
      // A one-element array for the first: `[]` then push reserves room for 17.
      if (current === undefined) this.buffer = [element]
      else current.push(element)
      this.wake()
      return undefined
    }
    const buffer = this.buffer ??= []
    switch (this.policy.overflow) {
      case "dropOldest":
        buffer.shift()
        buffer.push(element)
        return undefined
      case "fail":
        this.end(Option.some(this.overflowError()))
        return undefined
      case "suspend":
        return Effect.async<void>((resume) => {
          const suspended: Suspended<A> = { resume, element }
          this.suspended = suspended
          return Effect.sync(() => {
            if (this.suspended === suspended) this.suspended = undefined
          })
        })
    }
  }

  /** Nothing offered, nothing read, not ended: an element a subclass holds back has lost no place yet. */
  protected get pristine(): boolean {
    return this.buffer === undefined && this.reader === undefined && this.ending === undefined
  }

  /** Ends after the buffered elements: `None` ends the stream, `Some(error)` fails it. */
  end(error: Option.Option<E>): void {
    if (this.ending !== undefined) return
    this.ending = error
    this.wake()
  }

  /** Ends now, dropping the buffer, and releases a waiting dispatcher: the reader is gone. */
  shutdown(): void {
    this.buffer = undefined
    if (this.suspended !== undefined) this.suspended.element = undefined
    this.end(Option.none())
    this.releaseSpace()
  }

  private wake(): void {
    const reader = this.reader
    const resume = reader?.waiter
    if (resume === undefined) return
    reader!.waiter = undefined
    resume(reader!.next)
  }

  private releaseSpace(): void {
    const suspended = this.suspended
    if (suspended === undefined) return
    this.suspended = undefined
    if (suspended.element !== undefined && this.ending === undefined) (this.buffer ??= []).push(suspended.element)
    suspended.resume(Effect.void)
  }

  private makeReader(): Reader<A, E> {
    const next: Next<A, E> = Effect.suspend(() => {
      const elements = this.buffer
      if (elements !== undefined && elements.length > 0) {
        this.buffer = undefined
        this.releaseSpace()
        this.taken(elements.length)
        return Effect.succeed(Chunk.unsafeFromArray(elements))
      }
      if (this.ending !== undefined) return endOfStream(this.ending)
      // A plain wait, no canceler: an interrupted consumer leaves its resume behind, which the next
      // pull replaces, and a wake that finds it is a no-op (Effect resumes a fiber at most once), so
      // the elements stay for the next pull (`abandonable` would add a slot lookup for nothing).
      return Effect.async<Chunk.Chunk<A> | undefined, E>((resume) => {
        reader.waiter = resume
      })
    })
    // One small channel loop: per chunk one effect and one write. `Stream.repeatEffectChunkOption`
    // adds a map, a catchAll, an Option, a tuple and an unwrap per chunk (about 3 KB more garbage).
    const loop: Channel.Channel<Chunk.Chunk<A>, unknown, E, unknown, void, unknown> = Channel.suspend(() => step)
    const step = Channel.flatMap(
      Channel.fromEffect(next),
      (chunk) => chunk === undefined ? Channel.void : Channel.zipRight(Channel.write(chunk), loop)
    )
    const reader: Reader<A, E> = {
      next,
      stream: Stream.fromChannel(loop),
      takeAll: Effect.map(next, (chunk): Taken<A> => chunk === undefined ? ended : [chunk, false]),
      waiter: undefined
    }
    return reader
  }

  get stream(): Stream.Stream<A, E> {
    return (this.reader ??= this.makeReader()).stream
  }

  /** The next chunk, waiting while there is none, or `undefined` once ended: the stream's own pull. */
  get pull(): Next<A, E> {
    return (this.reader ??= this.makeReader()).next
  }

  /**
   * Everything buffered, waiting while there is nothing: one wait per chunk, and none of the
   * stream's per-chunk steps. The same single consumer as `stream`.
   */
  get takeAll(): Effect.Effect<Taken<A>, E> {
    return (this.reader ??= this.makeReader()).takeAll
  }
}
