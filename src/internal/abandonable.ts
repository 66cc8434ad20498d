/**
 * One asynchronous operation as an Effect that can be abandoned, at the cost of a plain
 * `Effect.async`.
 *
 * Seeing an interrupted wait the usual way (a canceler, `onInterrupt`, or `catchAllCause` under
 * `uninterruptibleMask`) costs two runtime-flag changes per operation: measured in isolation about
 * 1 µs and 1.8 KB of garbage over the wait itself, and on Nexus with 1,000 calls in flight about
 * 1.7 KB per call. Here the abandon function is noted in a slot of the waiting fiber instead, and run
 * when that fiber next starts an abandonable wait or when it ends, whichever is first. A fiber waits
 * for one thing at a time, so a slot still set at either point belongs to a wait that was
 * interrupted (a resumed wait clears it). An interrupted fiber ends as soon as it has unwound, so the
 * abandon (e.g. CANCEL) runs then: after the finalizers the interruption runs, or, if one of them
 * makes a request of its own, before that request.
 */
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"

/** The abandon function of the wait a fiber is in, if any: one per fiber that ever waited here. */
class WaitSlot {
  abandon: (() => void) | undefined = undefined

  /** Runs (once) the abandon function of a wait that was interrupted. */
  readonly flush = (): void => {
    const abandon = this.abandon
    if (abandon === undefined) return
    this.abandon = undefined
    abandon()
  }
}

// Keyed by fiber and not a property on it: a new property would change the shape of Effect's fibers.
const slots = new WeakMap<Fiber.RuntimeFiber<unknown, unknown>, WaitSlot>()

const slotOf = (fiber: Fiber.RuntimeFiber<unknown, unknown>): WaitSlot => {
  let slot = slots.get(fiber)
  if (slot === undefined) {
    slot = new WaitSlot()
    slots.set(fiber, slot)
    fiber.addObserver(slot.flush)
  } else {
    slot.flush()
  }
  return slot
}

/**
 * `register` starts the operation, calls `resume` once with its outcome (an Exit, or an Effect the
 * waiting fiber runs when it resumes; possibly before `register` returns), and returns the function
 * that abandons it, or undefined when there is nothing to abandon.
 * The abandon function runs at most once, only when the wait was interrupted (see above for when).
 * In an uninterruptible region the wait is not interruptible, as with `Effect.async`.
 */
export const abandonable = <A, E>(
  register: (resume: (outcome: Effect.Effect<A, E>) => void) => (() => void) | undefined
): Effect.Effect<A, E> =>
  Effect.async<A, E>((resume) => {
    // `Effect.async` registers in the waiting fiber's own run, so it is the current fiber here;
    // `withFiberRuntime` would cost a step and a fiber-status object per wait to say the same.
    const fiber = Fiber.getCurrentFiber()
    if (fiber._tag === "None") throw new Error("abandonable: registered outside a fiber")
    const slot = slotOf(fiber.value)
    let resumed = false
    // Declared before `register` runs: it may resume (and read `abandon`) before it returns.
    let abandon: (() => void) | undefined = undefined
    abandon = register((outcome) => {
      resumed = true
      if (slot.abandon === abandon) slot.abandon = undefined
      resume(outcome)
    })
    if (!resumed) slot.abandon = abandon
  })
