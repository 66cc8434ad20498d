/**
 * IDs the decoders would hide from the ID check: 2^53 + 1 (rounded to 2^53 by a float-typed
 * decoder) and integral floats (`1.0` decodes to `1`) are protocol violations in every serializer
 * that can carry the difference; 2^53 itself stays valid however it is encoded.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, Fiber } from "effect"
import * as Message from "../src/Message.js"
import * as Serializer from "../src/Serializer.js"
import { join } from "./support/session.js"

const bytes = (...octets: ReadonlyArray<number>) => Uint8Array.from(octets)
const TWO_53_PLUS_1_UINT64 = [0x00, 0x20, 0, 0, 0, 0, 0, 0x01]
const TWO_53_UINT64 = [0x00, 0x20, 0, 0, 0, 0, 0, 0x00]
const ONE_FLOAT64 = [0x3f, 0xf0, 0, 0, 0, 0, 0, 0]

/** Decodes a frame into a message, or the text of why not. */
const decode = (serializer: Serializer.SerializerService, frame: Serializer.Frame): Message.Message | string => {
  const raw = serializer.decode(frame)
  if (Either.isLeft(raw)) return raw.left.message
  const message = Message.decode(raw.right)
  return Either.isLeft(message) ? message.left.message : message.right
}

const rejected: ReadonlyArray<readonly [string, Serializer.SerializerService, Serializer.Frame, RegExp]> = [
  [
    "msgpack uint64 2^53+1",
    Serializer.msgpack,
    bytes(0x93, 0x32, 0xcf, ...TWO_53_PLUS_1_UINT64, 0x80),
    /9007199254740993 \(a 64-bit integer over 2\^53\)/
  ],
  [
    "msgpack int64 2^53+1",
    Serializer.msgpack,
    bytes(0x93, 0x32, 0xd3, ...TWO_53_PLUS_1_UINT64, 0x80),
    /9007199254740993 \(a 64-bit integer over 2\^53\)/
  ],
  ["msgpack float64 1.0", Serializer.msgpack, bytes(0x93, 0x32, 0xcb, ...ONE_FLOAT64, 0x80), /1\.0 \(a float64\)/],
  ["msgpack float32 1.0", Serializer.msgpack, bytes(0x93, 0x32, 0xca, 0x3f, 0x80, 0, 0, 0x80), /1\.0 \(a float32\)/],
  [
    "cbor uint64 2^53+1",
    Serializer.cbor,
    bytes(0x83, 0x18, 0x32, 0x1b, ...TWO_53_PLUS_1_UINT64, 0xa0),
    /9007199254740993 \(a 64-bit integer over 2\^53\)/
  ],
  ["cbor float64 1.0", Serializer.cbor, bytes(0x83, 0x18, 0x32, 0xfb, ...ONE_FLOAT64, 0xa0), /1\.0 \(a float64\)/],
  ["cbor float16 1.0", Serializer.cbor, bytes(0x83, 0x18, 0x32, 0xf9, 0x3c, 0x00, 0xa0), /1\.0 \(a float16\)/],
  ["cbor bignum 2^53+1", Serializer.cbor, bytes(0x83, 0x18, 0x32, 0xc2, 0x47, 0x20, 0, 0, 0, 0, 0, 1, 0xa0), /ID/],
  ["json 2^53+1", Serializer.json, "[50,9007199254740993,{}]", /9007199254740993 \(an integer over 2\^53\)/],
  ["json 1.0", Serializer.json, "[50, 1.0, {}]", /1\.0 \(a number with a fraction or an exponent\)/],
  ["json 1e0", Serializer.json, "[50,1e0,{}]", /1e0/],
  ["json message code 50.0", Serializer.json, "[50.0,1,{}]", /element 0.*50\.0/],
  ["json EVENT publication 2.0", Serializer.json, "[36,1,2.0,{}]", /EVENT.*2\.0/]
]

describe("IDs the decoders would round or hide", () => {
  for (const [name, serializer, frame, text] of rejected) {
    it(`${name} is rejected by name`, () => {
      const result = decode(serializer, frame)
      expect(typeof result).toBe("string")
      expect(result).toMatch(text)
    })
  }

  it("2^53 itself is a valid ID in each encoding", () => {
    for (
      const [serializer, frame] of [
        [Serializer.msgpack, bytes(0x93, 0x32, 0xcf, ...TWO_53_UINT64, 0x80)],
        [Serializer.cbor, bytes(0x83, 0x18, 0x32, 0x1b, ...TWO_53_UINT64, 0xa0)],
        [Serializer.json, "[50,9007199254740992,{}]"],
        [Serializer.json, "[ 50 , 9007199254740992 , {} ]"]
      ] as const
    ) {
      const result = decode(serializer, frame)
      expect(result).toMatchObject({ _tag: "Result", request: 2 ** 53 })
    }
  })

  it("floats in payloads are untouched: only the leading integers are checked", () => {
    const json = decode(Serializer.json, "[50,1,{},[1.0,2.5]]")
    expect(json).toMatchObject({ _tag: "Result", request: 1, args: [1, 2.5] })
    const msgpack = decode(Serializer.msgpack, bytes(0x94, 0x32, 0x01, 0x80, 0x91, 0xcb, ...ONE_FLOAT64))
    expect(msgpack).toMatchObject({ _tag: "Result", request: 1, args: [1] })
  })

  it("our own encodings of every message still decode (round trip over the three serializers)", () => {
    const messages: ReadonlyArray<Message.Message> = [
      { _tag: "Result", request: 2 ** 53, details: {}, args: [1.5] },
      { _tag: "Event", subscription: 2 ** 32 + 1, publication: 2 ** 53, details: {} },
      { _tag: "Error", requestType: 48, request: 7, details: {}, error: "a.b" }
    ]
    for (const serializer of [Serializer.json, Serializer.msgpack, Serializer.cbor]) {
      for (const message of messages) {
        const frame = serializer.encode(Message.encode(message))
        expect(Either.isRight(frame)).toBe(true)
        expect(decode(serializer, Either.getOrThrow(frame))).toMatchObject(message)
      }
    }
  })

  for (const serializer of [Serializer.json, Serializer.msgpack, Serializer.cbor]) {
    it.scoped(`a session on ${serializer.name} answers an inexact ID with ABORT protocol_violation`, () =>
      Effect.gen(function*() {
        const { peer, session } = yield* join({ serializer })
        const call = yield* Effect.fork(Effect.flip(session.call("com.x")))
        const sent = yield* peer.expect("Call")
        expect(sent.request).toBe(1)
        yield* peer.sendFrame(
          serializer.name === "json"
            ? "[50, 1.0, {}]"
            : serializer.name === "msgpack"
            ? bytes(0x93, 0x32, 0xcb, ...ONE_FLOAT64, 0x80)
            : bytes(0x83, 0x18, 0x32, 0xfb, ...ONE_FLOAT64, 0xa0)
        )
        const abort = yield* peer.expect("Abort")
        expect(abort.reason).toBe("wamp.error.protocol_violation")
        expect(String(abort.details["message"])).toMatch(/1\.0 \(a (float64|number with a fraction)/)
        const error = yield* Fiber.join(call)
        expect(error._tag).toBe("ProtocolError")
      }))
  }
})
