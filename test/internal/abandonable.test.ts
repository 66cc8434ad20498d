import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Exit, Fiber } from "effect"
import { abandonable } from "../../src/internal/abandonable.js"

describe("abandonable: one wait that is abandoned when interrupted, and only then", () => {
  it.effect("resumed later: succeeds or fails with the outcome; abandon never runs", () =>
    Effect.gen(function*() {
      let abandoned = 0
      let resumeLater: ((exit: Exit.Exit<number, string>) => void) | undefined
      const wait = abandonable<number, string>((resume) => {
        resumeLater = resume
        return () => {
          abandoned++
        }
      })
      const fiber = yield* Effect.fork(wait)
      yield* Effect.yieldNow()
      resumeLater!(Exit.succeed(7))
      expect(yield* Fiber.join(fiber)).toBe(7)
      const failing = yield* Effect.fork(wait)
      yield* Effect.yieldNow()
      resumeLater!(Exit.fail("refused"))
      expect(yield* Effect.flip(Fiber.join(failing))).toBe("refused")
      expect(abandoned).toBe(0)
    }))

  it.effect("resumed before register returns: the outcome, no wait, no abandon", () =>
    Effect.gen(function*() {
      let abandoned = 0
      const result = yield* abandonable<string, never>((resume) => {
        resume(Exit.succeed("at once"))
        return () => {
          abandoned++
        }
      })
      expect(result).toBe("at once")
      expect(abandoned).toBe(0)
    }))

  it.effect("interrupted while waiting: abandon runs once, the fiber ends interrupted, a late resume is ignored", () =>
    Effect.gen(function*() {
      let abandoned = 0
      let resumeLater: ((exit: Exit.Exit<number>) => void) | undefined
      const registered = yield* Deferred.make<void>()
      const fiber = yield* Effect.fork(abandonable<number, never>((resume) => {
        resumeLater = resume
        Deferred.unsafeDone(registered, Exit.void)
        return () => {
          abandoned++
        }
      }))
      yield* Deferred.await(registered)
      const exit = yield* Fiber.interrupt(fiber)
      expect(Exit.isInterrupted(exit)).toBe(true)
      expect(abandoned).toBe(1)
      resumeLater!(Exit.succeed(1))
      expect(abandoned).toBe(1)
    }))

  it.effect("nothing to abandon (undefined): interruption still ends the wait", () =>
    Effect.gen(function*() {
      const fiber = yield* Effect.fork(abandonable<number, never>(() => undefined))
      yield* Effect.yieldNow()
      expect(Exit.isInterrupted(yield* Fiber.interrupt(fiber))).toBe(true)
    }))

  it.effect("in an uninterruptible region the wait is not interruptible (as Effect.async)", () =>
    Effect.gen(function*() {
      let abandoned = 0
      let resumeLater: ((exit: Exit.Exit<number>) => void) | undefined
      let got: number | undefined
      const wait = abandonable<number, never>((resume) => {
        resumeLater = resume
        return () => {
          abandoned++
        }
      })
      const fiber = yield* Effect.fork(Effect.uninterruptible(Effect.tap(wait, (value) => {
        got = value
      })))
      yield* Effect.yieldNow()
      const interrupting = yield* Effect.fork(Fiber.interrupt(fiber))
      yield* Effect.yieldNow()
      resumeLater!(Exit.succeed(3))
      // The wait ran to its end; the fiber is interrupted only after the region.
      expect(Exit.isInterrupted(yield* Fiber.join(interrupting))).toBe(true)
      expect(got).toBe(3)
      expect(abandoned).toBe(0)
    }))
})
