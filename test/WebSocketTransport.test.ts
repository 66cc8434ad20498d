import { describe, expect, it } from "@effect/vitest"
import { Chunk, Deferred, Effect, Either, Layer, Queue, Stream } from "effect"
import type { IncomingMessage } from "node:http"
import * as https from "node:https"
import * as net from "node:net"
import type { TLSSocket } from "node:tls"
import NodeWebSocket, { WebSocketServer } from "ws"
import { DecodeError, EncodeError, type TransportError } from "../src/Errors.js"
import * as NodeWebSocketTransport from "../src/node/NodeWebSocketTransport.js"
import type { Frame, SerializerName, SerializerService } from "../src/Serializer.js"
import { Transport } from "../src/Transport.js"
import * as WebSocketTransport from "../src/WebSocketTransport.js"

// Only the subprotocol matters to the transport; the codecs are never called here.
const fakeSerializer = (name: SerializerName, rawSocketId: number, binary: boolean): SerializerService => ({
  name,
  subprotocol: `wamp.2.${name}`,
  rawSocketId,
  binary,
  encode: () => Either.left(new EncodeError({ message: "not used by transport tests" })),
  decode: () => Either.left(new DecodeError({ reason: "Syntax", message: "not used by transport tests" }))
})
const json = fakeSerializer("json", 1, false)
const msgpack = fakeSerializer("msgpack", 2, true)
const cbor = fakeSerializer("cbor", 3, true)

interface Received {
  readonly data: Buffer
  readonly isBinary: boolean
}

interface Peer {
  readonly socket: NodeWebSocket
  readonly request: IncomingMessage
  readonly received: Queue.Queue<Received>
  readonly closed: Deferred.Deferred<{ readonly code: number; readonly reason: string }>
}

interface ServerOptions {
  /** What the server answers to the offered subprotocols (default: the first one). */
  readonly handleProtocols?: (offered: Array<string>) => string | false
  /** Runs as soon as a client is connected (before the test looks at it). */
  readonly onConnection?: (socket: NodeWebSocket) => void
  /** Serve over an existing HTTPS server instead of plain HTTP. */
  readonly server?: https.Server
}

/** A `ws` server on 127.0.0.1, ephemeral port; every connection is queued with what it receives. */
const startServer = (options: ServerOptions = {}) =>
  Effect.gen(function*() {
    const connections = yield* Queue.unbounded<Peer>()
    const wss = yield* Effect.acquireRelease(
      Effect.async<WebSocketServer>((resume) => {
        const handleProtocols = (offered: Set<string>) =>
          options.handleProtocols ? options.handleProtocols([...offered]) : [...offered][0] ?? false
        const wss = options.server
          ? new WebSocketServer({ server: options.server, handleProtocols })
          : new WebSocketServer({ host: "127.0.0.1", port: 0, handleProtocols })
        wss.on("connection", (socket, request) => {
          const peer: Peer = {
            socket,
            request,
            received: Effect.runSync(Queue.unbounded<Received>()),
            closed: Effect.runSync(Deferred.make<{ code: number; reason: string }>())
          }
          socket.on("message", (data, isBinary) => {
            Queue.unsafeOffer(peer.received, { data: data as Buffer, isBinary })
          })
          socket.on("close", (code, reason) => {
            Deferred.unsafeDone(peer.closed, Effect.succeed({ code, reason: reason.toString() }))
          })
          options.onConnection?.(socket)
          Queue.unsafeOffer(connections, peer)
        })
        if (options.server) {
          options.server.listen(0, "127.0.0.1", () => resume(Effect.succeed(wss)))
        } else {
          wss.once("listening", () => resume(Effect.succeed(wss)))
        }
      }),
      (wss) =>
        Effect.async<void>((resume) => {
          for (const client of wss.clients) client.terminate()
          wss.close(() => {
            if (options.server) options.server.close(() => resume(Effect.void))
            else resume(Effect.void)
          })
        })
    )
    const address = (options.server ?? wss).address() as net.AddressInfo
    const scheme = options.server ? "wss" : "ws"
    return { url: `${scheme}://127.0.0.1:${address.port}/ws`, connections }
  })

const transport = (url: string, options: Partial<NodeWebSocketTransport.Options> = {}) =>
  NodeWebSocketTransport.make({ url, ...options })

const collectEither = <A, E>(stream: Stream.Stream<A, E>) =>
  stream.pipe(Stream.either, Stream.runCollect, Effect.map(Chunk.toReadonlyArray))

describe("WebSocketTransport", () => {
  describe("subprotocol negotiation", () => {
    it.scopedLive("offers every serializer in order and uses the one the server picks", () =>
      Effect.gen(function*() {
        let offered: Array<string> = []
        const server = yield* startServer({
          handleProtocols: (protocols) => {
            offered = protocols
            return "wamp.2.msgpack"
          }
        })
        const link = yield* transport(server.url).open([json, msgpack, cbor])
        expect(offered).toEqual(["wamp.2.json", "wamp.2.msgpack", "wamp.2.cbor"])
        expect(link.serializer.name).toBe("msgpack")
      }))

    it.scopedLive("fails with Handshake when the server selects no subprotocol", () =>
      Effect.gen(function*() {
        const server = yield* startServer({ handleProtocols: () => false })
        const error = yield* Effect.flip(transport(server.url).open([json, msgpack]))
        expect(error._tag).toBe("TransportError")
        expect(error.reason).toBe("Handshake")
        expect(error.message).toContain("server selected no WAMP subprotocol")
        expect(error.message).toContain("(offered: wamp.2.json, wamp.2.msgpack)")
      }))

    it.scopedLive("fails with Handshake when the server selects one that was not offered", () =>
      Effect.gen(function*() {
        const server = yield* startServer({ handleProtocols: () => "wamp.2.ubjson" })
        const error = yield* Effect.flip(transport(server.url).open([json]))
        expect(error.reason).toBe("Handshake")
        expect(error.message).toContain("(offered: wamp.2.json)")
      }))

    it.scopedLive("checks the selected subprotocol itself when the WebSocket does not", () =>
      Effect.gen(function*() {
        const server = yield* startServer({ handleProtocols: () => "wamp.2.json" })
        // A constructor that offers nothing, like a lenient browser shim, so the server's pick goes unchecked.
        const lenient: WebSocketTransport.WebSocketConstructor = (url) =>
          new NodeWebSocket(url, ["wamp.2.json"]) as unknown as globalThis.WebSocket
        const error = yield* Effect.flip(transport(server.url, { webSocketConstructor: lenient }).open([cbor]))
        expect(error.reason).toBe("Handshake")
        expect(error.message).toContain("wamp.2.json")
      }))
  })

  describe("opening", () => {
    it.scopedLive("fails with Open when the port refuses the connection", () =>
      Effect.gen(function*() {
        const port = yield* Effect.async<number>((resume) => {
          const probe = net.createServer()
          probe.listen(0, "127.0.0.1", () => {
            const { port } = probe.address() as net.AddressInfo
            probe.close(() => resume(Effect.succeed(port)))
          })
        })
        const error = yield* Effect.flip(transport(`ws://127.0.0.1:${port}/`).open([json]))
        expect(error.reason).toBe("Open")
        expect(error.cause).toBeDefined()
      }))

    it.scopedLive("fails with Open on a malformed URL instead of throwing", () =>
      Effect.gen(function*() {
        const error = yield* Effect.flip(transport("not a url").open([json]))
        expect(error.reason).toBe("Open")
      }))

    it.scopedLive("fails with Timeout when the upgrade is never answered, and drops the attempt", () =>
      Effect.gen(function*() {
        const accepted = yield* Queue.unbounded<net.Socket>()
        const silent = yield* Effect.acquireRelease(
          Effect.async<net.Server>((resume) => {
            const server = net.createServer((socket) => {
              // Reads (and ignores) the upgrade request, so the client's hang-up is seen.
              socket.resume()
              Queue.unsafeOffer(accepted, socket)
            })
            server.listen(0, "127.0.0.1", () => resume(Effect.succeed(server)))
          }),
          (server) =>
            Effect.async<void>((resume) => {
              server.close(() => resume(Effect.void))
            })
        )
        const { port } = silent.address() as net.AddressInfo
        const error = yield* Effect.flip(
          transport(`ws://127.0.0.1:${port}/`, { openTimeout: "300 millis" }).open([json])
        )
        expect(error.reason).toBe("Timeout")
        // The client gave up on the connection: the server side sees it end.
        const socket = yield* Queue.take(accepted)
        if (!socket.closed) {
          yield* Effect.async<void>((resume) => {
            socket.once("close", () => resume(Effect.void))
          })
        }
        expect(socket.closed).toBe(true)
      }))

    it.scopedLive("sends the extra headers with the upgrade request", () =>
      Effect.gen(function*() {
        const server = yield* startServer()
        yield* transport(server.url, { headers: { "x-wamp-test": "yes", authorization: "Bearer t" } }).open([json])
        const peer = yield* Queue.take(server.connections)
        expect(peer.request.headers["x-wamp-test"]).toBe("yes")
        expect(peer.request.headers["authorization"]).toBe("Bearer t")
      }))
  })

  describe("frames", () => {
    it.scopedLive("keeps text as string and binary as Uint8Array in both directions", () =>
      Effect.gen(function*() {
        const server = yield* startServer({
          onConnection: (socket) => {
            socket.send("hello")
            socket.send(Buffer.from([1, 2, 3]))
          }
        })
        const link = yield* transport(server.url).open([json])
        const inbound = yield* link.inbound.pipe(Stream.take(2), Stream.runCollect, Effect.map(Chunk.toReadonlyArray))
        expect(inbound[0]).toBe("hello")
        const bytes = inbound[1] as Uint8Array
        expect(bytes.constructor).toBe(Uint8Array)
        expect([...bytes]).toEqual([1, 2, 3])

        yield* link.send("up")
        yield* link.send(new Uint8Array([4, 5]))
        const peer = yield* Queue.take(server.connections)
        const text = yield* Queue.take(peer.received)
        const binary = yield* Queue.take(peer.received)
        expect(text.isBinary).toBe(false)
        expect(text.data.toString()).toBe("up")
        expect(binary.isBinary).toBe(true)
        expect([...binary.data]).toEqual([4, 5])
      }))

    it.scopedLive("delivers 5,000 frames in order", () =>
      Effect.gen(function*() {
        const count = 5000
        const server = yield* startServer({
          onConnection: (socket) => {
            for (let i = 0; i < count; i++) {
              socket.send(i % 2 === 0 ? String(i) : Buffer.from(String(i)))
            }
          }
        })
        const link = yield* transport(server.url).open([json])
        const frames = yield* link.inbound.pipe(Stream.take(count), Stream.runCollect)
        const decoder = new TextDecoder()
        const received = Chunk.toReadonlyArray(frames).map((frame: Frame) =>
          typeof frame === "string" ? `t${frame}` : `b${decoder.decode(frame)}`
        )
        const expected = Array.from({ length: count }, (_, i) => `${i % 2 === 0 ? "t" : "b"}${i}`)
        expect(received).toEqual(expected)
      }))

    const tooLargeCase = (label: string, options: Partial<NodeWebSocketTransport.Options>, big: string | Buffer) =>
      it.scopedLive(`ends with TooLarge and closes 1009 on an inbound frame over maxMessageSize (${label})`, () =>
        Effect.gen(function*() {
          const server = yield* startServer({
            onConnection: (socket) => {
              socket.send("small")
              socket.send(big)
              socket.send("after")
            }
          })
          const link = yield* transport(server.url, { maxMessageSize: 1024, ...options }).open([json])
          const items = yield* collectEither(link.inbound)
          expect(items.length).toBe(2)
          expect(items[0]).toEqual(Either.right("small"))
          const last = items[1]!
          expect(Either.isLeft(last)).toBe(true)
          const error = (last as Either.Left<TransportError, Frame>).left
          expect(error.reason).toBe("TooLarge")
          const info = yield* link.closed
          expect(info.code).toBe(1009)
          expect(info.clean).toBe(false)
          const peer = yield* Queue.take(server.connections)
          const serverSaw = yield* Deferred.await(peer.closed)
          expect(serverSaw.code).toBe(1009)
          const sendError = yield* Effect.flip(link.send("late"))
          expect(sendError.reason).toBe("Closed")
        }))

    tooLargeCase("enforced by ws, binary", {}, Buffer.alloc(2048, 7))
    // Without ws's maxPayload (as with a browser WebSocket) the transport measures frames itself.
    const plain: WebSocketTransport.WebSocketConstructor = (url, protocols) =>
      new NodeWebSocket(url, protocols) as unknown as globalThis.WebSocket
    tooLargeCase("measured by the transport, text", { webSocketConstructor: plain }, "é".repeat(600))
  })

  describe("closing", () => {
    it.scopedLive("ends inbound cleanly after the frames sent before a 1000 close", () =>
      Effect.gen(function*() {
        const server = yield* startServer({
          onConnection: (socket) => {
            socket.send("a")
            socket.send("b")
            socket.close(1000, "bye")
          }
        })
        const link = yield* transport(server.url).open([json])
        const frames = yield* Stream.runCollect(link.inbound)
        expect(Chunk.toReadonlyArray(frames)).toEqual(["a", "b"])
        expect(yield* link.closed).toEqual({ code: 1000, reason: "bye", clean: true })
      }))

    it.scopedLive("fails inbound with Closed when the server drops the connection", () =>
      Effect.gen(function*() {
        const server = yield* startServer({
          onConnection: (socket) => {
            socket.send("a", () => socket.terminate())
          }
        })
        const link = yield* transport(server.url).open([json])
        const items = yield* collectEither(link.inbound)
        expect(items[0]).toEqual(Either.right("a"))
        const last = items[items.length - 1]!
        expect(Either.isLeft(last) && last.left.reason).toBe("Closed")
        const info = yield* link.closed
        expect(info.code).toBe(1006)
        expect(info.clean).toBe(false)
      }))

    it.scopedLive("close(code, reason) reaches the server, waits for the end, and later sends fail", () =>
      Effect.gen(function*() {
        const server = yield* startServer()
        const link = yield* transport(server.url).open([json])
        const peer = yield* Queue.take(server.connections)
        yield* link.close(4000, "done")
        expect(yield* link.closed).toEqual({ code: 4000, reason: "done", clean: false })
        expect(yield* Deferred.await(peer.closed)).toEqual({ code: 4000, reason: "done" })
        const error = yield* Effect.flip(link.send("late"))
        expect(error.reason).toBe("Closed")
        yield* link.close() // idempotent
      }))

    it.scopedLive("closing the scope closes the socket with 1000", () =>
      Effect.gen(function*() {
        const server = yield* startServer()
        const link = yield* Effect.scoped(transport(server.url).open([json]))
        const peer = yield* Queue.take(server.connections)
        expect(yield* Deferred.await(peer.closed)).toEqual({ code: 1000, reason: "" })
        expect(yield* link.closed).toEqual({ code: 1000, reason: "", clean: true })
      }))

    it.scopedLive("works through the layer", () =>
      Effect.gen(function*() {
        const server = yield* startServer()
        const link = yield* Effect.flatMap(Transport, (t) => t.open([cbor, json])).pipe(
          Effect.provide(NodeWebSocketTransport.layer({ url: server.url }))
        )
        expect(link.serializer.name).toBe("cbor")
      }))
  })

  describe("wss", () => {
    // Self-signed for 127.0.0.1/localhost, valid 2000-2100; made for this test only.
    const key = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgWkf5g7TJWofc8ov4
BRsNXTHhpodIRbT0xAEwcQplv7+hRANCAAQev2YR8JStwYdL/ou4N4XWd8zSSa9d
+cL8VZ2IpHTAZjywW8E3JexNRRmlYBokOdlC/KeD6eDRReDjtQv4asOd
-----END PRIVATE KEY-----
`
    const cert = `-----BEGIN CERTIFICATE-----
MIIBZDCCAQqgAwIBAgIBATAKBggqhkjOPQQDAjAUMRIwEAYDVQQDDAlsb2NhbGhv
c3QwIBcNMDAwMTAxMDAwMDAwWhgPMjEwMDAxMDEwMDAwMDBaMBQxEjAQBgNVBAMM
CWxvY2FsaG9zdDBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABB6/ZhHwlK3Bh0v+
i7g3hdZ3zNJJr135wvxVnYikdMBmPLBbwTcl7E1FGaVgGiQ52UL8p4Pp4NFF4OO1
C/hqw52jSzBJMBoGA1UdEQQTMBGHBH8AAAGCCWxvY2FsaG9zdDAMBgNVHRMEBTAD
AQH/MB0GA1UdDgQWBBSWKfjXy70viTwCwn3OApq86k3+dDAKBggqhkjOPQQDAgNI
ADBFAiEAuciU1H3sVBfsETZDHIZgsflLI8CEYcQCC6i3enDTv6ECIGGogwrjJz35
KbTNR4e+oQcalC3iGVz3BJ2l5RhNJpGy
-----END CERTIFICATE-----
`

    it.scopedLive("trusts a given CA and exposes tls-unique as the channel binding", () =>
      Effect.gen(function*() {
        const server = yield* startServer({ server: https.createServer({ key, cert }) })
        const link = yield* transport(server.url, { tls: { ca: cert } }).open([json])
        const peer = yield* Queue.take(server.connections)
        const serverView = (peer.request.socket as TLSSocket).getPeerFinished()
        expect(link.channelBinding).toBeInstanceOf(Uint8Array)
        expect(serverView).toBeDefined()
        expect([...link.channelBinding!]).toEqual([...serverView!])
      }))

    it.scopedLive("the platform-neutral layer over the Node constructor service keeps TLS and tls-unique", () =>
      Effect.gen(function*() {
        const server = yield* startServer({ server: https.createServer({ key, cert }) })
        const link = yield* Effect.flatMap(Transport, (t) => t.open([json])).pipe(
          Effect.provide(
            WebSocketTransport.layer({ url: server.url }).pipe(
              Layer.provide(NodeWebSocketTransport.layerWebSocketConstructor({ tls: { ca: cert } }))
            )
          )
        )
        const peer = yield* Queue.take(server.connections)
        const serverView = (peer.request.socket as TLSSocket).getPeerFinished()
        expect([...link.channelBinding!]).toEqual([...serverView!])
      }))

    it.scopedLive("a constructor without platform hooks (a browser's) gives no channel binding", () =>
      Effect.gen(function*() {
        const server = yield* startServer({ server: https.createServer({ key, cert }) })
        const bare: WebSocketTransport.WebSocketConstructor = (url, protocols) =>
          new NodeWebSocket(url, protocols, { ca: cert }) as unknown as globalThis.WebSocket
        const link = yield* WebSocketTransport.makeWith({ url: server.url }, bare).open([json])
        expect(link.channelBinding).toBeUndefined()
      }))

    it.scopedLive("fails with Open on an untrusted certificate", () =>
      Effect.gen(function*() {
        const server = yield* startServer({ server: https.createServer({ key, cert }) })
        const error = yield* Effect.flip(transport(server.url).open([json]))
        expect(error.reason).toBe("Open")
      }))

    it.scopedLive("has no channel binding over plain ws", () =>
      Effect.gen(function*() {
        const server = yield* startServer()
        const link = yield* transport(server.url).open([json])
        expect(link.channelBinding).toBeUndefined()
      }))
  })
})
