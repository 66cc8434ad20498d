/**
 * `wamp register URI [--match …] [--invoke …] [-- COMMAND…]`: answers invocations until Ctrl-C.
 *
 * With a COMMAND, each invocation runs it (no shell) with `{"args","kwargs","procedure"}` as one
 * JSON line on stdin; its stdout is the result: one JSON value, or else the text itself as a string;
 * nothing printed is an empty result. A non-zero exit answers `wamp.error.runtime_error` with the
 * exit code and its stderr. Without a COMMAND the invocation's payload is echoed back.
 */
import { Args, Command, Options } from "@effect/cli"
import * as Effect from "effect/Effect"
import { spawn } from "node:child_process"
import type { HandlerResult, Invocation } from "../Session.js"
import * as WampError from "../WampError.js"
import { common, withSession } from "./common.js"
import { fromOperation } from "./failure.js"
import { humanPayload, line, note, stringify } from "./output.js"
import { endsOnSignal } from "./runtime.js"
import { matchOption } from "./subscribe.js"

const runtimeError = (message: string, extra: ReadonlyArray<unknown> = []) =>
  WampError.make(WampError.StandardUri.RuntimeError, { args: [message, ...extra] })

/** The command's stdout as a result: JSON when it parses, the trimmed text otherwise. */
const resultOf = (stdout: string): HandlerResult => {
  const text = stdout.trim()
  if (text === "") return { args: [] }
  try {
    return { args: [JSON.parse(text)] }
  } catch {
    return { args: [text] }
  }
}

/** Runs `command` for one invocation; interrupting (the caller canceled) kills it. */
const runCommand = (command: ReadonlyArray<string>, invocation: Invocation) =>
  Effect.async<HandlerResult, WampError.WampError>((resume) => {
    const [file, ...argv] = command as [string, ...Array<string>]
    const child = spawn(file, argv, { stdio: ["pipe", "pipe", "pipe"] })
    const stdout: Array<Buffer> = []
    const stderr: Array<Buffer> = []
    child.stdout.on("data", (chunk: Buffer) => stdout.push(chunk))
    child.stderr.on("data", (chunk: Buffer) => stderr.push(chunk))
    child.on("error", (error) => resume(Effect.fail(runtimeError(`could not run ${file}: ${error.message}`))))
    child.on("close", (code, signal) => {
      if (code === 0) return resume(Effect.succeed(resultOf(Buffer.concat(stdout).toString("utf8"))))
      const why = code === null ? `was killed by ${signal}` : `exited with code ${code}`
      resume(Effect.fail(runtimeError(`${file} ${why}`, [Buffer.concat(stderr).toString("utf8").trim()])))
    })
    // A command that ignores its stdin must not fail the invocation with EPIPE.
    child.stdin.on("error", () => {})
    child.stdin.end(
      `${stringify({ args: invocation.args, kwargs: invocation.kwargs, procedure: invocation.details.procedure })}\n`
    )
    return Effect.sync(() => child.kill("SIGTERM"))
  })

export const command = Command.make("register", {
  ...common,
  procedure: Args.text({ name: "URI" }).pipe(Args.withDescription("The procedure (or pattern)")),
  match: matchOption,
  invoke: Options.choice("invoke", ["single", "roundrobin", "random", "first", "last"] as const).pipe(
    Options.withDescription("Invocation policy for shared registrations"),
    Options.withDefault("single" as const)
  ),
  command: Args.text({ name: "COMMAND" }).pipe(
    Args.withDescription("After --: the command to run per invocation (echo when absent)"),
    Args.repeated
  )
}, (input) =>
  withSession(input, (session) =>
    Effect.gen(function*() {
      yield* endsOnSignal
      const print = (invocation: Invocation) =>
        Effect.sync(() => {
          if (input.json) {
            line(stringify({
              procedure: invocation.details.procedure,
              args: invocation.args,
              kwargs: invocation.kwargs,
              caller: invocation.details.caller ?? null
            }))
          } else {
            line(`${invocation.details.procedure} ${humanPayload(invocation.args, invocation.kwargs)}`.trimEnd())
          }
        })
      const handler = (invocation: Invocation): Effect.Effect<HandlerResult, WampError.WampError> =>
        Effect.zipRight(
          print(invocation),
          input.command.length === 0
            ? Effect.succeed({ args: invocation.args, kwargs: invocation.kwargs })
            : runCommand(input.command, invocation)
        )
      const registration = yield* session.register(input.procedure, handler, {
        ...(input.match === "exact" ? {} : { match: input.match }),
        ...(input.invoke === "single" ? {} : { invoke: input.invoke })
      })
      note(`registered ${input.procedure} (registration ${registration.id})`)
      const end = yield* registration.ended
      if (end.reason !== "unregistered") {
        return yield* Effect.fail(
          fromOperation(`register ${input.procedure}`)(new Error(`registration ended: ${end.message ?? end.reason}`))
        )
      }
    }).pipe(Effect.mapError(fromOperation(`register ${input.procedure}`)), Effect.scoped))).pipe(
    Command.withDescription("Answer invocations (with a command per invocation, or by echoing) until Ctrl-C")
  )
