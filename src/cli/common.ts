/**
 * The options every client subcommand takes, each with its environment variable as fallback
 * (`--url` / WAMP_URL, ...), and `withSession`: joins with the Config-driven layer of
 * `wampConfig.ts`, fed the parsed options over the environment (where the secrets are).
 */
import { Options } from "@effect/cli"
import * as Config from "effect/Config"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type * as Scope from "effect/Scope"
import { Session, type SessionService } from "../Session.js"
import { CliFailure, fromJoin } from "./failure.js"
import { parseArgs, parseKwargs } from "./json.js"
import { authMethods, defaultRealm, defaultUrl, layer, serializerNames } from "./wampConfig.js"

const fromEnv = <A>(name: string, config: (name: string) => Config.Config<A>) =>
  Options.withFallbackConfig(config(name))

export const common = {
  url: Options.text("url").pipe(
    Options.withDescription("Router URL: ws://, wss://, tcp://host:port or unix:///path (env WAMP_URL)"),
    fromEnv("WAMP_URL", Config.string),
    Options.withDefault(defaultUrl)
  ),
  realm: Options.text("realm").pipe(
    Options.withDescription("Realm to join (env WAMP_REALM)"),
    fromEnv("WAMP_REALM", Config.string),
    Options.withDefault(defaultRealm)
  ),
  serializer: Options.choice("serializer", serializerNames).pipe(
    Options.withDescription("Serializer (env WAMP_SERIALIZER)"),
    fromEnv("WAMP_SERIALIZER", Config.literal(...serializerNames)),
    Options.withDefault("json" as const)
  ),
  authid: Options.text("authid").pipe(
    Options.withDescription("authid (env WAMP_AUTHID)"),
    fromEnv("WAMP_AUTHID", Config.string),
    Options.optional
  ),
  authmethod: Options.choice("authmethod", authMethods).pipe(
    Options.withDescription(
      "anonymous, ticket (secret in env WAMP_TICKET), wampcra (WAMP_SECRET) or cryptosign (WAMP_PRIVATE_KEY, hex seed); env WAMP_AUTHMETHOD. Secrets are read from the environment only"
    ),
    fromEnv("WAMP_AUTHMETHOD", Config.literal(...authMethods)),
    Options.withDefault("anonymous" as const)
  ),
  json: Options.boolean("json").pipe(
    Options.withDescription("One JSON object per line instead of human output (env WAMP_JSON=true)"),
    fromEnv("WAMP_JSON", Config.boolean)
  )
}

export interface Common {
  readonly url: string
  readonly realm: string
  readonly serializer: string
  readonly authid: Option.Option<string>
  readonly authmethod: string
  readonly json: boolean
}

/** The parsed options as Config keys, over the environment (secrets are only there). */
const providerOf = (options: Common): ConfigProvider.ConfigProvider => {
  const entries: Array<[string, string]> = [
    ["WAMP_URL", options.url],
    ["WAMP_REALM", options.realm],
    ["WAMP_SERIALIZER", options.serializer],
    ["WAMP_AUTHMETHOD", options.authmethod]
  ]
  if (Option.isSome(options.authid)) entries.push(["WAMP_AUTHID", options.authid.value])
  return ConfigProvider.fromMap(new Map(entries)).pipe(ConfigProvider.orElse(() => ConfigProvider.fromEnv()))
}

/** Joins, runs `use` with the session, leaves (GOODBYE) when it ends. Join failures are `CliFailure`s. */
export const withSession = <A, E, R>(
  options: Common,
  use: (session: SessionService) => Effect.Effect<A, E, R>
): Effect.Effect<A, E | CliFailure, Exclude<R, Scope.Scope>> =>
  Effect.scoped(
    Effect.gen(function*() {
      const context = yield* Layer.build(layer).pipe(
        Effect.withConfigProvider(providerOf(options)),
        Effect.mapError(fromJoin)
      )
      return yield* use(Context.get(context, Session))
    })
  )

/** Positional JSON arguments and `--kwargs`, as a typed failure. */
export const payloadOf = (args: ReadonlyArray<string>, kwargs: Option.Option<string>) =>
  Effect.try({
    try: () => ({ args: parseArgs(args), kwargs: parseKwargs(Option.getOrUndefined(kwargs)) }),
    catch: (error) => error instanceof CliFailure ? error : new CliFailure({ message: String(error), exitCode: 2 })
  })

export const kwargsOption = Options.text("kwargs").pipe(
  Options.withDescription("Keyword arguments, a JSON object"),
  Options.optional
)
