/**
 * Joins that cannot complete fail at once or within `joinTimeout`, typed, over real sockets:
 * a RawSocket router whose length limit the HELLO is over, routers that accept the link and never
 * answer HELLO (WebSocket and RawSocket), and a Connection that retries on the join timeout.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Fiber, Layer, Redacted, Schedule, TestClock } from "effect"
import * as Net from "node:net"
import { WebSocketServer } from "ws"
import * as Authenticator from "../src/Authenticator.js"
import * as Connection from "../src/Connection.js"
import { EncodeError, TransportError } from "../src/Errors.js"
import { NodeWebSocketTransport as WebSocketTransport } from "../src/node/index.js"
import * as RawSocketTransport from "../src/node/RawSocketTransport.js"
import * as Serializer from "../src/Serializer.js"
import * as Session from "../src/Session.js"
import * as FakePeer from "../src/testing/FakePeer.js"

/** A TCP server that answers every RawSocket handshake with `reply` and then reads and ignores everything. */
const silentRawSocketRouter = (reply: Uint8Array) =>
  Effect.acquireRelease(
    Effect.async<{ server: Net.Server; port: number; connections: () => number; received: () => number }>(
      (resume) => {
        let connections = 0
        let received = 0
        const sockets = new Set<Net.Socket>()
        const server = Net.createServer((socket) => {
          connections++
          sockets.add(socket)
          socket.on("error", () => {})
          socket.once("close", () => sockets.delete(socket))
          let replied = false
          socket.on("data", (chunk) => {
            received += chunk.length
            if (!replied) {
              replied = true
              socket.write(reply)
            }
          })
        })
        server.on("close", () => {
          for (const socket of sockets) socket.destroy()
        })
        server.listen(0, "127.0.0.1", () => {
          const address = server.address() as Net.AddressInfo
          resume(
            Effect.succeed({ server, port: address.port, connections: () => connections, received: () => received })
          )
        })
      }
    ),
    ({ server }) =>
      Effect.async<void>((resume) => {
        server.close(() => resume(Effect.void))
        server.emit("close")
      })
  )

/** A WebSocket server that completes the upgrade (wamp.2.json) and never sends anything. */
const silentWebSocketRouter = Effect.acquireRelease(
  Effect.async<{ server: WebSocketServer; url: string; connections: () => number; hellos: () => number }>(
    (resume) => {
      let connections = 0
      let hellos = 0
      const server = new WebSocketServer({ host: "127.0.0.1", port: 0, handleProtocols: () => "wamp.2.json" })
      server.on("connection", (socket) => {
        connections++
        socket.on("message", (data) => {
          if (String(data).startsWith("[1,")) hellos++
        })
      })
      server.once("listening", () => {
        const address = server.address() as Net.AddressInfo
        resume(
          Effect.succeed({
            server,
            url: `ws://127.0.0.1:${address.port}`,
            connections: () => connections,
            hellos: () => hellos
          })
        )
      })
    }
  ),
  ({ server }) =>
    Effect.async<void>((resume) => {
      for (const client of server.clients) client.terminate()
      server.close(() => resume(Effect.void))
    })
)

const layerFor = (transport: Layer.Layer<import("../src/Transport.js").Transport>) =>
  Layer.mergeAll(transport, Layer.succeed(Serializer.Serializers, [Serializer.json]), Authenticator.layerAnonymous())

describe("joining: fail fast, or within joinTimeout", () => {
  it.scopedLive("a RawSocket router accepting 512 bytes (7f 01 00 00): a larger HELLO fails at once, TooLarge", () =>
    Effect.gen(function*() {
      const router = yield* silentRawSocketRouter(Uint8Array.of(0x7f, 0x01, 0x00, 0x00))
      const started = performance.now()
      const exit = yield* Session.make({
        realm: "realm1",
        // Well over 512 bytes whatever the roles dict weighs.
        helloDetails: { filler: "x".repeat(600) }
      }).pipe(
        Effect.provide(layerFor(RawSocketTransport.layer({ host: "127.0.0.1", port: router.port }))),
        Effect.scoped,
        Effect.exit
      )
      const elapsed = performance.now() - started
      expect(Exit.isFailure(exit)).toBe(true)
      const error = Exit.isFailure(exit) ? exit.cause : undefined
      const failure = error?._tag === "Fail" ? error.error : undefined
      expect(failure).toBeInstanceOf(TransportError)
      expect((failure as TransportError).reason).toBe("TooLarge")
      expect((failure as TransportError).message).toMatch(/over the router's limit of 512 bytes/)
      // "At once": far below the 10 s join timeout, even on a loaded machine.
      expect(elapsed).toBeLessThan(3000)
      // Only the 4 handshake octets reached the router: the HELLO was never written.
      expect(router.received()).toBe(4)
    }))

  // Our JSON HELLO is ~1.03 KB since payload passthru is announced in all four roles, hence 2 KiB.
  it.scopedLive("under a 2 KiB limit (7f 21 00 00) our default HELLO is sent, and the silent router times out", () =>
    Effect.gen(function*() {
      const router = yield* silentRawSocketRouter(Uint8Array.of(0x7f, 0x21, 0x00, 0x00))
      const exit = yield* Session.make({ realm: "realm1", joinTimeout: "300 millis" }).pipe(
        Effect.provide(layerFor(RawSocketTransport.layer({ host: "127.0.0.1", port: router.port }))),
        Effect.scoped,
        Effect.exit
      )
      const failure = Exit.isFailure(exit) && exit.cause._tag === "Fail" ? exit.cause.error : undefined
      expect(failure).toBeInstanceOf(TransportError)
      expect((failure as TransportError).reason).toBe("Timeout")
      expect(router.received()).toBeGreaterThan(4)
    }))

  it.scopedLive("a WebSocket router that upgrades and never answers HELLO: TransportError Timeout after joinTimeout", () =>
    Effect.gen(function*() {
      const router = yield* silentWebSocketRouter
      const started = performance.now()
      const error = yield* Session.make({ realm: "realm1", joinTimeout: "400 millis" }).pipe(
        Effect.provide(layerFor(WebSocketTransport.layer({ url: router.url }))),
        Effect.scoped,
        Effect.flip
      )
      const elapsed = performance.now() - started
      expect(error).toBeInstanceOf(TransportError)
      expect((error as TransportError).reason).toBe("Timeout")
      expect(error.message).toBe("no WELCOME from the router within 400ms of HELLO")
      expect(elapsed).toBeGreaterThanOrEqual(390)
      expect(elapsed).toBeLessThan(5000)
      expect(router.hellos()).toBe(1)
      // The link was closed by the timeout, not left to the scope.
      yield* Effect.sleep("200 millis")
      expect(router.server.clients.size).toBe(0)
    }))

  it.scopedLive("Connection retries a join that timed out, then gives up with the timeout as the last error", () =>
    Effect.gen(function*() {
      const router = yield* silentWebSocketRouter
      const error = yield* Connection.make({
        realm: "realm1",
        joinTimeout: "200 millis",
        retry: Schedule.spaced("10 millis").pipe(Schedule.intersect(Schedule.recurs(2)))
      }).pipe(
        Effect.flatMap((connection) => Effect.zipRight(connection.closed, Effect.flip(connection.awaitOpen))),
        Effect.provide(layerFor(WebSocketTransport.layer({ url: router.url }))),
        Effect.timeout("10 seconds"),
        Effect.scoped
      )
      expect(error).toBeInstanceOf(TransportError)
      expect((error as TransportError).reason).toBe("Timeout")
      // The first attempt and two retries.
      expect(router.connections()).toBe(3)
      expect(router.hellos()).toBe(3)
    }))

  it.scopedLive("a HELLO that cannot be serialized fails the join at once with EncodeError", () =>
    Effect.gen(function*() {
      const router = yield* silentWebSocketRouter
      const error = yield* Session.make({ realm: "realm1", helloDetails: { big: 2n ** 70n } }).pipe(
        Effect.provide(layerFor(WebSocketTransport.layer({ url: router.url }))),
        Effect.scoped,
        Effect.timeout("5 seconds"),
        Effect.flip
      )
      expect(error).toBeInstanceOf(EncodeError)
      expect(error.message).toMatch(/JSON/)
      expect(router.hellos()).toBe(0)
    }))

  it.scoped("the join timeout covers the authentication rounds (TestClock): CHALLENGE answered, then silence", () =>
    Effect.gen(function*() {
      const fake = yield* FakePeer.make({ timeout: "1 hour" })
      const fiber = yield* Session.make({ realm: "realm1", joinTimeout: "3 seconds" }).pipe(
        Effect.provide(
          Layer.merge(
            fake.layer,
            Layer.succeed(
              Authenticator.Authenticator,
              Authenticator.ticket({ authid: "joe", ticket: Redacted.make("secret") })
            )
          )
        ),
        Effect.flip,
        Effect.fork
      )
      const peer = yield* fake.accept
      yield* peer.expect("Hello")
      yield* TestClock.adjust("2 seconds")
      yield* peer.send({ _tag: "Challenge", authMethod: "ticket", extra: {} })
      yield* peer.expect("Authenticate")
      yield* TestClock.adjust("999 millis")
      expect(fiber.unsafePoll()).toBeNull()
      yield* TestClock.adjust("1 millis")
      const error = yield* Fiber.join(fiber)
      expect(error).toBeInstanceOf(TransportError)
      expect((error as TransportError).reason).toBe("Timeout")
      const closed = yield* peer.closed
      expect(closed.clean).toBe(true)
    }))

  it.scoped("without joinTimeout the default is 10 seconds", () =>
    Effect.gen(function*() {
      const fake = yield* FakePeer.make({ timeout: "1 hour" })
      const fiber = yield* Session.make({ realm: "realm1" }).pipe(
        Effect.provide(Layer.merge(fake.layer, Authenticator.layerAnonymous())),
        Effect.flip,
        Effect.fork
      )
      const peer = yield* fake.accept
      yield* peer.expect("Hello")
      yield* TestClock.adjust("9999 millis")
      expect(fiber.unsafePoll()).toBeNull()
      yield* TestClock.adjust("1 millis")
      expect(yield* Fiber.join(fiber)).toBeInstanceOf(TransportError)
    }))
})
