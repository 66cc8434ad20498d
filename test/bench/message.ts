/**
 * Message codec cost per message: `Message.decode` on an already parsed list (the Schema step alone),
 * `Message.encode`, and a bare `JSON.parse` of the same frame for scale. When the structural reference
 * decoder exists (the general Schema parser over the same element table, kept for the equivalence
 * property test) it is timed too, in the same rounds, and so is the compiled decoder reached through
 * `Message.schemas` and Schema's API. Rounds are interleaved; each figure is the median
 * of the rounds with min–max, in CPU time. Figures only, no assertions.
 */
import * as ParseResult from "effect/ParseResult"
import type * as Schema from "effect/Schema"
import * as Message from "../../src/Message.js"

const frames: ReadonlyArray<readonly [string, ReadonlyArray<unknown>]> = [
  ["CALL", [48, 7814135, {}, "com.myapp.user.new", ["johnny"], { firstname: "John", surname: "Doe" }]],
  ["RESULT", [50, 7814135, {}, [30]]],
  ["EVENT", [36, 5512315355, 4429313566, { publisher: 1234 }, ["Hello"], {
    color: "orange",
    sizes: [23, 42, 7],
    nested: { a: true, b: null }
  }]],
  ["PUBLISH", [16, 239714735, { acknowledge: true, exclude_me: false }, "com.myapp.mytopic1", ["Hello, world!"]]],
  ["INVOCATION", [68, 6131533, 9823526, { caller: 3335656, procedure: "com.myapp.echo" }, ["johnny", 42]]],
  ["YIELD", [70, 6131533, {}, ["Hello, world!"]]]
]

type Decode = (raw: unknown) => { readonly _tag: "Left" | "Right" }

const loadReference = async (): Promise<Decode | undefined> => {
  try {
    const path = "../../src/internal/message/structural.js"
    const module = (await import(path)) as { readonly decode?: Decode }
    return module.decode
  } catch {
    return undefined
  }
}

const rounds = Number(process.env.BENCH_ROUNDS ?? 5)
/**
 * CPU nanoseconds per call (process CPU time, not wall time: other processes share the machine, and CPU
 * time is what they inflate least). A warm-up, then batches for about `millis` of CPU.
 */
const measure = (body: () => unknown, millis = Number(process.env.BENCH_MILLIS ?? 300), batch = 10_000): number => {
  const cpu = () => {
    const { system, user } = process.cpuUsage()
    return (user + system) / 1000
  }
  const warmUntil = cpu() + millis / 3
  while (cpu() < warmUntil) for (let i = 0; i < batch; i++) body()
  let calls = 0
  const start = cpu()
  let now = start
  while (now < start + millis) {
    for (let i = 0; i < batch; i++) body()
    calls += batch
    now = cpu()
  }
  return ((now - start) * 1e6) / calls
}

const summary = (values: ReadonlyArray<number>): string => {
  const sorted = [...values].sort((a, b) => a - b)
  const median = sorted[Math.floor(sorted.length / 2)]!
  return `${median.toFixed(0).padStart(5)} (${sorted[0]!.toFixed(0)}–${sorted[sorted.length - 1]!.toFixed(0)})`
}

let sink: unknown

export async function run(): Promise<void> {
  const reference = await loadReference()
  const cases = frames.map(([label, wire]) => {
    const decoded = Message.decode(wire)
    if (decoded._tag === "Left") throw new Error(`${label}: ${decoded.left.message}`)
    const text = JSON.stringify(wire)
    const timings: Record<string, Array<number>> = { decode: [], schema: [], structural: [], encode: [], parse: [] }
    // The same compiled decoder reached through Schema's API (`Message.schemas`), for the cost of that path.
    const viaSchema = ParseResult.decodeUnknownEither(
      Message.schemas[decoded.right._tag] as unknown as Schema.Schema<Message.Message, Message.Wire>
    )
    return { label, wire, message: decoded.right, text, timings, viaSchema }
  })
  for (let round = 0; round < rounds; round++) {
    for (const { message, text, timings, viaSchema, wire } of cases) {
      timings.decode!.push(measure(() => (sink = Message.decode(wire))))
      timings.schema!.push(measure(() => (sink = viaSchema(wire))))
      if (reference !== undefined) timings.structural!.push(measure(() => (sink = reference(wire))))
      timings.encode!.push(measure(() => (sink = Message.encode(message))))
      timings.parse!.push(measure(() => (sink = JSON.parse(text))))
    }
  }
  console.log(`ns per message, median of ${rounds} interleaved rounds (min–max)`)
  for (const { label, timings } of cases) {
    const structural = reference === undefined ? "" : `   structural decode ${summary(timings.structural!)}`
    console.log(
      `${label.padEnd(11)} decode ${summary(timings.decode!)}   via Message.schemas ${
        summary(timings.schema!)
      }${structural}   encode ${summary(timings.encode!)}   JSON.parse ${summary(timings.parse!)}`
    )
  }
  if (sink === Symbol.for("never")) console.log(sink)
}
