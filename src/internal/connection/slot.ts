/**
 * The slot that holds the open session: where routed operations find it (a plain read on the hot
 * path), wait for the next one, or learn that there will be none.
 */
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import type { SessionClosedError } from "../../Errors.js"
import type { Live } from "./durable.js"

/** A joined session as the connection holds it. */
export type LiveSession = Live

export interface Slot {
  /** The open session, or undefined while none is (or the connection is closing). */
  readonly current: () => LiveSession | undefined
  /** Waits for the next open session; fails once the connection has closed for good. */
  readonly next: Effect.Effect<LiveSession, SessionClosedError>
  /** A session is open and ready (its durables re-applied): waiting operations go to it. */
  readonly open: (live: LiveSession) => void
  /** The session has ended: operations wait for the next one. */
  readonly lost: (live: LiveSession) => void
  /** From now on nothing new goes to the session; returns false when it already was so. */
  readonly beginClose: () => boolean
  /** The connection has closed for good: every waiter and every later operation fails with `error`. */
  readonly end: (error: SessionClosedError) => void
  /** Whether `beginClose` was called. */
  readonly closing: () => boolean
  /** Why operations fail at once: set while closing and after the end. */
  readonly refusal: () => SessionClosedError | "closing" | undefined
  /** Operations waiting for a session. */
  readonly waiting: () => number
}

export const makeSlot = (): Slot => {
  let live: LiveSession | undefined
  let closing = false
  let ended: SessionClosedError | undefined
  const waiters = new Set<(exit: Exit.Exit<LiveSession, SessionClosedError>) => void>()

  const resumeAll = (exit: Exit.Exit<LiveSession, SessionClosedError>) => {
    const all = [...waiters]
    waiters.clear()
    for (const resume of all) resume(exit)
  }

  const current = () => {
    const session = live
    return session !== undefined && !closing && session.handle.isEstablished() ? session : undefined
  }

  return {
    current,
    next: Effect.async<LiveSession, SessionClosedError>((resume) => {
      if (ended !== undefined) return resume(Exit.fail(ended))
      const open = current()
      if (open !== undefined) return resume(Exit.succeed(open))
      // A session that is still in the slot but no longer established is being replaced: wait too.
      const waiter = (exit: Exit.Exit<LiveSession, SessionClosedError>) => resume(exit)
      waiters.add(waiter)
      return Effect.sync(() => waiters.delete(waiter))
    }),
    open: (session) => {
      live = session
      resumeAll(Exit.succeed(session))
    },
    lost: (session) => {
      if (live === session) live = undefined
    },
    beginClose: () => {
      if (closing || ended !== undefined) return false
      closing = true
      return true
    },
    end: (error) => {
      if (ended !== undefined) return
      ended = error
      live = undefined
      resumeAll(Exit.fail(error))
    },
    closing: () => closing,
    refusal: () => ended ?? (closing ? "closing" : undefined),
    waiting: () => waiters.size
  }
}
