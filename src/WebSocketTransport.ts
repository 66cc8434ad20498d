/**
 * WebSocketTransport: a Transport over WebSocket (RFC 6455), negotiating the WAMP subprotocol
 * (`wamp.2.json`, ...). Built on `@effect/platform`'s `Socket`; the WebSocket itself comes from
 * the `Socket.WebSocketConstructor` service: `Socket.layerWebSocketConstructorGlobal` in browsers,
 * `NodeWebSocketTransport.layerWebSocketConstructor` (the `ws` package: headers, TLS, a payload
 * limit) from `effect-wamp/node`. Platform-neutral: nothing here imports Node.
 */
import * as Socket from "@effect/platform/Socket"
import * as Cause from "effect/Cause"
import * as Config from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import type * as Context from "effect/Context"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import { TransportError } from "./Errors.js"
import * as Inbox from "./internal/transport/inbox.js"
import * as KeepAlive from "./internal/transport/keepAlive.js"
import { hooksOf } from "./internal/transport/webSocketHooks.js"
import type { Frame, SerializerService } from "./Serializer.js"
import { type CloseInfo, type Link, Transport, type TransportService } from "./Transport.js"

/** The service `Socket.WebSocketConstructor` provides: the global one in browsers, `ws` on Node. */
export type WebSocketConstructor = Context.Tag.Service<typeof Socket.WebSocketConstructor>

export interface Options {
  /** `ws://` or `wss://` URL of the router. */
  readonly url: string
  /** Largest inbound message in bytes (default 16 MiB); above it the link ends with "TooLarge". */
  readonly maxMessageSize?: number | undefined
  /** How long the TCP + TLS + HTTP upgrade may take (default 10 s); then "Timeout". */
  readonly openTimeout?: Duration.DurationInput | undefined
  /** How long `close` waits for the peer's closing handshake before dropping the socket (default 5 s). */
  readonly closeTimeout?: Duration.DurationInput | undefined
  /**
   * Ping frames every `interval` (default 30 s); no answer (pong or any frame) within `timeout`
   * (default 15 s) drops the link with "Timeout", so a silent router is noticed. `false` turns it off.
   * Needs a WebSocket that can send pings: on Node (`effect-wamp/node`) yes; a browser's WebSocket
   * cannot send pings from JavaScript, so there it does nothing (browsers answer the router's own
   * pings: configure the router's keep-alive, or use the Connection's `whenDisconnected` and call
   * timeouts).
   */
  readonly keepAlive?: KeepAlive.Option | undefined
}

export const defaultMaxMessageSize = 16 * 1024 * 1024

const OPEN = 1
const CLOSED = 3

const closedError = new TransportError({ reason: "Closed", message: "link is closed" })

/** Builds the transport over the given WebSocket constructor; every `open` makes a new connection. */
export const makeWith = (options: Options, construct: WebSocketConstructor): TransportService => {
  const config: Config = {
    url: options.url,
    maxMessageSize: options.maxMessageSize ?? defaultMaxMessageSize,
    openTimeout: Duration.decode(options.openTimeout ?? Duration.seconds(10)),
    closeTimeout: Duration.decode(options.closeTimeout ?? Duration.seconds(5)),
    keepAlive: KeepAlive.settings(options.keepAlive),
    construct
  }
  return { open: (serializers) => openLink(config, serializers) }
}

/**
 * The transport, as an Effect that reads the `Socket.WebSocketConstructor` service (the platform's
 * WebSocket); `NodeWebSocketTransport.make` is the same over `ws`, given directly.
 */
export const make = (options: Options): Effect.Effect<TransportService, never, Socket.WebSocketConstructor> =>
  Effect.map(Socket.WebSocketConstructor, (construct) => makeWith(options, construct))

/** Provide `Socket.layerWebSocketConstructorGlobal` in browsers, or use `effect-wamp/node` on Node. */
export const layer = (options: Options): Layer.Layer<Transport, never, Socket.WebSocketConstructor> =>
  Layer.effect(Transport, make(options))

/**
 * The transport from `Config`, as @effect/sql's clients do, e.g.
 * `layerConfig({ url: Config.string("WAMP_URL") })`.
 */
export const layerConfig = (
  config: Config.Config.Wrap<Options>
): Layer.Layer<Transport, ConfigError.ConfigError, Socket.WebSocketConstructor> =>
  Layer.effect(Transport, Effect.flatMap(Config.unwrap(config), make))

interface Config {
  readonly url: string
  readonly maxMessageSize: number
  readonly openTimeout: Duration.Duration
  readonly closeTimeout: Duration.Duration
  readonly keepAlive: KeepAlive.Settings | undefined
  readonly construct: WebSocketConstructor
}

/** Mutable facts about one connection, written by socket callbacks. */
interface ConnectionState {
  ws: globalThis.WebSocket | undefined
  /** The first error the socket reported: tells a refused handshake from a network failure. */
  error: unknown
  /** An inbound message was over the limit: later frames are dropped and the link ends "TooLarge". */
  tooLarge: boolean
}

const openLink = (
  config: Config,
  serializers: ReadonlyArray<SerializerService>
): Effect.Effect<Link, TransportError, Scope.Scope> =>
  Effect.gen(function*() {
    const offered = serializers.map((serializer) => serializer.subprotocol)
    if (offered.length === 0) {
      return yield* new TransportError({ reason: "Handshake", message: "no serializer to offer" })
    }
    const inbox = yield* Inbox.make
    const state: ConnectionState = { ws: undefined, error: undefined, tooLarge: false }

    const opened = yield* Deferred.make<void, TransportError>()
    const closeInfoOf = (event: globalThis.CloseEvent): CloseInfo =>
      state.tooLarge
        ? { code: 1009, reason: "message too large", clean: false }
        : { code: event.code, reason: event.reason, clean: event.code === 1000 || event.code === 1001 }

    // Our own listeners go on before Socket's, so the close info is recorded before Socket reacts,
    // and a permanent "error" listener keeps ws from throwing on a second error event.
    const acquire = Effect.acquireRelease(
      Effect.try({
        try: () => {
          const ws = config.construct(config.url, [...offered])
          // A Blob would be read asynchronously by Socket and could overtake later frames.
          if (ws.binaryType === "blob") ws.binaryType = "arraybuffer"
          ws.addEventListener("error", (event) => {
            const error = (event as { error?: unknown }).error ?? event
            if (isTooLargeError(error)) state.tooLarge = true
            if (state.error === undefined) state.error = error
          })
          ws.addEventListener("close", (event) => inbox.end(closeInfoOf(event)))
          // Recorded here, not in Socket's onOpen: frames that arrive with the 101 response can make
          // Socket's run fail (payload limit) before its onOpen runs, yet the link did open.
          ws.addEventListener("open", () => Deferred.unsafeDone(opened, Exit.void), { once: true })
          state.ws = ws
          return ws
        },
        catch: (cause) => new Socket.SocketGenericError({ reason: "Open", cause })
      }),
      (ws) => Effect.sync(() => closeQuietly(ws, 1000, ""))
    )
    const socket = yield* Socket.fromWebSocket(acquire, {
      closeCodeIsError: (code) => code !== 1000 && code !== 1001,
      openTimeout: config.openTimeout
    })

    /** Told of every frame received, once keep-alive runs. */
    let heard = () => {}
    // Synchronous handler: Socket forks only handlers that return an Effect, so frames stay in order.
    const onFrame = (data: string | Uint8Array): void => {
      heard()
      if (state.tooLarge) return
      const frame = toFrame(data)
      if (frameSize(frame, config.maxMessageSize) > config.maxMessageSize) {
        state.tooLarge = true
        if (state.ws !== undefined) closeQuietly(state.ws, 1009, "message too large")
        return
      }
      inbox.offer(frame)
    }

    yield* socket.runRaw(onFrame).pipe(
      Effect.exit,
      Effect.flatMap((exit) =>
        Effect.sync(() => {
          // The close event ends the inbox with the real code; this covers sockets that never got one.
          if (state.ws === undefined || state.ws.readyState === CLOSED) {
            inbox.end({ code: 1006, reason: "connection ended", clean: false })
          }
          Deferred.unsafeDone(opened, Effect.fail(openFailure(exit, state, config, offered)))
        })
      ),
      Effect.forkScoped
    )
    yield* Deferred.await(opened)

    const ws = state.ws!
    const serializer = serializers.find((candidate) => candidate.subprotocol === ws.protocol)
    if (serializer === undefined) {
      closeQuietly(ws, 1002, "no WAMP subprotocol")
      return yield* new TransportError({
        reason: "Handshake",
        message: (ws.protocol === ""
          ? "server selected no WAMP subprotocol"
          : `server selected subprotocol "${ws.protocol}", which was not offered`) + offeredText(offered)
      })
    }

    const awaitEnd: Effect.Effect<void> = inbox.closed.pipe(
      Effect.timeout(config.closeTimeout),
      Effect.catchAll(() =>
        Effect.sync(() => {
          // The peer never finished the closing handshake: drop the TCP connection.
          ;(ws as { terminate?: () => void }).terminate?.()
          inbox.end({ code: 1006, reason: "closing handshake timed out", clean: false })
        })
      ),
      Effect.asVoid
    )
    const close = (code = 1000, reason = ""): Effect.Effect<void> =>
      Effect.suspend(() => {
        if (!inbox.isEnded()) closeQuietly(ws, code, reason)
        return awaitEnd
      })
    // Added after the reader fiber, so it runs first: a proper closing handshake, then the fiber stops.
    yield* Effect.addFinalizer(() => close())

    const tooLargeError = new TransportError({
      reason: "TooLarge",
      message: `inbound message over ${config.maxMessageSize} bytes`,
      code: 1009
    })
    const hooks = hooksOf(ws)
    const coalesce = hooks === undefined ? () => {} : hooks.writeCoalescer(ws)
    const pings = hooks?.keepAlive
    if (config.keepAlive !== undefined && pings !== undefined) {
      const keepAlive = KeepAlive.make(config.keepAlive, {
        ping: () => pings.ping(ws),
        ended: inbox.isEnded,
        drop: (error) => {
          inbox.end({ code: 1006, reason: error.message, clean: false }, error)
          pings.terminate(ws)
        }
      })
      heard = keepAlive.heard
      pings.onPong(ws, keepAlive.heard)
      yield* Effect.forkScoped(keepAlive.run)
    }
    const link: Link = {
      serializer,
      send: (frame) => {
        if (ws.readyState !== OPEN || inbox.isEnded()) return Exit.fail(closedError)
        try {
          coalesce()
          ws.send(frame as string | ArrayBufferView<ArrayBuffer>)
        } catch (cause) {
          return Exit.fail(new TransportError({ reason: "Write", message: "WebSocket send failed", cause }))
        }
        return Exit.void
      },
      inbound: Stream.mapError(inbox.stream, (error) => state.tooLarge ? tooLargeError : error),
      receive: Effect.mapError(inbox.pull, Option.map((error) => state.tooLarge ? tooLargeError : error)),
      push: inbox.push,
      closed: inbox.closed,
      close,
      channelBinding: hooks?.channelBinding(ws)
    }
    return link
  })

/** Text stays a string; binary becomes a plain Uint8Array (not a Node Buffer) without copying. */
const toFrame = (data: string | Uint8Array): Frame => {
  const raw: unknown = data
  if (typeof raw === "string") return raw
  if (raw instanceof ArrayBuffer) return new Uint8Array(raw)
  const bytes = raw as Uint8Array
  return bytes.constructor === Uint8Array ? bytes : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}

const encoder = new TextEncoder()

/** UTF-8 size of a text frame, encoding only when its length alone cannot decide against `limit`. */
const frameSize = (frame: Frame, limit: number): number => {
  if (typeof frame !== "string") return frame.byteLength
  if (frame.length > limit || frame.length * 3 <= limit) return frame.length
  return encoder.encode(frame).byteLength
}

const isTooLargeError = (error: unknown): boolean =>
  typeof error === "object" && error !== null &&
  (error as { code?: unknown }).code === "WS_ERR_UNSUPPORTED_MESSAGE_LENGTH"

/** Close codes and reasons a WebSocket refuses (browsers allow only 1000 and 3000-4999) fall back to 1000. */
const closeQuietly = (ws: globalThis.WebSocket, code: number, reason: string): void => {
  try {
    ws.close(code, reason)
  } catch {
    try {
      ws.close(1000)
    } catch {
      // Already closed: nothing to do.
    }
  }
}

const handshakeRefusal = /subprotocol|Unexpected server response|Invalid Sec-WebSocket|Sec-WebSocket-Extensions/

/** What we offered, for handshake failures: the fix is usually a serializer both sides speak. */
const offeredText = (offered: ReadonlyArray<string>): string => ` (offered: ${offered.join(", ")})`

/** Maps how the socket's run ended before "open" to a TransportError. */
const openFailure = (
  exit: Exit.Exit<void, Socket.SocketError>,
  state: ConnectionState,
  config: Config,
  offered: ReadonlyArray<string>
): TransportError => {
  const failure = Exit.isFailure(exit) ? Cause.failureOption(exit.cause) : Option.none()
  if (Option.isSome(failure) && failure.value.reason === "OpenTimeout") {
    return new TransportError({
      reason: "Timeout",
      message: `WebSocket to ${config.url} did not open within ${Duration.format(config.openTimeout)}`
    })
  }
  const cause = state.error ?? (Option.isSome(failure) ? failure.value : undefined)
  const detail = cause instanceof Error ? cause.message : undefined
  if (detail !== undefined && handshakeRefusal.test(detail)) {
    // ws checks the subprotocol itself and refuses the upgrade; say it in WAMP terms.
    const message = (detail === "Server sent no subprotocol"
      ? "server selected no WAMP subprotocol"
      : detail === "Server sent an invalid subprotocol"
      ? "server selected a subprotocol that was not offered"
      : `WebSocket handshake refused: ${detail}`) + offeredText(offered)
    return new TransportError({ reason: "Handshake", message, cause })
  }
  const code = Option.isSome(failure) && failure.value.reason === "Close" ? failure.value.code : undefined
  return new TransportError({
    reason: "Open",
    message: `could not open WebSocket to ${config.url}${detail !== undefined ? `: ${detail}` : ""}`,
    ...(code !== undefined ? { code } : {}),
    ...(cause !== undefined ? { cause } : {})
  })
}
