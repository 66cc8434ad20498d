/**
 * fast-check arbitraries for valid WAMP messages, one per type plus `arbitraryMessage`.
 *
 * Every generated message is in canonical form, so `decode(encode(m))` equals `m`: Arguments is absent
 * or non-empty, except `[]` when ArgumentsKw is present; ArgumentsKw is absent or non-empty. Payload
 * values are JSON-safe (no undefined, -0, NaN or infinities; integers within ±2^53), so the same messages
 * round-trip through every serializer.
 */
import { FastCheck as fc } from "effect"
import * as Elements from "../../src/internal/messageElements.js"
import * as Message from "../../src/Message.js"

const maxId = 2 ** 53

/** IDs across [1, 2^53], with the bounds and the 32-bit edge weighted in. */
export const arbitraryId: fc.Arbitrary<number> = fc.oneof(
  fc.constantFrom(1, 2, 2 ** 31 - 1, 2 ** 32, 2 ** 32 + 1, maxId - 1, maxId),
  fc.integer({ min: 1, max: 1000 }),
  fc.maxSafeNat().map((n) => n + 1)
)

const keyChars = "abcdefghijklmnopqrstuvwxyz_0123456789"
const arbitraryKey = fc.oneof(
  fc.stringOf(fc.constantFrom(...keyChars), { minLength: 1, maxLength: 10 }),
  fc.string({ maxLength: 8 })
).filter((key) => key !== "__proto__")

const arbitraryNumber: fc.Arbitrary<number> = fc.oneof(
  fc.integer(),
  fc.constantFrom(0, 1, -1, maxId, -maxId, 2 ** 32, 0.5),
  // Integer-valued doubles beyond ±2^53 come back from the binary serializers as BigInt (exact).
  fc.double({ noNaN: true, noDefaultInfinity: true }).filter((x) =>
    !Object.is(x, -0) && (!Number.isInteger(x) || Math.abs(x) <= maxId)
  )
)

const arbitraryScalar: fc.Arbitrary<unknown> = fc.oneof(
  fc.string({ maxLength: 16 }),
  fc.string({ unit: "grapheme", maxLength: 8 }),
  arbitraryNumber,
  fc.boolean(),
  fc.constant(null)
)

/** Payload values: nested lists and dicts of strings, numbers, booleans and null. */
export const arbitraryValue: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    arbitraryScalar,
    fc.array(tie("value"), { maxLength: 4 }),
    fc.dictionary(arbitraryKey, tie("value"), { maxKeys: 4, noNullPrototype: true })
  )
})).value

export const arbitraryDict: fc.Arbitrary<Message.Dict> = fc.dictionary(arbitraryKey, arbitraryValue, {
  maxKeys: 5,
  noNullPrototype: true
})

const booleanKeys: ReadonlyArray<string> = [...Elements.booleanKeys]

/** Options/Details: known boolean keys only ever hold booleans; other keys (known or not) hold anything. */
export const arbitraryOptions: fc.Arbitrary<Message.Dict> = fc.tuple(
  fc.dictionary(arbitraryKey.filter((key) => !booleanKeys.includes(key)), arbitraryValue, {
    maxKeys: 4,
    noNullPrototype: true
  }),
  fc.subarray([...booleanKeys], { maxLength: 3 }),
  fc.array(fc.boolean(), { minLength: 3, maxLength: 3 })
).map(([rest, keys, flags]) => {
  const out: Record<string, unknown> = { ...rest }
  keys.forEach((key, i) => (out[key] = flags[i]))
  return out
})

const component = fc.stringOf(fc.constantFrom(..."abcdefghijklmnopqrstuvwxyz0123456789_-:é"), {
  minLength: 1,
  maxLength: 8
})

/** A loose URI without empty components (realms, reasons, error URIs, exact topics/procedures). */
export const arbitraryUri: fc.Arbitrary<string> = fc.array(component, { minLength: 1, maxLength: 4 }).map((parts) =>
  parts.join(".")
)

/** A topic/procedure: mostly exact URIs, sometimes prefix (`a.b.`) or wildcard (`a..c`) patterns. */
export const arbitraryPatternUri: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: arbitraryUri },
  { weight: 1, arbitrary: arbitraryUri.map((uri) => `${uri}.`) },
  {
    weight: 1,
    arbitrary: fc.array(fc.oneof(component, fc.constant("")), { minLength: 2, maxLength: 4 }).map((parts) =>
      parts.join(".")
    )
  }
)

const arbitraryList: fc.Arbitrary<Message.List> = fc.array(arbitraryValue, { minLength: 1, maxLength: 4 })
const arbitraryKwargs: fc.Arbitrary<Message.Dict> = fc.dictionary(arbitraryKey, arbitraryValue, {
  minKeys: 1,
  maxKeys: 4,
  noNullPrototype: true
})

type Payload = { readonly args?: Message.List; readonly kwargs?: Message.Dict }

/** The four canonical payload forms: none, args, args + kwargs, `[]` + kwargs. */
export const arbitraryPayload: fc.Arbitrary<Payload> = fc.oneof(
  fc.constant({}),
  arbitraryList.map((args) => ({ args })),
  fc.record({ args: arbitraryList, kwargs: arbitraryKwargs }),
  arbitraryKwargs.map((kwargs) => ({ args: [], kwargs }))
)

const errorRequestTypes = [16, 32, 34, 48, 64, 66, 68] as const

/** One arbitrary per kind of element (the identifiers of the element schemas in Message's table). */
const byElement: { readonly [element: string]: fc.Arbitrary<unknown> } = {
  Id: arbitraryId,
  Options: arbitraryOptions,
  Dict: arbitraryDict,
  Uri: arbitraryUri,
  PatternUri: arbitraryPatternUri,
  String: fc.string({ maxLength: 40 }),
  RequestType: fc.constantFrom(...errorRequestTypes)
}

const elementArbitrary = (element: string): fc.Arbitrary<unknown> => {
  const arbitrary = byElement[element]
  if (arbitrary === undefined) throw new globalThis.Error(`arbitraries: no arbitrary for element kind ${element}`)
  return arbitrary
}

/**
 * A message of one type, built from its layout in `Message.layouts`. An `IdOrZero` field marks a
 * message that is either a reply (an id, no optional fields) or a revocation (0 with them).
 */
const fromLayout = <T extends Message.Message["_tag"]>(
  tag: T
): fc.Arbitrary<Extract<Message.Message, { readonly _tag: T }>> => {
  const layout = Message.layouts[tag]
  const fields = (withOptional: boolean, zero: boolean) =>
    fc.record(Object.fromEntries(
      layout.fields.filter((field) => withOptional || !field.optional).map((field) => [
        field.key,
        field.element === "IdOrZero" ? (zero ? fc.constant(0) : arbitraryId) : elementArbitrary(field.element)
      ])
    ))
  const revocable = layout.fields.some((field) => field.element === "IdOrZero")
  const base = revocable ? fc.oneof(fields(false, false), fields(true, true)) : fields(true, false)
  const message = layout.payload
    ? fc.tuple(base, arbitraryPayload).map(([fields, payload]) => ({ ...fields, ...payload }))
    : base
  return message.map((fields) => ({ _tag: tag, ...fields }) as unknown as Extract<Message.Message, { _tag: T }>)
}

const tags = Object.keys(Message.layouts) as ReadonlyArray<Message.Message["_tag"]>

/** One arbitrary per message tag. */
export const arbitraries = Object.fromEntries(tags.map((tag) => [tag, fromLayout(tag)])) as {
  readonly [T in Message.Message["_tag"]]: fc.Arbitrary<Extract<Message.Message, { _tag: T }>>
}

/** Any of the 24 messages, each type equally likely. */
export const arbitraryMessage: fc.Arbitrary<Message.Message> = fc.oneof(
  ...(Object.values(arbitraries) as ReadonlyArray<fc.Arbitrary<Message.Message>>)
)
