/**
 * One asynchronous operation as an Effect that can be abandoned: the cheapest shape we found with
 * Effect's public API. `Effect.async` with a canceler wraps the wait in `onInterrupt`, i.e. `onExit`
 * over `uninterruptibleMask` and `matchCauseEffect`, and its success path runs a `zipRight` through
 * an `exitMatch`; here the wait is one interruptible `Effect.async` under one `catchAllCause` frame,
 * which a success skips. Measured in isolation (one wait resumed from a microtask): ~20% less CPU
 * and ~1 KB less garbage per operation alone, ~5x less CPU with 1,000 fibers waiting at once.
 */
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"

/**
 * `register` starts the operation, calls `resume` once with its outcome (an Exit, or an Effect the
 * waiting fiber runs when it resumes; possibly before `register` returns), and returns the function
 * that abandons it, or undefined when there is nothing to abandon.
 * The abandon function runs once, when the fiber is interrupted while waiting.
 */
export const abandonable = <A, E>(
  register: (resume: (outcome: Effect.Effect<A, E>) => void) => (() => void) | undefined
): Effect.Effect<A, E> =>
  Effect.uninterruptibleMask((restore) => {
    let abandon: (() => void) | undefined
    return Effect.catchAllCause(
      restore(Effect.async<A, E>((resume) => {
        abandon = register(resume)
      })),
      (cause) => {
        if (abandon !== undefined && Cause.isInterruptedOnly(cause)) abandon()
        return Effect.failCause(cause)
      }
    )
  })
