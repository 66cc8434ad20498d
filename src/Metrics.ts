/**
 * Metrics: the client's Effect Metrics, in Effect's global registry (read them with
 * `Metric.value`, or export them with any Effect metrics exporter, e.g. @effect/opentelemetry's).
 *
 * - `calls` (counter): calls made, plain and progressive.
 * - `callErrors` (counter, label `error`): failed calls by WAMP error URI (or error tag, e.g.
 *   `SessionClosedError`); a call interrupted by its caller is not counted as failed.
 * - `callDuration` (histogram, ms): from the CALL to the final RESULT or ERROR.
 * - `eventsReceived`, `eventsPublished` (counters).
 * - `reconnects` (counter): sessions a `Connection` opened after an earlier one was lost.
 *
 * Sessions made with `Session.make` / `Session.layer` / `Connection` update them unless made with
 * `metrics: false`; the Autobahn|JS facade's calls do too (they are counted in the session core), its
 * subscriptions' events do not.
 */
export { callDuration, callErrors, calls, eventsPublished, eventsReceived, reconnects } from "./internal/metrics.js"
