/**
 * What Effect's own machinery costs per wake-up, with no WAMP in it: the floor under the Effect API's
 * figures in `peers` and `setup`. In this process, no network; each tick a producer (a `setImmediate`
 * callback, as a socket read is) hands over a batch of elements, and a consumer takes the batch:
 *   callback      a plain function called with each element in place (the facade's and Autobahn|JS's shape)
 *   fiber wake    one fiber waiting in `Effect.async`, resumed once per batch, looping by `flatMap`
 *   takeAll       a subscription buffer (the session's `EventBuffer`) read by `takeAll` in a `whileLoop`
 *   stream        the same buffer read by `Stream.runForEachChunk` (how the README reads `events`)
 * and per item made concurrently (set-up's shape: 1,000 at a time, each answered on a later tick):
 *   promise       a Promise per item, 1,000 pending
 *   forEach item  `Effect.forEach(..., { concurrency: 1000 })` over an `Effect.async` per item
 * Prints CPU µs and allocated KB per batch (per item), medians of interleaved rounds with min–max,
 * and what each adds over its plain-JavaScript row.
 */
import { Chunk, Effect, Exit, Fiber, Option, Stream } from "effect"
import * as os from "node:os"
import { GCProfiler } from "node:v8"
import { EventBuffer } from "../../src/internal/eventBuffer.js"
import { median, spread } from "./stats.js"

const BATCHES = 40_000
const BATCH = 5
const ITEMS = 40_000
const IN_FLIGHT = 1_000
const ROUNDS = 5

const nextTick = () => new Promise<void>((resolve) => setImmediate(resolve))

class ElementBuffer extends EventBuffer<object, never> {
  protected overflowError(): never {
    throw new Error("unbounded")
  }
}

/** CPU µs and allocated bytes of `run`, each divided by `units`. */
const measure = async (units: number, run: () => Promise<void>) => {
  const profiler = new GCProfiler()
  const heapBefore = process.memoryUsage().heapUsed
  profiler.start()
  const cpuBefore = process.cpuUsage()
  await run()
  const cpu = process.cpuUsage(cpuBefore)
  const { statistics } = profiler.stop()
  let freed = 0
  for (const gc of statistics) freed += gc.beforeGC.heapStatistics.usedHeapSize - gc.afterGC.heapStatistics.usedHeapSize
  return {
    micros: (cpu.user + cpu.system) / units,
    bytes: (freed + process.memoryUsage().heapUsed - heapBefore) / units
  }
}

/** Offers BATCH elements per tick to `offer`, then waits until `consumed()` has seen them all. */
const produce = async (offer: (element: object) => void, consumed: () => number) => {
  for (let batch = 0; batch < BATCHES; batch++) {
    for (let i = 0; i < BATCH; i++) offer({ batch, i })
    await nextTick()
  }
  if (consumed() !== BATCHES * BATCH) throw new Error(`consumed ${consumed()} of ${BATCHES * BATCH}`)
}

const callback = async () => {
  let received = 0
  const handler = (_element: object) => {
    received++
  }
  await produce(handler, () => received)
}

const fiberWake = async () => {
  let pending: Array<object> | undefined
  let waiter: ((next: Effect.Effect<Chunk.Chunk<object>>) => void) | undefined
  let received = 0
  const next: Effect.Effect<Chunk.Chunk<object>> = Effect.suspend(() => {
    const batch = pending
    if (batch === undefined) return Effect.async<Chunk.Chunk<object>>((resume) => void (waiter = resume))
    pending = undefined
    return Effect.succeed(Chunk.unsafeFromArray(batch))
  })
  const loop: Effect.Effect<never> = Effect.flatMap(next, (batch) => {
    received += batch.length
    return loop
  })
  const fiber = Effect.runFork(loop)
  const offer = (element: object) => {
    if (pending === undefined) pending = [element]
    else pending.push(element)
    const resume = waiter
    waiter = undefined
    resume?.(next)
  }
  await produce(offer, () => received)
  await Effect.runPromise(Fiber.interrupt(fiber))
}

const fromBuffer = (read: (buffer: ElementBuffer, count: (n: number) => void) => Effect.Effect<void>) => async () => {
  const buffer = new ElementBuffer({ capacity: Number.MAX_SAFE_INTEGER, overflow: "fail" })
  let received = 0
  const fiber = Effect.runFork(read(buffer, (n) => void (received += n)))
  await produce((element) => void buffer.offer(element), () => received)
  buffer.end(Option.none())
  const exit = await Effect.runPromise(Fiber.await(fiber))
  if (!Exit.isSuccess(exit)) throw new Error("the reader failed")
}

const takeAll = fromBuffer((buffer, count) => {
  let done = false
  return Effect.whileLoop({
    while: () => !done,
    body: () => buffer.takeAll,
    step: ([batch, ended]) => {
      count(batch.length)
      done = ended
    }
  })
})

const stream = fromBuffer((buffer, count) =>
  Stream.runForEachChunk(buffer.stream, (batch) => Effect.sync(() => count(batch.length)))
)

/** Answers pending items a batch per tick, as a router's replies arrive. */
const answerer = () => {
  const waiting: Array<() => void> = []
  let scheduled = false
  const flush = () => {
    scheduled = false
    for (const answer of waiting.splice(0, waiting.length)) answer()
  }
  return (answer: () => void) => {
    waiting.push(answer)
    if (!scheduled) {
      scheduled = true
      setImmediate(flush)
    }
  }
}

const promiseItems = async () => {
  const answer = answerer()
  let next = 0
  const worker = async () => {
    while (next < ITEMS) {
      next++
      await new Promise<void>((resolve) => answer(resolve))
    }
  }
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker))
}

const forEachItems = () => {
  const answer = answerer()
  const item = Effect.async<void>((resume) => answer(() => resume(Effect.void)))
  return Effect.runPromise(
    Effect.forEach(Array.from({ length: ITEMS }), () => item, { concurrency: IN_FLIGHT, discard: true })
  )
}

interface Row {
  readonly name: string
  readonly units: number
  readonly run: () => Promise<void>
  /** The plain-JavaScript row it is compared with. */
  readonly over?: string
}

const rows: ReadonlyArray<Row> = [
  { name: "callback", units: BATCHES, run: callback },
  { name: "fiber wake", units: BATCHES, run: fiberWake, over: "callback" },
  { name: "takeAll", units: BATCHES, run: takeAll, over: "callback" },
  { name: "stream", units: BATCHES, run: stream, over: "callback" },
  { name: "promise", units: ITEMS, run: promiseItems },
  { name: "forEach item", units: ITEMS, run: forEachItems, over: "promise" }
]

export const run = async () => {
  console.log(
    `batches of ${BATCH}, ${BATCHES} per round; items ${ITEMS} per round, ${IN_FLIGHT} in flight; ${ROUNDS} interleaved rounds`
  )
  console.log(`load average at start: ${os.loadavg().map((n) => n.toFixed(2)).join(", ")}`)
  for (const row of rows) await row.run() // warm-up
  const figures = new Map(rows.map((row) => [row.name, { micros: [] as Array<number>, bytes: [] as Array<number> }]))
  for (let round = 0; round < ROUNDS; round++) {
    for (const row of rows) {
      const { bytes, micros } = await measure(row.units, row.run)
      figures.get(row.name)!.micros.push(micros)
      figures.get(row.name)!.bytes.push(bytes)
    }
  }
  console.log("| per batch / per item | CPU µs | allocated KB | adds over plain JS |")
  console.log("|---|---|---|---|")
  for (const row of rows) {
    const { bytes, micros } = figures.get(row.name)!
    const base = row.over === undefined ? undefined : figures.get(row.over)!
    const adds = base === undefined
      ? "-"
      : `${(median(micros) - median(base.micros)).toFixed(2)} µs · ${
        ((median(bytes) - median(base.bytes)) / 1024).toFixed(2)
      } KB`
    console.log(
      `| ${row.name} | ${spread(micros, (n) => n.toFixed(2))} | ${
        spread(bytes, (n) => (n / 1024).toFixed(2))
      } | ${adds} |`
    )
  }
  console.log(`load average at end: ${os.loadavg().map((n) => n.toFixed(2)).join(", ")}`)
}
