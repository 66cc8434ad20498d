/**
 * The per-call cost of tracing: sequential calls, caller and callee sessions in this process
 * through the in-memory test-kit router, in three modes measured in interleaved rounds:
 *   off       tracing unset under Effect's built-in tracer (the default: one boolean test per operation)
 *   native    tracing: true under the built-in tracer (spans made, nothing exports them)
 *   recorder  a tracer installed (the test kit's SpanRecorder, discarding spans): spans on both
 *             sides and `_traceparent` on the wire, as with an exporter
 * CPU µs per call (caller, callee and router together): medians of the rounds with min–max, the added µs per call and the ratio against "off".
 */
import { Effect, Layer, type Scope, type Tracer } from "effect"
import * as os from "node:os"
import * as Authenticator from "../../src/Authenticator.js"
import * as Serializer from "../../src/Serializer.js"
import * as Session from "../../src/Session.js"
import * as Router from "../../src/testing/Router.js"
import * as SpanRecorder from "../../src/testing/SpanRecorder.js"
import { Transport } from "../../src/Transport.js"

const CALLS = 2_000
const ROUNDS = 9

interface Mode {
  readonly name: string
  readonly tracing: boolean | undefined
  readonly tracer: Tracer.Tracer | undefined
}

const modes: ReadonlyArray<Mode> = [
  { name: "off", tracing: undefined, tracer: undefined },
  { name: "native", tracing: true, tracer: undefined },
  { name: "recorder", tracing: undefined, tracer: SpanRecorder.makeTracer(() => {}) }
]

const withTracer = <A, E, R>(mode: Mode, effect: Effect.Effect<A, E, R>) =>
  mode.tracer === undefined ? effect : Effect.withTracer(effect, mode.tracer)

/** A caller/callee pair for the mode; returns CPU µs per call of one round. */
const pair = (router: Router.RouterService, mode: Mode): Effect.Effect<Effect.Effect<number>, never, Scope.Scope> =>
  withTracer(
    mode,
    Effect.gen(function*() {
      const layer = Layer.mergeAll(
        Layer.succeed(Transport, router.transport),
        Serializer.layerJson,
        Authenticator.layerAnonymous()
      )
      const join = Session.make({ realm: "realm1", tracing: mode.tracing }).pipe(Effect.provide(layer), Effect.orDie)
      const callee = yield* join
      const caller = yield* join
      const procedure = `bench.tracing.${mode.name}`
      yield* Effect.orDie(callee.register(procedure, ({ args }) => Effect.succeed({ args })))
      // CPU time of the process (both sessions and the router): on a shared machine wall time mostly
      // measures the other processes.
      const round = Effect.gen(function*() {
        const start = process.cpuUsage()
        for (let i = 0; i < CALLS; i++) yield* Effect.orDie(caller.call(procedure, [i]))
        const used = process.cpuUsage(start)
        return (used.user + used.system) / CALLS
      })
      return withTracer(mode, round)
    })
  )

const median = (values: ReadonlyArray<number>) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!

export const run = async (): Promise<void> => {
  const results = await Effect.runPromise(Effect.scoped(Effect.gen(function*() {
    const router = yield* Router.make({ realms: ["realm1"] })
    const rounds = yield* Effect.forEach(modes, (mode) => pair(router, mode))
    const times: Array<Array<number>> = modes.map(() => [])
    for (let r = 0; r < ROUNDS + 1; r++) {
      for (let m = 0; m < modes.length; m++) {
        const micros = yield* rounds[m]!
        if (r > 0) times[m]!.push(micros) // round 0 warms up
      }
    }
    return times
  })))
  const [load1, load5] = os.loadavg()
  console.log(
    `sequential calls, caller + callee in process, in-memory router; ${ROUNDS} interleaved rounds of ${CALLS} calls; load average ${
      load1!.toFixed(2)
    } / ${load5!.toFixed(2)} (1 / 5 min)`
  )
  const off = median(results[0]!)
  for (let m = 0; m < modes.length; m++) {
    const values = results[m]!
    const med = median(values)
    const extra = m === 0 ? "" : `  +${(med - off).toFixed(2)} µs per call, ×${(med / off).toFixed(2)} of off`
    console.log(
      `  tracing ${modes[m]!.name.padEnd(9)} ${med.toFixed(2).padStart(7)} µs CPU per call (min ${
        Math.min(...values).toFixed(2)
      } – max ${Math.max(...values).toFixed(2)})${extra}`
    )
  }
}
