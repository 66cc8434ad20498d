/**
 * The router over real sockets: a `ws` WebSocketServer (subprotocols wamp.2.json / msgpack / cbor,
 * any path) and, when asked, a RawSocket listener on `node:net`. Each accepted connection becomes a
 * `Link` handed to the router's `attach`. Loaded lazily by `Router.serve`, so the in-memory router
 * does not pull in `ws` or `node:net`.
 */
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Runtime from "effect/Runtime"
import type * as Scope from "effect/Scope"
import * as Http from "node:http"
import type * as Net from "node:net"
import { WebSocket, WebSocketServer } from "ws"
import { TransportError } from "../../Errors.js"
import * as Inbox from "../../internal/transport/inbox.js"
import type * as Message from "../../Message.js"
import { writeCoalescer } from "../../node/internal/writeCoalescer.js"
import type { Frame, SerializerService } from "../../Serializer.js"
import type { CloseInfo, Link } from "../../Transport.js"
import { DEFAULT_FRAME_TIMEOUT, DEFAULT_HELLO_TIMEOUT } from "./config.js"
import * as RawSocket from "./rawSocketServer.js"

export interface ListenOptions {
  readonly host: string
  readonly port: number
  readonly rawSocketPort?: number
  /** From accept to the end of the upgrade / RawSocket handshake (ms, default 10000). */
  readonly helloTimeout?: number | undefined
  /** How long a started frame may take to arrive whole (ms, default 10000). */
  readonly frameTimeout?: number | undefined
}

export interface Timeouts {
  readonly helloTimeout: number
  readonly frameTimeout: number
}

export interface Bound {
  readonly host: string
  readonly port: number
  readonly rawSocketPort?: number
}

type Attach = (link: Link, transport: Message.Dict) => Effect.Effect<void>

const MAX_MESSAGE = 16 * 1024 * 1024
/** How long a closing socket may take to finish its close handshake before it is cut. */
const CLOSE_GRACE_MS = 2000

const closedError = new TransportError({ reason: "Closed", message: "link is closed" })

export const listen = (
  options: ListenOptions,
  serializers: ReadonlyArray<SerializerService>,
  attach: Attach,
  /** Ends the sessions of these links gracefully before the listeners go (default: nothing). */
  drain: (links: Iterable<Link>) => Effect.Effect<void> = () => Effect.void
): Effect.Effect<Bound, TransportError, Scope.Scope> =>
  Effect.gen(function*() {
    const runtime = yield* Effect.runtime<never>()
    const run = Runtime.runFork(runtime)
    const links = new Set<Link>()
    const accept = (link: Link, transport: Message.Dict) => {
      links.add(link)
      run(attach(link, transport))
      run(Effect.tap(link.closed, () => Effect.sync(() => links.delete(link))))
    }
    const timeouts: Timeouts = {
      helloTimeout: options.helloTimeout ?? DEFAULT_HELLO_TIMEOUT,
      frameTimeout: options.frameTimeout ?? DEFAULT_FRAME_TIMEOUT
    }
    const port = yield* listenWebSocket(options, timeouts, serializers, accept)
    const rawSocketPort = options.rawSocketPort === undefined
      ? undefined
      : yield* RawSocket.listen(options.host, options.rawSocketPort, serializers, accept, timeouts)
    // Runs before the listeners are released: sessions get GOODBYE before their sockets are cut.
    yield* Effect.addFinalizer(() => drain(links))
    return rawSocketPort === undefined ? { host: options.host, port } : { host: options.host, port, rawSocketPort }
  })

const listenWebSocket = (
  options: ListenOptions,
  timeouts: Timeouts,
  serializers: ReadonlyArray<SerializerService>,
  accept: (link: Link, transport: Message.Dict) => void
): Effect.Effect<number, TransportError, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.async<{ http: Http.Server; server: WebSocketServer; sockets: Set<Net.Socket> }, TransportError>(
      (resume) => {
        // Our own HTTP server, so that connections that never finish the upgrade can be timed out.
        const http = Http.createServer((_, response) => {
          response.writeHead(426, { "content-type": "text/plain" }).end("a WAMP router: WebSocket only")
        })
        const sockets = new Set<Net.Socket>()
        http.on("connection", (socket: Net.Socket) => {
          sockets.add(socket)
          socket.once("close", () => sockets.delete(socket))
          // Cut only if no upgrade happened by then (ws takes the socket over on upgrade).
          const timer = setTimeout(() => {
            if (!upgraded.has(socket)) socket.destroy()
          }, timeouts.helloTimeout)
          timer.unref?.()
          socket.once("close", () => clearTimeout(timer))
        })
        const upgraded = new WeakSet<Net.Socket>()
        const server = new WebSocketServer({
          server: http,
          maxPayload: MAX_MESSAGE,
          // The client's order is its preference: take the first one we speak.
          handleProtocols: (offered) => {
            for (const protocol of offered) if (serializers.some((s) => s.subprotocol === protocol)) return protocol
            return false
          }
        })
        let listening = false
        // Before listening an error fails `serve`; after, it is a dead connection's business, not the server's.
        const onError = (cause: Error) => {
          if (!listening) {
            resume(
              Effect.fail(new TransportError({ reason: "Open", message: `cannot listen: ${cause.message}`, cause }))
            )
          }
        }
        http.on("error", onError)
        server.on("error", onError)
        server.on("connection", (socket, request) => {
          upgraded.add(request.socket as Net.Socket)
          const serializer = serializers.find((s) => s.subprotocol === socket.protocol)
          if (serializer === undefined) {
            socket.close(1002, "no WAMP subprotocol negotiated")
            return
          }
          accept(webSocketLink(socket, request.socket as Net.Socket, serializer, timeouts.frameTimeout), {
            type: "websocket",
            protocol: socket.protocol,
            peer: `tcp4:${request.socket.remoteAddress ?? "?"}:${request.socket.remotePort ?? 0}`,
            http_path: request.url ?? "/"
          })
        })
        http.listen(options.port, options.host, () => {
          listening = true
          resume(Effect.succeed({ http, server, sockets }))
        })
      }
    ),
    ({ http, server, sockets }) =>
      Effect.async<void>((resume) => {
        for (const client of server.clients) client.terminate()
        for (const socket of sockets) socket.destroy()
        server.close()
        http.close(() => resume(Effect.void))
      })
  ).pipe(Effect.map(({ http }) => {
    const address = http.address()
    return typeof address === "object" && address !== null ? address.port : options.port
  }))

/**
 * A frame is under way from the first TCP bytes after the last whole message (or control frame)
 * until the next one completes; it must complete within `frameTimeout` or the connection is cut.
 */
const watchPartialFrames = (socket: WebSocket, tcp: Net.Socket, frameTimeout: number): void => {
  let timer: ReturnType<typeof setTimeout> | undefined
  const start = () => {
    if (timer !== undefined) return
    timer = setTimeout(() => socket.terminate(), frameTimeout)
    timer.unref?.()
  }
  // ws's parser state (undocumented): bytes of a frame it holds back; absent, we assume none.
  const receiver = (socket as unknown as { _receiver?: { _bufferedBytes?: number } })._receiver
  const progress = () => {
    if (timer !== undefined) clearTimeout(timer)
    timer = undefined
    // The rest of the chunk that completed this message may be the start of the next frame.
    queueMicrotask(() => {
      if ((receiver?._bufferedBytes ?? 0) > 0) start()
    })
  }
  // Ahead of ws's own listener, so a chunk that completes a message clears the clock it started.
  tcp.prependListener("data", start)
  socket.on("message", progress)
  socket.on("ping", progress)
  socket.on("pong", progress)
  socket.on("close", () => {
    if (timer !== undefined) clearTimeout(timer)
    timer = undefined
  })
}

const webSocketLink = (
  socket: WebSocket,
  tcp: Net.Socket,
  serializer: SerializerService,
  frameTimeout: number
): Link => {
  const inbox = Effect.runSync(Inbox.make)
  const coalesce = writeCoalescer(socket)
  watchPartialFrames(socket, tcp, frameTimeout)
  socket.on("message", (data, isBinary) => {
    const buffer = Array.isArray(data) ? Buffer.concat(data) : data instanceof ArrayBuffer ? Buffer.from(data) : data
    inbox.offer(
      isBinary ? new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength) : buffer.toString("utf8")
    )
  })
  socket.on("close", (code, reason) => {
    inbox.end({ code, reason: reason.toString("utf8"), clean: code === 1000 || code === 1001 })
  })
  // An "error" is always followed by "close"; listening keeps it from being thrown.
  socket.on("error", () => {})
  return {
    serializer,
    send: (frame: Frame) => {
      if (socket.readyState !== WebSocket.OPEN) return Exit.fail(closedError)
      coalesce()
      socket.send(frame)
      return Exit.void
    },
    inbound: inbox.stream,
    closed: inbox.closed,
    close: (code = 1000, reason = "") =>
      Effect.zipRight(
        Effect.sync(() => {
          if (socket.readyState !== WebSocket.OPEN && socket.readyState !== WebSocket.CONNECTING) return
          // 1006 cannot be sent in a close frame: it means "dropped", so drop the connection.
          if (code === 1006) socket.terminate()
          else socket.close(code, reason)
        }),
        inbox.closed.pipe(
          Effect.timeoutTo({
            duration: CLOSE_GRACE_MS,
            onSuccess: (info: CloseInfo) => Effect.succeed(info),
            onTimeout: () =>
              Effect.sync(() => {
                socket.terminate()
                inbox.end({ code: 1006, reason: "close timeout", clean: false })
              })
          }),
          Effect.flatten,
          Effect.asVoid
        )
      )
  }
}
