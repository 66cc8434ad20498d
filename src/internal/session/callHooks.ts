/**
 * What happens around every call at callback level, so that the Effect API and the Autobahn facade
 * (which has no fiber per call) are counted and traced alike: the call metrics, and with tracing on
 * a `wamp.call` client span whose context travels in the CALL options. With both off a call pays
 * two boolean tests.
 */
import type * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import type * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import type * as Tracer from "effect/Tracer"
import type { Dict } from "../../Message.js"
import * as Metrics from "../metrics.js"
import * as Tracing from "../tracing.js"

export interface CallHooks {
  readonly metrics: boolean
  /** The tracer of spans made at callback level (facade calls); undefined when tracing is off. */
  readonly tracer: Tracer.Tracer | undefined
  readonly clock: Clock.Clock
  readonly realm: string
}

export const none: CallHooks = {
  metrics: false,
  tracer: undefined,
  clock: undefined as unknown as Clock.Clock,
  realm: ""
}

/** One call being observed: the options to send, and what to tell when it ends. */
export interface Observed<O> {
  readonly options: O
  readonly end: (exit: Exit.Exit<unknown, unknown>) => void
}

/** The span's attributes, as the Effect API's spans had them. */
export const attributes = (hooks: CallHooks, uri: string) => ({ "wamp.uri": uri, "wamp.realm": hooks.realm })

/**
 * Starts observing a call: `span` is the span the Effect API made in the caller's fiber (so it has
 * the fiber's parent and tracer); without one, a root span from the session's tracer. Returns
 * undefined when there is nothing to observe.
 */
export const observe = <O extends Dict>(
  hooks: CallHooks,
  uri: string,
  options: O | undefined,
  span: Tracer.Span | undefined
): Observed<O | undefined> | undefined => {
  const tracer = hooks.tracer
  if (!hooks.metrics && tracer === undefined && span === undefined) return undefined
  const started = hooks.metrics ? Metrics.callStarted() : 0
  let traced = span
  if (traced === undefined && tracer !== undefined) {
    traced = tracer.span(
      "wamp.call",
      Option.none(),
      Context.empty(),
      [],
      hooks.clock.unsafeCurrentTimeNanos(),
      "client"
    )
    for (const [key, value] of Object.entries(attributes(hooks, uri))) traced.attribute(key, value)
  }
  let ended = false
  const end = (exit: Exit.Exit<unknown, unknown>) => {
    if (ended) return
    ended = true
    if (hooks.metrics) Metrics.callEnded(started, exit)
    traced?.end(hooks.clock.unsafeCurrentTimeNanos(), exit)
  }
  return { options: traced === undefined ? options : Tracing.inject(options, traced), end }
}
