/**
 * SpanRecorder: a Tracer that records each span when it ends, for tests that check traces (ours:
 * a call's trace continuing in its callee) and for the `wamp` command's WAMP_TRACE_FILE. W3C-shaped
 * ids (32 / 16 hex digits), so they travel as `traceparent`.
 */
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import * as Tracer from "effect/Tracer"

export interface RecordedSpan {
  readonly name: string
  readonly kind: Tracer.SpanKind
  readonly traceId: string
  readonly spanId: string
  /** The parent's span id, local or remote; undefined for a root. */
  readonly parentSpanId: string | undefined
  readonly attributes: Readonly<Record<string, unknown>>
  readonly durationMs: number
  readonly ok: boolean
}

// Web Crypto: the test kit stays platform-neutral.
const hex = (bytes: number): string =>
  Array.from(globalThis.crypto.getRandomValues(new Uint8Array(bytes)), (byte) => byte.toString(16).padStart(2, "0"))
    .join("")

/** A tracer calling `onEnd` with every span that ends. */
export const makeTracer = (onEnd: (span: RecordedSpan) => void): Tracer.Tracer =>
  Tracer.make({
    span: (name, parent, context, links, startTime, kind, options) => {
      const attributes = new Map<string, unknown>(Object.entries(options?.attributes ?? {}))
      const parentSpan = Option.getOrUndefined(parent)
      const span: Tracer.Span = {
        _tag: "Span",
        name,
        spanId: hex(8),
        traceId: parentSpan?.traceId ?? hex(16),
        parent,
        context,
        status: { _tag: "Started", startTime },
        attributes,
        links: [...links],
        sampled: parentSpan?.sampled ?? true,
        kind,
        end: (endTime, exit) =>
          onEnd({
            name,
            kind,
            traceId: span.traceId,
            spanId: span.spanId,
            parentSpanId: parentSpan?.spanId,
            attributes: Object.fromEntries(attributes),
            durationMs: Number(endTime - startTime) / 1e6,
            ok: Exit.isSuccess(exit)
          }),
        attribute: (key, value) => void attributes.set(key, value),
        event: () => {},
        addLinks: () => {}
      }
      return span
    },
    context: (f) => f()
  })

export interface SpanRecorder {
  readonly tracer: Tracer.Tracer
  /** The spans ended so far, in the order they ended. */
  readonly spans: ReadonlyArray<RecordedSpan>
}

export const make = (): SpanRecorder => {
  const spans: Array<RecordedSpan> = []
  return { tracer: makeTracer((span) => spans.push(span)), spans }
}
