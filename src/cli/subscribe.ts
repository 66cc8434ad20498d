/** `wamp subscribe URI [--match prefix|wildcard] [--count N]`: one line per event until Ctrl-C or N events. */
import { Args, Command, Options } from "@effect/cli"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import * as Tracing from "../Tracing.js"
import { common, withSession } from "./common.js"
import { fromOperation } from "./failure.js"
import { humanPayload, line, note, stringify } from "./output.js"
import { endsOnSignal } from "./runtime.js"

export const matchOption = Options.choice("match", ["exact", "prefix", "wildcard"] as const).pipe(
  Options.withDescription("Match policy"),
  Options.withDefault("exact" as const)
)

export const command = Command.make("subscribe", {
  ...common,
  topic: Args.text({ name: "URI" }).pipe(Args.withDescription("The topic (or pattern)")),
  match: matchOption,
  count: Options.integer("count").pipe(Options.withDescription("Exit after this many events"), Options.optional),
  retained: Options.boolean("get-retained").pipe(Options.withDescription("Ask for the retained event first"))
}, (input) =>
  withSession(input, (session) =>
    Effect.gen(function*() {
      yield* endsOnSignal
      const subscription = yield* session.subscribe(input.topic, {
        ...(input.match === "exact" ? {} : { match: input.match }),
        ...(input.retained ? { get_retained: true } : {})
      })
      note(`subscribed to ${input.topic} (subscription ${subscription.id})`)
      const events = Option.match(input.count, {
        onNone: () => subscription.events,
        onSome: (count) => Stream.take(subscription.events, count)
      })
      yield* Stream.runForEach(events, (event) =>
        Tracing.withEventSpan(event)(Effect.sync(() => {
          if (input.json) {
            line(stringify({
              topic: event.details.topic,
              args: event.args,
              kwargs: event.kwargs,
              publication: event.details.publication,
              publisher: event.details.publisher ?? null,
              retained: event.details.retained
            }))
          } else {
            line(`${event.details.topic} ${humanPayload(event.args, event.kwargs)}`.trimEnd())
          }
        })))
    }).pipe(Effect.mapError(fromOperation(`subscribe ${input.topic}`)), Effect.scoped))).pipe(
    Command.withDescription("Print events as they arrive, until Ctrl-C or --count events")
  )
