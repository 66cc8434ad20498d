/**
 * NodeWebSocketTransport (`effect-wamp/node`): the WebSocket transport on Node, where the `ws`
 * package supplies the WebSocket, so extra upgrade headers, TLS options and a payload limit
 * enforced before buffering apply, frames written in one tick leave in one socket write, and
 * `wss://` links carry RFC 5929 `tls-unique` data for cryptosign channel binding.
 */
import * as Socket from "@effect/platform/Socket"
import { Layer } from "effect"
import type { ConnectionOptions } from "node:tls"
import WebSocket from "ws"
import { attachHooks, type WebSocketHooks } from "../internal/webSocketHooks.js"
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

export interface ConstructorOptions {
  /** Extra HTTP headers on the upgrade request. */
  readonly headers?: Readonly<Record<string, string>> | undefined
  readonly tls?: TlsOptions | undefined
  /** Largest inbound message in bytes, refused by `ws` before it is buffered (default 16 MiB). */
  readonly maxPayload?: number | undefined
}

export interface Options extends WebSocketTransport.Options {
  /** Extra HTTP headers on the upgrade request. */
  readonly headers?: Readonly<Record<string, string>> | undefined
  readonly tls?: TlsOptions | undefined
  /** Overrides the WebSocket implementation (default: `ws` with the options above). */
  readonly webSocketConstructor?: WebSocketTransport.WebSocketConstructor | undefined
}

const hooks: WebSocketHooks = { writeCoalescer, channelBinding: tlsUnique }

/** A `ws` constructor in the shape of `Socket.WebSocketConstructor`. */
export const makeWebSocketConstructor =
  (options: ConstructorOptions = {}): WebSocketTransport.WebSocketConstructor => (url, protocols) => {
    // ws hands its options to tls.connect, so every TLS field (servername included) reaches it.
    const wsOptions = {
      ...options.tls,
      maxPayload: options.maxPayload ?? WebSocketTransport.defaultMaxMessageSize
    } as unknown as WebSocket.ClientOptions
    if (options.headers !== undefined) wsOptions.headers = { ...options.headers }
    // ws implements the DOM WebSocket surface (addEventListener, readyState, protocol, binaryType) used here.
    return attachHooks(new WebSocket(url, protocols, wsOptions), hooks) as unknown as globalThis.WebSocket
  }

/** `Socket.WebSocketConstructor` over `ws`, for `WebSocketTransport.layer` (or any @effect/platform Socket). */
export const layerWebSocketConstructor = (options?: ConstructorOptions): Layer.Layer<Socket.WebSocketConstructor> =>
  Layer.succeed(Socket.WebSocketConstructor, makeWebSocketConstructor(options))

/** The transport over `ws`; `maxMessageSize` is also ws's payload limit. */
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
