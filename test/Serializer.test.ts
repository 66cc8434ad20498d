import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, FastCheck as fc, Option } from "effect"
import { DecodeError, EncodeError } from "../src/Errors.js"
import * as Serializer from "../src/Serializer.js"

type Service = Serializer.SerializerService

const bytesOf = (hex: string): Uint8Array => new Uint8Array(Buffer.from(hex, "hex"))
const hexOf = (frame: Serializer.Frame): string => Buffer.from(frame as Uint8Array).toString("hex")

const encodeOk = (serializer: Service, message: ReadonlyArray<unknown>): Serializer.Frame => {
  const result = serializer.encode(message)
  if (Either.isLeft(result)) throw new Error(`unexpected EncodeError: ${result.left.message}`)
  return result.right
}

const decodeOk = (serializer: Service, frame: Serializer.Frame): ReadonlyArray<unknown> => {
  const result = serializer.decode(frame)
  if (Either.isLeft(result)) throw new Error(`unexpected DecodeError: ${result.left.message}`)
  return result.right
}

const decodeError = (serializer: Service, frame: Serializer.Frame): DecodeError => {
  const result = serializer.decode(frame)
  if (Either.isRight(result)) throw new Error(`expected a DecodeError, got ${JSON.stringify(result.right)}`)
  expect(result.left).toBeInstanceOf(DecodeError)
  return result.left
}

const encodeError = (serializer: Service, message: ReadonlyArray<unknown>): EncodeError => {
  const result = serializer.encode(message)
  if (Either.isRight(result)) throw new Error("expected an EncodeError")
  expect(result.left).toBeInstanceOf(EncodeError)
  return result.left
}

const nested: ReadonlyArray<unknown> = [
  48,
  7_654_321,
  { receive_progress: true, timeout: 0, disclose_me: false },
  "com.example.écho",
  ["héllo wörld ✓ 日本語 🎉", -1, -129, -40_000, -3_000_000_000, 1.5, -0.25, 1e300, true, false, null, [[[]]]],
  {
    deep: { list: [1, { bytes: new Uint8Array([0, 1, 254, 255]) }], empty: {} },
    top: new Uint8Array([9, 8, 7]),
    big: 2 ** 53,
    "1": "a string key that looks like a number"
  }
]

/** Plain JSON-like payloads with bytes anywhere; no -0 (JSON writes 0), no NaN/Infinity (not in JSON). */
const payload = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small" },
    fc.string({ unit: "grapheme" }).filter((s) => !s.startsWith("\u0000")),
    fc.integer({ min: -(2 ** 31), max: 2 ** 32 }),
    fc.maxSafeInteger(),
    fc.constantFrom(2 ** 53, -(2 ** 53), 2 ** 32 + 1, -(2 ** 32)),
    // Integer-valued doubles beyond ±2^53 come back as BigInt from the binary serializers (see below).
    fc.double({ noNaN: true, noDefaultInfinity: true }).map((d) => (Object.is(d, -0) ? 0 : d)).filter((d) =>
      !Number.isInteger(d) || Math.abs(d) <= 2 ** 53
    ),
    fc.boolean(),
    fc.constant(null),
    fc.uint8Array({ maxLength: 40 }),
    fc.array(tie("value"), { maxLength: 5 }),
    fc.dictionary(
      fc.string({ unit: "grapheme", maxLength: 8 }).filter((k) => k !== "__proto__"),
      tie("value"),
      { maxKeys: 5 }
    )
  )
})).value

const serializers: ReadonlyArray<Service> = Serializer.all

describe("Serializer registry and layers", () => {
  it("names, subprotocols, RawSocket ids, frame kinds", () => {
    expect(serializers.map((s) => [s.name, s.subprotocol, s.rawSocketId, s.binary])).toEqual([
      ["json", "wamp.2.json", 1, false],
      ["msgpack", "wamp.2.msgpack", 2, true],
      ["cbor", "wamp.2.cbor", 3, true]
    ])
    expect(Serializer.bySubprotocol("wamp.2.cbor")).toEqual(Option.some(Serializer.cbor))
    expect(Serializer.bySubprotocol("wamp.2.ubjson")).toEqual(Option.none())
    expect(Serializer.byRawSocketId(2)).toEqual(Option.some(Serializer.msgpack))
    expect(Serializer.byRawSocketId(4)).toEqual(Option.none())
  })

  it.effect("layerMsgpack provides Serializer and a one-element Serializers", () =>
    Effect.gen(function*() {
      const one = yield* Serializer.Serializer
      const list = yield* Serializer.Serializers
      expect(one).toBe(Serializer.msgpack)
      expect(list).toEqual([Serializer.msgpack])
    }).pipe(Effect.provide(Serializer.layerMsgpack)))

  it.effect("layerList keeps the preference order; Serializer is the first", () =>
    Effect.gen(function*() {
      const one = yield* Serializer.Serializer
      const list = yield* Serializer.Serializers
      expect(one).toBe(Serializer.cbor)
      expect(list.map((s) => s.name)).toEqual(["cbor", "json"])
    }).pipe(Effect.provide(Serializer.layerList(Serializer.cbor, Serializer.json))))

  it.effect("layerJson and layerCbor provide their serializer", () =>
    Effect.gen(function*() {
      expect(yield* Effect.provide(Serializer.Serializer, Serializer.layerJson)).toBe(Serializer.json)
      expect(yield* Effect.provide(Serializer.Serializers, Serializer.layerCbor)).toEqual([Serializer.cbor])
    }))
})

describe.each(serializers.map((s) => [s.name, s] as const))("%s", (_name, serializer) => {
  it("round-trips a nested payload with unicode, floats, negatives and bytes at any depth", () => {
    const decoded = decodeOk(serializer, encodeOk(serializer, nested))
    expect(decoded).toEqual(nested)
    const dict = decoded[5] as { deep: { list: [number, { bytes: Uint8Array }] }; top: Uint8Array }
    // Plain Uint8Array, not a Node Buffer.
    expect(dict.top.constructor).toBe(Uint8Array)
    expect(dict.deep.list[1].bytes.constructor).toBe(Uint8Array)
  })

  it("encodes frames of its kind", () => {
    const frame = encodeOk(serializer, [1, "realm1", {}])
    expect(typeof frame === "string").toBe(!serializer.binary)
    expect(decodeOk(serializer, frame)).toEqual([1, "realm1", {}])
  })

  it.prop("round-trips any JSON-like payload with bytes", [fc.array(payload, { maxLength: 6 })], ([message]) => {
    expect(decodeOk(serializer, encodeOk(serializer, message))).toEqual(message)
  }, { fastCheck: { numRuns: 150 } })

  it("decodes 2^53 as a number", () => {
    const [value] = decodeOk(serializer, encodeOk(serializer, [2 ** 53]))
    expect(typeof value).toBe("number")
    expect(value).toBe(2 ** 53)
  })

  it("does not change the caller's message while rewriting it", () => {
    const bytes = new Uint8Array([1, 2, 3])
    const dict = { id: 2 ** 40, gone: undefined, bytes }
    const message = [16, 2 ** 53, dict]
    encodeOk(serializer, message)
    expect(message).toEqual([16, 2 ** 53, { id: 2 ** 40, gone: undefined, bytes }])
    expect(message[2]).toBe(dict)
    expect(dict.bytes).toBe(bytes)
  })

  it("drops undefined dict values and writes undefined list items as null", () => {
    expect(decodeOk(serializer, encodeOk(serializer, [1, { a: undefined, b: 2 }, [undefined]]))).toEqual([
      1,
      { b: 2 },
      [null]
    ])
  })

  it("refuses cycles, functions, symbols and class instances with an EncodeError", () => {
    const cyclic: Array<unknown> = [1]
    cyclic.push(cyclic)
    encodeError(serializer, cyclic)
    const cyclicDict: Record<string, unknown> = {}
    cyclicDict.self = cyclicDict
    encodeError(serializer, [1, cyclicDict])
    encodeError(serializer, [1, { f: () => 1 }])
    encodeError(serializer, [1, Symbol("s")])
    encodeError(serializer, [1, new Date(0)])
    encodeError(serializer, [1, new Map([["a", 1]])])
    encodeError(serializer, [1, new Uint16Array(2)])
  })

  it("rejects a frame of the wrong kind with FrameKind", () => {
    const wrong = serializer.binary ? "[1]" : new Uint8Array([0x91, 0x01])
    expect(decodeError(serializer, wrong).reason).toBe("FrameKind")
  })

  it("rejects truncated input and trailing garbage with Syntax", () => {
    const frame = encodeOk(serializer, [48, 1, {}, "com.example.add", [1, 2], { k: "value" }])
    const truncated = typeof frame === "string" ? frame.slice(0, -3) : frame.subarray(0, frame.length - 3)
    expect(decodeError(serializer, truncated).reason).toBe("Syntax")
    const trailing = typeof frame === "string" ? frame + " x" : new Uint8Array([...frame, 0x01])
    expect(decodeError(serializer, trailing).reason).toBe("Syntax")
    const empty = typeof frame === "string" ? "" : new Uint8Array(0)
    expect(decodeError(serializer, empty).reason).toBe("Syntax")
  })

  it("rejects a top-level value that is not a list with Syntax", () => {
    for (const value of [{ a: 1 }, 42, "text", null]) {
      // Encode the value by wrapping it in a list and taking the list apart is not possible for every
      // format, so build the frame from a one-element list's encoder and unwrap it by hand below.
      const frame = serializer.binary ? topLevelFrame(serializer, value) : JSON.stringify(value)
      const error = decodeError(serializer, frame)
      expect(error.reason).toBe("Syntax")
      expect(error.message).toContain("not a list")
    }
  })

  it("never throws on random input", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.string({ maxLength: 64 }), (bytes, text) => {
        expect(() => serializer.decode(bytes)).not.toThrow()
        expect(() => serializer.decode(text)).not.toThrow()
      }),
      { numRuns: 300 }
    )
  })
})

/** A frame whose top-level value is `value`: the encoding of [value] without the 1-element list head. */
const topLevelFrame = (serializer: Service, value: unknown): Uint8Array => {
  const frame = encodeOk(serializer, [value]) as Uint8Array
  // msgpack fixarray(1) is 0x91, CBOR array(1) is 0x81: both one byte.
  expect(frame[0]).toBe(serializer.name === "msgpack" ? 0x91 : 0x81)
  return frame.subarray(1)
}

describe("json", () => {
  const json = Serializer.json
  const vectorBytes = bytesOf("10e3ff9053075c526f5fc06d4fe37cdb")
  const vectorText = "\u0000EOP/kFMHXFJvX8BtT+N82w=="

  it("binary convention: the spec vector both ways", () => {
    expect(encodeOk(json, [vectorBytes])).toBe("[\"\\u0000EOP/kFMHXFJvX8BtT+N82w==\"]")
    expect(JSON.parse(encodeOk(json, [vectorBytes]) as string)).toEqual([vectorText])
    expect(decodeOk(json, JSON.stringify([1, { k: [vectorText] }]))).toEqual([1, { k: [vectorBytes] }])
  })

  it("a Node Buffer is bytes too", () => {
    expect(encodeOk(json, [Buffer.from(vectorBytes)])).toBe(encodeOk(json, [vectorBytes]))
  })

  it("U+0000 inside a string (not first) stays a string; empty bytes round-trip", () => {
    expect(decodeOk(json, JSON.stringify(["a\u0000b"]))).toEqual(["a\u0000b"])
    expect(decodeOk(json, encodeOk(json, [new Uint8Array(0)]))).toEqual([new Uint8Array(0)])
  })

  it("integers up to 2^53 are written as integers", () => {
    expect(encodeOk(json, [2 ** 53, 2 ** 32 + 1, -(2 ** 53)])).toBe("[9007199254740992,4294967297,-9007199254740992]")
  })

  it("bad input: garbage, invalid base64 after U+0000; NaN cannot be sent", () => {
    expect(decodeError(json, "{[").reason).toBe("Syntax")
    expect(decodeError(json, "[1,]").reason).toBe("Syntax")
    expect(decodeError(json, JSON.stringify(["\u0000not base64!"])).reason).toBe("Syntax")
    expect(decodeError(json, JSON.stringify([{ a: "\u0000EOP/kFMHXFJvX8BtT+N82w=" }])).reason).toBe("Syntax")
    encodeError(json, [1, Number.NaN])
    encodeError(json, [1, { x: Infinity }])
  })
})

describe("msgpack", () => {
  const msgpack = Serializer.msgpack

  it("2^53 and 2^32+1 encode as uint64 (0xcf), negatives beyond 32 bits as int64 (0xd3)", () => {
    expect(hexOf(encodeOk(msgpack, [2 ** 53]))).toBe("91cf0020000000000000")
    expect(hexOf(encodeOk(msgpack, [2 ** 32 + 1]))).toBe("91cf0000000100000001")
    expect(hexOf(encodeOk(msgpack, [-(2 ** 53)]))).toBe("91d3ffe0000000000000")
    expect(hexOf(encodeOk(msgpack, [2 ** 32 - 1, -(2 ** 31)]))).toBe("92ceffffffffd280000000")
  })

  it("bytes are bin 8 (0xc4), strings are str", () => {
    expect(hexOf(encodeOk(msgpack, [new Uint8Array([1, 2])]))).toBe("91c4020102")
    expect(hexOf(encodeOk(msgpack, ["ab"]))).toBe("91a26162")
    expect(decodeOk(msgpack, bytesOf("92c4020102a26162"))).toEqual([new Uint8Array([1, 2]), "ab"])
  })

  it("decodes int64/uint64 from other encoders as numbers", () => {
    expect(decodeOk(msgpack, bytesOf("92d30020000000000000cf0000000100000001"))).toEqual([2 ** 53, 2 ** 32 + 1])
  })

  it("decodes from a Node Buffer to plain Uint8Array bytes", () => {
    const [bytes] = decodeOk(msgpack, Buffer.from("91c4020102", "hex"))
    expect((bytes as Uint8Array).constructor).toBe(Uint8Array)
  })

  it("bad input: never-used byte, invalid UTF-8, non-string keys in WAMP dicts", () => {
    expect(decodeError(msgpack, bytesOf("c1")).reason).toBe("Syntax")
    expect(decodeError(msgpack, bytesOf("9201a2c328")).reason).toBe("Utf8")
    expect(decodeError(msgpack, bytesOf("92018101a161")).message).toContain("non-string key")
    expect(decodeError(msgpack, bytesOf("920181c3a161")).reason).toBe("Syntax")
    // A string key "1" is fine.
    expect(decodeOk(msgpack, bytesOf("920181a131a161"))).toEqual([1, { "1": "a" }])
    // A real U+FFFD (EF BF BD) is not an encoding error.
    expect(decodeOk(msgpack, bytesOf("9201a3efbfbd"))).toEqual([1, "\uFFFD"])
  })
})

describe("cbor", () => {
  const cbor = Serializer.cbor

  it("2^53 and 2^32+1 encode as 64-bit integers (0x1b), negatives as 0x3b", () => {
    expect(hexOf(encodeOk(cbor, [2 ** 53]))).toBe("811b0020000000000000")
    expect(hexOf(encodeOk(cbor, [2 ** 32 + 1]))).toBe("811b0000000100000001")
    expect(hexOf(encodeOk(cbor, [-(2 ** 53)]))).toBe("813b001fffffffffffff")
  })

  it("bytes are a byte string (major type 2) with no tag", () => {
    expect(hexOf(encodeOk(cbor, [new Uint8Array([1, 2])]))).toBe("81420102")
    expect(hexOf(encodeOk(cbor, [Buffer.from([1, 2])]))).toBe("81420102")
    expect(hexOf(encodeOk(cbor, ["ab"]))).toBe("81626162")
  })

  it("decodes negative integers below -2^31 correctly (cbor-x alone gets them wrong)", () => {
    expect(decodeOk(cbor, bytesOf("823ab2d05dff3b001fffffffffffff"))).toEqual([-3_000_000_000, -(2 ** 53)])
    expect(decodeOk(cbor, bytesOf("833a7fffffff63613a3b20"))).toEqual([-(2 ** 31), "a:;", -1])
    expect(decodeOk(cbor, encodeOk(cbor, [{ id: -(2 ** 40) }, "x:y", [-5e9]]))).toEqual([
      { id: -(2 ** 40) },
      "x:y",
      [-5e9]
    ])
  })

  it("indefinite-length containers: closed ones decode, unclosed ones fail at once", () => {
    expect(decodeOk(cbor, bytesOf("9f0102ff"))).toEqual([1, 2])
    expect(decodeOk(cbor, bytesOf("8201bf616101ff"))).toEqual([1, { a: 1 }])
    // cbor-x alone spins for ~24 s on this 3-byte frame.
    expect(decodeError(cbor, bytesOf("9f9f9f")).reason).toBe("Syntax")
    expect(decodeError(cbor, bytesOf("9f82ff")).reason).toBe("Syntax")
    expect(decodeError(cbor, bytesOf("9f01ff00")).reason).toBe("Syntax")
  })

  it("decodes a tagged byte string (tag 64) from other encoders as bytes", () => {
    const [bytes] = decodeOk(cbor, bytesOf("81d840420102"))
    expect(bytes).toBeInstanceOf(Uint8Array)
    expect(Array.from(bytes as Uint8Array)).toEqual([1, 2])
  })

  it("bad input: reserved additional info, invalid UTF-8, non-string keys in WAMP dicts", () => {
    expect(decodeError(cbor, bytesOf("811c")).reason).toBe("Syntax")
    expect(decodeError(cbor, bytesOf("820162c328")).reason).toBe("Utf8")
    expect(decodeError(cbor, bytesOf("8201a10161 61".replace(" ", ""))).message).toContain("non-string key")
    expect(decodeError(cbor, bytesOf("8201a1f66161")).reason).toBe("Syntax")
    expect(decodeOk(cbor, bytesOf("8201a161316161"))).toEqual([1, { "1": "a" }])
  })
})

describe("BigInt and integers beyond 2^53", () => {
  const { cbor, json, msgpack } = Serializer

  /** What an integer comes back as: a number within ±2^53 (exact there), else a BigInt. */
  const expected = (n: bigint): number | bigint => (n <= 2n ** 53n && n >= -(2n ** 53n) ? Number(n) : n)
  const int64 = fc.bigInt({ min: -(2n ** 63n), max: 2n ** 64n - 1n })

  it("JSON refuses BigInt with an EncodeError saying so (nothing would read it back exactly)", () => {
    for (const value of [10n, 2n ** 64n]) {
      expect(encodeError(json, [48, 1, {}, "p", [value]]).message).toContain("a bigint has no JSON form")
    }
  })

  it("msgpack: BigInt as uint64 (0xcf) / int64 (0xd3); decodes wide ones as BigInt, 2^53 as a number", () => {
    expect(hexOf(encodeOk(msgpack, [1558266424841951553n]))).toBe("91cf15a0130eae1f5941")
    expect(hexOf(encodeOk(msgpack, [2n ** 64n - 1n]))).toBe("91cfffffffffffffffff")
    expect(hexOf(encodeOk(msgpack, [-(2n ** 63n)]))).toBe("91d38000000000000000")
    expect(decodeOk(msgpack, bytesOf("93cf0020000000000001cf0020000000000000d3ffdfffffffffffff"))).toEqual([
      2n ** 53n + 1n,
      2 ** 53,
      -(2n ** 53n) - 1n
    ])
    expect(decodeOk(msgpack, bytesOf("91cfffffffffffffffff"))).toEqual([2n ** 64n - 1n])
  })

  it("msgpack refuses a BigInt beyond 64 bits", () => {
    for (const value of [2n ** 64n, -(2n ** 63n) - 1n]) {
      expect(encodeError(msgpack, [1, value]).message).toContain("beyond 64 bits")
    }
  })

  it("cbor: BigInt as a 64-bit integer, beyond as a bignum (tags 2/3); both decode exactly", () => {
    expect(hexOf(encodeOk(cbor, [1558266424841951553n]))).toBe("811b15a0130eae1f5941")
    expect(hexOf(encodeOk(cbor, [2n ** 128n - 1n]))).toBe(`81c250${"ff".repeat(16)}`)
    expect(hexOf(encodeOk(cbor, [-(2n ** 128n)]))).toBe(`81c350${"ff".repeat(16)}`)
    // From other encoders: 64-bit heads past 2^53 (either sign), bignums of any length, 2^53 itself.
    expect(decodeOk(cbor, bytesOf("841b00200000000000013b00200000000000001b00200000000000003b001fffffffffffff")))
      .toEqual([2n ** 53n + 1n, -(2n ** 53n) - 1n, 2 ** 53, -(2 ** 53)])
    expect(decodeOk(cbor, bytesOf(`82c249010000000000000000c350${"ff".repeat(16)}`))).toEqual([
      2n ** 64n,
      -(2n ** 128n)
    ])
    // Inside dicts and lists, next to what the pre-decode pass also rewrites (-3e9).
    expect(decodeOk(cbor, encodeOk(cbor, [{ a: [2n ** 60n + 1n, -3_000_000_000] }]))).toEqual([
      { a: [2n ** 60n + 1n, -3_000_000_000] }
    ])
  })

  for (const serializer of [msgpack, cbor]) {
    it.prop(`${serializer.name}: any 64-bit BigInt comes back as the same integer`, [int64], ([n]) => {
      expect(decodeOk(serializer, encodeOk(serializer, [48, 1, {}, "p", [n], { n }]))).toEqual([
        48,
        1,
        {},
        "p",
        [expected(n)],
        { n: expected(n) }
      ])
    }, { fastCheck: { numRuns: 300 } })

    it.prop(
      `${serializer.name}: integer numbers beyond 2^53 come back as the exact BigInt, never rounded`,
      [fc.double({ min: 2 ** 53, max: 2 ** 63, noNaN: true }).filter(Number.isInteger), fc.boolean()],
      ([n, negative]) => {
        const value = negative ? -n : n
        expect(decodeOk(serializer, encodeOk(serializer, [value]))).toEqual([expected(BigInt(value))])
      },
      { fastCheck: { numRuns: 200 } }
    )
  }

  it.prop("cbor: a BigInt of any size comes back as the same integer", [
    fc.bigInt({ min: -(2n ** 300n), max: 2n ** 300n })
  ], ([n]) => {
    expect(decodeOk(cbor, encodeOk(cbor, [n]))).toEqual([expected(n)])
  }, { fastCheck: { numRuns: 300 } })
})
