/** `wamp publish URI [ARG…] [--kwargs JSON] [--acknowledge] [--retain]`. */
import { Args, Command, Options } from "@effect/cli"
import * as Effect from "effect/Effect"
import { common, kwargsOption, payloadOf, withSession } from "./common.js"
import { fromOperation } from "./failure.js"
import { line, stringify } from "./output.js"

export const command = Command.make(
  "publish",
  {
    ...common,
    topic: Args.text({ name: "URI" }).pipe(Args.withDescription("The topic")),
    args: Args.text({ name: "ARG" }).pipe(
      Args.withDescription("Positional arguments, each a JSON value"),
      Args.repeated
    ),
    kwargs: kwargsOption,
    acknowledge: Options.boolean("acknowledge").pipe(
      Options.withDescription("Wait for the router's acknowledgement and print the publication id")
    ),
    retain: Options.boolean("retain").pipe(Options.withDescription("Ask the broker to retain the event"))
  },
  (input) =>
    Effect.flatMap(
      payloadOf(input.args, input.kwargs),
      (payload) =>
        withSession(input, (session) =>
          session.publish(input.topic, payload.args, payload.kwargs, {
            ...(input.acknowledge ? { acknowledge: true } : {}),
            ...(input.retain ? { retain: true } : {})
          }).pipe(
            Effect.mapError(fromOperation(`publish ${input.topic}`)),
            Effect.flatMap((publication) =>
              Effect.sync(() => {
                if (input.json) line(stringify({ publication: publication ?? null }))
                else if (publication !== undefined) line(String(publication))
              })
            )
          ))
    )
).pipe(Command.withDescription("Publish an event"))
