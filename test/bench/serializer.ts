/**
 * Serializer throughput per message kind: encode and decode msgs/s for JSON, MessagePack and CBOR,
 * then what our checks cost over the bare libraries (same options), and the JSON bytes strategy:
 * a pre-check walk (what `json.encode` does) versus a JSON.stringify replacer. Figures only.
 */
import { Decoder, Encoder } from "cbor-x"
import { Packr, Unpackr } from "msgpackr"
import { makeNormalizer } from "../../src/internal/serializer/outbound.js"
import * as Serializer from "../../src/Serializer.js"
import { nanosPerCall } from "./timing.js"

const messages: ReadonlyArray<readonly [string, ReadonlyArray<unknown>]> = [
  ["CALL", [48, 7814135, { receive_progress: true }, "com.myapp.user.new", ["johnny", 42, 1.5], {
    firstname: "John",
    surname: "Doe",
    tags: ["a", "b"]
  }]],
  ["RESULT", [50, 7814135, {}, [30, { ok: true, total: 1234567 }]]],
  ["EVENT+kwargs", [36, 5512315355, 4429313566, { publisher: 3335656 }, ["Hello"], {
    color: "orange",
    sizes: [23, 42, 7],
    nested: { a: true, b: null, station: "north-7" },
    temperature: 21.5
  }]]
]

const perSecond = (body: () => unknown, millis = 1000): number =>
  1e9 / nanosPerCall(body, { millis, warmUpMillis: 200, batch: 2_000 })

const rate = (n: number): string => `${(n / 1e6).toFixed(2)} M/s`.padStart(10)
const ns = (n: number): string => `${(1e9 / n).toFixed(0)} ns`.padStart(7)

let sink: unknown

const frameOf = (serializer: Serializer.SerializerService, message: ReadonlyArray<unknown>): Serializer.Frame => {
  const result = serializer.encode(message)
  if (result._tag === "Left") throw new Error(result.left.message)
  return result.right
}

const replacer = function(this: unknown, key: string, value: unknown): unknown {
  const original = (this as Record<string, unknown>)[key]
  return original instanceof Uint8Array ? "\u0000" + Buffer.from(original).toString("base64") : value
}

export async function run(): Promise<void> {
  console.log("msgs/s (ns/msg)            encode                decode")
  for (const serializer of Serializer.all) {
    for (const [label, message] of messages) {
      const frame = frameOf(serializer, message)
      const encode = perSecond(() => (sink = serializer.encode(message)))
      const decode = perSecond(() => (sink = serializer.decode(frame)))
      console.log(
        `${serializer.name.padEnd(8)} ${label.padEnd(13)} ${rate(encode)} (${ns(encode)})   ${rate(decode)} (${
          ns(decode)
        })   ${typeof frame === "string" ? frame.length : frame.byteLength} B`
      )
    }
  }

  console.log("\nbare libraries, same options, EVENT+kwargs (what our walk and checks add):")
  const event = messages[2]![1]
  const packr = new Packr({ useRecords: false, moreTypes: false, int64AsType: "number", copyBuffers: true })
  const unpackr = new Unpackr({ useRecords: false, int64AsType: "number", copyBuffers: true })
  const cborEncoder = new Encoder(
    { useRecords: false, tagUint8Array: false, int64AsNumber: true, copyBuffers: true } as ConstructorParameters<
      typeof Encoder
    >[0]
  )
  const cborDecoder = new Decoder(
    { useRecords: false, int64AsNumber: true, copyBuffers: true } as ConstructorParameters<typeof Encoder>[0]
  )
  const packed = packr.pack(event)
  const cborFrame = cborEncoder.encode(event)
  const text = JSON.stringify(event)
  const bare: ReadonlyArray<readonly [string, () => unknown, () => unknown]> = [
    ["JSON", () => JSON.stringify(event), () => JSON.parse(text)],
    ["msgpackr", () => packr.pack(event), () => unpackr.unpack(packed)],
    ["cbor-x", () => cborEncoder.encode(event), () => cborDecoder.decode(cborFrame)]
  ]
  for (const [label, encode, decode] of bare) {
    const e = perSecond(() => (sink = encode()), 500)
    const d = perSecond(() => (sink = decode()), 500)
    console.log(`${label.padEnd(22)} ${rate(e)} (${ns(e)})   ${rate(d)} (${ns(d)})`)
  }
  const walk = makeNormalizer({
    bytes: (b) => b,
    wideInteger: (n) => BigInt(n),
    bigint: (n) => n,
    finiteOnly: false,
    rewriteUndefined: true
  })
  const w = perSecond(() => (sink = walk(event)), 500)
  console.log(`${"outbound walk alone".padEnd(22)} ${rate(w)} (${ns(w)})`)

  console.log("\nJSON with bytes: pre-check walk (json.encode) vs JSON.stringify replacer:")
  const withBytes = [36, 1, 2, {}, [new Uint8Array(32)], { blob: new Uint8Array(16) }]
  for (const [label, message] of [["EVENT, no bytes", event], ["EVENT, 2 byte arrays", withBytes]] as const) {
    const viaWalk = perSecond(() => (sink = Serializer.json.encode(message)), 500)
    const viaReplacer = perSecond(() => (sink = JSON.stringify(message, replacer)), 500)
    console.log(
      `${label.padEnd(22)} walk ${rate(viaWalk)} (${ns(viaWalk)})   replacer ${rate(viaReplacer)} (${ns(viaReplacer)})`
    )
  }
  if (sink === Symbol.for("never")) console.log(sink)
}
