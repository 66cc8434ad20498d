/**
 * NodeWebSocketTransport (`effect-wamp/node`): the WebSocket transport on Node, where the `ws`
 * package supplies the WebSocket, so extra upgrade headers, TLS options and a payload limit
 * enforced before buffering apply, frames written in one tick leave in one socket write, and
 * `wss://` links carry RFC 5929 `tls-unique` data for cryptosign channel binding.
 */
import * as Socket from "@effect/platform/Socket"
import * as Config from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import type { ConnectionOptions } from "node:tls"
import WebSocket from "ws"
import { attachHooks, type WebSocketHooks } from "../internal/transport/webSocketHooks.js"
import { Transport, type TransportService } from "../Transport.js"
import * as WebSocketTransport from "../WebSocketTransport.js"
import { tlsUnique } from "./internal/tlsUnique.js"
import { writeCoalescer } from "./internal/writeCoalescer.js"

/** TLS settings for `wss://`. */
export type TlsOptions = Pick<
  ConnectionOptions,
  | "ca"
  | "cert"
  | "key"
  | "passphrase"
  | "pfx"
  | "rejectUnauthorized"
  | "servername"
  | "ciphers"
  | "minVersion"
  | "maxVersion"
  | "checkServerIdentity"
>

/** A header value; a `Redacted` one (a bearer token, say) is revealed only when a connection is made. */
export type HeaderValue = string | Redacted.Redacted

export interface ConstructorOptions {
  /** Extra HTTP headers on the upgrade request. */
  readonly headers?: Readonly<Record<string, HeaderValue>> | undefined
  readonly tls?: TlsOptions | undefined
  /** Largest inbound message in bytes, refused by `ws` before it is buffered (default 16 MiB). */
  readonly maxPayload?: number | undefined
}

export interface Options extends WebSocketTransport.Options {
  /** Extra HTTP headers on the upgrade request. */
  readonly headers?: Readonly<Record<string, HeaderValue>> | undefined
  readonly tls?: TlsOptions | undefined
  /** Overrides the WebSocket implementation (default: `ws` with the options above). */
  readonly webSocketConstructor?: WebSocketTransport.WebSocketConstructor | undefined
}

// Per connection, into ws's options only: the revealed values are kept nowhere else.
const revealHeaders = (headers: Readonly<Record<string, HeaderValue>>): Record<string, string> => {
  const plain: Record<string, string> = {}
  for (const [name, value] of Object.entries(headers)) {
    plain[name] = Redacted.isRedacted(value) ? Redacted.value(value) : value
  }
  return plain
}

const hooks: WebSocketHooks = {
  writeCoalescer,
  channelBinding: tlsUnique,
  keepAlive: {
    ping: (ws) => {
      try {
        ;(ws as WebSocket).ping()
      } catch {
        // Not open any more: the close is already on its way.
      }
    },
    onPong: (ws, listener) => (ws as WebSocket).on("pong", listener),
    terminate: (ws) => (ws as WebSocket).terminate()
  }
}

/** A `ws` constructor in the shape of `Socket.WebSocketConstructor`. */
export const makeWebSocketConstructor =
  (options: ConstructorOptions = {}): WebSocketTransport.WebSocketConstructor => (url, protocols) => {
    // ws hands its options to tls.connect, so every TLS field (servername included) reaches it.
    const wsOptions = {
      ...options.tls,
      maxPayload: options.maxPayload ?? WebSocketTransport.defaultMaxMessageSize
    } as unknown as WebSocket.ClientOptions
    if (options.headers !== undefined) wsOptions.headers = revealHeaders(options.headers)
    // ws implements the DOM WebSocket surface (addEventListener, readyState, protocol, binaryType) used here.
    return attachHooks(new WebSocket(url, protocols, wsOptions), hooks) as unknown as globalThis.WebSocket
  }

/** `Socket.WebSocketConstructor` over `ws`, for `WebSocketTransport.layer` (or any @effect/platform Socket). */
export const layerWebSocketConstructor = (options?: ConstructorOptions): Layer.Layer<Socket.WebSocketConstructor> =>
  Layer.succeed(Socket.WebSocketConstructor, makeWebSocketConstructor(options))

/** The transport over `ws` (the service value itself); `maxMessageSize` is also ws's payload limit. */
export const make = (options: Options): TransportService =>
  WebSocketTransport.makeWith(
    options,
    options.webSocketConstructor ?? makeWebSocketConstructor({
      headers: options.headers,
      tls: options.tls,
      maxPayload: options.maxMessageSize
    })
  )

export const layer = (options: Options): Layer.Layer<Transport> => Layer.succeed(Transport, make(options))

/**
 * The transport from `Config`, as @effect/sql's clients do, e.g.
 * `layerConfig({ url: Config.string("WAMP_URL"), headers: { authorization: Config.redacted("WAMP_TOKEN") } })`.
 */
export const layerConfig = (config: Config.Config.Wrap<Options>): Layer.Layer<Transport, ConfigError.ConfigError> =>
  Layer.effect(Transport, Effect.map(Config.unwrap(config), make))
