/**
 * `npm run bench -- setup [--router ws://HOST:PORT/]`: set-up time, CPU and retained heap per item of
 * N subscriptions (to distinct topics) and N registrations (of distinct procedures) on one session,
 * 1,000 in flight, for effect-wamp (Effect API over `Session.layer`, the same on `SharedScheduler`,
 * over `Connection.layer`, and the Autobahn facade), Autobahn|JS and wampy, side by side.
 *
 * Each (client, kind) runs in a fresh child process (`peers/client.ts`) against a fresh test-kit
 * router process, or against a third-party router given with `--router` (e.g. Nexus, realm
 * BENCH_REALM, default realm1). Heap per item: used heap after two full GCs, after minus before,
 * over N. A set-up that takes longer than BENCH_SETUP_LIMIT seconds (default 180) is stopped and
 * printed as "did not finish" with how many items it had made. The router's CPU over the same
 * window is printed too (the test-kit router's process, or the external router's process when its
 * pid is found in /proc, e.g. `nexusd`), to tell a client's O(n) from a router's.
 *
 * Env: BENCH_SETUP_COUNT (default 100,000), BENCH_SETUP_LIMIT (seconds, default 180),
 * BENCH_SETUP_ROUNDS (default 3, interleaved: every client once per round, rotated order),
 * BENCH_SETUP_CLIENTS (comma list of effect-wamp,shared,connection,facade,autobahn,wampy),
 * BENCH_SETUP_KINDS (subscribe,register). Prints medians with min–max; asserts nothing.
 */
import { type ChildProcess, fork } from "node:child_process"
import { readdirSync, readFileSync } from "node:fs"
import { loadavg } from "node:os"
import { fileURLToPath } from "node:url"
import type { ClientKind, CpuMessage, MarkMessage, ResultMessage, Workload } from "./peers/protocol.js"
import { median, spread } from "./stats.js"

const execArgv = ["--expose-gc", "--import", "tsx"]
const routerScript = fileURLToPath(new URL("./peers/router.ts", import.meta.url))
const clientScript = fileURLToPath(new URL("./peers/client.ts", import.meta.url))

const listEnv = <A extends string>(name: string, all: ReadonlyArray<A>): ReadonlyArray<A> => {
  const value = process.env[name]
  return value === undefined ? all : all.filter((a) => value.split(",").includes(a))
}
const count = Number(process.env.BENCH_SETUP_COUNT ?? 100_000)
const limitSeconds = Number(process.env.BENCH_SETUP_LIMIT ?? 180)
const rounds = Math.max(1, Number(process.env.BENCH_SETUP_ROUNDS ?? 3))
const externalRouter = process.env.BENCH_ROUTER
const clients = listEnv<ClientKind>("BENCH_SETUP_CLIENTS", [
  "effect-wamp",
  "shared",
  "connection",
  "facade",
  "autobahn",
  "wampy"
])
const workloads = listEnv<"subscribe" | "register">("BENCH_SETUP_KINDS", ["subscribe", "register"]).map((
  kind
): Workload => kind === "subscribe" ? "subscribeSetup" : "registerSetup")
const peers: ReadonlyArray<ClientKind> = ["autobahn", "wampy"]
const ours: ReadonlyArray<ClientKind> = ["effect-wamp", "shared", "connection", "facade"]
const labels: Record<string, string> = {
  "effect-wamp": "effect-wamp Session",
  shared: "effect-wamp + SharedScheduler",
  connection: "effect-wamp Connection",
  facade: "effect-wamp/autobahn",
  autobahn: "autobahn 26.3.1",
  wampy: "wampy 8.0.2"
}

interface Figure {
  readonly finished: boolean
  readonly made: number
  readonly wallSeconds: number
  readonly cpuMicrosPerItem: number
  readonly heapBytesPerItem: number
  /** Router CPU time over wall time, same window. */
  readonly routerBusy: number
  readonly routerCpuMicrosPerItem: number
}

// ---------------------------------------------------------------------------------------------
// Processes
// ---------------------------------------------------------------------------------------------

const live = new Set<ChildProcess>()
process.on("exit", () => {
  for (const child of live) child.kill("SIGKILL")
})

const spawn = (script: string, args: ReadonlyArray<string>, env: NodeJS.ProcessEnv) => {
  const child = fork(script, args, { execArgv, env, stdio: ["ignore", "pipe", "inherit", "ipc"] })
  live.add(child)
  child.once("exit", () => live.delete(child))
  return child
}

const stop = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve()
    const force = setTimeout(() => child.kill("SIGKILL"), 3000)
    child.once("exit", () => {
      clearTimeout(force)
      resolve()
    })
    child.kill("SIGTERM")
  })

interface Router {
  readonly url: string
  /** Process CPU (user + system, µs) and a monotonic clock (ms), or undefined when unknown. */
  readonly cpu: () => Promise<CpuMessage | undefined>
  readonly stop: () => Promise<void>
}

const startTestKitRouter = (): Promise<Router> =>
  new Promise((resolve, reject) => {
    const child = spawn(routerScript, [], process.env)
    const timer = setTimeout(() => {
      child.kill("SIGKILL")
      reject(new Error("router child: no READY line within 30 s"))
    }, 30_000)
    child.once("exit", (code) => reject(new Error(`router child exited before READY (code ${code})`)))
    let buffered = ""
    child.stdout!.setEncoding("utf8").on("data", (data: string) => {
      buffered += data
      const match = /READY (\d+)/.exec(buffered)
      if (match === null) return
      clearTimeout(timer)
      child.stdout!.removeAllListeners("data")
      child.stdout!.resume()
      resolve({
        url: `ws://127.0.0.1:${match[1]}/ws`,
        cpu: () =>
          new Promise((resolveCpu) => {
            child.once("message", (message) => resolveCpu(message as CpuMessage))
            child.send("cpu")
          }),
        stop: () => stop(child)
      })
    })
  })

/** The pid of a running `nexusd` (or BENCH_ROUTER_PID), to read its CPU from /proc; read-only. */
const externalPid = (): number | undefined => {
  const given = Number(process.env.BENCH_ROUTER_PID)
  if (Number.isInteger(given) && given > 0) return given
  try {
    for (const entry of readdirSync("/proc")) {
      if (!/^\d+$/.test(entry)) continue
      try {
        if (readFileSync(`/proc/${entry}/comm`, "utf8").trim() === "nexusd") return Number(entry)
      } catch {
        // gone meanwhile
      }
    }
  } catch {
    // no /proc
  }
  return undefined
}

const clockTicks = 100 // USER_HZ on Linux
const procCpu = (pid: number): CpuMessage | undefined => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8")
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
    // Fields 14 and 15 of stat (utime, stime), counted from the state field (3).
    const user = Number(fields[11]) * (1e6 / clockTicks)
    const system = Number(fields[12]) * (1e6 / clockTicks)
    return { cpu: { user, system }, at: performance.now() }
  } catch {
    return undefined
  }
}

const externalRouterOf = (url: string): Router => {
  const pid = externalPid()
  return {
    url,
    cpu: async () => pid === undefined ? undefined : procCpu(pid),
    stop: async () => {}
  }
}

const runOne = (kind: ClientKind, workload: Workload, router: Router): Promise<Figure | undefined> =>
  new Promise((resolve) => {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      BENCH_SETUP_COUNT: String(count),
      BENCH_SETUP_LIMIT: String(limitSeconds)
    }
    if (externalRouter !== undefined) env.BENCH_REALM ??= "realm1"
    const child = fork(clientScript, [kind, "json", router.url, "1", "0", workload], {
      execArgv,
      env,
      stdio: ["ignore", "ignore", "inherit", "ipc"]
    })
    live.add(child)
    let start: CpuMessage | undefined
    let routerCpu = Number.NaN
    let routerWall = Number.NaN
    let figure: Figure | undefined
    const timer = setTimeout(() => child.kill("SIGKILL"), (limitSeconds + 120) * 1000)
    child.on("message", (message: MarkMessage | ResultMessage) => {
      if ("mark" in message) {
        void router.cpu().then((sample) => {
          if (message.mark === "start") start = sample
          else if (start !== undefined && sample !== undefined) {
            routerCpu = sample.cpu.user + sample.cpu.system - start.cpu.user - start.cpu.system
            routerWall = (sample.at - start.at) * 1000
          }
          child.send("ack")
        })
        return
      }
      const r = message.result
      figure = {
        finished: r.didNotFinish !== true,
        made: r.ops,
        wallSeconds: r.wallMicros / 1e6,
        cpuMicrosPerItem: r.cpuMicros / Math.max(1, r.ops),
        heapBytesPerItem: r.heapBytesPerItem ?? Number.NaN,
        routerBusy: routerCpu / routerWall,
        routerCpuMicrosPerItem: routerCpu / Math.max(1, r.ops)
      }
    })
    child.once("exit", (code, signal) => {
      live.delete(child)
      clearTimeout(timer)
      if (figure === undefined) console.log(`  ${labels[kind]} ${workload}: exited with ${signal ?? `code ${code}`}`)
      resolve(figure)
    })
  })

// ---------------------------------------------------------------------------------------------
// Printing
// ---------------------------------------------------------------------------------------------

const dec = (n: number) => Number.isFinite(n) ? n.toFixed(1) : "-"
const dec2 = (n: number) => Number.isFinite(n) ? n.toFixed(2) : "-"
const kb = (n: number) => Number.isFinite(n) ? (n / 1024).toFixed(2) : "-"
const pct = (n: number) => Number.isFinite(n) ? `${Math.round(n * 100)}%` : "-"
const ratio = (n: number) => Number.isFinite(n) ? `${n.toFixed(2)}×` : "-"
const load = () => loadavg().map((n) => n.toFixed(2)).join(", ")

type Results = Map<ClientKind, Array<Figure | undefined>>

const print = (workload: Workload, results: Results) => {
  const what = workload === "subscribeSetup" ? "subscriptions" : "registrations"
  console.log(`\n${count.toLocaleString("en-US")} ${what} on one session, 1,000 in flight, json — median (min–max)`)
  const pick = (kind: ClientKind, f: (figure: Figure) => number) =>
    (results.get(kind) ?? []).map((figure) => figure === undefined || !figure.finished ? Number.NaN : f(figure))
  for (const [kind, figures] of results) {
    const unfinished = figures.filter((f) => f !== undefined && !f.finished)
    const failed = figures.filter((f) => f === undefined).length
    const parts = [
      `set-up s ${spread(pick(kind, (f) => f.wallSeconds), dec2)}`,
      `CPU µs/item ${spread(pick(kind, (f) => f.cpuMicrosPerItem), dec)}`,
      `heap KB/item ${spread(pick(kind, (f) => f.heapBytesPerItem), kb)}`,
      `router CPU ${spread(pick(kind, (f) => f.routerBusy), pct)} · µs/item ${
        spread(pick(kind, (f) => f.routerCpuMicrosPerItem), dec)
      }`
    ]
    console.log(`  ${(labels[kind] ?? kind).padEnd(30)}${parts.join("  ")}`)
    for (const f of unfinished) {
      console.log(
        `  ${"".padEnd(30)}did not finish within ${limitSeconds} s: ${f!.made.toLocaleString("en-US")} of ${
          count.toLocaleString("en-US")
        } made`
      )
    }
    if (failed > 0) console.log(`  ${"".padEnd(30)}${failed} run(s) failed`)
  }
  const ratioOf = (kind: ClientKind, peer: ClientKind, f: (figure: Figure) => number) => {
    const mine = pick(kind, f)
    const theirs = pick(peer, f)
    return median(mine.map((value, i) => value / theirs[i]!))
  }
  for (const kind of ours) {
    if (!results.has(kind)) continue
    const comparisons = peers.filter((peer) => results.has(peer)).map((peer) =>
      `${peer}: set-up time ${ratio(ratioOf(kind, peer, (f) => f.wallSeconds))}, CPU ${
        ratio(ratioOf(kind, peer, (f) => f.cpuMicrosPerItem))
      }, heap ${ratio(ratioOf(kind, peer, (f) => f.heapBytesPerItem))}`
    )
    if (comparisons.length > 0) console.log(`  ${labels[kind]} vs ${comparisons.join("; ")}`)
  }
}

// ---------------------------------------------------------------------------------------------

export const run = async (): Promise<void> => {
  console.log(
    externalRouter === undefined
      ? "router: the test-kit Router.serve, a fresh process per run"
      : `router: ${externalRouter} (realm ${process.env.BENCH_REALM ?? "realm1"})`
  )
  console.log(
    `${count.toLocaleString("en-US")} items per run, limit ${limitSeconds} s, ${rounds} interleaved rounds; ` +
      `each client alone in a fresh process; CPU = that process's user+system.`
  )
  console.log(`load average before the run: ${load()}`)
  const results = new Map<Workload, Results>(
    workloads.map((workload) => [workload, new Map(clients.map((kind) => [kind, []]))])
  )
  for (let round = 0; round < rounds; round++) {
    const order = clients.map((_, i) => clients[(i + round) % clients.length]!)
    for (const kind of order) {
      for (const workload of workloads) {
        const router = externalRouter === undefined ? await startTestKitRouter() : externalRouterOf(externalRouter)
        try {
          results.get(workload)!.get(kind)!.push(await runOne(kind, workload, router))
        } finally {
          await router.stop()
        }
      }
    }
    console.log(`round ${round + 1}/${rounds} done; load average ${load()}`)
  }
  for (const workload of workloads) print(workload, results.get(workload)!)
  console.log(`\nload average after the run: ${load()}`)
}
