/**
 * The router over real sockets: a `ws` WebSocketServer (subprotocols wamp.2.json / msgpack / cbor,
 * any path) and, when asked, a RawSocket listener on `node:net`. Each accepted connection becomes a
 * `Link` handed to the router's `attach`. Loaded lazily by `Router.serve`, so the in-memory router
 * does not pull in `ws` or `node:net`.
 */
import { Effect, Runtime, type Scope } from "effect"
import { WebSocket, WebSocketServer } from "ws"
import { TransportError } from "../../Errors.js"
import * as Inbox from "../../internal/transport/inbox.js"
import type * as Message from "../../Message.js"
import { writeCoalescer } from "../../node/internal/writeCoalescer.js"
import type { Frame, SerializerService } from "../../Serializer.js"
import type { CloseInfo, Link } from "../../Transport.js"
import * as RawSocket from "./rawSocketServer.js"

export interface ListenOptions {
  readonly host: string
  readonly port: number
  readonly rawSocketPort?: number
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
    const port = yield* listenWebSocket(options.host, options.port, serializers, accept)
    const rawSocketPort = options.rawSocketPort === undefined
      ? undefined
      : yield* RawSocket.listen(options.host, options.rawSocketPort, serializers, accept)
    // Runs before the listeners are released: sessions get GOODBYE before their sockets are cut.
    yield* Effect.addFinalizer(() => drain(links))
    return rawSocketPort === undefined ? { host: options.host, port } : { host: options.host, port, rawSocketPort }
  })

const listenWebSocket = (
  host: string,
  port: number,
  serializers: ReadonlyArray<SerializerService>,
  accept: (link: Link, transport: Message.Dict) => void
): Effect.Effect<number, TransportError, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.async<WebSocketServer, TransportError>((resume) => {
      const server = new WebSocketServer({
        host,
        port,
        maxPayload: MAX_MESSAGE,
        // The client's order is its preference: take the first one we speak.
        handleProtocols: (offered) => {
          for (const protocol of offered) if (serializers.some((s) => s.subprotocol === protocol)) return protocol
          return false
        }
      })
      let listening = false
      server.once("listening", () => {
        listening = true
        resume(Effect.succeed(server))
      })
      // Before listening an error fails `serve`; after, it is a dead connection's business, not the server's.
      server.on("error", (cause) => {
        if (!listening) {
          resume(Effect.fail(new TransportError({ reason: "Open", message: `cannot listen: ${cause.message}`, cause })))
        }
      })
      server.on("connection", (socket, request) => {
        const serializer = serializers.find((s) => s.subprotocol === socket.protocol)
        if (serializer === undefined) {
          socket.close(1002, "no WAMP subprotocol negotiated")
          return
        }
        accept(webSocketLink(socket, serializer), {
          type: "websocket",
          protocol: socket.protocol,
          peer: `tcp4:${request.socket.remoteAddress ?? "?"}:${request.socket.remotePort ?? 0}`,
          http_path: request.url ?? "/"
        })
      })
    }),
    (server) =>
      Effect.async<void>((resume) => {
        for (const client of server.clients) client.terminate()
        server.close(() => resume(Effect.void))
      })
  ).pipe(Effect.map((server) => {
    const address = server.address()
    return typeof address === "object" && address !== null ? address.port : port
  }))

const webSocketLink = (socket: WebSocket, serializer: SerializerService): Link => {
  const inbox = Effect.runSync(Inbox.make)
  const coalesce = writeCoalescer(socket)
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
    send: (frame: Frame) =>
      socket.readyState === WebSocket.OPEN
        ? Effect.sync(() => {
          coalesce()
          socket.send(frame)
        })
        : Effect.fail(closedError),
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
