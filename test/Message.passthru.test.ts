/**
 * Payload passthru mode at the message level: the wamp-proto vectors of EVENT and PUBLISH (copied
 * into test/fixtures/wamp-testsuite: every serialization sample, transparent payloads included, and
 * the validation samples of the passthru options), and the
 * structural rules of the spec form (`ppt_*` options, one binary argument).
 */
import { describe, expect, it } from "@effect/vitest"
import { Either } from "effect"
import { readFileSync } from "node:fs"
import * as Message from "../src/Message.js"
import * as Serializer from "../src/Serializer.js"

interface Sample {
  readonly description: string
  readonly serializers?: Record<string, ReadonlyArray<{ readonly bytes_hex: string }>>
  readonly expected_attributes?: Record<string, unknown>
  readonly wmsg?: ReadonlyArray<unknown>
  readonly expected_error?: { readonly type: string; readonly contains: string }
}

const load = (name: string): ReadonlyArray<Sample> =>
  (JSON.parse(readFileSync(new URL(`./fixtures/wamp-testsuite/${name}.json`, import.meta.url), "utf8")) as {
    readonly samples: ReadonlyArray<Sample>
  }).samples

const hex = (text: string): Uint8Array => new Uint8Array(text.match(/../g)!.map((byte) => parseInt(byte, 16)))
const toHex = (bytes: Uint8Array): string => [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("")

const serializers: Record<string, Serializer.SerializerService> = {
  json: Serializer.json,
  msgpack: Serializer.msgpack,
  cbor: Serializer.cbor
}

const decodeFrame = (serializer: Serializer.SerializerService, bytes: Uint8Array): Message.Message => {
  const frame = serializer.binary ? bytes : new TextDecoder().decode(bytes)
  const raw = serializer.decode(frame)
  if (Either.isLeft(raw)) throw raw.left
  const decoded = Message.decode(raw.right)
  if (Either.isLeft(decoded)) throw decoded.left
  return decoded.right
}

/** The vector's attributes as our message fields (`request_id` → `request`, `null` → absent). */
const expectedMessage = (tag: "Event" | "Publish", attributes: Record<string, unknown>): Record<string, unknown> => {
  const out: Record<string, unknown> = { _tag: tag }
  for (const [key, value] of Object.entries(attributes)) {
    if (key === "message_type" || value === null) continue
    if (key === "payload") out["payload"] = hex(value as string)
    else out[key === "request_id" ? "request" : key] = value
  }
  return out
}

for (const [file, tag] of [["event", "Event"], ["publish", "Publish"]] as const) {
  describe(`wamp-proto vectors: ${file}.json`, () => {
    const samples = load(file)
    it("has transparent-payload samples (the file is the one expected)", () => {
      expect(samples.filter((s) => typeof s.expected_attributes?.["payload"] === "string")).toHaveLength(2)
    })
    for (const sample of samples) {
      if (sample.serializers !== undefined) {
        for (const [name, serializer] of Object.entries(serializers)) {
          const encodings = sample.serializers[name] ?? []
          it(`${sample.description} (${name})`, () => {
            expect(encodings.length).toBeGreaterThan(0)
            const expected = expectedMessage(tag, sample.expected_attributes!)
            for (const encoding of encodings) {
              const message = decodeFrame(serializer, hex(encoding.bytes_hex))
              expect(message).toStrictEqual(expected)
              // And back: our encoding decodes to the same message (byte equality is not required:
              // map key order and integer widths may differ between encoders).
              const frame = serializer.encode(Message.encode(message))
              if (Either.isLeft(frame)) throw frame.left
              const again = serializer.decode(frame.right)
              if (Either.isLeft(again)) throw again.left
              expect(Message.decode(again.right)).toStrictEqual(Either.right(expected))
            }
          })
        }
      } else if (/enc_|ppt_/.test(sample.description)) {
        // The validation samples of passthru options (the others check options of other features).
        // wmsg-level samples write the binary payload as a hex string: read it as the bytes it names.
        const wmsg = sample.wmsg!.map((value, i) =>
          i === sample.wmsg!.length - 1 && typeof value === "string" ? hex(value) : value
        )
        it(sample.description, () => {
          const decoded = Message.decode(wmsg)
          if (sample.expected_error === undefined) {
            expect(Either.isRight(decoded)).toBe(true)
          } else {
            expect(Either.isLeft(decoded)).toBe(true)
            if (Either.isLeft(decoded)) {
              expect(decoded.left.reason).toBe("Malformed")
              expect(decoded.left.message).toContain(sample.expected_error.contains)
            }
          }
        })
      }
    }
  })
}

const failure = (raw: ReadonlyArray<unknown>) => {
  const decoded = Message.decode(raw)
  if (Either.isRight(decoded)) throw new Error(`decoded: ${JSON.stringify(decoded.right)}`)
  return decoded.left
}

describe("payload passthru mode: the spec form", () => {
  const bytes = new Uint8Array([1, 2, 3])
  const ppt = { ppt_scheme: "mqtt", ppt_serializer: "native" }

  it("decodes and encodes every message that may carry it", () => {
    const messages: ReadonlyArray<Message.Message> = [
      { _tag: "Call", request: 1, options: ppt, procedure: "com.p", args: [bytes] },
      { _tag: "Invocation", request: 1, registration: 2, details: ppt, args: [bytes] },
      { _tag: "Yield", request: 1, options: { ...ppt, progress: true }, args: [bytes] },
      { _tag: "Result", request: 1, details: ppt, args: [bytes] },
      { _tag: "Error", requestType: 68, request: 1, details: ppt, error: "com.e", args: [bytes] },
      { _tag: "Publish", request: 1, options: ppt, topic: "com.t", args: [bytes] },
      { _tag: "Event", subscription: 1, publication: 2, details: ppt, args: [bytes] }
    ]
    for (const message of messages) {
      for (const serializer of Serializer.all) {
        const frame = serializer.encode(Message.encode(message))
        if (Either.isLeft(frame)) throw frame.left
        const raw = serializer.decode(frame.right)
        if (Either.isLeft(raw)) throw raw.left
        expect(Message.decode(raw.right)).toStrictEqual(Either.right(message))
      }
    }
    // An empty ArgumentsKw is allowed, and dropped on encoding.
    expect(Message.decode([48, 1, ppt, "com.p", [bytes], {}])).toStrictEqual(
      Either.right({ _tag: "Call", request: 1, options: ppt, procedure: "com.p", args: [bytes], kwargs: {} })
    )
  })

  it("refuses what breaks its rules", () => {
    expect(failure([48, 1, { ppt_serializer: "cbor" }, "com.p", [bytes]]).message).toMatch(/ppt_scheme/)
    expect(failure([48, 1, { ppt_scheme: "" }, "com.p", [bytes]]).message).toMatch(/non-empty "ppt_scheme"/)
    expect(failure([48, 1, { ppt_scheme: 3 }, "com.p", [bytes]]).message).toMatch(/string "ppt_scheme"/)
    expect(failure([48, 1, { ppt_scheme: "x_a", ppt_keyid: 1 }, "com.p", [bytes]]).message).toMatch(/ppt_keyid/)
    expect(failure([48, 1, ppt, "com.p", ["text"]]).message).toMatch(/element 4 \(Arguments\).*one binary/)
    expect(failure([48, 1, ppt, "com.p", [bytes, bytes]]).message).toMatch(/one binary/)
    expect(failure([48, 1, ppt, "com.p"]).message).toMatch(/one binary/)
    expect(failure([50, 1, ppt, [bytes], { a: 1 }]).message).toMatch(/element 4 \(ArgumentsKw\).*absent or empty/)
  })

  it("refuses a bare binary without valid enc_* options, or with ArgumentsKw", () => {
    expect(failure([36, 1, 2, {}, bytes]).message).toMatch(/element 3 \(Details\).*enc_algo/)
    expect(failure([16, 1, { enc_algo: "cryptobox", enc_serializer: "yaml" }, "com.t", bytes]).message).toMatch(
      /enc_serializer/
    )
    expect(failure([70, 1, { enc_algo: "cryptobox" }, bytes, {}]).message).toMatch(/ArgumentsKw/)
    expect(failure([70, 1, { enc_algo: "cryptobox", ppt_scheme: "wamp" }, bytes]).message).toMatch(/mixes/)
    // A binary where Arguments would be, on a message that cannot carry passthru, stays malformed.
    expect(failure([3, {}, "wamp.error.x", bytes]).message).toMatch(/Arguments/)
  })

  it("leaves ordinary payloads alone (binary items in a list, no ppt_* options)", () => {
    expect(Message.decode([50, 1, {}, [bytes, bytes], { a: 1 }])).toStrictEqual(
      Either.right({ _tag: "Result", request: 1, details: {}, args: [bytes, bytes], kwargs: { a: 1 } })
    )
  })

  it("keeps the payload bytes exact (hex round trip)", () => {
    const payload = hex("83a5636f6c6f72a4626c7565")
    const message: Message.Message = {
      _tag: "Event",
      subscription: 5,
      publication: 6,
      details: { enc_algo: "cryptobox", enc_serializer: "json" },
      payload
    }
    const frame = Serializer.msgpack.encode(Message.encode(message))
    if (Either.isLeft(frame)) throw frame.left
    const raw = Serializer.msgpack.decode(frame.right)
    if (Either.isLeft(raw)) throw raw.left
    const decoded = Message.decode(raw.right)
    if (Either.isLeft(decoded)) throw decoded.left
    expect(toHex((decoded.right as Message.Event).payload!)).toBe("83a5636f6c6f72a4626c7565")
  })
})
