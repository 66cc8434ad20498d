import { describe, expect, it } from "@effect/vitest"
import { Chunk, Deferred, Effect, Either, Fiber, Queue, type Scope, Stream } from "effect"
import * as fs from "node:fs"
import * as net from "node:net"
import * as os from "node:os"
import * as path from "node:path"
import { DecodeError, TransportError } from "../../src/Errors.js"
import * as Framing from "../../src/internal/transport/rawSocketFraming.js"
import * as RawSocketTransport from "../../src/node/RawSocketTransport.js"
import type { Frame, SerializerService } from "../../src/Serializer.js"
import type { Link } from "../../src/Transport.js"

// Stand-in serializers: the transport only reads their ids and whether they are binary.
const fakeSerializer = (name: SerializerService["name"], rawSocketId: number, binary: boolean): SerializerService => ({
  name,
  subprotocol: `wamp.2.${name}`,
  rawSocketId,
  binary,
  encode: (message) => Either.right(JSON.stringify(message)),
  decode: (frame) =>
    typeof frame === "string"
      ? Either.right(JSON.parse(frame) as ReadonlyArray<unknown>)
      : Either.left(new DecodeError({ reason: "FrameKind", message: "binary frame" }))
})
const json = fakeSerializer("json", 1, false)
const msgpack = fakeSerializer("msgpack", 2, true)
const cbor = fakeSerializer("cbor", 3, true)

interface Received {
  readonly type: Framing.FrameType
  readonly payload: Uint8Array
}

/** One connection as the router sees it. */
interface RouterConnection {
  readonly request: Uint8Array
  readonly socket: net.Socket
  /** Frames parsed after the handshake, in order. */
  readonly frames: Queue.Queue<Received>
  /** How many bytes arrived after the handshake. */
  readonly receivedBytes: () => number
  readonly write: (bytes: Uint8Array) => Effect.Effect<void>
  /** Completes when the client ended its side (FIN). */
  readonly peerEnded: Effect.Effect<void>
}

interface RouterOptions {
  /** The reply to a handshake request; "manual" leaves it to the test. Default: accept with LLLL = 15. */
  readonly reply?: ((request: Uint8Array) => Uint8Array) | "manual"
  readonly path?: string
}

const acceptAll = (request: Uint8Array) => Framing.encodeHandshake(request[1]! & 0x0f, 15)

/** A RawSocket router written against the framing module, on 127.0.0.1:0 (or a Unix socket path). */
const startRouter = (options: RouterOptions = {}) =>
  Effect.gen(function*() {
    const accepted = yield* Queue.unbounded<RouterConnection>()
    const sockets = new Set<net.Socket>()
    const server = net.createServer((socket) => {
      sockets.add(socket)
      socket.setNoDelay(true)
      const frames = Effect.runSync(Queue.unbounded<Received>())
      const ended = Effect.runSync(Deferred.make<void>())
      const parser = Framing.makeFrameParser(Framing.MAX_FRAME_LENGTH)
      let handshake = new Uint8Array(0)
      let received = 0
      const connection: Omit<RouterConnection, "request"> = {
        socket,
        frames,
        receivedBytes: () => received,
        write: (bytes) => Effect.async<void>((resume) => void socket.write(bytes, () => resume(Effect.void))),
        peerEnded: Deferred.await(ended)
      }
      socket.on("error", () => {})
      socket.on("end", () => Deferred.unsafeDone(ended, Effect.void))
      socket.on("data", (data: Buffer) => {
        let chunk = new Uint8Array(data)
        if (handshake.length < 4) {
          const take = Math.min(4 - handshake.length, chunk.length)
          const joined = new Uint8Array(handshake.length + take)
          joined.set(handshake)
          joined.set(chunk.subarray(0, take), handshake.length)
          handshake = joined
          chunk = chunk.subarray(take)
          if (handshake.length < 4) return
          if (options.reply !== "manual") socket.write((options.reply ?? acceptAll)(handshake))
          accepted.unsafeOffer({ ...connection, request: handshake })
        }
        received += chunk.length
        parser.push(chunk, (type, payload) => frames.unsafeOffer({ type, payload: Uint8Array.from(payload) }))
      })
    })
    yield* Effect.acquireRelease(
      Effect.async<void>((resume) => {
        const done = () => resume(Effect.void)
        if (options.path !== undefined) server.listen(options.path, done)
        else server.listen(0, "127.0.0.1", done)
      }),
      () =>
        Effect.async<void>((resume) => {
          for (const socket of sockets) socket.destroy()
          server.close(() => resume(Effect.void))
        })
    )
    const address = server.address()
    const port = typeof address === "object" && address !== null ? address.port : 0
    return { port, accept: Queue.take(accepted) }
  })

/** Opens a link to the router and returns it with the router's side of the connection. */
const connect = (
  router: { readonly port: number; readonly accept: Effect.Effect<RouterConnection> },
  serializers: ReadonlyArray<SerializerService> = [json],
  options: Partial<RawSocketTransport.Options> = {}
) =>
  Effect.all([
    RawSocketTransport.make({ host: "127.0.0.1", port: router.port, ...options }).open(serializers),
    router.accept
  ], { concurrency: 2 })

const frame = (type: Framing.FrameType, payload: Uint8Array | string) =>
  Framing.encodeFrame(type, typeof payload === "string" ? new TextEncoder().encode(payload) : payload)

const concat = (parts: ReadonlyArray<Uint8Array>): Uint8Array => Buffer.concat(parts)

const take = (stream: Stream.Stream<Frame, TransportError>, n: number) =>
  Stream.runCollect(Stream.take(stream, n)).pipe(Effect.map(Chunk.toReadonlyArray))

const openError = (
  reply: (request: Uint8Array) => Uint8Array,
  serializers: ReadonlyArray<SerializerService> = [json]
): Effect.Effect<TransportError, Link, Scope.Scope> =>
  Effect.gen(function*() {
    const router = yield* startRouter({ reply })
    return yield* Effect.flip(
      RawSocketTransport.make({ host: "127.0.0.1", port: router.port }).open(serializers)
    )
  })

describe("RawSocketTransport handshake", () => {
  it.scopedLive("requests the first serializer with our length exponent, and keeps the router's limit", () =>
    Effect.gen(function*() {
      for (const [serializer, expected] of [[json, 0x71], [msgpack, 0x72], [cbor, 0x73]] as const) {
        const router = yield* startRouter({ reply: (request) => Framing.encodeHandshake(request[1]! & 0x0f, 9) })
        const [link, conn] = yield* connect(router, [serializer, json], { maxMessageSize: 40_000 })
        expect(Array.from(conn.request)).toEqual([0x7f, expected, 0, 0])
        expect(link.serializer).toBe(serializer)
        yield* link.close()
      }
      const router = yield* startRouter()
      const [, conn] = yield* connect(router)
      expect(Array.from(conn.request)).toEqual([0x7f, 0xf1, 0, 0])
    }))

  it.scopedLive("error replies 0-4 fail with reason Handshake and the router's code", () =>
    Effect.gen(function*() {
      const texts = [
        "illegal error code",
        "serializer unsupported",
        "maximum message length unacceptable",
        "use of reserved bits",
        "maximum connection count reached"
      ]
      for (let code = 0; code <= 4; code++) {
        const error = yield* openError(() => Framing.encodeHandshakeError(code))
        expect(error.reason).toBe("Handshake")
        expect(error.code).toBe(code)
        expect(error.message).toBe(`router refused: ${texts[code]} (${code}) (requested json, RawSocket serializer 1)`)
      }
    }))

  it.scopedLive("bad magic, serializer mismatch and reserved octets fail with reason Handshake", () =>
    Effect.gen(function*() {
      const badMagic = yield* openError(() => Uint8Array.from([0x48, 0x54, 0x54, 0x50]))
      expect(badMagic).toMatchObject({ reason: "Handshake", message: expect.stringContaining("bad magic") })
      const mismatch = yield* openError(() => Framing.encodeHandshake(2, 15))
      expect(mismatch).toMatchObject({ reason: "Handshake", message: expect.stringContaining("serializer 2") })
      const reserved = yield* openError(() => Uint8Array.from([0x7f, 0xf1, 0, 0x01]))
      expect(reserved).toMatchObject({ reason: "Handshake", message: expect.stringContaining("reserved") })
    }))

  it.scopedLive("a router that never replies gives Timeout; a router that hangs up gives Handshake", () =>
    Effect.gen(function*() {
      const silent = yield* startRouter({ reply: "manual" })
      const timeout = yield* Effect.flip(
        RawSocketTransport.make({ host: "127.0.0.1", port: silent.port, openTimeout: "200 millis" }).open([json])
      )
      expect(timeout.reason).toBe("Timeout")

      const rude = yield* startRouter({ reply: "manual" })
      const [hungUp] = yield* Effect.all([
        Effect.flip(RawSocketTransport.make({ host: "127.0.0.1", port: rude.port }).open([json])),
        Effect.flatMap(rude.accept, (conn) => Effect.sync(() => conn.socket.end()))
      ], { concurrency: 2 })
      expect(hungUp).toMatchObject({
        reason: "Handshake",
        message: expect.stringContaining("during the RawSocket handshake")
      })
    }))

  it.scopedLive("a refused port fails with reason Open", () =>
    Effect.gen(function*() {
      const port = yield* Effect.async<number>((resume) => {
        const probe = net.createServer().listen(0, "127.0.0.1", () => {
          const free = (probe.address() as net.AddressInfo).port
          probe.close(() => resume(Effect.succeed(free)))
        })
      })
      const error = yield* Effect.flip(RawSocketTransport.make({ host: "127.0.0.1", port }).open([json]))
      expect(error.reason).toBe("Open")
      expect(error.message).toContain("ECONNREFUSED")
    }))

  it.scopedLive("no serializer or one without a RawSocket id fails Handshake; an invalid port fails Open", () =>
    Effect.gen(function*() {
      const transport = RawSocketTransport.make({ host: "127.0.0.1", port: 1 })
      expect((yield* Effect.flip(transport.open([]))).reason).toBe("Handshake")
      expect((yield* Effect.flip(transport.open([fakeSerializer("json", 0, false)]))).reason).toBe("Handshake")
      const badPort = RawSocketTransport.make({ host: "127.0.0.1", port: 70_000 })
      expect((yield* Effect.flip(badPort.open([json]))).reason).toBe("Open")
    }))
})

describe("RawSocketTransport frames", () => {
  it.scopedLive("a handshake reply and a frame split byte by byte arrive whole", () =>
    Effect.gen(function*() {
      const router = yield* startRouter({ reply: "manual" })
      const [link, conn] = yield* Effect.all([
        RawSocketTransport.make({ host: "127.0.0.1", port: router.port }).open([json]),
        Effect.tap(router.accept, (conn) =>
          Effect.forEach(Framing.encodeHandshake(1, 15), (octet) => conn.write(Uint8Array.of(octet))))
      ], { concurrency: 2 })
      const wire = frame(0, "[1,\"héllo ☃\"]")
      yield* Effect.forEach(wire, (octet) =>
        conn.write(Uint8Array.of(octet)))
      expect(yield* take(link.inbound, 1)).toEqual(["[1,\"héllo ☃\"]"])
    }))

  it.scopedLive("100 frames in one chunk arrive in order; binary serializers get bytes", () =>
    Effect.gen(function*() {
      const router = yield* startRouter()
      const [link, conn] = yield* connect(router, [msgpack])
      yield* conn.write(concat(Array.from({ length: 100 }, (_, i) => frame(0, Uint8Array.of(i, 255 - i)))))
      const frames = yield* take(link.inbound, 100)
      expect(frames.every((f) => f instanceof Uint8Array && f.constructor === Uint8Array)).toBe(true)
      expect(frames.map((f) => Array.from(f as Uint8Array))).toEqual(
        Array.from({ length: 100 }, (_, i) => [i, 255 - i])
      )
    }))

  it.scopedLive("5,000 frames keep their order both ways", () =>
    Effect.gen(function*() {
      const router = yield* startRouter()
      const [link, conn] = yield* connect(router)
      const count = 5_000
      const texts = Array.from({ length: count }, (_, i) => `[${i}]`)
      for (let from = 0; from < count; from += 500) {
        yield* conn.write(concat(texts.slice(from, from + 500).map((text) => frame(0, text))))
      }
      expect(yield* take(link.inbound, count)).toEqual(texts)

      yield* Effect.forEach(texts, (text) => link.send(text), { discard: true })
      const decoder = new TextDecoder()
      const received = yield* Queue.takeBetween(conn.frames, count, count).pipe(
        Effect.map((chunk) => Chunk.toReadonlyArray(chunk).map((f) => decoder.decode(f.payload)))
      )
      expect(received).toEqual(texts)
    }))

  it.scopedLive("a string frame is sent as UTF-8; bytes as they are", () =>
    Effect.gen(function*() {
      const router = yield* startRouter()
      const [link, conn] = yield* connect(router)
      yield* link.send("[\"ü€😀\"]")
      yield* link.send(Uint8Array.of(1, 2, 3))
      const big = new Uint8Array(100_000).map((_, i) => i & 0xff)
      yield* link.send(big)
      const first = yield* Queue.take(conn.frames)
      expect(new TextDecoder().decode(first.payload)).toBe("[\"ü€😀\"]")
      expect(Array.from((yield* Queue.take(conn.frames)).payload)).toEqual([1, 2, 3])
      expect((yield* Queue.take(conn.frames)).payload).toEqual(big)
    }))

  it.scopedLive("sends while the router is not reading are buffered (no waiting), then all arrive in order", () =>
    Effect.gen(function*() {
      const router = yield* startRouter()
      const [link, conn] = yield* connect(router, [msgpack])
      conn.socket.pause()
      const frames = Array.from({ length: 8 }, (_, i) => new Uint8Array(1 << 20).fill(i))
      const sending = yield* Effect.fork(Effect.forEach(frames, (f) => link.send(f), { discard: true }))
      conn.socket.resume()
      yield* Fiber.join(sending)
      const received = yield* Queue.takeBetween(conn.frames, 8, 8)
      expect(Chunk.toReadonlyArray(received).map((f) => [f.payload.length, f.payload[0], f.payload[(1 << 20) - 1]]))
        .toEqual(frames.map((_, i) => [1 << 20, i, i]))
    }))

  it.scopedLive("JSON: invalid UTF-8 is delivered as bytes, so the serializer reports a DecodeError", () =>
    Effect.gen(function*() {
      const router = yield* startRouter()
      const [link, conn] = yield* connect(router)
      yield* conn.write(concat([frame(0, Uint8Array.of(0x5b, 0xff, 0x5d)), frame(0, "[1]")]))
      const [bad, good] = yield* take(link.inbound, 2)
      expect(bad).toEqual(Uint8Array.of(0x5b, 0xff, 0x5d))
      expect(Either.isLeft(json.decode(bad!))).toBe(true)
      expect(good).toBe("[1]")
    }))

  it.scopedLive("PING gets exactly one PONG echoing its payload; an unsolicited PONG is ignored", () =>
    Effect.gen(function*() {
      const router = yield* startRouter()
      const [link, conn] = yield* connect(router)
      const payload = Uint8Array.of(9, 8, 7, 0, 255)
      yield* conn.write(concat([frame(1, payload), frame(2, "stray"), frame(1, new Uint8Array(0)), frame(0, "[1]")]))
      expect(yield* take(link.inbound, 1)).toEqual(["[1]"])
      yield* link.send("[2]")
      const frames = yield* Effect.all([Queue.take(conn.frames), Queue.take(conn.frames), Queue.take(conn.frames)])
      expect(frames.map((f) => [f.type, Array.from(f.payload)])).toEqual([
        [2, [9, 8, 7, 0, 255]],
        [2, []],
        [0, Array.from(new TextEncoder().encode("[2]"))]
      ])
    }))

  it.scopedLive("send over the router's limit fails TooLarge, writes nothing and keeps the link up", () =>
    Effect.gen(function*() {
      const router = yield* startRouter({ reply: (request) => Framing.encodeHandshake(request[1]! & 0x0f, 0) })
      const [link, conn] = yield* connect(router, [msgpack])
      yield* link.send(new Uint8Array(512))
      const error = yield* Effect.flip(link.send(new Uint8Array(513)))
      expect(error.reason).toBe("TooLarge")
      const textError = yield* Effect.flip(link.send(`"${"é".repeat(256)}"`))
      expect(textError.reason).toBe("TooLarge")
      yield* link.send(Uint8Array.of(42))
      expect((yield* Queue.take(conn.frames)).payload.length).toBe(512)
      expect(Array.from((yield* Queue.take(conn.frames)).payload)).toEqual([42])
      expect(conn.receivedBytes()).toBe(4 + 512 + 4 + 1)
    }))

  it.scopedLive("an inbound frame over our limit fails the link", () =>
    Effect.gen(function*() {
      const router = yield* startRouter()
      const [link, conn] = yield* connect(router, [msgpack], { maxMessageSize: 1000 })
      expect(conn.request[1]! >> 4).toBe(1)
      yield* conn.write(concat([frame(0, new Uint8Array(1024)), frame(0, new Uint8Array(1025))]))
      const result = yield* Effect.either(Stream.runCollect(link.inbound))
      expect(Either.isLeft(result) && result.left.reason).toBe("TooLarge")
      expect(yield* link.closed).toMatchObject({ code: 1006, clean: false })
    }))

  it.scopedLive("a reserved frame type fails the link after the frames before it", () =>
    Effect.gen(function*() {
      const router = yield* startRouter()
      const [link, conn] = yield* connect(router)
      yield* conn.write(concat([frame(0, "[1]"), Uint8Array.of(0x03, 0, 0, 0)]))
      const frames: Array<Frame> = []
      const result = yield* Effect.either(Stream.runForEach(link.inbound, (f) => Effect.sync(() => frames.push(f))))
      expect(frames).toEqual(["[1]"])
      expect(Either.isLeft(result) && result.left).toBeInstanceOf(TransportError)
      expect(Either.isLeft(result) && result.left.message).toContain("reserved frame type 3")
      expect((yield* link.closed).clean).toBe(false)
      expect((yield* Effect.flip(link.send("[2]"))).reason).toBe("Closed")
    }))
})

describe("RawSocketTransport close", () => {
  it.scopedLive("our close ends TCP gracefully: clean, and the router sees the end", () =>
    Effect.gen(function*() {
      const router = yield* startRouter()
      const [link, conn] = yield* connect(router)
      yield* link.send("[1]")
      yield* link.close(1000, "bye")
      yield* conn.peerEnded
      expect(yield* link.closed).toEqual({ code: 1000, reason: "bye", clean: true })
      expect(Chunk.toReadonlyArray(yield* Stream.runCollect(link.inbound))).toEqual([])
      expect((yield* Queue.take(conn.frames)).type).toBe(0)
      expect((yield* Effect.flip(link.send("[2]"))).reason).toBe("Closed")
      yield* link.close()
    }))

  it.scopedLive("the router's orderly end is clean and the frames before it are delivered", () =>
    Effect.gen(function*() {
      const router = yield* startRouter()
      const [link, conn] = yield* connect(router)
      yield* conn.write(frame(0, "[1]"))
      conn.socket.end()
      expect(Chunk.toReadonlyArray(yield* Stream.runCollect(link.inbound))).toEqual(["[1]"])
      expect(yield* link.closed).toMatchObject({ code: 1000, clean: true })
    }))

  it.scopedLive("a reset by the router, or an end in the middle of a frame, is not clean", () =>
    Effect.gen(function*() {
      const router = yield* startRouter()
      const [link, conn] = yield* connect(router)
      // Node's destroy() sends FIN when nothing is unread; a reset is what a crash or a cut cable looks like.
      conn.socket.resetAndDestroy()
      const result = yield* Effect.either(Stream.runDrain(link.inbound))
      expect(Either.isLeft(result) && result.left.reason).toBe("Closed")
      expect(yield* link.closed).toMatchObject({ code: 1006, clean: false })

      const [cut, cutConn] = yield* connect(router)
      yield* cutConn.write(frame(0, "[1,2,3]").subarray(0, 6))
      cutConn.socket.end()
      expect(Either.isLeft(yield* Effect.either(Stream.runDrain(cut.inbound)))).toBe(true)
      expect(yield* cut.closed).toMatchObject({ code: 1006, clean: false, reason: expect.stringContaining("middle") })
    }))

  it.scopedLive("the scope's finalizer closes the link", () =>
    Effect.gen(function*() {
      const router = yield* startRouter()
      const [closed, conn] = yield* Effect.scoped(
        Effect.map(connect(router), ([link, conn]) => [link.closed, conn] as const)
      )
      yield* conn.peerEnded
      expect((yield* closed).clean).toBe(true)
    }))
})

describe("RawSocketTransport over a Unix domain socket", () => {
  it.scopedLive("opens, exchanges frames and closes", () =>
    Effect.gen(function*() {
      const socketPath = path.join(os.tmpdir(), `effect-wamp-rawsocket-${process.pid}-${Date.now()}.sock`)
      yield* Effect.addFinalizer(() => Effect.sync(() => fs.rmSync(socketPath, { force: true })))
      const router = yield* startRouter({ path: socketPath })
      const [link, conn] = yield* Effect.all([
        RawSocketTransport.make({ path: socketPath }).open([cbor]),
        router.accept
      ], { concurrency: 2 })
      expect(conn.request[1]! & 0x0f).toBe(3)
      yield* link.send(Uint8Array.of(1))
      expect(Array.from((yield* Queue.take(conn.frames)).payload)).toEqual([1])
      yield* conn.write(frame(0, Uint8Array.of(2)))
      expect(yield* take(link.inbound, 1)).toEqual([Uint8Array.of(2)])
      yield* link.close()
      expect((yield* link.closed).clean).toBe(true)
    }))
})
