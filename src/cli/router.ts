/**
 * `router`: serves the test-kit router on 127.0.0.1 until SIGINT/SIGTERM.
 *
 *   tsx src/cli/router.ts --port 8080 [--rawsocket-port 8081] [--realm realm1]...
 *
 * Realms are anonymous and allow everything (default realm: realm1). Prints one line with its
 * addresses once it listens; closes every session with GOODBYE on shutdown.
 */
import { Effect } from "effect"
import { parseArgs } from "node:util"
import * as Router from "../testing/Router.js"

const HOST = "127.0.0.1"
const USAGE = "usage: router --port <n> [--rawsocket-port <n>] [--realm <name>]..."

const portOf = (text: string | undefined, name: string): number | undefined => {
  if (text === undefined) return undefined
  const port = Number(text)
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`${name} must be a port number, got "${text}"`)
  }
  return port
}

const parse = () => {
  const { values } = parseArgs({
    options: {
      port: { type: "string", default: "8080" },
      "rawsocket-port": { type: "string" },
      realm: { type: "string", multiple: true },
      help: { type: "boolean", short: "h" }
    },
    strict: true
  })
  const rawSocketPort = portOf(values["rawsocket-port"], "--rawsocket-port")
  return {
    help: values.help === true,
    port: portOf(values.port, "--port") ?? 8080,
    ...(rawSocketPort === undefined ? {} : { rawSocketPort }),
    realms: values.realm !== undefined && values.realm.length > 0 ? values.realm : ["realm1"]
  }
}

const untilSignal = Effect.async<string>((resume) => {
  const stop = (signal: string) => resume(Effect.succeed(signal))
  process.once("SIGINT", stop)
  process.once("SIGTERM", stop)
  return Effect.sync(() => {
    process.off("SIGINT", stop)
    process.off("SIGTERM", stop)
  })
})

const main = (options: ReturnType<typeof parse>) =>
  Effect.scoped(Effect.gen(function*() {
    const router = yield* Router.make({ realms: options.realms })
    const bound = yield* router.serve({
      host: HOST,
      port: options.port,
      ...(options.rawSocketPort === undefined ? {} : { rawSocketPort: options.rawSocketPort })
    })
    const raw = bound.rawSocketPort === undefined ? "" : ` rawsocket://${HOST}:${bound.rawSocketPort}`
    process.stdout.write(`router listening: ws://${HOST}:${bound.port}${raw} realms=${options.realms.join(",")}\n`)
    yield* untilSignal
  }))

let options: ReturnType<typeof parse>
try {
  options = parse()
} catch (error) {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n${USAGE}\n`)
  process.exit(2)
}
if (options.help) {
  process.stdout.write(`${USAGE}\n`)
} else {
  Effect.runPromiseExit(main(options)).then((exit) => {
    if (exit._tag === "Failure") {
      const failure = exit.cause._tag === "Fail" ? exit.cause.error.message : String(exit.cause)
      process.stderr.write(`router: ${failure}\n`)
      process.exit(1)
    }
    process.exit(0)
  })
}
