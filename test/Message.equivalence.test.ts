/**
 * The compiled decoders (`Message.decode`, `Message.schemas`) accept and refuse exactly what the
 * structural schemas do under Schema's general parser (`internal/message/structural.ts`, the previous
 * `Message.decode`): same message out, same refusal reason and text, on valid wires and on hostile ones
 * (a wrong value in any element, elements added or removed, another message's code, non-dict options,
 * bad ids, InexactInteger, trailing nulls, binary payloads with and without passthru options, arbitrary
 * values).
 */
import { describe, expect, it } from "@effect/vitest"
import { Either, FastCheck as fc, ParseResult, Schema } from "effect"
import * as Structural from "../src/internal/message/structural.js"
import { InexactInteger } from "../src/internal/serializer/leadingIntegers.js"
import * as Message from "../src/Message.js"
import { arbitraryMessage } from "./support/arbitraries.js"

const codes = Object.values(Message.Code)

class Point {
  constructor(readonly x: number) {}
}

/** Values that break some element's check (and some that pass another's): every kind of element sees them. */
const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom<Array<unknown>>(
    0,
    -1,
    1,
    1.5,
    2 ** 53,
    2 ** 53 + 2,
    2 ** 64,
    -0,
    Number.NaN,
    Infinity,
    1n,
    2n ** 60n,
    true,
    false,
    null,
    undefined,
    "",
    "1",
    "a",
    "a.b",
    "a..b",
    "a.",
    ".a",
    "a b",
    "a#b",
    "wamp.close.normal",
    "é.ü",
    "a\u00a0b",
    [],
    [1],
    [null],
    {},
    { a: 1 },
    { progress: true },
    { progress: 1 },
    { receive_progress: "yes" },
    { exclude_me: null },
    { get_retained: undefined },
    // payload passthru (a bare binary in place of Arguments is only valid with these)
    { enc_algo: "cryptobox" },
    { enc_algo: "x_custom", enc_serializer: "cbor" },
    { enc_algo: "nope" },
    { ppt_scheme: "wamp", ppt_serializer: "cbor" },
    { ppt_scheme: 1 },
    new Map([["a", 1]]),
    new Uint8Array([1, 2]),
    Object.create(null),
    Object.create({ inherited: 1 }),
    new Point(1),
    new Date(0),
    new InexactInteger("1.0 (a float64)"),
    new InexactInteger("9007199254740993 (a 64-bit integer over 2^53)"),
    16,
    48,
    68
  ),
  fc.anything({ maxDepth: 2 })
)

/** A valid wire list, then one hostile edit (or none). */
const hostileWire: fc.Arbitrary<ReadonlyArray<unknown>> = fc.tuple(
  arbitraryMessage.map((message) => [...Message.encode(message)]),
  fc.nat(),
  hostileValue,
  fc.nat({ max: 8 })
).map(([wire, at, value, edit]) => {
  const i = 1 + (at % Math.max(1, wire.length - 1))
  switch (edit) {
    case 0:
      return wire
    case 1: // a wrong value in one element
    case 2:
      wire[Math.min(i, wire.length - 1) || 1] = value
      return wire
    case 3: // an extra element
      return [...wire, value]
    case 4: // one element fewer
      return wire.slice(0, Math.max(1, wire.length - 1))
    case 5: // another message type's code on this shape, or an unknown or non-integer one
      return [at % 8 === 0 ? [7, 0, 255, 1.5, "48", -1][at % 6] : codes[at % codes.length], ...wire.slice(1)]
    case 6: // fox-wamp's trailing nulls, one or two
      return at % 2 === 0 ? [...wire, null] : [...wire, null, null]
    case 7: // a hostile value in the Options/Details position of another type
      return [codes[at % codes.length], ...wire.slice(1, 2), value, ...wire.slice(3)]
    default: // an element inserted in the middle
      return [...wire.slice(0, i), value, ...wire.slice(i)]
  }
})

/** A list starting with a known code, then anything. */
const arbitraryWire: fc.Arbitrary<ReadonlyArray<unknown>> = fc.tuple(
  fc.constantFrom(...codes),
  fc.array(hostileValue, { maxLength: 7 })
).map(([code, rest]) => [code, ...rest])

const expectSameDecoding = (wire: unknown) => {
  const compiled = Message.decode(wire)
  const structural = Structural.decode(wire)
  if (Either.isRight(structural)) {
    if (Either.isLeft(compiled)) throw new Error(`refused ${String(wire)}: ${compiled.left.message}`)
    expect(compiled.right).toStrictEqual(structural.right)
    expect(Object.keys(compiled.right)).toStrictEqual(Object.keys(structural.right))
  } else {
    if (Either.isRight(compiled)) {
      throw new Error(`accepted what the structural schema refuses: ${structural.left.message}`)
    }
    expect(compiled.left.reason).toBe(structural.left.reason)
    expect(compiled.left.message).toBe(structural.left.message)
  }
  return Either.isRight(compiled)
}

describe("Message.decode is the structural schema, compiled", () => {
  it.prop("valid wires", [arbitraryMessage], ([message]) => {
    expect(expectSameDecoding(Message.encode(message))).toBe(true)
  }, { fastCheck: { numRuns: 300 } })

  it.prop("valid wires with one hostile edit", [hostileWire], ([wire]) => {
    expectSameDecoding(wire)
  }, { fastCheck: { numRuns: 2000 } })

  it.prop("a known code followed by anything", [arbitraryWire], ([wire]) => {
    expectSameDecoding(wire)
  }, { fastCheck: { numRuns: 1000 } })

  it.prop("anything at all", [fc.oneof(hostileValue, fc.array(hostileValue, { maxLength: 4 }))], ([raw]) => {
    expectSameDecoding(raw)
  }, { fastCheck: { numRuns: 300 } })

  it("the hostile edits reach both outcomes and every kind of refusal", () => {
    // Guards the generators above: a property that only ever saw valid (or only refused) wires proves little.
    const texts = new Set<string>()
    let accepted = 0
    for (const wire of fc.sample(hostileWire, { numRuns: 3000, seed: 11 })) {
      const result = Message.decode(wire)
      if (Either.isRight(result)) accepted++
      else texts.add(result.left.message.replace(/^[A-Z]+: (element \d+ \([^)]*\) )?/, "").replace(/, got .*$/, ""))
    }
    expect(accepted).toBeGreaterThan(300)
    for (
      const text of [
        "must be an ID (integer in [1, 2^53])",
        "must be a dict",
        "must be a list",
        "must be a URI",
        "unknown message type",
        "must be 0 in a revocation (3 elements)"
      ]
    ) {
      expect([...texts].some((t) => t.startsWith(text)), text).toBe(true)
    }
    expect([...texts].some((t) => t.startsWith("expected "))).toBe(true)
    expect([...texts].some((t) => t.startsWith("must have a boolean"))).toBe(true)
  })

  it("names the refused element in a ParseIssue (the error's cause)", () => {
    const result = Message.decode([48, 1, { progress: 1 }, "a"])
    if (Either.isRight(result)) throw new Error("expected a refusal")
    expect(result.left.message).toBe(`CALL: element 2 (Options) must have a boolean "progress", got 1`)
    const cause = result.left.cause as ParseResult.ParseIssue
    expect(cause._tag).toBe("Pointer")
    expect(cause._tag === "Pointer" && cause.path).toBe(2)
  })
})

describe("Message.schemas decode and encode like the structural schemas", () => {
  const tags = Object.keys(Message.schemas) as ReadonlyArray<Message.Message["_tag"]>
  const schemasOf = (tag: Message.Message["_tag"]) =>
    [
      Message.schemas[tag] as unknown as Schema.Schema<Message.Message, Message.Wire>,
      Structural.schemas[tag] as unknown as Schema.Schema<Message.Message, Message.Wire>
    ] as const

  it.prop("decoding any wire through any message's schema", [
    fc.constantFrom(...tags),
    fc.oneof(hostileWire, arbitraryWire)
  ], ([tag, wire]) => {
    // A message's schema decodes like `Message.decode` (trailing payload nulls included) on wires of its
    // code, and refuses every other code.
    const result = Schema.decodeUnknownEither(Message.schemas[tag] as Schema.Schema<Message.Message, Message.Wire>)(
      wire
    )
    const reference = wire[0] === Message.Code[tag] ? Structural.decode(wire) : undefined
    if (reference === undefined || Either.isLeft(reference)) expect(result._tag).toBe("Left")
    else expect(Either.getOrThrow(result)).toStrictEqual(reference.right)
  }, { fastCheck: { numRuns: 1000 } })

  it.prop("encoding valid and broken messages", [arbitraryMessage, fc.nat(), hostileValue, fc.boolean()], (
    [message, at, value, broken]
  ) => {
    const fields = Object.keys(message).filter((key) => key !== "_tag")
    const subject = broken && fields.length > 0
      ? { ...message, [fields[at % fields.length]!]: value } as Message.Message
      : message
    const [compiled, structural] = schemasOf(subject._tag)
    // Both run the same plain encoder first, which assumes typed fields (`args.length`): a hostile
    // `args` may throw there, in both alike.
    const attempt = (schema: Schema.Schema<Message.Message, Message.Wire>): Either.Either<Message.Wire, unknown> => {
      try {
        return Schema.encodeEither(schema)(subject)
      } catch (error) {
        return Either.left(error)
      }
    }
    const a = attempt(compiled)
    const b = attempt(structural)
    expect(a._tag).toBe(b._tag)
    if (Either.isRight(a) && Either.isRight(b)) expect(a.right).toStrictEqual(b.right)
    if (!broken) expect(Either.getOrThrow(a)).toStrictEqual(Message.encode(message))
  }, { fastCheck: { numRuns: 500 } })

  it("a schema refuses another message's wire at element 0", () => {
    const result = Schema.decodeUnknownEither(Message.schemas.Call)([50, 1, {}])
    expect(Either.isLeft(result)).toBe(true)
    const texts = Either.isLeft(result) ? ParseResult.TreeFormatter.formatErrorSync(result.left) : ""
    expect(texts).toMatch(/expected 4 to 6 elements, got 3/)
    const wrongCode = Schema.decodeUnknownEither(Message.schemas.Result)([48, 1, {}])
    expect(Either.isLeft(wrongCode) && ParseResult.TreeFormatter.formatErrorSync(wrongCode.left)).toMatch(
      /must be 50, got 48/
    )
  })
})
