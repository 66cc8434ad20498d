/**
 * Runs the Autobahn|JS programs in ./programs as separate Node processes against the test-kit
 * router on loopback: they must behave as they do with Autobahn|JS (and exit on their own once
 * they close their connection).
 */
import { type ChildProcess, spawn } from "node:child_process"
import { fileURLToPath } from "node:url"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { serve, type Served, within } from "./support/router.js"

let served: Served
beforeAll(async () => {
  served = await serve({
    realms: ["realm1", { name: "secure", users: { alice: { secret: "s3cret", authrole: "frontend" } } }],
    goodbyeTimeout: 300
  })
})
afterAll(() => served.close())

const started: Array<ChildProcess> = []
afterAll(() => {
  for (const child of started) if (child.exitCode === null) child.kill()
})

/** Starts a program; `output` holds what it printed so far, `exited` its exit code. */
const run = (name: string) => {
  const file = fileURLToPath(new URL(`./programs/${name}`, import.meta.url))
  const child = spawn(process.execPath, ["--import", "tsx", file], {
    env: { ...process.env, WAMP_URL: served.url },
    stdio: ["ignore", "pipe", "pipe"]
  })
  started.push(child)
  let output = ""
  const listeners: Array<() => void> = []
  const onData = (chunk: Buffer) => {
    output += chunk.toString()
    for (const listener of listeners) listener()
  }
  child.stdout!.on("data", onData)
  child.stderr!.on("data", onData)
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)))
  const printed = (text: string) =>
    within(
      new Promise<void>((resolve) => {
        const check = () => output.includes(text) && resolve()
        listeners.push(check)
        check()
      }),
      15_000,
      `"${text}" from ${name}`
    )
  return { child, exited: () => within(exited, 15_000, `${name} to exit`), printed, output: () => output }
}

// Each test runs Autobahn|JS programs as child processes: slow on a loaded machine, not a hang.
describe("Autobahn|JS programs, unchanged but for the import", { timeout: 60_000 }, () => {
  it("hello world: backend (register, subscribe, publish) and frontend (call, publish, subscribe)", async () => {
    const backend = run("hello-backend.js")
    await backend.printed("procedure add2() registered")
    await backend.printed("subscribed to topic 'onhello'")
    const frontend = run("hello-frontend.js")
    expect(await frontend.exited()).toBe(0)
    expect(frontend.output()).toContain("Result: 5")
    expect(frontend.output()).toMatch(/event for 'oncounter' received: \d+/)
    expect(frontend.output()).toContain("Connection closed: closed")
    await backend.printed("add2() called with 2 and 3")
    await backend.printed("event for 'onhello' received: Hello from JavaScript (browser)")
    backend.child.kill()
  })

  it("progressive results", async () => {
    const program = run("progressive.js")
    expect(await program.exited()).toBe(0)
    expect(program.output()).toContain("Progress: 0\nProgress: 1\nProgress: 2\nFinal: 3")
  })

  it("WAMP-CRA with onchallenge and auth_cra.sign", async () => {
    const program = run("auth-wampcra.js")
    expect(await program.exited()).toBe(0)
    expect(program.output()).toContain("authenticating via 'wampcra'")
    expect(program.output()).toContain("authenticated with authid 'alice' and authrole 'frontend'")
    expect(program.output()).toContain("disconnected closed")
  })
})
