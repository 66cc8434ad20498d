/**
 * Message codec cost per message: `Message.decode` on an already parsed list (the Schema step alone),
 * `Message.encode`, and a bare `JSON.parse` of the same frame for scale. Figures only, no assertions.
 */
import * as Message from "../../src/Message.js"
import { nanosPerCall } from "./timing.js"

const frames: ReadonlyArray<readonly [string, ReadonlyArray<unknown>]> = [
  ["CALL", [48, 7814135, {}, "com.myapp.user.new", ["johnny"], { firstname: "John", surname: "Doe" }]],
  ["RESULT", [50, 7814135, {}, [30]]],
  ["EVENT+kwargs", [36, 5512315355, 4429313566, { publisher: 1234 }, ["Hello"], {
    color: "orange",
    sizes: [23, 42, 7],
    nested: { a: true, b: null }
  }]]
]

const measure = (body: () => unknown, millis = 1500): number => nanosPerCall(body, { millis })

let sink: unknown

export async function run(): Promise<void> {
  for (const [label, wire] of frames) {
    const text = JSON.stringify(wire)
    const decoded = Message.decode(wire)
    if (decoded._tag === "Left") throw new Error(`${label}: ${decoded.left.message}`)
    const message = decoded.right
    const decodeNs = measure(() => (sink = Message.decode(wire)))
    const encodeNs = measure(() => (sink = Message.encode(message)))
    const parseNs = measure(() => (sink = JSON.parse(text)))
    console.log(
      `${label.padEnd(13)} decode ${decodeNs.toFixed(0).padStart(5)} ns/msg   encode ${
        encodeNs.toFixed(0).padStart(5)
      } ns/msg   JSON.parse ${parseNs.toFixed(0).padStart(5)} ns/msg`
    )
  }
  if (sink === Symbol.for("never")) console.log(sink)
}
