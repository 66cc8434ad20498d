/**
 * How the `wamp` command fails: one `CliFailure` with a message, optional detail lines and an exit
 * code, printed as `wamp: <message>` on stderr; never a stack trace.
 *
 * Exit codes: 1 the router or a callee answered with a WAMP error; 2 bad input (usage, JSON,
 * configuration); 3 could not join (transport, handshake, ABORT, authentication); 4 the session was
 * lost during the operation; 124 a local timeout; 130 interrupted by a signal.
 */
import * as ConfigError from "effect/ConfigError"
import * as Data from "effect/Data"
import { AuthenticationError, EncodeError, ProtocolError, SessionClosedError, TransportError } from "../Errors.js"
import { WampError } from "../WampError.js"
import { stringify } from "./output.js"

export class CliFailure extends Data.TaggedError("CliFailure")<{
  readonly message: string
  readonly exitCode: number
  /** Further lines for stderr (a WAMP error's args and kwargs). */
  readonly detail?: ReadonlyArray<string> | undefined
}> {}

export const usage = (message: string): CliFailure => new CliFailure({ message, exitCode: 2 })

export const renderFailure = (failure: CliFailure): string =>
  [`wamp: ${failure.message}`, ...(failure.detail ?? [])].map((line) => `${line}\n`).join("")

const wampErrorFailure = (error: WampError, context: string, exitCode: number): CliFailure => {
  const detail: Array<string> = []
  if (error.args.length > 0) detail.push(`args: ${stringify(error.args)}`)
  if (Object.keys(error.kwargs).length > 0) detail.push(`kwargs: ${stringify(error.kwargs)}`)
  return new CliFailure({ message: `${context}: ${error.error}`, exitCode, detail })
}

/** Joining the realm failed: the layer's error. */
export const fromJoin = (error: unknown): CliFailure => {
  if (error instanceof CliFailure) return error
  if (ConfigError.isConfigError(error)) {
    return new CliFailure({ message: `configuration: ${String(error)}`, exitCode: 2 })
  }
  if (error instanceof WampError) return wampErrorFailure(error, "the router refused to join", 3)
  if (error instanceof TransportError || error instanceof AuthenticationError) {
    return new CliFailure({ message: error.message, exitCode: 3 })
  }
  if (error instanceof ProtocolError || error instanceof SessionClosedError) {
    return new CliFailure({ message: `could not join: ${error.message}`, exitCode: 3 })
  }
  return new CliFailure({ message: `could not join: ${String(error)}`, exitCode: 3 })
}

/** An operation failed: `context` names it ("call com.example.add"). */
export const fromOperation = (context: string) => (error: unknown): CliFailure => {
  if (error instanceof CliFailure) return error
  if (error instanceof WampError) return wampErrorFailure(error, context, 1)
  // The payload given cannot be serialized (e.g. a big integer with --serializer json): bad input.
  if (error instanceof EncodeError) return usage(`${context}: ${error.message}`)
  if (error instanceof SessionClosedError || error instanceof ProtocolError) {
    return new CliFailure({ message: `${context}: session lost: ${error.message}`, exitCode: 4 })
  }
  const message = typeof error === "object" && error !== null && "message" in error
    ? String(error.message)
    : String(error)
  return new CliFailure({ message: `${context}: ${message}`, exitCode: 4 })
}
