/**
 * Child process of the `peers` benchmark: one measured client, alone in its process, so that
 * `process.cpuUsage()` is that client's CPU. Usage (spawned by `test/bench/peers.ts` with IPC):
 *   client.ts <effect-wamp|shared|connection|facade|autobahn|wampy|raw> <json|msgpack> <ws url> <seconds per figure> <warm-up seconds> [workloads]
 * Around each measured window it tells the parent (`MarkMessage`) and waits for `"ack"`, so the
 * parent can sample the router's CPU over the same window; then it sends a `ResultMessage`.
 * Run by hand (no IPC) against `peers/router.ts` to profile one client:
 *   node --cpu-prof --import tsx test/bench/peers/client.ts effect-wamp json ws://127.0.0.1:PORT/ws 3 0.5 inFlight
 */
import { GCProfiler, getHeapStatistics } from "node:v8"
import type { Driver } from "./driver.js"
import { Latencies, setupProgress } from "./driver.js"
import type { ClientKind, MarkMessage, ResultMessage, SerializerName, Workload } from "./protocol.js"

const inFlightWidth = 1000
const eventBurst = 1000
const setupCount = Number(process.env.BENCH_SETUP_COUNT ?? process.env.BENCH_PEERS_SETUP_COUNT ?? 100_000)
const setupLimitMs = Number(process.env.BENCH_SETUP_LIMIT ?? 180) * 1000

const gc = () => (globalThis as any).gc?.()

/** Bytes allocated while `run` runs: what the GCs freed plus how much the heap grew. */
const measureAllocation = async <A>(run: () => Promise<A>): Promise<readonly [A, number]> => {
  const profiler = new GCProfiler()
  const before = getHeapStatistics().used_heap_size
  profiler.start()
  const result = await run()
  const after = getHeapStatistics().used_heap_size
  const stats = profiler.stop()?.statistics ?? []
  let freed = 0
  for (const gcRun of stats) {
    freed += gcRun.beforeGC.heapStatistics.usedHeapSize - gcRun.afterGC.heapStatistics.usedHeapSize
  }
  return [result, freed + after - before] as const
}

const connectors: Record<ClientKind, () => Promise<{ connect: (url: string, s: SerializerName) => Promise<Driver> }>> =
  {
    "effect-wamp": () => import("./effectWamp.js"),
    shared: () => import("./shared.js"),
    connection: () => import("./connection.js"),
    facade: () => import("./facade.js"),
    autobahn: () => import("./autobahn.js"),
    wampy: () => import("./wampy.js"),
    raw: () => import("./raw.js")
  }

const awaitAck = () =>
  new Promise<void>((resolve) => {
    const onMessage = (message: unknown) => {
      if (message !== "ack") return
      process.off("message", onMessage)
      resolve()
    }
    process.on("message", onMessage)
  })

/**
 * Resolves once the message is handed to the IPC channel (so exiting afterwards cannot lose it).
 * Without a channel (run by hand, e.g. under `node --cpu-prof`), results go to stdout.
 */
const send = (message: MarkMessage | ResultMessage) =>
  new Promise<void>((resolve, reject) => {
    if (process.send === undefined) {
      if ("result" in message) console.log(JSON.stringify(message.result))
      return resolve()
    }
    process.send(message, undefined, undefined, (error) => error ? reject(error) : resolve())
  })

const mark = async (message: MarkMessage) => {
  if (process.send === undefined) return
  const acked = awaitAck()
  await send(message)
  await acked
}

const main = async () => {
  const [kind, serializer, url, seconds, warmupSeconds, only] = process.argv.slice(2)
  const load = connectors[kind as ClientKind]
  if (load === undefined || (serializer !== "json" && serializer !== "msgpack") || url === undefined) {
    throw new Error(`usage: client.ts <${Object.keys(connectors).join("|")}> <json|msgpack> <url> <seconds> <warm-up>`)
  }
  const windowMs = Number(seconds ?? 2) * 1000
  const warmupMs = Number(warmupSeconds ?? 0.5) * 1000
  const driver = await (await load()).connect(url, serializer)
  const latencies = new Latencies()
  const workloads: ReadonlyArray<readonly [Workload, (deadline: number) => Promise<number>]> = [
    ["sequential", (deadline) => driver.sequential(deadline, latencies)],
    ["inFlight", (deadline) => driver.inFlight(deadline, inFlightWidth)],
    ["events", (deadline) => driver.events(deadline, eventBurst)]
  ]
  for (const [workload, run] of workloads) {
    if (only === undefined ? false : !only.split(",").includes(workload)) continue
    await run(performance.now() + warmupMs)
    latencies.reset()
    ;(globalThis as any).gc?.()
    await mark({ mark: "start", workload })
    const cpu = process.cpuUsage()
    const started = performance.now()
    const [ops, allocatedBytes] = await measureAllocation(() => run(started + windowMs))
    const wallMicros = (performance.now() - started) * 1000
    const used = process.cpuUsage(cpu)
    await mark({ mark: "end", workload })
    const result: ResultMessage["result"] = {
      workload,
      ops,
      wallMicros,
      cpuMicros: used.user + used.system,
      allocatedBytes,
      ...(workload === "sequential"
        ? { p50Micros: latencies.percentile(0.5), p99Micros: latencies.percentile(0.99) }
        : {})
    }
    await send({ result })
  }
  // Set-up of many subscriptions / registrations: only when asked for by name (slow), bounded by
  // BENCH_SETUP_LIMIT seconds (default 180). Nothing is released afterwards: the set-up section runs
  // each one in a fresh process, and a router drops a session's subscriptions when it goes away.
  for (const workload of ["subscribeSetup", "registerSetup"] as const) {
    if (only === undefined || !only.split(",").includes(workload) || driver.setup === undefined) continue
    gc()
    gc()
    const heapBefore = getHeapStatistics().used_heap_size
    await mark({ mark: "start", workload })
    const cpu = process.cpuUsage()
    const started = performance.now()
    setupProgress.made = 0
    let timer: ReturnType<typeof setTimeout> | undefined
    const finished = await Promise.race([
      driver.setup(workload === "subscribeSetup" ? "subscribe" : "register", setupCount).then(() => true),
      new Promise<false>((resolve) => timer = setTimeout(() => resolve(false), setupLimitMs))
    ])
    clearTimeout(timer)
    const wallMicros = (performance.now() - started) * 1000
    const used = process.cpuUsage(cpu)
    await mark({ mark: "end", workload })
    if (!finished) {
      await send({
        result: {
          workload,
          ops: setupProgress.made,
          wallMicros,
          cpuMicros: used.user + used.system,
          didNotFinish: true
        }
      })
      // Whatever is still in flight is abandoned with the process.
      process.exit(0)
    }
    gc()
    gc()
    const heapBytesPerItem = (getHeapStatistics().used_heap_size - heapBefore) / setupCount
    await send({
      result: { workload, ops: setupCount, wallMicros, cpuMicros: used.user + used.system, heapBytesPerItem }
    })
  }
  await driver.close()
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error)
    process.exit(1)
  }
)
