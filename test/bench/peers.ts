/**
 * Side by side: effect-wamp (its Effect API, on Effect's default scheduler and on
 * `SharedScheduler`, and its Autobahn facade), Autobahn|JS and wampy, against one router with a
 * fixed far side (callee of `bench.echo`, publisher of `bench.burst`'s events).
 * The router is the test kit's, in its own child process, or a third-party one given with
 * `--router ws://HOST:PORT/` (or BENCH_ROUTER; realm BENCH_REALM, default realm1 there): then the
 * far side is a raw peer in its own process (`peers/farSide.ts`). Each client runs alone in its own
 * child process, one after the other, so `process.cpuUsage()` is that client's CPU.
 *
 * Figures per client and serializer: (a) sequential round trips (+ p50/p99), (b) 1,000 calls in
 * flight, (c) events delivered to one subscriber; heap allocated per op (v8.GCProfiler). Rounds are
 * interleaved (every client once per round, in rotated order) and each cell prints the median with
 * min–max over rounds; the load average is printed with every round. The "raw" row is a client that
 * costs almost nothing, so its throughput is the router's limit.
 *
 * With BENCH_PEERS_SETUP=1: set-up time, CPU and heap per item of BENCH_PEERS_SETUP_COUNT (default
 * 100,000) subscriptions and registrations on one session, 1,000 in flight.
 *
 * Env: BENCH_PEERS_SECONDS (per figure, default 2.5), BENCH_PEERS_WARMUP (default 2),
 * BENCH_PEERS_ROUNDS (default 3), BENCH_PEERS_CLIENTS (comma list), BENCH_PEERS_SERIALIZERS (comma
 * list). Prints; asserts nothing. On a shared, loaded machine figures are noisy: CPU µs/op and the
 * ratios within one run are steadier than ops/s.
 */
import { type ChildProcess, fork } from "node:child_process"
import { loadavg } from "node:os"
import { fileURLToPath } from "node:url"
import type { ClientKind, CpuMessage, MarkMessage, ResultMessage, SerializerName, Workload } from "./peers/protocol.js"
import { median, spread } from "./stats.js"

const execArgv = ["--expose-gc", "--import", "tsx"]
const routerScript = fileURLToPath(new URL("./peers/router.ts", import.meta.url))
const clientScript = fileURLToPath(new URL("./peers/client.ts", import.meta.url))
const farSideScript = fileURLToPath(new URL("./peers/farSide.ts", import.meta.url))

const listEnv = <A extends string>(name: string, all: ReadonlyArray<A>): ReadonlyArray<A> => {
  const value = process.env[name]
  return value === undefined ? all : all.filter((a) => value.split(",").includes(a))
}
const seconds = Number(process.env.BENCH_PEERS_SECONDS ?? 2.5)
// Steady state. With 0.5 s (about 1,000 sequential calls) on a 2-core machine under the router's
// load, the Effect API's sequential figure was 1.5-2x what it is after 2 s, likely JIT warm-up (far
// more code to optimize than a small library's); BENCH_PEERS_WARMUP=0.5 still shows that cold start.
const warmupSeconds = Number(process.env.BENCH_PEERS_WARMUP ?? 2)
const rounds = Math.max(1, Number(process.env.BENCH_PEERS_ROUNDS ?? 3))
const externalRouter = process.env.BENCH_ROUTER
if (externalRouter !== undefined) process.env.BENCH_REALM ??= "realm1"
const clients = listEnv<ClientKind>("BENCH_PEERS_CLIENTS", [
  "raw",
  "effect-wamp",
  "shared",
  "facade",
  "autobahn",
  "wampy"
])
const serializers = listEnv<SerializerName>("BENCH_PEERS_SERIALIZERS", ["json", "msgpack"])
const withSetup = process.env.BENCH_PEERS_SETUP === "1"
const peers: ReadonlyArray<ClientKind> = ["autobahn", "wampy"]
const ours: ReadonlyArray<ClientKind> = ["effect-wamp", "shared", "facade"]
const runWorkloads: ReadonlyArray<Workload> = ["sequential", "inFlight", "events"]
const setupWorkloads: ReadonlyArray<Workload> = ["subscribeSetup", "registerSetup"]

interface Figure {
  readonly opsPerSecond: number
  readonly cpuMicrosPerOp: number
  /** Client CPU time over wall time. */
  readonly clientBusy: number
  /** Router (or, with an external router, far side) process CPU time over wall time, same window. */
  readonly routerBusy: number
  readonly p50Micros?: number | undefined
  readonly p99Micros?: number | undefined
  readonly allocatedBytesPerOp?: number | undefined
  readonly heapBytesPerItem?: number | undefined
  readonly wallSeconds: number
}

type Figures = Partial<Record<Workload, Figure>>

// ---------------------------------------------------------------------------------------------
// Child processes
// ---------------------------------------------------------------------------------------------

const live = new Set<ChildProcess>()
const killAll = () => {
  for (const child of live) child.kill("SIGKILL")
}
process.on("exit", killAll)

const spawn = (script: string, args: ReadonlyArray<string>, stdout: "pipe" | "inherit") => {
  const child = fork(script, args, { execArgv, stdio: ["ignore", stdout, "inherit", "ipc"] })
  live.add(child)
  child.once("exit", () => live.delete(child))
  return child
}

interface RouterProcess {
  readonly url: string
  readonly cpu: () => Promise<CpuMessage>
  readonly stop: () => Promise<void>
}

const startRouter = (): Promise<RouterProcess> =>
  new Promise((resolve, reject) => {
    const child = externalRouter === undefined
      ? spawn(routerScript, [], "pipe")
      : spawn(farSideScript, [externalRouter, process.env.BENCH_REALM!], "pipe")
    const timer = setTimeout(() => {
      child.kill("SIGKILL")
      reject(new Error("router child: no READY line within 30 s"))
    }, 30_000)
    child.once("exit", (code) => {
      clearTimeout(timer)
      reject(new Error(`router child exited before READY (code ${code})`))
    })
    let buffered = ""
    child.stdout!.setEncoding("utf8").on("data", (data: string) => {
      buffered += data
      const match = /READY ?(\d*)/.exec(buffered)
      if (match === null) return
      clearTimeout(timer)
      child.stdout!.removeAllListeners("data")
      child.stdout!.resume()
      resolve({
        url: externalRouter ?? `ws://127.0.0.1:${match[1]}/ws`,
        cpu: () =>
          new Promise((resolveCpu) => {
            child.once("message", (message) => resolveCpu(message as CpuMessage))
            child.send("cpu")
          }),
        stop: () =>
          new Promise((resolveStop) => {
            if (child.exitCode !== null) return resolveStop()
            const force = setTimeout(() => child.kill("SIGKILL"), 3000)
            child.once("exit", () => {
              clearTimeout(force)
              resolveStop()
            })
            child.kill("SIGTERM")
          })
      })
    })
  })

const runClient = (
  kind: ClientKind,
  serializer: SerializerName,
  router: RouterProcess,
  workloads: ReadonlyArray<Workload>
): Promise<Figures> =>
  new Promise((resolve, reject) => {
    const child = spawn(
      clientScript,
      [kind, serializer, router.url, String(seconds), String(warmupSeconds), workloads.join(",")],
      "inherit"
    )
    const figures: Figures = {}
    const windows: Partial<Record<Workload, CpuMessage>> = {}
    const routerBusy: Partial<Record<Workload, number>> = {}
    const limitMs = (3 * (seconds + warmupSeconds) + 30 + (workloads.includes("subscribeSetup") ? 600 : 0)) * 1000
    const timer = setTimeout(() => child.kill("SIGKILL"), limitMs)
    child.on("message", (message: MarkMessage | ResultMessage) => {
      if ("mark" in message) {
        void router.cpu().then((sample) => {
          const start = windows[message.workload]
          if (message.mark === "start") windows[message.workload] = sample
          else if (start !== undefined) {
            const cpu = sample.cpu.user + sample.cpu.system - start.cpu.user - start.cpu.system
            routerBusy[message.workload] = cpu / ((sample.at - start.at) * 1000)
          }
          child.send("ack")
        })
        return
      }
      const { allocatedBytes, cpuMicros, heapBytesPerItem, ops, p50Micros, p99Micros, wallMicros, workload } =
        message.result
      figures[workload] = {
        opsPerSecond: ops / (wallMicros / 1e6),
        cpuMicrosPerOp: cpuMicros / ops,
        clientBusy: cpuMicros / wallMicros,
        routerBusy: routerBusy[workload] ?? Number.NaN,
        p50Micros,
        p99Micros,
        allocatedBytesPerOp: allocatedBytes === undefined ? undefined : allocatedBytes / ops,
        heapBytesPerItem,
        wallSeconds: wallMicros / 1e6
      }
    })
    child.once("exit", (code, signal) => {
      clearTimeout(timer)
      if (code === 0) resolve(figures)
      else reject(new Error(`${kind} client exited with ${signal ?? `code ${code}`}`))
    })
  })

// ---------------------------------------------------------------------------------------------
// Printing: medians with min–max over rounds
// ---------------------------------------------------------------------------------------------

const titles: Record<Workload, string> = {
  sequential: "(a) sequential RPC round trips",
  inFlight: "(b) RPC, 1,000 calls in flight",
  events: "(c) PubSub events delivered (bursts of 1,000)",
  subscribeSetup: "(d) set-up of many subscriptions on one session, 1,000 in flight",
  registerSetup: "(e) set-up of many registrations on one session, 1,000 in flight"
}
const labels: Record<ClientKind, string> = {
  "effect-wamp": "effect-wamp",
  shared: "effect-wamp + SharedScheduler",
  connection: "effect-wamp Connection",
  facade: "effect-wamp/autobahn",
  autobahn: "autobahn 26.3.1",
  wampy: "wampy 8.0.2",
  raw: "raw (~free client)"
}

const int = (n: number) => Number.isFinite(n) ? Math.round(n).toLocaleString("en-US") : "-"
const dec = (n: number) => Number.isFinite(n) ? n.toFixed(1) : "-"
const kb = (n: number) => Number.isFinite(n) ? (n / 1024).toFixed(2) : "-"
const pct = (n: number) => Number.isFinite(n) ? `${Math.round(n * 100)}%` : "-"
const ratio = (n: number) => Number.isFinite(n) ? `${n.toFixed(2)}×` : "-"
const load = () => loadavg().map((n) => n.toFixed(2)).join(", ")

/** Results of one serializer: per client, the figures of every round. */
type Rounds = Map<ClientKind, Array<Figures>>

const column = (rounds: Rounds, kind: ClientKind, workload: Workload, pick: (f: Figure) => number | undefined) =>
  (rounds.get(kind) ?? []).map((figures) => {
    const f = figures[workload]
    return f === undefined ? Number.NaN : pick(f) ?? Number.NaN
  })

const printWorkload = (serializer: SerializerName, workload: Workload, rounds: Rounds) => {
  const setup = workload === "subscribeSetup" || workload === "registerSetup"
  console.log(
    `\n${serializer} · ${titles[workload]} — median (min–max) of ${rounds.values().next().value?.length ?? 0}`
  )
  const cells: Array<readonly [string, (f: Figure) => number | undefined, (n: number) => string]> = setup
    ? [
      ["set-up s", (f) => f.wallSeconds, dec],
      ["CPU µs/item", (f) => f.cpuMicrosPerOp, dec],
      ["heap KB/item", (f) => f.heapBytesPerItem, kb]
    ]
    : [
      ["ops/s", (f) => f.opsPerSecond, int],
      ["CPU µs/op", (f) => f.cpuMicrosPerOp, dec],
      ["alloc KB/op", (f) => f.allocatedBytesPerOp, kb],
      ["client CPU", (f) => f.clientBusy, pct],
      [externalRouter === undefined ? "router CPU" : "far side CPU", (f) => f.routerBusy, pct],
      ...(workload === "sequential"
        ? [["p50 µs", (f: Figure) => f.p50Micros, dec] as const, ["p99 µs", (f: Figure) => f.p99Micros, dec] as const]
        : [])
    ]
  for (const [kind] of rounds) {
    if (setup && kind === "raw") continue
    const parts = cells.map(([name, pick, format]) => `${name} ${spread(column(rounds, kind, workload, pick), format)}`)
    console.log(`  ${labels[kind].padEnd(30)}${parts.join("  ")}`)
  }
  // Ratios against each peer, from the same rounds (round by round, then the median).
  const ratioOf = (kind: ClientKind, peer: ClientKind, pick: (f: Figure) => number | undefined) => {
    const mine = column(rounds, kind, workload, pick)
    const theirs = column(rounds, peer, workload, pick)
    return median(mine.map((value, i) => value / theirs[i]!))
  }
  for (const kind of ours) {
    if (!rounds.has(kind)) continue
    const comparisons = peers.filter((peer) => rounds.has(peer)).map((peer) =>
      setup
        ? `${peer}: set-up time ${ratio(ratioOf(kind, peer, (f) => f.wallSeconds))}, heap/item ${
          ratio(ratioOf(kind, peer, (f) => f.heapBytesPerItem))
        }`
        : `${peer}: throughput ${ratio(ratioOf(kind, peer, (f) => f.opsPerSecond))}, CPU/op ${
          ratio(ratioOf(kind, peer, (f) => f.cpuMicrosPerOp))
        }${workload === "sequential" ? `, p99 ${ratio(ratioOf(kind, peer, (f) => f.p99Micros))}` : ""}`
    )
    if (comparisons.length > 0) console.log(`  ${labels[kind]} vs ${comparisons.join("; ")}`)
  }
}

// ---------------------------------------------------------------------------------------------

export const run = async (): Promise<void> => {
  console.log(
    externalRouter === undefined
      ? `router: test-kit Router.serve in its own process, far side synchronous and in memory there;`
      : `router: ${externalRouter} (realm ${process.env.BENCH_REALM}), far side a raw msgpack peer in its own process;`
  )
  console.log(
    `each client alone in its own process, ${seconds} s per figure after ${warmupSeconds} s warm-up, ${rounds} ` +
      `interleaved rounds. CPU µs/op = client process CPU (user+system) per op; alloc = JS heap allocated per op.`
  )
  console.log(`load average before the run: ${load()}`)
  const router = await startRouter()
  try {
    for (const serializer of serializers) {
      const results: Rounds = new Map(clients.map((kind) => [kind, []]))
      for (let round = 0; round < rounds; round++) {
        // Rotated order, so no client always runs first (or right after another one).
        const order = clients.map((_, i) => clients[(i + round) % clients.length]!)
        for (const kind of order) {
          const figures = await runClient(kind, serializer, router, runWorkloads).catch((error: Error) => {
            console.log(`  ${labels[kind]} failed: ${error.message}`)
            return {}
          })
          results.get(kind)!.push(figures)
        }
        console.log(`${serializer} round ${round + 1}/${rounds} done; load average ${load()}`)
      }
      for (const workload of runWorkloads) printWorkload(serializer, workload, results)
    }
    if (withSetup) {
      const results: Rounds = new Map(clients.filter((kind) => kind !== "raw").map((kind) => [kind, []]))
      for (const [kind, figures] of results) {
        figures.push(
          await runClient(kind, "json", router, setupWorkloads).catch((error: Error) => {
            console.log(`  ${labels[kind]} set-up failed: ${error.message}`)
            return {}
          })
        )
        console.log(`set-up ${labels[kind]} done; load average ${load()}`)
      }
      for (const workload of setupWorkloads) printWorkload("json", workload, results)
    }
  } finally {
    await router.stop()
  }
  console.log(`\nload average after the run: ${load()}`)
}
