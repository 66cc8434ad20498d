/**
 * SharedScheduler: fibers ready in one tick resume in one microtask, a fiber that keeps yielding
 * still lets timers in, and a Session runs on it unchanged (in-memory test-kit router).
 */
import { afterEach, describe, expect, it, vi } from "@effect/vitest"
import { Deferred, Effect, Fiber, FiberRef, Layer, ManagedRuntime, Scheduler, Stream } from "effect"
import * as Serializer from "../src/Serializer.js"
import * as SharedScheduler from "../src/SharedScheduler.js"
import * as Router from "../src/testing/Router.js"
import { sessionOver } from "./support/routerSession.js"

afterEach(() => {
  vi.restoreAllMocks()
})

/**
 * Forks `count` fibers each waiting on its own Deferred, completes them all in one synchronous step,
 * and returns, for each fiber, how many microtasks had been queued when it resumed.
 */
const microtasksSeenOnResume = (count: number) =>
  Effect.gen(function*() {
    const gates = yield* Effect.forEach(Array.from({ length: count }), () => Deferred.make<void>())
    const seen: Array<number> = []
    const queueMicrotask = vi.spyOn(globalThis, "queueMicrotask")
    let before = 0
    const fibers = yield* Effect.forEach(gates, (gate) =>
      Effect.fork(Effect.andThen(Deferred.await(gate), () => {
        seen.push(queueMicrotask.mock.calls.length - before)
      })))
    yield* Effect.yieldNow()
    before = queueMicrotask.mock.calls.length
    for (const gate of gates) Deferred.unsafeDone(gate, Effect.void)
    yield* Fiber.joinAll(fibers)
    return seen
  })

/** Yields `limit` times in a row on the scheduler; returns at which yield a 0 ms timer had fired, if it did. */
const yieldsBeforeTimer = (limit: number) =>
  Effect.gen(function*() {
    let yields = 0
    let firedAt: number | undefined = undefined
    setTimeout(() => {
      firedAt = yields
    }, 0)
    while (yields < limit && firedAt === undefined) {
      yields++
      yield* Effect.yieldNow()
    }
    return firedAt
  })

describe("SharedScheduler", () => {
  it("resumes every fiber ready in the same tick from one microtask", async () => {
    const seen = await Effect.runPromise(
      microtasksSeenOnResume(1000).pipe(Effect.withScheduler(SharedScheduler.make()))
    )
    // All in the first drain: one microtask queued, not one per fiber.
    expect(seen).toEqual(Array.from({ length: 1000 }, () => 1))
  })

  it("a fiber that keeps yielding lets a timer in after maxMicrotasksBeforeTimer drains", async () => {
    const firedAt = await Effect.runPromise(
      yieldsBeforeTimer(10_000).pipe(Effect.withScheduler(SharedScheduler.make()))
    )
    expect(firedAt).toBeDefined()
    expect(firedAt!).toBeLessThanOrEqual(2049)
    const sooner = await Effect.runPromise(
      yieldsBeforeTimer(10_000).pipe(Effect.withScheduler(SharedScheduler.make({ maxMicrotasksBeforeTimer: 10 })))
    )
    expect(sooner).toBeDefined()
    expect(sooner!).toBeLessThanOrEqual(11)
  })

  it("refuses a limit that is not a positive integer", () => {
    for (const bad of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => SharedScheduler.make({ maxMicrotasksBeforeTimer: bad })).toThrow(
        /maxMicrotasksBeforeTimer must be a positive integer/
      )
    }
  })

  it("provided with Effect.provide, the program and the fibers it forks run on it", async () => {
    const onShared = Effect.map(FiberRef.get(FiberRef.currentScheduler), (s) => s !== Scheduler.defaultScheduler)
    const program = Effect.all([onShared, Effect.flatMap(Effect.fork(onShared), Fiber.join)])
    expect(await Effect.runPromise(program)).toEqual([false, false])
    expect(await Effect.runPromise(program.pipe(Effect.provide(SharedScheduler.layer())))).toEqual([true, true])
  })

  it("as a runtime's layer: calls, interruption and events on the test-kit router", async () => {
    const runtime = ManagedRuntime.make(Layer.mergeAll(Router.layer({ realms: ["realm1"] }), SharedScheduler.layer()))
    try {
      const outcome = await runtime.runPromise(Effect.scoped(Effect.gen(function*() {
        const router = yield* Router.Router
        const scheduler = yield* FiberRef.get(FiberRef.currentScheduler)
        const callee = yield* sessionOver(router, Serializer.json)
        const caller = yield* sessionOver(router, Serializer.json)
        yield* callee.register("com.example.echo", (invocation) => Effect.succeed({ args: invocation.args }))
        const cancelled = yield* Deferred.make<void>()
        yield* callee.register(
          "com.example.never",
          () => Effect.onInterrupt(Effect.never, () => Deferred.succeed(cancelled, undefined))
        )
        const results = yield* Effect.forEach(
          Array.from({ length: 200 }, (_, i) => i),
          (i) => caller.call("com.example.echo", [i]),
          { concurrency: "unbounded" }
        )
        const pending = yield* Effect.fork(caller.call("com.example.never"))
        yield* Effect.sleep("20 millis")
        yield* Fiber.interrupt(pending)
        // The CANCEL reached the router, which interrupted the callee's handler.
        yield* Deferred.await(cancelled).pipe(
          Effect.timeoutFail({ duration: "2 seconds", onTimeout: () => "no INTERRUPT" })
        )
        const subscription = yield* caller.subscribe("com.example.topic")
        const events = yield* Effect.fork(Stream.runCollect(Stream.take(subscription.events, 3)))
        yield* Effect.forEach(
          [1, 2, 3],
          (n) => callee.publish("com.example.topic", [n], undefined, { acknowledge: true })
        )
        return {
          onShared: scheduler !== Scheduler.defaultScheduler,
          echoed: results.map((result) => result.args[0]),
          events: [...yield* Fiber.join(events)].map((event) => event.args[0])
        }
      })))
      expect(outcome.onShared).toBe(true)
      expect(outcome.echoed).toEqual(Array.from({ length: 200 }, (_, i) => i))
      expect(outcome.events).toEqual([1, 2, 3])
    } finally {
      await runtime.dispose()
    }
  })
})
