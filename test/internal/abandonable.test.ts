import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Exit, Fiber } from "effect"
import { abandonable } from "../../src/internal/abandonable.js"

/** A wait that counts its abandons in `log` and can be resumed from outside. */
const recordedWait = (log: Array<string>, name: string, started?: Deferred.Deferred<void>) => {
  let resumeLater: ((exit: Exit.Exit<number>) => void) | undefined
  const wait = abandonable<number, never>((resume) => {
    log.push(`start ${name}`)
    resumeLater = resume
    if (started !== undefined) Deferred.unsafeDone(started, Exit.void)
    return () => {
      log.push(`abandon ${name}`)
    }
  })
  return { wait, resume: (value: number) => resumeLater!(Exit.succeed(value)) }
}

/**
 * Forks a fiber that waits on `first` and catches its interruption under a mask, so it lives on;
 * interrupts it. Returns once `first` has ended: its exit, the interrupting fiber, and `release`,
 * which lets the fiber go on to run `after`.
 */
const catchingInterruption = <A>(first: Effect.Effect<number>, after: Effect.Effect<A>) =>
  Effect.gen(function*() {
    const registered = yield* Deferred.make<void>()
    const firstEnded = yield* Deferred.make<Exit.Exit<number>>()
    const release = yield* Deferred.make<void>()
    const fiber = yield* Effect.fork(Effect.uninterruptibleMask((restore) =>
      Effect.gen(function*() {
        const exit = yield* Effect.exit(restore(Effect.zipRight(Deferred.succeed(registered, undefined), first)))
        yield* Deferred.succeed(firstEnded, exit)
        yield* Deferred.await(release)
        return yield* after
      })
    ))
    yield* Deferred.await(registered)
    const interrupting = yield* Effect.fork(Fiber.interrupt(fiber))
    const firstExit = yield* Deferred.await(firstEnded)
    return { firstExit, interrupting, release: Deferred.succeed(release, undefined) }
  })

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

  it.effect("one fiber, many waits resumed in turn: abandon never runs", () =>
    Effect.gen(function*() {
      let abandoned = 0
      const wait = abandonable<number, never>((resume) => {
        queueMicrotask(() => resume(Exit.succeed(1)))
        return () => {
          abandoned++
        }
      })
      let sum = 0
      const fiber = yield* Effect.fork(Effect.repeatN(
        Effect.tap(wait, (n) => {
          sum += n
        }),
        99
      ))
      yield* Fiber.join(fiber)
      expect(sum).toBe(100)
      expect(abandoned).toBe(0)
    }))

  it.effect("interrupted, and the fiber goes on: abandon runs before its next wait starts, once", () =>
    Effect.gen(function*() {
      const log: Array<string> = []
      const secondStarted = yield* Deferred.make<void>()
      const first = recordedWait(log, "first")
      const second = recordedWait(log, "second", secondStarted)
      const { firstExit, interrupting, release } = yield* catchingInterruption(
        first.wait,
        Effect.zipRight(Effect.sync(() => log.push("going on")), second.wait)
      )
      log.push(`first ended ${Exit.isInterrupted(firstExit) ? "interrupted" : "otherwise"}`)
      expect(log).toEqual(["start first", "first ended interrupted"])
      yield* release
      yield* Deferred.await(secondStarted)
      expect(log).toEqual(["start first", "first ended interrupted", "going on", "abandon first", "start second"])
      second.resume(2)
      yield* Fiber.join(interrupting)
      expect(log.filter((line) => line.startsWith("abandon"))).toEqual(["abandon first"])
    }))

  it.effect("interrupted, and the fiber goes on without another wait: abandon runs when the fiber ends", () =>
    Effect.gen(function*() {
      const log: Array<string> = []
      const first = recordedWait(log, "first")
      const { interrupting, release } = yield* catchingInterruption(
        first.wait,
        Effect.sync(() => log.push("ending"))
      )
      expect(log).toEqual(["start first"])
      yield* release
      yield* Fiber.join(interrupting)
      expect(log).toEqual(["start first", "ending", "abandon first"])
    }))

  it.effect("two fibers waiting, one interrupted: only its wait is abandoned; the other still resumes", () =>
    Effect.gen(function*() {
      const log: Array<string> = []
      const a = recordedWait(log, "a")
      const b = recordedWait(log, "b")
      const fiberA = yield* Effect.fork(a.wait)
      const fiberB = yield* Effect.fork(b.wait)
      yield* Effect.yieldNow()
      yield* Fiber.interrupt(fiberA)
      b.resume(5)
      expect(yield* Fiber.join(fiberB)).toBe(5)
      expect(log).toEqual(["start a", "start b", "abandon a"])
    }))
})
