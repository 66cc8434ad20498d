/**
 * The router's meta API from the shell: `wamp meta PROCEDURE [ARG…]` calls `wamp.PROCEDURE`
 * (`wamp meta session.count`, `wamp meta registration.lookup '"com.example.add"'`), and
 * `wamp sessions` lists the sessions with their details.
 */
import { Args, Command } from "@effect/cli"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { callAndPrint } from "./call.js"
import { common, kwargsOption, payloadOf, withSession } from "./common.js"
import { fromOperation } from "./failure.js"
import { line, stringify } from "./output.js"

export const metaCommand = Command.make("meta", {
  ...common,
  procedure: Args.text({ name: "PROCEDURE" }).pipe(
    Args.withDescription(
      "session.count, session.list, session.get, registration.list, subscription.lookup, … (wamp. is added)"
    )
  ),
  args: Args.text({ name: "ARG" }).pipe(Args.withDescription("Positional arguments, each a JSON value"), Args.repeated),
  kwargs: kwargsOption
}, (input) => {
  const procedure = input.procedure.startsWith("wamp.") ? input.procedure : `wamp.${input.procedure}`
  return Effect.flatMap(
    payloadOf(input.args, input.kwargs),
    (payload) => withSession(input, (session) => callAndPrint(session, procedure, payload, input.json, Option.none()))
  )
}).pipe(Command.withDescription("Call a meta procedure of the router (wamp.session.*, wamp.registration.*, …)"))

const field = (details: Record<string, unknown>, key: string): string => {
  const value = details[key]
  return value === undefined || value === null || value === "" ? "-" : String(value)
}

export const sessionsCommand = Command.make(
  "sessions",
  common,
  (input) =>
    withSession(input, (session) =>
      Effect.gen(function*() {
        const list = yield* session.call("wamp.session.list")
        const ids = (list.args[0] ?? []) as ReadonlyArray<number>
        const all = yield* Effect.forEach(ids, (id) =>
          session.call("wamp.session.get", [id]).pipe(
            Effect.map((result) => ({ session: id, ...(result.args[0] as Record<string, unknown>) })),
            // It may have left between list and get.
            Effect.catchIf((error) => error._tag === "WampError", () => Effect.succeed(undefined))
          ))
        const found = all.filter((details) => details !== undefined)
        if (input.json) return line(stringify(found))
        for (const details of found) {
          const self = details.session === session.info.id ? " (this one)" : ""
          line(
            `${details.session}  authid=${field(details, "authid")} authrole=${field(details, "authrole")} authmethod=${
              field(details, "authmethod")
            }${self}`
          )
        }
      }).pipe(Effect.mapError(fromOperation("sessions"))))
).pipe(
  Command.withDescription("List the sessions of the realm (wamp.session.list and wamp.session.get)")
)
