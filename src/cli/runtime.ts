/**
 * What @effect/cli needs from the platform, for Node, without `@effect/platform-node` (which drags
 * in cluster, sql and rpc): a Terminal on process.stdin/stdout, `Path`'s portable implementation,
 * and a FileSystem that only answers `exists` (the `wamp` command takes no file options; prompts
 * of --wizard use the Terminal). Plus `runMain`: exit codes, signals, no stack traces.
 */
import * as ValidationError from "@effect/cli/ValidationError"
import * as FileSystem from "@effect/platform/FileSystem"
import * as Path from "@effect/platform/Path"
import * as Terminal from "@effect/platform/Terminal"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Mailbox from "effect/Mailbox"
import * as Option from "effect/Option"
import * as fs from "node:fs"
import * as readline from "node:readline"
import { CliFailure, renderFailure } from "./failure.js"

const terminal: Terminal.Terminal = {
  columns: Effect.sync(() => process.stdout.columns ?? 80),
  rows: Effect.sync(() => process.stdout.rows ?? 24),
  isTTY: Effect.sync(() => process.stdin.isTTY === true),
  display: (text) => Effect.sync(() => void process.stdout.write(text)),
  readLine: Effect.async<string, Terminal.QuitException>((resume) => {
    const rl = readline.createInterface({ input: process.stdin, output: process.stdout, terminal: false })
    rl.once("line", (line) => resume(Effect.succeed(line)))
    rl.once("close", () => resume(Effect.fail(new Terminal.QuitException())))
    return Effect.sync(() => rl.close())
  }),
  readInput: Effect.gen(function*() {
    const mailbox = yield* Mailbox.make<Terminal.UserInput>()
    const onKey = (input: string | undefined, key: readline.Key | undefined) => {
      const userInput: Terminal.UserInput = {
        input: Option.fromNullable(input),
        key: { name: key?.name ?? "", ctrl: key?.ctrl ?? false, meta: key?.meta ?? false, shift: key?.shift ?? false }
      }
      mailbox.unsafeOffer(userInput)
      if (key?.ctrl === true && key.name === "c") mailbox.unsafeDone(Exit.void)
    }
    yield* Effect.acquireRelease(
      Effect.sync(() => {
        readline.emitKeypressEvents(process.stdin)
        if (process.stdin.isTTY) process.stdin.setRawMode(true)
        process.stdin.on("keypress", onKey)
      }),
      () =>
        Effect.sync(() => {
          process.stdin.off("keypress", onKey)
          if (process.stdin.isTTY) process.stdin.setRawMode(false)
          process.stdin.pause()
        })
    )
    return mailbox
  })
}

/** FileSystem, Path and Terminal for @effect/cli. */
export const layer: Layer.Layer<FileSystem.FileSystem | Path.Path | Terminal.Terminal> = Layer.mergeAll(
  Layer.succeed(Terminal.Terminal, terminal),
  Path.layer,
  FileSystem.layerNoop({ exists: (path) => Effect.sync(() => fs.existsSync(path)) })
)

/** Set by commands whose normal end is a signal (subscribe, register): they exit 0 on SIGINT/SIGTERM. */
let signalIsNormalEnd = false
export const endsOnSignal: Effect.Effect<void> = Effect.sync(() => {
  signalIsNormalEnd = true
})

const exitCodeOf = (exit: Exit.Exit<unknown, unknown>, signalled: boolean): number => {
  if (Exit.isSuccess(exit)) return 0
  if (Cause.isInterruptedOnly(exit.cause)) return signalled && signalIsNormalEnd ? 0 : 130
  const failure = Cause.failureOption(exit.cause)
  if (Option.isSome(failure)) {
    const error = failure.value
    if (error instanceof CliFailure) {
      process.stderr.write(renderFailure(error))
      return error.exitCode
    }
    // The parser has printed its usage error already.
    if (ValidationError.isValidationError(error)) return 2
    process.stderr.write(`wamp: ${String((error as { message?: unknown }).message ?? error)}\n`)
    return 1
  }
  const defect = Cause.squash(exit.cause)
  process.stderr.write(`wamp: internal error: ${defect instanceof Error ? defect.message : String(defect)}\n`)
  if (process.env["WAMP_DEBUG"] !== undefined) process.stderr.write(`${Cause.pretty(exit.cause)}\n`)
  return 70
}

/**
 * Runs the program: SIGINT / SIGTERM interrupt it (its scopes close: unsubscribe, GOODBYE), a second
 * signal exits at once. Exits with the code `exitCodeOf` gives; failures are one line on stderr.
 */
export const runMain = (program: Effect.Effect<void, unknown>): void => {
  const fiber = Effect.runFork(program)
  let signalled = false
  const onSignal = () => {
    if (signalled) process.exit(130)
    signalled = true
    fiber.unsafeInterruptAsFork(fiber.id())
  }
  process.on("SIGINT", onSignal)
  process.on("SIGTERM", onSignal)
  fiber.addObserver((exit) => {
    const code = exitCodeOf(exit, signalled)
    // Sockets left to the event loop (none should be) must not keep a finished command alive.
    process.exit(code)
  })
}
