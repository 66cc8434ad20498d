/**
 * The WAMP session the `wamp` command uses, read entirely from `Config` (the command feeds its
 * parsed options in as a ConfigProvider over the environment): transport, serializer and
 * authenticator from the `layerConfig` layers, secrets as `Config.redacted` from the environment.
 *
 *   WAMP_URL         ws://host:port/path, wss://…, tcp://host:port, unix:///path/to/socket
 *   WAMP_REALM       default realm1
 *   WAMP_SERIALIZER  json (default) | msgpack | cbor
 *   WAMP_AUTHMETHOD  anonymous (default) | ticket | wampcra | cryptosign
 *   WAMP_AUTHID, WAMP_AUTHROLE
 *   WAMP_TICKET, WAMP_SECRET, WAMP_PRIVATE_KEY (hex seed)   secrets: environment only
 */
import * as Config from "effect/Config"
import * as ConfigError from "effect/ConfigError"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Authenticator from "../Authenticator.js"
import type { AuthenticationError } from "../Errors.js"
import * as NodeWebSocketTransport from "../node/NodeWebSocketTransport.js"
import * as RawSocketTransport from "../node/RawSocketTransport.js"
import * as Serializer from "../Serializer.js"
import * as Session from "../Session.js"

export const defaultUrl = "ws://127.0.0.1:8080/ws"
export const defaultRealm = "realm1"
export const serializerNames = ["json", "msgpack", "cbor"] as const
export const authMethods = ["anonymous", "ticket", "wampcra", "cryptosign"] as const

export type Endpoint =
  | { readonly _tag: "WebSocket"; readonly url: string }
  | { readonly _tag: "Tcp"; readonly host: string; readonly port: number }
  | { readonly _tag: "Unix"; readonly path: string }

/** Where a URL points; a message saying what is wrong otherwise. */
export const parseEndpoint = (text: string): Either.Either<Endpoint, string> => {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    return Either.left(`not a URL: "${text}" (ws://, wss://, tcp:// or unix://)`)
  }
  switch (url.protocol) {
    case "ws:":
    case "wss:":
      return Either.right({ _tag: "WebSocket", url: text })
    case "tcp:": {
      const port = Number(url.port)
      if (url.hostname === "" || url.port === "" || !Number.isInteger(port)) {
        return Either.left(`a tcp:// URL needs a host and a port: "${text}"`)
      }
      return Either.right({ _tag: "Tcp", host: url.hostname.replace(/^\[|\]$/g, ""), port })
    }
    case "unix:": {
      const path = decodeURIComponent(url.pathname)
      return path === "" || path === "/"
        ? Either.left(`a unix:// URL needs a socket path: "${text}"`)
        : Either.right({ _tag: "Unix", path })
    }
    default:
      return Either.left(`unsupported URL scheme "${url.protocol}" in "${text}" (ws://, wss://, tcp:// or unix://)`)
  }
}

const endpoint: Config.Config<Endpoint> = Config.string("WAMP_URL").pipe(
  Config.withDefault(defaultUrl),
  Config.mapOrFail((text) =>
    Either.mapLeft(parseEndpoint(text), (message) => ConfigError.InvalidData(["WAMP_URL"], message))
  )
)

const transport = Layer.unwrapEffect(Effect.map(endpoint, (endpoint) => {
  switch (endpoint._tag) {
    case "WebSocket":
      return NodeWebSocketTransport.layerConfig({ url: Config.succeed(endpoint.url) })
    case "Tcp":
      return RawSocketTransport.layerConfig({
        host: Config.succeed(endpoint.host),
        port: Config.succeed(endpoint.port)
      })
    case "Unix":
      return RawSocketTransport.layerConfig({ path: Config.succeed(endpoint.path) })
  }
}))

const serializer = Layer.unwrapEffect(Effect.map(
  Config.literal(...serializerNames)("WAMP_SERIALIZER").pipe(Config.withDefault("json" as const)),
  (name) => Serializer.layerList(Serializer[name])
))

const optionalString = (name: string): Config.Config<string | undefined> =>
  Config.string(name).pipe(Config.withDefault(undefined))

const authenticator = Layer.unwrapEffect(Effect.map(
  Config.literal(...authMethods)("WAMP_AUTHMETHOD").pipe(Config.withDefault("anonymous" as const)),
  (method): Layer.Layer<Authenticator.Authenticator, ConfigError.ConfigError | AuthenticationError> => {
    const authrole = optionalString("WAMP_AUTHROLE")
    switch (method) {
      case "anonymous":
        return Layer.unwrapEffect(Effect.map(
          Config.all({ authid: optionalString("WAMP_AUTHID"), authrole }),
          (identity) => Authenticator.layerAnonymous(identity)
        ))
      case "ticket":
        return Authenticator.layerTicketConfig({
          authid: Config.string("WAMP_AUTHID"),
          authrole,
          ticket: Config.redacted("WAMP_TICKET")
        })
      case "wampcra":
        return Authenticator.layerWampCraConfig({
          authid: Config.string("WAMP_AUTHID"),
          authrole,
          secret: Config.redacted("WAMP_SECRET")
        })
      case "cryptosign":
        return Authenticator.layerCryptosignConfig({
          authid: optionalString("WAMP_AUTHID"),
          authrole,
          privateKey: Config.redacted("WAMP_PRIVATE_KEY")
        })
    }
  }
))

/** The session, everything read from Config. */
export const layer = Session.layerConfig({
  realm: Config.string("WAMP_REALM").pipe(Config.withDefault(defaultRealm)),
  agent: Config.succeed("effect-wamp-cli"),
  goodbyeTimeout: Config.succeed("2 seconds")
}).pipe(Layer.provide(Layer.mergeAll(transport, serializer, authenticator)))
