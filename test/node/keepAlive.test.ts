/**
 * Keep-alive against a real router process that stops answering: the test-kit router runs in a
 * child process, is frozen with SIGSTOP (its sockets stay open, nothing answers), and the client
 * must notice within interval + timeout, drop the link and, once the router is resumed with
 * SIGCONT, reconnect. Over WebSocket (ping frames) and RawSocket (PING frames).
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Option, Schedule, Stream } from "effect"
import { type ChildProcess, spawn } from "node:child_process"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"
import { WebSocketServer } from "ws"
import * as Authenticator from "../../src/Authenticator.js"
import * as Connection from "../../src/Connection.js"
import { NodeWebSocketTransport, RawSocketTransport } from "../../src/node/index.js"
import * as Serializer from "../../src/Serializer.js"
import type { Transport } from "../../src/Transport.js"

const root = Path.resolve(Path.dirname(fileURLToPath(import.meta.url)), "../..")

interface RouterProcess {
  readonly child: ChildProcess
  readonly port: number
  readonly rawSocketPort: number
}

/** The test-kit router in a child process; the scope resumes it (if stopped) and ends it. */
const routerProcess = Effect.acquireRelease(
  Effect.async<RouterProcess, Error>((resume) => {
    const child = spawn(
      process.execPath,
      ["--import", "tsx", "test/node/fixtures/routerProcess.ts"],
      { cwd: root, stdio: ["ignore", "pipe", "pipe"] }
    )
    let output = ""
    child.stdout!.on("data", (chunk: Buffer) => {
      output += chunk.toString("utf8")
      const match = /ports (\d+) (\d+)/.exec(output)
      if (match !== null) resume(Effect.succeed({ child, port: Number(match[1]), rawSocketPort: Number(match[2]) }))
    })
    child.stderr!.on("data", (chunk: Buffer) => {
      output += chunk.toString("utf8")
    })
    child.once("exit", (code) => resume(Effect.fail(new Error(`router exited (${code}): ${output}`))))
  }).pipe(Effect.timeout("30 seconds")),
  ({ child }) =>
    Effect.async<void>((resume) => {
      if (child.exitCode !== null || child.signalCode !== null) return resume(Effect.void)
      const force = setTimeout(() => child.kill("SIGKILL"), 5000)
      child.once("exit", () => {
        clearTimeout(force)
        resume(Effect.void)
      })
      child.kill("SIGCONT")
      child.kill("SIGTERM")
    })
)

const INTERVAL = 300
const TIMEOUT = 300
const keepAlive = { interval: `${INTERVAL} millis`, timeout: `${TIMEOUT} millis` } as const

const transports: ReadonlyArray<readonly [string, (router: RouterProcess) => Layer.Layer<Transport>]> = [
  [
    "WebSocket",
    (router) =>
      NodeWebSocketTransport.layer({ url: `ws://127.0.0.1:${router.port}`, keepAlive, openTimeout: "1 second" })
  ],
  [
    "RawSocket",
    (router) =>
      RawSocketTransport.layer({ host: "127.0.0.1", port: router.rawSocketPort, keepAlive, openTimeout: "1 second" })
  ]
]

const stateWhere = (
  connection: Connection.ConnectionService,
  matches: (state: Connection.ConnectionState) => boolean
) => connection.changes.pipe(Stream.filter(matches), Stream.runHead, Effect.map(Option.getOrThrow))

describe("keep-alive against a router process stopped with SIGSTOP", () => {
  for (const [name, transport] of transports) {
    it.scopedLive(
      `${name}: idle but answering stays up; stopped is noticed within interval + timeout; reconnects`,
      () =>
        Effect.gen(function*() {
          const router = yield* routerProcess
          const connection = yield* Connection.make({
            realm: "realm1",
            joinTimeout: "1 second",
            goodbyeTimeout: "300 millis",
            retry: Schedule.spaced("100 millis")
          }).pipe(
            Effect.provide(
              Layer.mergeAll(
                transport(router),
                Layer.succeed(Serializer.Serializers, [Serializer.json]),
                Authenticator.layerAnonymous()
              )
            )
          )
          const first = yield* connection.awaitOpen.pipe(Effect.timeout("10 seconds"))
          // Several rounds of PING/PONG with no other traffic: the link stays.
          yield* Effect.sleep(4 * INTERVAL)
          expect(yield* connection.isOpen).toBe(true)

          const lost = yield* Effect.fork(stateWhere(connection, (state) => state._tag !== "Open"))
          router.child.kill("SIGSTOP")
          const stopped = performance.now()
          const state = yield* lost.await.pipe(Effect.flatten, Effect.timeout("10 seconds"))
          const detected = performance.now() - stopped
          console.log(
            `${name}: silent router noticed ${detected.toFixed(0)} ms after SIGSTOP (bound ${INTERVAL + TIMEOUT} ms)`
          )
          expect(state._tag).toBe("Retrying")
          if (state._tag === "Retrying") {
            expect(state.details.message).toMatch(/keep-alive: no answer to a PING within 300ms/)
          }
          // interval + timeout, plus slack for a loaded machine.
          expect(detected).toBeLessThan(INTERVAL + TIMEOUT + 2500)

          router.child.kill("SIGCONT")
          const reopened = yield* stateWhere(connection, (s) => s._tag === "Open" && s.info.id !== first.id).pipe(
            Effect.timeout("20 seconds")
          )
          expect(reopened._tag).toBe("Open")
          expect(yield* connection.isOpen).toBe(true)
        }),
      60_000
    )
  }
})

/** A WebSocket server that counts the pings it receives. */
const pingCountingServer = Effect.acquireRelease(
  Effect.async<{ wss: WebSocketServer; pings: () => number }>((resume) => {
    let pings = 0
    const wss = new WebSocketServer({ host: "127.0.0.1", port: 0, handleProtocols: () => "wamp.2.json" })
    wss.on("connection", (socket) => socket.on("ping", () => pings++))
    wss.once("listening", () => resume(Effect.succeed({ wss, pings: () => pings })))
  }),
  ({ wss }) =>
    Effect.async<void>((resume) => {
      for (const client of wss.clients) client.terminate()
      wss.close(() => resume(Effect.void))
    })
).pipe(
  Effect.map((server) => ({ ...server, url: `ws://127.0.0.1:${(server.wss.address() as { port: number }).port}` }))
)

describe("keep-alive where pings cannot be sent, or are not wanted", () => {
  it.scopedLive("a WebSocket without ping support (a browser's) sends none and the link stays up", () =>
    Effect.gen(function*() {
      const server = yield* pingCountingServer
      // A plain ws constructor without the Node hooks stands in for a browser's WebSocket.
      const { default: WebSocket } = yield* Effect.promise(() => import("ws"))
      const link = yield* NodeWebSocketTransport.make({
        url: server.url,
        keepAlive: { interval: "50 millis", timeout: "50 millis" },
        webSocketConstructor: (url, protocols) => new WebSocket(url, protocols) as unknown as globalThis.WebSocket
      }).open([Serializer.json])
      yield* Effect.sleep(400)
      expect(server.pings()).toBe(0)
      expect(yield* Effect.either(link.send("[]"))).toMatchObject({ _tag: "Right" })
    }))

  it.scopedLive("keepAlive: false sends no pings; the default-on Node transport does", () =>
    Effect.gen(function*() {
      const off = yield* pingCountingServer
      const on = yield* pingCountingServer
      yield* NodeWebSocketTransport.make({ url: off.url, keepAlive: false }).open([Serializer.json])
      yield* NodeWebSocketTransport.make({ url: on.url, keepAlive: { interval: "50 millis" } }).open([Serializer.json])
      yield* Effect.sleep(400)
      expect(off.pings()).toBe(0)
      // About 8 in 400 ms; at least 2 under load.
      expect(on.pings()).toBeGreaterThanOrEqual(2)
    }))
})
