/**
 * The `wamp` command as a child process against one test-kit router (Router.serve on 127.0.0.1:0)
 * shared by the whole file; the test process has its own session on the same router for the
 * other side of each exchange.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Exit, Layer, Option, Queue, Scope, Stream } from "effect"
import * as net from "node:net"
import * as os from "node:os"
import * as path from "node:path"
import * as Authenticator from "../../src/Authenticator.js"
import * as Serializer from "../../src/Serializer.js"
import * as Session from "../../src/Session.js"
import * as Router from "../../src/testing/Router.js"
import { Transport } from "../../src/Transport.js"
import * as WampError from "../../src/WampError.js"
import { buildCli, type BuiltCli, run, stackTrace, start } from "./support.js"

const TICKET = "tr0ub4dor-secret"
// Each test starts up to three node processes; on a loaded 2-core machine one start can take seconds.
const TIMEOUT = 90_000

let cli: BuiltCli
let scope: Scope.CloseableScope
let router: Router.RouterService
let session: Session.SessionService
let ws: string
let tcp: string
let closedPort: number
/** A Unix socket that forwards to the router's RawSocket port: the unix:// path of the command. */
let unixPath: string
/** Completed by the test when it has seen the first progressive result on the child's stdout. */
let firstChunkSeen: Deferred.Deferred<void>
let slowInterrupted: Deferred.Deferred<void>
let heldStarted: Deferred.Deferred<void>
let heldInterrupted: Deferred.Deferred<void>
let events: Queue.Queue<Session.Event>

const runEffect = <A, E>(effect: Effect.Effect<A, E, Scope.Scope>) => Effect.runPromise(Scope.extend(effect, scope))

beforeAll(async () => {
  const built = buildCli()
  scope = Effect.runSync(Scope.make())
  await runEffect(Effect.gen(function*() {
    router = yield* Router.make({
      realms: ["realm1", { name: "secure", users: { alice: { ticket: TICKET, authrole: "user" } } }]
    })
    const bound = yield* router.serve({ host: "127.0.0.1", port: 0, rawSocketPort: 0 })
    ws = `ws://127.0.0.1:${bound.port}/ws`
    tcp = `tcp://127.0.0.1:${bound.rawSocketPort}`
    unixPath = path.join(os.tmpdir(), `wamp-cli-${process.pid}.sock`)
    yield* Effect.acquireRelease(
      Effect.async<net.Server>((resume) => {
        const proxy = net.createServer((client) => {
          const upstream = net.connect(bound.rawSocketPort!, "127.0.0.1")
          client.pipe(upstream).pipe(client)
          const drop = () => {
            client.destroy()
            upstream.destroy()
          }
          client.on("error", drop).on("close", drop)
          upstream.on("error", drop).on("close", drop)
        })
        proxy.listen(unixPath, () => resume(Effect.succeed(proxy)))
      }),
      (proxy) => Effect.async<void>((resume) => void proxy.close(() => resume(Effect.void)))
    )
    // A port that was free a moment ago: nothing listens there.
    const other = yield* Effect.scoped(router.serve({ host: "127.0.0.1", port: 0 }))
    closedPort = other.port
    session = yield* Session.make({ realm: "realm1" }).pipe(
      Effect.provide(Layer.mergeAll(
        Layer.succeed(Transport, router.transport),
        Serializer.layerJson,
        Authenticator.layerAnonymous()
      ))
    )
    firstChunkSeen = yield* Deferred.make<void>()
    slowInterrupted = yield* Deferred.make<void>()
    heldStarted = yield* Deferred.make<void>()
    heldInterrupted = yield* Deferred.make<void>()
    yield* session.register(
      "com.test.add",
      ({ args }) => Effect.succeed({ args: [(args[0] as number) + (args[1] as number)] })
    )
    yield* session.register("com.test.echo", ({ args, kwargs }) => Effect.succeed({ args, kwargs }))
    yield* session.register("com.test.progress", (invocation) =>
      Effect.gen(function*() {
        yield* invocation.progress([1])
        // The final result waits until the test has seen the first chunk printed: streamed, not batched.
        yield* Deferred.await(firstChunkSeen)
        yield* invocation.progress([2])
        return { args: ["done"] }
      }))
    yield* session.register(
      "com.test.fail",
      () => Effect.fail(WampError.make("com.test.oops", { args: ["it broke", 42], kwargs: { why: "testing" } }))
    )
    yield* session.register(
      "com.test.slow",
      () => Effect.never.pipe(Effect.onInterrupt(() => Deferred.succeed(slowInterrupted, undefined)))
    )
    yield* session.register("com.test.held", () =>
      Deferred.succeed(heldStarted, undefined).pipe(
        Effect.zipRight(Effect.never),
        Effect.onInterrupt(() => Deferred.succeed(heldInterrupted, undefined))
      ))
    events = yield* Queue.unbounded<Session.Event>()
    const subscription = yield* session.subscribe("com.test.topic")
    yield* Effect.forkScoped(Stream.runForEach(subscription.events, (event) => Queue.offer(events, event)))
  }))
  cli = await built
}, 60_000)

afterAll(async () => {
  await Effect.runPromise(Scope.close(scope, Exit.void))
  await cli?.remove()
})

/** The WampError a call from the test session fails with (anything else fails the test). */
const callError = (procedure: string) =>
  runEffect(
    session.call(procedure).pipe(
      Effect.flip,
      Effect.flatMap((error) => error instanceof WampError.WampError ? Effect.succeed(error) : Effect.die(error))
    )
  )

const wamp = (args: ReadonlyArray<string>, env: Record<string, string> = {}) =>
  run(cli, args, { env: { WAMP_URL: ws, ...env } })

describe.concurrent("wamp call", () => {
  it("prints the result; --json prints it as one JSON object", async () => {
    const human = await wamp(["call", "com.test.add", "2", "3"])
    expect(human).toMatchObject({ code: 0, stdout: "5\n", stderr: "" })
    const json = await wamp(["call", "com.test.echo", "[1]", "\"x\"", "--kwargs", "{\"k\":true}", "--json"])
    expect(json.code).toBe(0)
    expect(JSON.parse(json.stdout)).toEqual({ args: [[1], "x"], kwargs: { k: true }, progress: false })
  }, TIMEOUT)

  it("over RawSocket (tcp://) with MessagePack, options after the arguments, -- before a negative number", async () => {
    const out = await run(cli, ["call", "com.test.add", "--url", tcp, "--serializer", "msgpack", "--", "-2", "5"])
    expect(out).toMatchObject({ code: 0, stdout: "3\n" })
  }, TIMEOUT)

  it("over a Unix socket (unix://)", async () => {
    const out = await run(cli, ["call", "com.test.add", "40", "2", "--url", `unix://${unixPath}`])
    expect(out).toMatchObject({ code: 0, stdout: "42\n" })
  }, TIMEOUT)

  it("prints progressive results as they arrive", async () => {
    const child = start(cli, ["call", "com.test.progress"], { env: { WAMP_URL: ws } })
    // The callee holds the rest back until this line is out: it cannot have been printed at the end.
    await child.waitFor(/^1$/m)
    expect(child.stdout()).toBe("1\n")
    await Effect.runPromise(Deferred.succeed(firstChunkSeen, undefined))
    const done = await child.finished
    expect(done).toMatchObject({ code: 0, stdout: "1\n2\n\"done\"\n" })
  }, TIMEOUT)

  it("a WAMP error exits 1 with the URI and its args on stderr, no stack trace", async () => {
    const out = await wamp(["call", "com.test.fail"])
    expect(out.code).toBe(1)
    expect(out.stdout).toBe("")
    expect(out.stderr).toContain("wamp: call com.test.fail: com.test.oops")
    expect(out.stderr).toContain("args: [\"it broke\",42]")
    expect(out.stderr).toContain("kwargs: {\"why\":\"testing\"}")
    expect(out.stderr).not.toMatch(stackTrace)
  }, TIMEOUT)

  it("an unknown URI exits 1 with wamp.error.no_such_procedure", async () => {
    const out = await wamp(["call", "com.test.nobody"])
    expect(out.code).toBe(1)
    expect(out.stderr).toContain("wamp.error.no_such_procedure")
    expect(out.stderr).not.toMatch(stackTrace)
  }, TIMEOUT)

  it("--timeout gives up with exit 124 and cancels the call on the router", async () => {
    const out = await wamp(["call", "com.test.slow", "--timeout", "0.5"])
    expect(out.code).toBe(124)
    expect(out.stderr).toContain("no result within 0.5 s")
    // The callee's handler was interrupted: the CANCEL reached it through the router.
    await Effect.runPromise(Deferred.await(slowInterrupted).pipe(Effect.timeout("10 seconds")))
  }, TIMEOUT)

  it("SIGINT during a call: exit 130, the call canceled on the router", async () => {
    const child = start(cli, ["call", "com.test.held"], { env: { WAMP_URL: ws } })
    await Effect.runPromise(Deferred.await(heldStarted).pipe(Effect.timeout("60 seconds")))
    child.kill("SIGINT")
    const done = await child.finished
    expect(done).toMatchObject({ code: 130, stdout: "" })
    expect(done.stderr).not.toMatch(stackTrace)
    await Effect.runPromise(Deferred.await(heldInterrupted).pipe(Effect.timeout("10 seconds")))
  }, TIMEOUT)

  it("invalid JSON: exit 2 with a clear message, nothing sent", async () => {
    const arg = await wamp(["call", "com.test.echo", "hello"])
    expect(arg.code).toBe(2)
    expect(arg.stderr).toContain("argument 1 is not valid JSON: hello")
    expect(arg.stderr).toContain("quote strings")
    const kwargs = await wamp(["call", "com.test.echo", "--kwargs", "[1]"])
    expect(kwargs.code).toBe(2)
    expect(kwargs.stderr).toContain("--kwargs must be a JSON object")
    for (const out of [arg, kwargs]) expect(out.stderr).not.toMatch(stackTrace)
  }, TIMEOUT)

  it("an unreachable router: exit 3 and one line saying so", async () => {
    const out = await run(cli, ["call", "com.test.add", "1", "2", "--url", `ws://127.0.0.1:${closedPort}/ws`])
    expect(out.code).toBe(3)
    expect(out.stderr).toMatch(/^wamp: could not open WebSocket to ws:\/\/127\.0\.0\.1:\d+\/ws: .*ECONNREFUSED/)
    expect(out.stderr.trim().split("\n")).toHaveLength(1)
    const raw = await run(cli, ["call", "com.test.add", "--url", `tcp://127.0.0.1:${closedPort}`])
    expect(raw.code).toBe(3)
    expect(raw.stderr).toContain("could not connect to 127.0.0.1")
  }, TIMEOUT)

  it("a bad URL or an unknown realm: clear messages, non-zero exits", async () => {
    const url = await run(cli, ["call", "com.test.add", "--url", "http://127.0.0.1:1/"])
    expect(url.code).toBe(2)
    expect(url.stderr).toContain("unsupported URL scheme \"http:\"")
    const realm = await wamp(["call", "com.test.add", "--realm", "nowhere"])
    expect(realm.code).toBe(3)
    expect(realm.stderr).toContain("wamp.error.no_such_realm")
    const usage = await wamp(["call"])
    expect(usage.code).toBe(2)
    expect(usage.stderr).toContain("Missing argument <URI>")
    for (const out of [url, realm, usage]) expect(out.stderr).not.toMatch(stackTrace)
  }, TIMEOUT)

  it("environment variables mirror the options", async () => {
    const out = await run(cli, ["call", "com.test.add", "20", "22"], {
      env: { WAMP_URL: tcp, WAMP_REALM: "realm1", WAMP_SERIALIZER: "cbor", WAMP_JSON: "true" }
    })
    expect(out.code).toBe(0)
    expect(JSON.parse(out.stdout)).toMatchObject({ args: [42] })
  }, TIMEOUT)
})

describe.concurrent("wamp publish", () => {
  it("publishes args and kwargs; --acknowledge prints the publication id", async () => {
    const out = await wamp(["publish", "com.test.topic", "1", "--kwargs", "{\"a\":2}", "--acknowledge"])
    expect(out.code).toBe(0)
    const publication = Number(out.stdout.trim())
    expect(Number.isInteger(publication) && publication > 0).toBe(true)
    const event = await Effect.runPromise(
      Queue.take(events).pipe(Effect.repeat({ until: (event) => event.details.publication === publication }))
    )
    expect(event.args).toEqual([1])
    expect(event.kwargs).toEqual({ a: 2 })
  }, TIMEOUT)

  it("--retain: a later subscriber asking for the retained event gets it", async () => {
    const out = await wamp(["publish", "com.test.retained", "\"kept\"", "--retain", "--acknowledge", "--json"])
    expect(out.code).toBe(0)
    expect(JSON.parse(out.stdout)).toMatchObject({ publication: expect.any(Number) })
    const later = await runEffect(Effect.scoped(Effect.gen(function*() {
      const subscription = yield* session.subscribe("com.test.retained", { get_retained: true })
      return yield* Stream.runHead(subscription.events).pipe(Effect.timeout("10 seconds"))
    })))
    expect(Option.map(later, (event) => [event.args, event.details.retained])).toEqual(Option.some([["kept"], true]))
  }, TIMEOUT)
})

describe.concurrent("wamp subscribe", () => {
  it("prints one JSON line per event and exits after --count events", async () => {
    const child = start(cli, ["subscribe", "com.test.sub", "--count", "2", "--json"], { env: { WAMP_URL: ws } })
    await child.waitFor(/subscribed to com\.test\.sub/)
    await runEffect(Effect.gen(function*() {
      yield* session.publish("com.test.sub", [1], { n: "one" }, { acknowledge: true })
      yield* session.publish("com.test.sub", ["two"], undefined, { acknowledge: true })
    }))
    const done = await child.finished
    expect(done.code).toBe(0)
    const lines = done.stdout.trim().split("\n").map((text) => JSON.parse(text))
    expect(lines).toMatchObject([
      { topic: "com.test.sub", args: [1], kwargs: { n: "one" } },
      { topic: "com.test.sub", args: ["two"], kwargs: {} }
    ])
  }, TIMEOUT)

  it("--match prefix prints the concrete topic", async () => {
    const child = start(cli, ["subscribe", "com.test.pre", "--match", "prefix", "--count", "1"], {
      env: { WAMP_URL: ws }
    })
    await child.waitFor(/subscribed/)
    await runEffect(session.publish("com.test.pre.deep", [7], undefined, { acknowledge: true }))
    expect(await child.finished).toMatchObject({ code: 0, stdout: "com.test.pre.deep 7\n" })
  }, TIMEOUT)

  it("SIGINT stops it cleanly: exit 0, the subscription is gone from the router", async () => {
    const child = start(cli, ["subscribe", "com.test.sigint"], { env: { WAMP_URL: ws } })
    await child.waitFor(/subscribed/)
    const lookup = () => runEffect(session.call("wamp.subscription.lookup", ["com.test.sigint"]))
    expect((await lookup()).args[0]).toEqual(expect.any(Number))
    await runEffect(session.publish("com.test.sigint", ["before"], undefined, { acknowledge: true }))
    await child.waitFor(/before/)
    child.kill("SIGINT")
    const done = await child.finished
    expect(done).toMatchObject({ code: 0, stdout: "com.test.sigint \"before\"\n" })
    expect(done.stderr).toBe("subscribed to com.test.sigint (subscription " + done.stderr.split("subscription ")[1])
    expect((await lookup()).args[0]).toBeNull()
  }, TIMEOUT)
})

describe.concurrent("wamp register", () => {
  it("runs COMMAND per invocation with the args as JSON on stdin and answers with its stdout", async () => {
    const script = "let s='';process.stdin.on('data',d=>s+=d).on('end',()=>{const i=JSON.parse(s);" +
      "console.log(JSON.stringify({sum:i.args.reduce((a,b)=>a+b,0),k:i.kwargs.k,p:i.procedure}))})"
    const child = start(cli, ["register", "com.test.cmd", "--", process.execPath, "-e", script], {
      env: { WAMP_URL: ws }
    })
    await child.waitFor(/registered com\.test\.cmd/)
    const result = await runEffect(session.call("com.test.cmd", [1, 2, 3], { k: "v" }))
    expect(result.args).toEqual([{ sum: 6, k: "v", p: "com.test.cmd" }])
    child.kill("SIGINT")
    expect((await child.finished).code).toBe(0)
    // Unregistered on the way out.
    const after = await callError("com.test.cmd")
    expect(after.error).toBe(WampError.StandardUri.NoSuchProcedure)
  }, TIMEOUT)

  it("a failing COMMAND answers wamp.error.runtime_error with its exit code and stderr", async () => {
    const child = start(
      cli,
      ["register", "com.test.bad", "--", process.execPath, "-e", "console.error('nope');process.exit(3)"],
      { env: { WAMP_URL: ws } }
    )
    await child.waitFor(/registered/)
    const error = await callError("com.test.bad")
    expect(error.error).toBe(WampError.StandardUri.RuntimeError)
    expect(error.args[0]).toMatch(/exited with code 3/)
    expect(error.args[1]).toBe("nope")
    child.kill("SIGTERM")
    expect((await child.finished).code).toBe(0)
  }, TIMEOUT)

  it("echoes without a command, and prints each invocation", async () => {
    const child = start(cli, ["register", "com.test.echo2", "--json"], { env: { WAMP_URL: ws } })
    await child.waitFor(/registered/)
    const result = await runEffect(session.call("com.test.echo2", ["a", 1], { b: [2] }))
    expect([result.args, result.kwargs]).toEqual([["a", 1], { b: [2] }])
    await child.waitFor(/com\.test\.echo2/)
    child.kill("SIGINT")
    const done = await child.finished
    expect(done.code).toBe(0)
    expect(JSON.parse(done.stdout)).toMatchObject({ procedure: "com.test.echo2", args: ["a", 1], kwargs: { b: [2] } })
  }, TIMEOUT)
})

// These start the router and clients as child processes: slow on a loaded machine, not a hang.
describe.concurrent("wamp router, sessions, meta, authentication", { timeout: 90_000 }, () => {
  it("router serves WebSocket and RawSocket on free ports and stops on SIGINT", async () => {
    const child = start(cli, ["router", "--port", "0", "--rawsocket-port", "0", "--realm", "r2"])
    const banner = await child.waitFor(/router listening: .*realms=r2/)
    const wsUrl = /ws:\/\/\S+/.exec(banner)![0]
    const rawUrl = /tcp:\/\/\S+/.exec(banner)![0]
    const overWs = await run(cli, ["meta", "session.count", "--url", wsUrl, "--realm", "r2"])
    expect(overWs).toMatchObject({ code: 0, stdout: "1\n" })
    const overRaw = await run(cli, ["sessions", "--url", rawUrl, "--realm", "r2", "--json"])
    expect(overRaw.code).toBe(0)
    expect(JSON.parse(overRaw.stdout)).toHaveLength(1)
    child.kill("SIGINT")
    expect((await child.finished).code).toBe(0)
  }, TIMEOUT)

  it("sessions lists the realm's sessions, ours among them", async () => {
    const human = await wamp(["sessions"])
    expect(human.code).toBe(0)
    expect(human.stdout).toContain(`${session.info.id}  authid=`)
    expect(human.stdout).toMatch(/\(this one\)/)
    const json = await wamp(["sessions", "--json"])
    const listed = JSON.parse(json.stdout) as Array<{ session: number; authmethod: string }>
    expect(listed.map((entry) => entry.session)).toContain(session.info.id)
  }, TIMEOUT)

  it("meta calls the wamp.* meta procedures directly", async () => {
    const lookup = await wamp(["meta", "registration.lookup", "\"com.test.add\""])
    expect(lookup.code).toBe(0)
    expect(Number.isInteger(Number(lookup.stdout.trim()))).toBe(true)
    const missing = await wamp(["meta", "wamp.session.get", "1"])
    expect(missing.code).toBe(1)
    expect(missing.stderr).toContain("wamp.error.no_such_session")
  }, TIMEOUT)

  it("ticket from WAMP_TICKET only: joins, and the secret is never printed", async () => {
    const ok = await wamp(["sessions", "--realm", "secure", "--authmethod", "ticket", "--authid", "alice", "--json"], {
      WAMP_TICKET: TICKET
    })
    expect(ok.code).toBe(0)
    expect(JSON.parse(ok.stdout)).toMatchObject([{ authid: "alice", authmethod: "ticket" }])
    const wrong = await wamp(["call", "x", "--realm", "secure", "--authmethod", "ticket", "--authid", "alice"], {
      WAMP_TICKET: "not-the-ticket"
    })
    expect(wrong.code).toBe(3)
    expect(wrong.stderr).toMatch(/wamp\.error\.(authentication_failed|not_authorized)/)
    const missing = await wamp(["call", "x", "--realm", "secure", "--authmethod", "ticket", "--authid", "alice"])
    expect(missing.code).toBe(2)
    expect(missing.stderr).toContain("WAMP_TICKET")
    for (const out of [ok, wrong, missing]) {
      expect(out.stdout + out.stderr).not.toContain(TICKET)
      expect(out.stdout + out.stderr).not.toContain("not-the-ticket")
      expect(out.stderr).not.toMatch(stackTrace)
    }
  }, TIMEOUT)
})
