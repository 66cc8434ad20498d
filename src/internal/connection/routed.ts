/**
 * The routed session service: each operation goes to the open session, or waits for the next one
 * per `whenDisconnected`; registrations and subscriptions go to the durables.
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import type { CloseDetails, WhenDisconnected } from "../../Connection.js"
import { SessionClosedError } from "../../Errors.js"
import type { CloseReason, SessionInfo, SessionService } from "../../Session.js"
import * as WampError from "../../WampError.js"
import type { Durables } from "./durable.js"
import type { LiveSession, Slot } from "./slot.js"

const notOpenError = (message: string) =>
  new SessionClosedError({ reason: WampError.StandardUri.TransportLost, message, wasClean: false })

/** Finds the open session for an operation: on the hot path one plain read, no allocation. */
export const makeAcquire = (slot: Slot, whenDisconnected: WhenDisconnected) => {
  const wait: Effect.Effect<LiveSession, SessionClosedError> = whenDisconnected === "failFast"
    ? Effect.fail(notOpenError("no session is open"))
    : Effect.timeoutFail(slot.next, {
      duration: whenDisconnected.wait,
      onTimeout: () =>
        notOpenError(`no session opened within ${Duration.format(Duration.decode(whenDisconnected.wait))}`)
    })
  const slow: Effect.Effect<LiveSession, SessionClosedError> = Effect.suspend(() => {
    const refusal = slot.refusal()
    if (refusal === "closing") return Effect.fail(notOpenError("the connection is closing"))
    return refusal === undefined ? wait : Effect.fail(refusal)
  })
  const acquire: Effect.Effect<LiveSession, SessionClosedError> = Effect.suspend(() => {
    const current = slot.current()
    return current !== undefined ? Effect.succeed(current) : slow
  })
  const withSession = <A, E>(f: (session: SessionService) => Effect.Effect<A, E>) =>
    Effect.suspend(() => {
      const current = slot.current()
      return current !== undefined ? f(current.session) : Effect.flatMap(slow, (live) => f(live.session))
    })
  return { acquire, withSession }
}

/** The placeholder `info` before the first session, with id 0. */
const placeholderInfo = (realm: string): SessionInfo => ({
  id: 0,
  realm,
  authid: undefined,
  authrole: undefined,
  authmethod: undefined,
  authprovider: undefined,
  authextra: {},
  routerRoles: {},
  details: {},
  supports: () => false
})

/** How the routed session "closed": when the connection closed for good. */
const closeReasonOf = (details: CloseDetails): CloseReason => ({
  reason: details.reason,
  message: details.message,
  by: details.failure === undefined
    ? "local"
    : details.failure._tag === "SessionLost"
    ? details.failure.reason.by
    : "transport",
  wasClean: details.wasClean
})

export const makeRouted = (input: {
  readonly realm: string
  readonly slot: Slot
  readonly durables: Durables
  readonly acquire: ReturnType<typeof makeAcquire>
  /** The info of the last session that opened, if any. */
  readonly lastInfo: () => SessionInfo | undefined
  readonly closed: Effect.Effect<CloseDetails>
  readonly close: (reason?: string, message?: string) => Effect.Effect<void>
}): SessionService => {
  const { acquire, withSession } = input.acquire
  const placeholder = placeholderInfo(input.realm)
  return {
    /** The open session's info, else the last one's (a placeholder with id 0 before the first). */
    get info() {
      return input.slot.current()?.session.info ?? input.lastInfo() ?? placeholder
    },
    closed: Effect.map(input.closed, closeReasonOf),
    isOpen: Effect.sync(() => input.slot.current() !== undefined),
    call: (procedure, args, kwargs, options) => withSession((s) => s.call(procedure, args, kwargs, options)),
    callProgressive: (procedure, args, kwargs, options) =>
      Stream.unwrap(Effect.map(acquire, (live) => live.session.callProgressive(procedure, args, kwargs, options))),
    callWithInput: (procedure, input, options) => withSession((s) => s.callWithInput(procedure, input, options)),
    callStreaming: (procedure, input, options) =>
      Stream.unwrap(Effect.map(acquire, (live) => live.session.callStreaming(procedure, input, options))),
    register: input.durables.register,
    subscribe: input.durables.subscribe,
    publish: (topic, args, kwargs, options) => withSession((s) => s.publish(topic, args, kwargs, options)),
    leave: input.close
  }
}
