/**
 * The served test-kit router does not keep connections that never join or that trickle partial
 * frames (slowloris), over raw TCP sockets; a joined, quiet session is left alone. And secrets are
 * compared in constant time.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Redacted } from "effect"
import * as Net from "node:net"
import * as Authenticator from "../../src/Authenticator.js"
import * as Framing from "../../src/internal/transport/rawSocketFraming.js"
import * as NodeWebSocketTransport from "../../src/node/NodeWebSocketTransport.js"
import * as Serializer from "../../src/Serializer.js"
import * as Session from "../../src/Session.js"
import { secretsEqual } from "../../src/testing/internal/auth.js"
import * as Router from "../../src/testing/Router.js"

const HELLO_TIMEOUT = 400
const FRAME_TIMEOUT = 400

const served = (config?: Partial<Router.Config>) =>
  Effect.gen(function*() {
    const router = yield* Router.make({
      realms: [{ name: "realm1", anonymous: true, users: { joe: { ticket: "secret" } } }],
      helloTimeout: HELLO_TIMEOUT,
      frameTimeout: FRAME_TIMEOUT,
      ...config
    })
    return yield* router.serve({ host: "127.0.0.1", port: 0, rawSocketPort: 0 })
  })

interface Probe {
  readonly socket: Net.Socket
  /** Everything received so far. */
  readonly received: () => Buffer
  /** Milliseconds from connect to close; fails the test after `within`. */
  readonly closedAfter: (within: number) => Effect.Effect<number>
}

/** A raw TCP connection; the scope destroys it. */
const connect = (port: number) =>
  Effect.acquireRelease(
    Effect.async<Probe>((resume) => {
      const chunks: Array<Buffer> = []
      let closedAt: number | undefined
      const waiters: Array<() => void> = []
      const socket = Net.connect({ host: "127.0.0.1", port })
      const started = performance.now()
      socket.on("data", (chunk) => chunks.push(chunk))
      socket.on("error", () => {})
      socket.on("close", () => {
        closedAt = performance.now()
        for (const wake of waiters) wake()
      })
      socket.once("connect", () =>
        resume(Effect.succeed({
          socket,
          received: () => Buffer.concat(chunks),
          closedAfter: (within) =>
            Effect.async<number>((done) => {
              if (closedAt !== undefined) return done(Effect.succeed(closedAt - started))
              waiters.push(() => done(Effect.succeed(closedAt! - started)))
            }).pipe(Effect.timeoutFail({ duration: within, onTimeout: () => new Error("still open") }), Effect.orDie)
        })))
    }),
    (probe) => Effect.sync(() => probe.socket.destroy())
  )

const write = (probe: Probe, bytes: Uint8Array | string) => Effect.sync(() => probe.socket.write(bytes))

const upgradeRequest = (port: number) =>
  [
    "GET / HTTP/1.1",
    `Host: 127.0.0.1:${port}`,
    "Upgrade: websocket",
    "Connection: Upgrade",
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
    "Sec-WebSocket-Version: 13",
    "Sec-WebSocket-Protocol: wamp.2.json",
    "",
    ""
  ].join("\r\n")

/** A masked client text frame (RFC 6455 §5.2) with a zero mask, so the payload is as written. */
const clientTextFrame = (text: string): Uint8Array => {
  const payload = Buffer.from(text, "utf8")
  if (payload.length > 125) throw new Error("short frames only")
  return Uint8Array.from([0x81, 0x80 | payload.length, 0, 0, 0, 0, ...payload])
}

const hello = JSON.stringify([1, "realm1", { roles: { caller: {} } }])

/** Trickles one octet every `every` ms from `bytes`, until the socket closes or they run out. */
const trickle = (probe: Probe, bytes: Uint8Array, every: number) =>
  Effect.forkScoped(
    Effect.forEach(bytes, (octet) =>
      Effect.zipRight(
        Effect.sleep(every),
        Effect.sync(() => {
          if (!probe.socket.destroyed) probe.socket.write(Uint8Array.of(octet))
        })
      ), { discard: true })
  )

// Each bound: the timeout plus generous slack for a loaded machine (the router's timers are real).
const SLACK = 3000
/** The router waits this long for a WebSocket closing handshake our raw probe never answers. */
const CLOSE_GRACE = 2000

describe("served router: connections that never join or trickle", () => {
  it.scopedLive("WebSocket: a TCP connection that never sends the upgrade is cut after helloTimeout", () =>
    Effect.gen(function*() {
      const bound = yield* served()
      const probe = yield* connect(bound.port)
      const after = yield* probe.closedAfter(HELLO_TIMEOUT + SLACK)
      expect(after).toBeGreaterThanOrEqual(HELLO_TIMEOUT - 50)
    }))

  it.scopedLive("WebSocket: an upgraded connection that never sends HELLO is closed after helloTimeout", () =>
    Effect.gen(function*() {
      const bound = yield* served()
      const probe = yield* connect(bound.port)
      yield* write(probe, upgradeRequest(bound.port))
      const after = yield* probe.closedAfter(HELLO_TIMEOUT + CLOSE_GRACE + SLACK)
      expect(probe.received().toString("latin1")).toMatch(/^HTTP\/1\.1 101/)
      expect(after).toBeGreaterThanOrEqual(HELLO_TIMEOUT - 50)
    }))

  it.scopedLive("WebSocket: a frame trickled one octet at a time is cut after frameTimeout", () =>
    Effect.gen(function*() {
      const bound = yield* served({ helloTimeout: 60_000 })
      const probe = yield* connect(bound.port)
      yield* write(probe, upgradeRequest(bound.port))
      yield* Effect.sleep(100)
      const started = performance.now()
      yield* trickle(probe, clientTextFrame(hello), 100)
      yield* probe.closedAfter(FRAME_TIMEOUT + SLACK)
      const cut = performance.now() - started
      expect(cut).toBeGreaterThanOrEqual(FRAME_TIMEOUT)
      // 37 octets at 100 ms would take 3.7 s: it was cut long before the frame was whole.
      expect(cut).toBeLessThan(3700)
    }))

  it.scopedLive("WebSocket: an authentication left unanswered gets ABORT authentication_failed after helloTimeout", () =>
    Effect.gen(function*() {
      const bound = yield* served()
      const probe = yield* connect(bound.port)
      yield* write(probe, upgradeRequest(bound.port))
      yield* Effect.sleep(100)
      yield* write(
        probe,
        clientTextFrame(
          JSON.stringify([1, "realm1", { roles: { caller: {} }, authmethods: ["ticket"], authid: "joe" }])
        )
      )
      yield* probe.closedAfter(HELLO_TIMEOUT + CLOSE_GRACE + SLACK)
      const text = probe.received().toString("latin1")
      expect(text).toContain(`[4,"ticket",{}]`)
      expect(text).toContain(`"wamp.error.authentication_failed"`)
      expect(text).toContain(`not authenticated within ${HELLO_TIMEOUT} ms`)
    }))

  it.scopedLive("RawSocket: a connection that never sends the handshake is cut after helloTimeout", () =>
    Effect.gen(function*() {
      const bound = yield* served()
      const probe = yield* connect(bound.rawSocketPort!)
      const after = yield* probe.closedAfter(HELLO_TIMEOUT + SLACK)
      expect(after).toBeGreaterThanOrEqual(HELLO_TIMEOUT - 50)
      expect(probe.received().length).toBe(0)
    }))

  it.scopedLive("RawSocket: a handshake with no HELLO after it is closed after helloTimeout", () =>
    Effect.gen(function*() {
      const bound = yield* served()
      const probe = yield* connect(bound.rawSocketPort!)
      yield* write(probe, Framing.encodeHandshake(1, 15))
      const after = yield* probe.closedAfter(HELLO_TIMEOUT + CLOSE_GRACE + SLACK)
      expect(Array.from(probe.received().subarray(0, 4))).toEqual([0x7f, 0xf1, 0, 0])
      expect(after).toBeGreaterThanOrEqual(HELLO_TIMEOUT - 50)
    }))

  it.scopedLive("RawSocket: a frame trickled one octet at a time is cut after frameTimeout", () =>
    Effect.gen(function*() {
      const bound = yield* served({ helloTimeout: 60_000 })
      const probe = yield* connect(bound.rawSocketPort!)
      yield* write(probe, Framing.encodeHandshake(1, 15))
      yield* Effect.sleep(100)
      const started = performance.now()
      yield* trickle(probe, Framing.encodeFrame(Framing.FrameType.Message, Buffer.from(hello)), 100)
      yield* probe.closedAfter(FRAME_TIMEOUT + SLACK)
      const cut = performance.now() - started
      expect(cut).toBeGreaterThanOrEqual(FRAME_TIMEOUT)
      expect(cut).toBeLessThan(3700)
    }))

  it.scopedLive("a joined session that stays quiet longer than both timeouts is left alone", () =>
    Effect.gen(function*() {
      const bound = yield* served()
      const session = yield* Session.make({ realm: "realm1" }).pipe(
        Effect.provide(
          Layer.mergeAll(
            NodeWebSocketTransport.layer({ url: `ws://127.0.0.1:${bound.port}` }),
            Layer.succeed(Serializer.Serializers, [Serializer.json]),
            Authenticator.layerAnonymous()
          )
        )
      )
      yield* session.register("com.echo", (invocation) => Effect.succeed({ args: invocation.args }))
      yield* Effect.sleep(HELLO_TIMEOUT + FRAME_TIMEOUT + 400)
      expect(yield* session.isOpen).toBe(true)
      expect((yield* session.call("com.echo", [1])).args).toEqual([1])
    }))

  it.scopedLive("ticket authentication still admits the right ticket and refuses others", () =>
    Effect.gen(function*() {
      const bound = yield* served()
      const join = (ticket: string) =>
        Session.make({ realm: "realm1" }).pipe(
          Effect.provide(
            Layer.mergeAll(
              NodeWebSocketTransport.layer({ url: `ws://127.0.0.1:${bound.port}` }),
              Layer.succeed(Serializer.Serializers, [Serializer.json]),
              Authenticator.layerTicket({ authid: "joe", ticket: Redacted.make(ticket) })
            )
          ),
          Effect.scoped
        )
      expect((yield* join("secret")).info.authid).toBe("joe")
      const refused = yield* Effect.flip(join("secreT"))
      expect(refused.message).toMatch(/^wamp\.error\.authentication_failed/)
    }))
})

describe("secretsEqual", () => {
  it("is equality, whatever the lengths", () => {
    expect(secretsEqual("secret", "secret")).toBe(true)
    expect(secretsEqual("secret", "secreT")).toBe(false)
    expect(secretsEqual("", "")).toBe(true)
    expect(secretsEqual("", "x")).toBe(false)
    expect(secretsEqual("a".repeat(10_000), "a".repeat(10_000))).toBe(true)
    expect(secretsEqual("a".repeat(10_000), "a".repeat(9_999))).toBe(false)
    expect(secretsEqual("é", "e\u0301")).toBe(false)
  })
})
