/**
 * The keep-alive schedule itself, on TestClock: a PING every interval, the link dropped exactly
 * when a PING has gone unanswered for `timeout`, never while answers (PONGs or frames) come back.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Fiber, TestClock } from "effect"
import type { TransportError } from "../src/Errors.js"
import * as KeepAlive from "../src/internal/transport/keepAlive.js"

const harness = (answer: boolean) =>
  Effect.gen(function*() {
    let pings = 0
    let ended = false
    let dropped: TransportError | undefined
    const keepAlive: KeepAlive.KeepAlive = KeepAlive.make(
      KeepAlive.settings({ interval: "30 seconds", timeout: "5 seconds" })!,
      {
        ping: () => {
          pings++
          if (answer) queueMicrotask(() => keepAlive.heard())
        },
        ended: () => ended,
        drop: (error) => {
          dropped = error
          ended = true
        }
      }
    )
    const fiber = yield* Effect.fork(keepAlive.run)
    return {
      fiber,
      keepAlive,
      pings: () => pings,
      dropped: () => dropped,
      end: () => {
        ended = true
      }
    }
  })

describe("keep-alive schedule", () => {
  it.effect("defaults: every 30 s, 15 s to answer", () =>
    Effect.sync(() => {
      const settings = KeepAlive.settings(undefined)!
      expect(settings.interval).toEqual(KeepAlive.settings({ interval: "30 seconds" })!.interval)
      expect(settings.timeout).toEqual(KeepAlive.settings({ timeout: "15 seconds" })!.timeout)
      expect(KeepAlive.settings(false)).toBeUndefined()
    }))

  it.effect("an answering peer is pinged every interval and never dropped", () =>
    Effect.gen(function*() {
      const h = yield* harness(true)
      for (let i = 1; i <= 10; i++) {
        yield* TestClock.adjust("30 seconds")
        yield* Effect.yieldNow()
        expect(h.pings()).toBe(i)
      }
      expect(h.dropped()).toBeUndefined()
      h.end()
      yield* TestClock.adjust("30 seconds")
      yield* Fiber.join(h.fiber)
      expect(h.pings()).toBe(10)
    }))

  it.effect("a silent peer is dropped at interval + timeout, not before", () =>
    Effect.gen(function*() {
      const h = yield* harness(false)
      yield* TestClock.adjust("30 seconds")
      expect(h.pings()).toBe(1)
      yield* TestClock.adjust("4999 millis")
      expect(h.dropped()).toBeUndefined()
      yield* TestClock.adjust("1 millis")
      yield* Fiber.join(h.fiber)
      expect(h.dropped()?.reason).toBe("Timeout")
      expect(h.dropped()?.message).toMatch(/keep-alive: no answer to a PING within 5s/)
    }))

  it.effect("any frame heard after the PING counts as an answer", () =>
    Effect.gen(function*() {
      const h = yield* harness(false)
      yield* TestClock.adjust("30 seconds")
      yield* TestClock.adjust("3 seconds")
      h.keepAlive.heard()
      yield* TestClock.adjust("10 seconds")
      expect(h.dropped()).toBeUndefined()
      // The next PING goes an interval after that answer, and is not answered.
      yield* TestClock.adjust("19999 millis")
      expect(h.pings()).toBe(1)
      yield* TestClock.adjust("1 millis")
      expect(h.pings()).toBe(2)
      yield* TestClock.adjust("5 seconds")
      yield* Fiber.join(h.fiber)
      expect(h.dropped()).toBeDefined()
    }))
})
