/**
 * Tracing: spans that cross the wire.
 *
 * A session makes one span per operation (`wamp.call`, `wamp.publish`, `wamp.register`,
 * `wamp.subscribe`) and one per invocation it handles (`wamp.invocation`), when
 * `SessionOptions.tracing` is true, or when it is left unset and a tracer other than Effect's
 * built-in one is installed (e.g. @effect/opentelemetry's). Otherwise nothing is traced and nothing
 * is added to the messages.
 *
 * A traced call or publish carries its span context in CALL / PUBLISH options under `_traceparent`
 * (the W3C `traceparent` form, an implementation-specific key that other peers ignore). The callee's
 * `wamp.invocation` span continues that trace; a subscriber continues it per event with
 * `withEventSpan`. The router must forward the key into INVOCATION / EVENT details: the test-kit
 * router does; routers that drop unknown options (Nexus v3) break the chain, not the calls.
 */
import type * as Effect from "effect/Effect"
import * as internal from "./internal/tracing.js"
import type { Event } from "./Session.js"

export { format, parse, traceKey } from "./internal/tracing.js"

/** A consumer span `wamp.event` around handling one event, continuing the publisher's trace. */
export const withEventSpan = (event: Event) => <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  internal.continueTrace("wamp.event", "consumer", { "wamp.uri": event.details.topic }, event.details.raw, effect)
