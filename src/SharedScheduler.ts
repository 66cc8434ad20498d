/**
 * An opt-in Effect scheduler for programs with many WAMP operations under way at once: every fiber
 * that becomes ready in the same tick resumes in one microtask.
 *
 * Since Effect 3.20 the default scheduler gives each fiber its own runner, so that the
 * AsyncLocalStorage context of concurrent `Runtime.runPromise` calls stays apart (Effect PR #6124).
 * The price is paid per fiber and per resumption: a runner and a WeakMap entry for each fiber, and a
 * Promise, a microtask and two arrays each time a fiber resumes. The Effect API pays it once per
 * call, so with 1,000 calls in flight it is a large part of what the Effect API costs over the
 * facade. In two runs of `npm run bench` on Nexus: 1,000 calls in flight 16.9 → 15.0 and 21.0 → 17.2
 * µs of client CPU per call (JSON; MessagePack 16.9 → 12.0 and 20.2 → 18.3); two later runs on a
 * slower machine did not repeat it (JSON 23.1 → 21.3 and 20.0 → 21.3). Sequential calls, events and
 * set-up gain little.
 *
 * The trade-off is Effect's: with one runner for all fibers, fibers resumed in one drain run in the
 * AsyncLocalStorage context of whichever fiber queued that drain, so code that reads
 * AsyncLocalStorage inside fibers (e.g. an OpenTelemetry context manager) can see another
 * `runPromise` caller's context. Effect's own FiberRefs, spans and Tracer are per fiber and are not
 * affected. Use it when nothing in the program reads AsyncLocalStorage from inside Effect fibers.
 *
 * ```ts
 * const runtime = ManagedRuntime.make(Layer.mergeAll(sessionLayer, SharedScheduler.layer()))
 * // or: program.pipe(Effect.provide(Layer.mergeAll(sessionLayer, SharedScheduler.layer())))
 * ```
 */
import * as Layer from "effect/Layer"
import * as Scheduler from "effect/Scheduler"

export interface Options {
  /**
   * How many drains may follow one another in microtasks before one waits for a timer, so that a
   * fiber that keeps yielding cannot keep I/O and timers out. Default 2048, as Effect's default
   * scheduler.
   */
  readonly maxMicrotasksBeforeTimer?: number
}

/** A scheduler with one runner for every fiber that uses it. Throws a RangeError on bad options. */
export const make = (options?: Options): Scheduler.Scheduler => {
  const limit = options?.maxMicrotasksBeforeTimer ?? 2048
  if (!Number.isInteger(limit) || limit < 1) {
    throw new RangeError(`SharedScheduler: maxMicrotasksBeforeTimer must be a positive integer, got ${String(limit)}`)
  }
  const runner = new Scheduler.SchedulerRunner((depth, drain) => {
    if (depth >= limit) setTimeout(() => drain(0), 0)
    else queueMicrotask(() => drain(depth + 1))
  })
  return Scheduler.make((task, priority) => runner.scheduleTask(task, priority))
}

/**
 * Runs every fiber of the runtime (or of the effect it is provided to) on one shared scheduler. Fibers
 * forked from them inherit it.
 */
export const layer = (options?: Options): Layer.Layer<never> => Layer.setScheduler(make(options))
