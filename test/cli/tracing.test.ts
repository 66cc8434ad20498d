/**
 * Tracing that crosses the wire, between processes: `wamp register` (callee) and `wamp call`
 * (caller), `wamp subscribe` and `wamp publish`, each its own child process with WAMP_TRACE_FILE,
 * through one test-kit router in the test process. The spans each process exported share a trace id,
 * and the callee's / subscriber's span names the caller's / publisher's span as its parent.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Scope } from "effect"
import * as fs from "node:fs/promises"
import * as os from "node:os"
import * as path from "node:path"
import * as Router from "../../src/testing/Router.js"
import type { RecordedSpan } from "../../src/testing/SpanRecorder.js"
import { buildCli, type BuiltCli, run, start } from "./support.js"

const TIMEOUT = 120_000

let cli: BuiltCli
let scope: Scope.CloseableScope
let url: string
let dir: string

beforeAll(async () => {
  const built = buildCli()
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "wamp-trace-"))
  scope = Effect.runSync(Scope.make())
  const bound = await Effect.runPromise(Scope.extend(
    Effect.flatMap(Router.make({ realms: ["realm1"] }), (router) => router.serve({ host: "127.0.0.1", port: 0 })),
    scope
  ))
  url = `ws://127.0.0.1:${bound.port}/ws`
  cli = await built
}, 60_000)

afterAll(async () => {
  await Effect.runPromise(Scope.close(scope, Exit.void))
  await cli?.remove()
  await fs.rm(dir, { recursive: true, force: true })
})

const spansIn = async (file: string): Promise<Array<RecordedSpan>> =>
  (await fs.readFile(file, "utf8")).trim().split("\n").map((line) => JSON.parse(line) as RecordedSpan)

describe.concurrent("tracing across processes", () => {
  it("a call's trace continues in the callee's process", async () => {
    const calleeFile = path.join(dir, "callee.jsonl")
    const callerFile = path.join(dir, "caller.jsonl")
    const callee = start(cli, ["register", "com.trace.echo"], { env: { WAMP_URL: url, WAMP_TRACE_FILE: calleeFile } })
    await callee.waitFor(/registered/)
    const caller = await run(cli, ["call", "com.trace.echo", "1"], {
      env: { WAMP_URL: url, WAMP_TRACE_FILE: callerFile }
    })
    expect(caller).toMatchObject({ code: 0, stdout: "1\n" })
    callee.kill("SIGINT")
    expect((await callee.finished).code).toBe(0)

    const call = (await spansIn(callerFile)).find((span) => span.name === "wamp.call")!
    const invocation = (await spansIn(calleeFile)).find((span) => span.name === "wamp.invocation")!
    expect(call).toMatchObject({ kind: "client", ok: true })
    expect(invocation).toMatchObject({ kind: "server", traceId: call.traceId, parentSpanId: call.spanId, ok: true })
    expect(invocation.attributes["wamp.uri"]).toBe("com.trace.echo")
  }, TIMEOUT)

  it("a publication's trace continues in the subscriber's process", async () => {
    const subscriberFile = path.join(dir, "subscriber.jsonl")
    const publisherFile = path.join(dir, "publisher.jsonl")
    const subscriber = start(cli, ["subscribe", "com.trace.topic", "--count", "1"], {
      env: { WAMP_URL: url, WAMP_TRACE_FILE: subscriberFile }
    })
    await subscriber.waitFor(/subscribed/)
    const publisher = await run(cli, ["publish", "com.trace.topic", "\"hi\"", "--acknowledge"], {
      env: { WAMP_URL: url, WAMP_TRACE_FILE: publisherFile }
    })
    expect(publisher.code).toBe(0)
    expect(await subscriber.finished).toMatchObject({ code: 0, stdout: "com.trace.topic \"hi\"\n" })

    const publish = (await spansIn(publisherFile)).find((span) => span.name === "wamp.publish")!
    const event = (await spansIn(subscriberFile)).find((span) => span.name === "wamp.event")!
    expect(publish.kind).toBe("producer")
    expect(event).toMatchObject({ kind: "consumer", traceId: publish.traceId, parentSpanId: publish.spanId })
  }, TIMEOUT)
})
