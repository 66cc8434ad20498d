/**
 * Tracing that crosses the wire: one span per operation, and the caller's / publisher's span
 * context sent in CALL / PUBLISH options under `_traceparent` (W3C `traceparent` form; an
 * implementation-specific key, `_[a-z0-9_]{3,}`, which peers ignore), so the callee's invocation
 * span and a subscriber's event span continue the same trace.
 *
 * Off unless asked for or a tracer is installed: with Effect's built-in tracer (nothing exports its
 * spans) the hooks are a boolean test, and no option is added to the messages.
 */
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import * as Tracer from "effect/Tracer"
import type { Dict } from "../Message.js"

export const traceKey = "_traceparent"

const hex32 = /^[0-9a-f]{32}$/
const hex16 = /^[0-9a-f]{16}$/
const traceparentForm = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/
const zeros = /^0+$/

/** `00-<trace id>-<span id>-<flags>`, or undefined when the span's ids are not W3C-shaped. */
export const format = (span: Tracer.AnySpan): string | undefined =>
  hex32.test(span.traceId) && hex16.test(span.spanId) && !zeros.test(span.traceId) && !zeros.test(span.spanId)
    ? `00-${span.traceId}-${span.spanId}-${span.sampled ? "01" : "00"}`
    : undefined

/** The remote parent a `traceparent` names; undefined for anything malformed (it came off the wire). */
export const parse = (value: unknown): Tracer.ExternalSpan | undefined => {
  if (typeof value !== "string") return undefined
  const match = traceparentForm.exec(value)
  if (match === null) return undefined
  const [, version, traceId, spanId, flags] = match as unknown as [string, string, string, string, string]
  if (version === "ff" || zeros.test(traceId) || zeros.test(spanId)) return undefined
  return Tracer.externalSpan({ traceId, spanId, sampled: (parseInt(flags, 16) & 1) === 1 })
}

let builtInTracer: Tracer.Tracer | undefined

/** Whether spans are made: `tracing` when set, else whether the current tracer is not Effect's built-in one. */
export const enabled = (tracing: boolean | undefined): Effect.Effect<boolean> =>
  tracing !== undefined ? Effect.succeed(tracing) : Effect.map(Effect.tracer, (tracer) => {
    builtInTracer ??= Effect.runSync(Effect.tracer)
    return tracer !== builtInTracer
  })

/** The options with the span's trace context added (a copy; the caller's object is not touched). */
export const inject = <O extends Dict>(options: O | undefined, span: Tracer.AnySpan): O => {
  const traceparent = format(span)
  return (traceparent === undefined ? options ?? {} : { ...options, [traceKey]: traceparent }) as O
}

export interface Hooks {
  /** A client/producer span around `run`, which gets the options with the trace context in them. */
  readonly outbound: <O extends Dict, A, E, R>(
    name: string,
    uri: string,
    kind: "client" | "producer",
    options: O | undefined,
    run: (options: O | undefined) => Effect.Effect<A, E, R>
  ) => Effect.Effect<A, E, R>
  /** The same for a streaming call: the span lasts as long as the stream. */
  readonly outboundStream: <O extends Dict, A, E, R>(
    name: string,
    uri: string,
    options: O | undefined,
    run: (options: O | undefined) => Stream.Stream<A, E, R>
  ) => Stream.Stream<A, E, R>
  /** A span around a local operation (register, subscribe). */
  readonly local: <A, E, R>(name: string, uri: string, effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  /** A server span around a handler run, continuing the caller's trace when the details carry one. */
  readonly inbound: <A, E, R>(
    name: string,
    uri: string,
    details: Dict,
    effect: Effect.Effect<A, E, R>
  ) => Effect.Effect<A, E, R>
  readonly enabled: boolean
}

// A stack trace would point into this library, not at the user's code, and costs about half a span.
const captureStackTrace = false

/** A span continuing the trace the details carry; without one a root (not a child of whatever span registered the handler). */
export const continueTrace = <A, E, R>(
  name: string,
  kind: "server" | "consumer",
  attributes: Record<string, unknown>,
  details: Dict,
  effect: Effect.Effect<A, E, R>
): Effect.Effect<A, E, R> => {
  const parent = parse(details[traceKey])
  return Effect.withSpan(effect, name, {
    kind,
    attributes,
    captureStackTrace,
    ...(parent === undefined ? { root: true } : { parent })
  })
}

const passThrough: Hooks = {
  enabled: false,
  outbound: (_name, _uri, _kind, options, run) => run(options),
  outboundStream: (_name, _uri, options, run) => run(options),
  local: (_name, _uri, effect) => effect,
  inbound: (_name, _uri, _details, effect) => effect
}

/** The hooks of one session: pass-through when tracing is off. */
export const makeHooks = (isEnabled: boolean, realm: string): Hooks => {
  if (!isEnabled) return passThrough
  const attributes = (uri: string) => ({ "wamp.uri": uri, "wamp.realm": realm })
  return {
    enabled: true,
    outbound: (name, uri, kind, options, run) =>
      Effect.useSpan(
        name,
        { kind, attributes: attributes(uri), captureStackTrace },
        (span) => run(inject(options, span))
      ),
    outboundStream: (name, uri, options, run) =>
      Stream.unwrapScoped(
        Effect.map(
          Effect.makeSpanScoped(name, { kind: "client", attributes: attributes(uri), captureStackTrace }),
          (span) => run(inject(options, span))
        )
      ),
    local: (name, uri, effect) => Effect.withSpan(effect, name, { attributes: attributes(uri), captureStackTrace }),
    inbound: (name, uri, details, effect) => continueTrace(name, "server", attributes(uri), details, effect)
  }
}
