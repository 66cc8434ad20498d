import { describe, expect, it } from "@effect/vitest"
import { Chunk, Effect, Fiber, Option, Stream } from "effect"
import { EventBuffer } from "../../src/internal/eventBuffer.js"

class Buffer extends EventBuffer<number, Error> {
  protected overflowError(): Error {
    return new Error("overflowed")
  }
}

const make = () => new Buffer({ capacity: 16, overflow: "fail" })

/** Lets the forked consumer run until it waits. */
const settle = Effect.repeatN(Effect.yieldNow(), 10)

/** A consumer that starts waiting on `buffer` and is interrupted while it waits. */
const abandonWait = (buffer: Buffer) =>
  Effect.gen(function*() {
    const consumer = yield* Effect.fork(Stream.runCollect(buffer.stream))
    yield* settle
    yield* Fiber.interrupt(consumer)
  })

describe("EventBuffer: a subscriber's buffer and its stream", () => {
  // Live clock: a lost element shows as the timeout, not as a hung test.
  it.live("a consumer interrupted while waiting loses nothing: the next one reads what came after", () =>
    Effect.gen(function*() {
      const buffer = make()
      yield* abandonWait(buffer)
      buffer.offer(1)
      buffer.offer(2)
      const taken = yield* Stream.runCollect(Stream.take(buffer.stream, 2)).pipe(Effect.timeout("2 seconds"))
      expect(Chunk.toReadonlyArray(taken)).toEqual([1, 2])
    }))

  it.live("after an interrupted wait, elements offered to a waiting consumer reach it, and the end ends it", () =>
    Effect.gen(function*() {
      const buffer = make()
      yield* abandonWait(buffer)
      const second = yield* Effect.fork(Stream.runCollect(buffer.stream))
      yield* settle
      buffer.offer(3)
      yield* settle
      buffer.offer(4)
      buffer.end(Option.none())
      expect(Chunk.toReadonlyArray(yield* Fiber.join(second).pipe(Effect.timeout("2 seconds")))).toEqual([3, 4])
    }))

  it.effect("elements come in the chunks they were buffered in; a failure ends the stream after them", () =>
    Effect.gen(function*() {
      const buffer = make()
      buffer.offer(1)
      buffer.offer(2)
      buffer.end(Option.some(new Error("gone")))
      const chunks: Array<ReadonlyArray<number>> = []
      const exit = yield* Stream.runForEachChunk(buffer.stream, (chunk) =>
        Effect.sync(() => {
          chunks.push(Chunk.toReadonlyArray(chunk))
        })).pipe(Effect.exit)
      expect(chunks).toEqual([[1, 2]])
      expect(exit._tag).toBe("Failure")
    }))
})
