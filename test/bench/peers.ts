/**
 * Side by side: effect-wamp, Autobahn|JS and wampy against the same test-kit router, which runs in
 * its own child process with a fixed, synchronous far side (callee of `bench.echo`, publisher of
 * `bench.burst`'s events). Each client runs alone in its own child process, one after the other, so
 * `process.cpuUsage()` is that client's CPU and the clients never compete for a core.
 *
 * Figures per client and serializer: (a) sequential round trips (+ p50/p99), (b) 1,000 calls in
 * flight, (c) events delivered to one subscriber. Beside each, the router process's CPU over the
 * same window; the "raw" row is a client that costs almost nothing (hand-built frames, replies
 * counted, not decoded), so its throughput is the router's own limit: a client near that figure, or
 * with the router near 100% CPU, is router-bound, not client-bound.
 *
 * Env: BENCH_PEERS_SECONDS (per figure, default 2.5), BENCH_PEERS_WARMUP (default 0.5),
 * BENCH_PEERS_CLIENTS (comma list), BENCH_PEERS_SERIALIZERS (comma list), BENCH_PEERS_COALESCE=1 (an
 * experiment: effect-wamp's frames of one tick leave in one write; see peers/effectWamp.ts).
 * Prints; asserts nothing. Figures from a shared, loaded machine are noisy: the load average is
 * printed first, and CPU µs/op is steadier than ops/s.
 */
import { type ChildProcess, fork } from "node:child_process"
import { loadavg } from "node:os"
import { fileURLToPath } from "node:url"
import type { ClientKind, CpuMessage, MarkMessage, ResultMessage, SerializerName, Workload } from "./peers/protocol.js"

const execArgv = ["--expose-gc", "--import", "tsx"]
const routerScript = fileURLToPath(new URL("./peers/router.ts", import.meta.url))
const clientScript = fileURLToPath(new URL("./peers/client.ts", import.meta.url))

const listEnv = <A extends string>(name: string, all: ReadonlyArray<A>): ReadonlyArray<A> => {
  const value = process.env[name]
  return value === undefined ? all : all.filter((a) => value.split(",").includes(a))
}
const seconds = Number(process.env.BENCH_PEERS_SECONDS ?? 2.5)
const warmupSeconds = Number(process.env.BENCH_PEERS_WARMUP ?? 0.5)
const clients = listEnv<ClientKind>("BENCH_PEERS_CLIENTS", ["raw", "effect-wamp", "autobahn", "wampy"])
const serializers = listEnv<SerializerName>("BENCH_PEERS_SERIALIZERS", ["json", "msgpack"])
const peers: ReadonlyArray<ClientKind> = ["autobahn", "wampy"]

interface Figure {
  readonly opsPerSecond: number
  readonly cpuMicrosPerOp: number
  /** Client CPU time over wall time. */
  readonly clientBusy: number
  /** Router process CPU time over wall time, in the same window. */
  readonly routerBusy: number
  readonly p50Micros?: number | undefined
  readonly p99Micros?: number | undefined
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
    const child = spawn(routerScript, [], "pipe")
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

const runClient = (kind: ClientKind, serializer: SerializerName, router: RouterProcess): Promise<Figures> =>
  new Promise((resolve, reject) => {
    const child = spawn(clientScript, [kind, serializer, router.url, String(seconds), String(warmupSeconds)], "inherit")
    const figures: Figures = {}
    const windows: Partial<Record<Workload, CpuMessage>> = {}
    const routerBusy: Partial<Record<Workload, number>> = {}
    const limitMs = (3 * (seconds + warmupSeconds) + 30) * 1000
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
      const { cpuMicros, ops, p50Micros, p99Micros, wallMicros, workload } = message.result
      figures[workload] = {
        opsPerSecond: ops / (wallMicros / 1e6),
        cpuMicrosPerOp: cpuMicros / ops,
        clientBusy: cpuMicros / wallMicros,
        routerBusy: routerBusy[workload] ?? Number.NaN,
        p50Micros,
        p99Micros
      }
    })
    child.once("exit", (code, signal) => {
      clearTimeout(timer)
      if (code === 0) resolve(figures)
      else reject(new Error(`${kind} client exited with ${signal ?? `code ${code}`}`))
    })
  })

// ---------------------------------------------------------------------------------------------
// Printing
// ---------------------------------------------------------------------------------------------

const titles: Record<Workload, string> = {
  sequential: "(a) sequential RPC round trips",
  inFlight: "(b) RPC, 1,000 calls in flight",
  events: "(c) PubSub events delivered (bursts of 1,000)"
}
const labels: Record<ClientKind, string> = {
  "effect-wamp": process.env.BENCH_PEERS_COALESCE === "1" ? "effect-wamp+cork" : "effect-wamp",
  autobahn: "autobahn 26.3.1",
  wampy: "wampy 8.0.2",
  raw: "raw (~free client)"
}

const int = (n: number) => Number.isFinite(n) ? Math.round(n).toLocaleString("en-US") : "-"
const dec = (n: number | undefined) => n !== undefined && Number.isFinite(n) ? n.toFixed(1) : "-"
const pct = (n: number) => Number.isFinite(n) ? `${Math.round(n * 100)}%` : "-"
const ratio = (n: number) => Number.isFinite(n) ? `${n.toFixed(2)}×` : "-"

/** The router process's CPU per operation, and so its ceiling: 1 s of CPU / that. */
const routerMicrosPerOp = (f: Figure) => f.routerBusy * 1e6 / f.opsPerSecond

const printWorkload = (
  serializer: SerializerName,
  workload: Workload,
  results: ReadonlyMap<ClientKind, Figures | Error>
) => {
  const withLatency = workload === "sequential"
  console.log(`\n${serializer} · ${titles[workload]}`)
  console.log(
    `  ${"client".padEnd(19)}${"ops/s".padStart(10)}${"CPU µs/op".padStart(11)}${"client CPU".padStart(12)}${
      "router CPU".padStart(12)
    }${"router µs/op".padStart(14)}${"router max/s".padStart(14)}${
      withLatency ? `${"p50 µs".padStart(9)}${"p99 µs".padStart(9)}` : ""
    }`
  )
  for (const [kind, figures] of results) {
    const label = `  ${labels[kind].padEnd(19)}`
    if (figures instanceof Error) {
      console.log(`${label}failed: ${figures.message}`)
      continue
    }
    const f = figures[workload]
    if (f === undefined) {
      console.log(`${label}no figure`)
      continue
    }
    console.log(
      `${label}${int(f.opsPerSecond).padStart(10)}${dec(f.cpuMicrosPerOp).padStart(11)}${
        pct(f.clientBusy).padStart(12)
      }${pct(f.routerBusy).padStart(12)}${dec(routerMicrosPerOp(f)).padStart(14)}${
        int(1e6 / routerMicrosPerOp(f)).padStart(14)
      }${withLatency ? `${dec(f.p50Micros).padStart(9)}${dec(f.p99Micros).padStart(9)}` : ""}`
    )
  }
  const figure = (kind: ClientKind) => {
    const figures = results.get(kind)
    return figures === undefined || figures instanceof Error ? undefined : figures[workload]
  }
  const ours = figure("effect-wamp")
  if (ours === undefined) return
  const comparisons = peers.flatMap((peer) => {
    const theirs = figure(peer)
    return theirs === undefined ? [] : [{ peer, theirs }]
  })
  if (comparisons.length === 0) return
  console.log(
    `  effect-wamp vs ${
      comparisons.map(({ peer, theirs }) =>
        `${peer}: throughput ${ratio(ours.opsPerSecond / theirs.opsPerSecond)}, CPU/op ${
          ratio(ours.cpuMicrosPerOp / theirs.cpuMicrosPerOp)
        }`
      ).join("; ")
    }`
  )
  const best = comparisons.reduce((a, b) => (b.theirs.opsPerSecond > a.theirs.opsPerSecond ? b : a))
  const throughput = ours.opsPerSecond / best.theirs.opsPerSecond
  const verdict = (value: number, target: number, higherIsBetter: boolean) => {
    const met = higherIsBetter ? value >= target : value <= target
    if (met) return "met"
    const shortBy = higherIsBetter ? 1 - value / target : value / target - 1
    return `NOT met, ${Math.round(shortBy * 100)}% off`
  }
  const parts = [
    `throughput ≥ 1.50× best peer (${best.peer}): ${ratio(throughput)} ${verdict(throughput, 1.5, true)}`
  ]
  const autobahn = figure("autobahn")
  if (autobahn !== undefined) {
    const cpu = ours.cpuMicrosPerOp / autobahn.cpuMicrosPerOp
    parts.push(`CPU/op ≤ 0.60× autobahn: ${ratio(cpu)} ${verdict(cpu, 0.6, false)}`)
  }
  const limit = figure("raw")
  // Sequential round trips are latency-bound (wake-ups, not work): no ceiling to compare with.
  if (limit !== undefined && workload !== "sequential") {
    parts.push(`at ${pct(ours.opsPerSecond * routerMicrosPerOp(limit) / 1e6)} of the router's ceiling`)
  }
  console.log(`  targets: ${parts.join("; ")}`)
}

// ---------------------------------------------------------------------------------------------

export const run = async (): Promise<void> => {
  console.log(
    `router: test-kit Router.serve in its own process, far side (callee/publisher) synchronous and in memory there;`
  )
  console.log(
    `each client alone in its own process, ${seconds} s per figure after ${warmupSeconds} s warm-up. ` +
      `CPU µs/op = client process CPU (user+system) per op; client/router CPU = CPU time / wall time.`
  )
  console.log(
    `router max/s = what the router process would do on one full core at its CPU per op; the raw row's is the ` +
      `router's ceiling (a client near it, or with router CPU near 100%, is router-bound).`
  )
  console.log(`load average before the run: ${loadavg().map((n) => n.toFixed(2)).join(", ")}`)
  const router = await startRouter()
  try {
    for (const serializer of serializers) {
      const results = new Map<ClientKind, Figures | Error>()
      for (const kind of clients) {
        results.set(kind, await runClient(kind, serializer, router).catch((error: Error) => error))
      }
      for (const workload of ["sequential", "inFlight", "events"] as const) printWorkload(serializer, workload, results)
    }
  } finally {
    await router.stop()
  }
}
