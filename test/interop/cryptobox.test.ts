/**
 * End-to-end encryption with Autobahn|Python 22.7 (Debian python3-autobahn + python3-nacl, run by
 * /usr/bin/python3): its cryptobox.KeyRing and our `Cryptobox` call and publish to each other
 * through the test-kit router served on loopback, over WebSocket, with JSON and MessagePack (the
 * serializers Debian's Autobahn|Python has). The router only ever sees ciphertext.
 *
 * Not over RawSocket: Autobahn|Python 22.7's asyncio RawSocket client cannot join any router (its
 * onWelcome reads `transport_details`, which WampRawSocketClientProtocol lacks, and it ABORTs with
 * wamp.error.cannot_authenticate). Cryptobox over RawSocket is tested between effect-wamp peers
 * (test/e2e/cryptobox.test.ts).
 *
 * Needs /usr/bin/python3 with autobahn and nacl: without them these tests fail (they are part of
 * the interop suite; CI installs python3-autobahn and python3-nacl).
 */
import { expect, layer } from "@effect/vitest"
import { Chunk, Deferred, Effect, Either, Fiber, Queue, Stream } from "effect"
import { type ChildProcess, execFileSync, spawn } from "node:child_process"
import { fileURLToPath } from "node:url"
import * as Authenticator from "../../src/Authenticator.js"
import * as Cryptobox from "../../src/Cryptobox.js"
import * as NodeWebSocketTransport from "../../src/node/NodeWebSocketTransport.js"
import * as Serializer from "../../src/Serializer.js"
import * as Session from "../../src/Session.js"
import * as Transport from "../../src/Transport.js"
import { layer as servedLayer, type PeerSerializer, peerSerializers, Served } from "./support.js"

const PYTHON = "/usr/bin/python3"
const PEER = fileURLToPath(new URL("./python/cryptobox_peer.py", import.meta.url))

/** Fails with what to install when the Python side is missing (never skips). */
const checkPython = Effect.sync(() => {
  try {
    execFileSync(PYTHON, ["-c", "import autobahn, nacl, pytrie; from autobahn.wamp.cryptobox import KeyRing"], {
      stdio: "pipe",
      timeout: 20_000
    })
  } catch (error) {
    throw new Error(
      `${PYTHON} cannot import autobahn / nacl (apt-get install -y python3-autobahn python3-nacl): ${String(error)}`
    )
  }
})

/** Runs the Python peer; its JSON stdout lines arrive on `lines`, its exit code on `exit`. */
const runPeer = (config: Record<string, string>) =>
  Effect.gen(function*() {
    const lines = yield* Queue.unbounded<Record<string, unknown>>()
    const exit = yield* Deferred.make<{ code: number | null; stderr: string }>()
    const child: ChildProcess = yield* Effect.acquireRelease(
      Effect.sync(() => spawn(PYTHON, [PEER, JSON.stringify(config)], { stdio: ["ignore", "pipe", "pipe"] })),
      (child) => Effect.sync(() => child.exitCode === null && child.kill("SIGKILL"))
    )
    let stderr = ""
    let buffered = ""
    child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
      buffered += chunk
      let newline: number
      while ((newline = buffered.indexOf("\n")) >= 0) {
        const line = buffered.slice(0, newline).trim()
        buffered = buffered.slice(newline + 1)
        if (line.startsWith("{")) Queue.unsafeOffer(lines, JSON.parse(line) as Record<string, unknown>)
      }
    })
    child.stderr!.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk
    })
    child.on("exit", (code) => Deferred.unsafeDone(exit, Effect.succeed({ code, stderr })))
    const next = Queue.take(lines).pipe(
      Effect.timeoutFail({
        duration: "8 seconds",
        onTimeout: () => new Error(`the Python peer said nothing in time; stderr: ${stderr}`)
      })
    )
    return { next, exit: Deferred.await(exit), stderr: () => stderr }
  })

const transports = ["WebSocket"] as const

layer(servedLayer, { excludeTestServices: true, timeout: "60 seconds" })("Cryptobox with Autobahn|Python", (it) => {
  for (const transportName of transports) {
    for (const serializer of peerSerializers) {
      it.scoped(`call and publish both ways, encrypted (${transportName} / ${serializer})`, () =>
        Effect.gen(function*() {
          yield* checkPython
          const { uri, url } = yield* Served
          const pyPrefix = `${uri("py")}.`
          const tsPrefix = `${uri("ts")}.`
          const ts = Cryptobox.generateKeyPair()
          const py = Cryptobox.generateKeyPair()
          const key = (options: Cryptobox.KeyOptions) => Either.getOrThrow(Cryptobox.makeKey(options))
          const ring = Cryptobox.keyRing({
            [pyPrefix]: key({ originatorPrivate: ts.privateKey, responderPublic: py.publicKey }),
            [tsPrefix]: key({ responderPrivate: ts.privateKey, originatorPublic: py.publicKey })
          })

          const transport = NodeWebSocketTransport.make({ url })
          const plain = yield* Session.make({ realm: "realm1", goodbyeTimeout: "1 second" }).pipe(
            Effect.provideService(Transport.Transport, transport),
            Effect.provideService(Serializer.Serializers, [serializerOf(serializer)]),
            Effect.provideService(Authenticator.Authenticator, Authenticator.anonymous())
          )
          const session = Cryptobox.session(plain, ring)

          yield* session.register(
            `${tsPrefix}add`,
            (invocation) => Effect.succeed({ args: [(invocation.args[0] as number) + (invocation.args[1] as number)] })
          )
          const events = yield* session.subscribe(`${tsPrefix}topic`)
          const collected = yield* Effect.fork(Stream.runCollect(Stream.take(events.events, 1)))
          // The same topic seen without the key ring: what the router forwards.
          const raw = yield* plain.subscribe(`${tsPrefix}topic`)
          const rawCollected = yield* Effect.fork(Stream.runCollect(Stream.take(raw.events, 1)))

          const peer = yield* runPeer({
            url,
            serializer,
            realm: "realm1",
            py_prefix: pyPrefix,
            ts_prefix: tsPrefix,
            py_priv: py.privateKey,
            ts_pub: ts.publicKey
          })
          expect(yield* peer.next).toEqual({ ready: true })

          // Ours to theirs: an encrypted CALL (and RESULT back), an encrypted PUBLISH.
          const product = yield* session.call(`${pyPrefix}mul`, [4, 5], { scale: 2 })
          expect(product.args).toEqual([40])
          expect(product.passthru).toBeUndefined()
          yield* session.publish(`${pyPrefix}topic`, ["from-ts", 2 ** 40], { k: "v" }, { acknowledge: true })

          // Theirs to ours: it saw our event, called our procedure, published to our topic.
          const report = yield* peer.next
          expect(report).toEqual({ event: { args: ["from-ts", 2 ** 40], kwargs: { k: "v" } }, add: 5 })
          const [event] = Chunk.toReadonlyArray(yield* Fiber.join(collected))
          expect(event!.args).toEqual(["from-python"])
          expect(event!.kwargs).toEqual({ n: 1 })
          const [rawEvent] = Chunk.toReadonlyArray(yield* Fiber.join(rawCollected))
          expect(rawEvent!.passthru).toMatchObject({ form: "transparent", scheme: "cryptobox", serializer: "json" })
          expect(new TextDecoder().decode(rawEvent!.passthru!.bytes)).not.toContain("from-python")

          const { code, stderr } = yield* peer.exit
          expect(code, stderr).toBe(0)
        }))
    }
  }
})

const serializerOf = (name: PeerSerializer) => name === "json" ? Serializer.json : Serializer.msgpack
