/**
 * `WAMP_TRACE_FILE=path`: the command appends each span it ends to that file, one JSON object per
 * line (the test kit's `SpanRecorder` fields). A small exporter for looking at traces from the
 * shell; with it installed, sessions trace (see Tracing.ts).
 */
import * as Effect from "effect/Effect"
import * as fs from "node:fs"
import * as SpanRecorder from "../testing/SpanRecorder.js"

/** Installs the file tracer when WAMP_TRACE_FILE is set. */
export const withTraceFile = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> => {
  const path = process.env["WAMP_TRACE_FILE"]
  if (path === undefined || path === "") return effect
  const tracer = SpanRecorder.makeTracer((span) => fs.appendFileSync(path, `${JSON.stringify(span)}\n`))
  return Effect.withTracer(effect, tracer)
}
