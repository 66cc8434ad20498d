/** `wamp call URI [ARG…] [--kwargs JSON] [--timeout SECONDS]`: progressive results print as they arrive. */
import { Args, Command, Options } from "@effect/cli"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import type { CallResult, SessionService } from "../Session.js"
import { common, kwargsOption, payloadOf, withSession } from "./common.js"
import { CliFailure, fromOperation } from "./failure.js"
import { humanPayload, line, stringify } from "./output.js"

export const printResult = (json: boolean) => (result: CallResult): Effect.Effect<void> =>
  Effect.sync(() => {
    const progress = result.details["progress"] === true
    if (json) return line(stringify({ args: result.args, kwargs: result.kwargs, progress }))
    const text = humanPayload(result.args, result.kwargs)
    if (text !== "" || progress) line(text)
  })

/** Calls and prints every result; with a timeout, gives up (and cancels the call) after it. */
export const callAndPrint = (
  session: SessionService,
  procedure: string,
  payload: { readonly args: Array<unknown>; readonly kwargs: Record<string, unknown> },
  json: boolean,
  timeout: Option.Option<number>
) => {
  const printing = Stream.runForEach(
    session.callProgressive(procedure, payload.args, payload.kwargs),
    printResult(json)
  ).pipe(Effect.mapError(fromOperation(`call ${procedure}`)))
  if (Option.isNone(timeout)) return printing
  return Effect.timeoutFail(printing, {
    duration: Duration.seconds(timeout.value),
    onTimeout: () =>
      new CliFailure({ message: `call ${procedure}: no result within ${timeout.value} s (canceled)`, exitCode: 124 })
  })
}

export const command = Command.make("call", {
  ...common,
  procedure: Args.text({ name: "URI" }).pipe(Args.withDescription("The procedure")),
  args: Args.text({ name: "ARG" }).pipe(
    Args.withDescription("Positional arguments, each a JSON value (put -- before one that starts with -)"),
    Args.repeated
  ),
  kwargs: kwargsOption,
  timeout: Options.float("timeout").pipe(
    Options.withDescription("Give up after this many seconds: the call is canceled, exit code 124"),
    Options.optional
  )
}, (input) =>
  Effect.flatMap(
    payloadOf(input.args, input.kwargs),
    (payload) =>
      withSession(input, (session) => callAndPrint(session, input.procedure, payload, input.json, input.timeout))
  )).pipe(Command.withDescription("Call a procedure and print its result(s)"))
