/**
 * `wamp router [--port N] [--rawsocket-port N] [--realm NAME]...`: the test-kit router on
 * 127.0.0.1 until SIGINT/SIGTERM. Realms are anonymous and allow everything (default realm1).
 * Prints one line with its addresses once it listens (port 0 picks a free one and prints it);
 * closes every session with GOODBYE on shutdown. Not a production router.
 */
import { Command, Options } from "@effect/cli"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Router from "../testing/Router.js"
import { CliFailure } from "./failure.js"
import { line } from "./output.js"
import { endsOnSignal } from "./runtime.js"

const HOST = "127.0.0.1"

export const command = Command.make("router", {
  port: Options.integer("port").pipe(
    Options.withDescription("WebSocket port (0: a free one)"),
    Options.withDefault(8080)
  ),
  rawSocketPort: Options.integer("rawsocket-port").pipe(
    Options.withDescription("Also serve RawSocket on this port (0: a free one)"),
    Options.optional
  ),
  realms: Options.text("realm").pipe(Options.withDescription("A realm to serve (repeatable)"), Options.repeated)
}, (input) =>
  Effect.scoped(Effect.gen(function*() {
    yield* endsOnSignal
    const realms = input.realms.length > 0 ? input.realms : ["realm1"]
    const router = yield* Router.make({ realms })
    const bound = yield* router.serve({
      host: HOST,
      port: input.port,
      ...Option.match(input.rawSocketPort, { onNone: () => ({}), onSome: (rawSocketPort) => ({ rawSocketPort }) })
    }).pipe(Effect.mapError((error) => new CliFailure({ message: `router: ${error.message}`, exitCode: 3 })))
    const raw = bound.rawSocketPort === undefined ? "" : ` tcp://${HOST}:${bound.rawSocketPort}`
    line(`router listening: ws://${HOST}:${bound.port}/ws${raw} realms=${realms.join(",")}`)
    // Runs until a signal interrupts it; the scope then says GOODBYE to every session.
    yield* Effect.never
  }))).pipe(Command.withDescription("Serve the test-kit router (for tests and demos, not production)"))
