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
import type * as Message from "../../src/Message.js"

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

const withPayload = <A extends object>(base: fc.Arbitrary<A>) =>
  fc.tuple(base, arbitraryPayload).map(([a, payload]) => ({ ...a, ...payload }))

const errorRequestTypes = [16, 32, 34, 48, 64, 66, 68] as const

export const arbitraryHello: fc.Arbitrary<Message.Hello> = fc.record({
  _tag: fc.constant("Hello" as const),
  realm: arbitraryUri,
  details: arbitraryOptions
})
export const arbitraryWelcome: fc.Arbitrary<Message.Welcome> = fc.record({
  _tag: fc.constant("Welcome" as const),
  session: arbitraryId,
  details: arbitraryOptions
})
export const arbitraryAbort: fc.Arbitrary<Message.Abort> = withPayload(fc.record({
  _tag: fc.constant("Abort" as const),
  details: arbitraryOptions,
  reason: arbitraryUri
}))
export const arbitraryChallenge: fc.Arbitrary<Message.Challenge> = fc.record({
  _tag: fc.constant("Challenge" as const),
  authMethod: fc.string({ maxLength: 12 }),
  extra: arbitraryDict
})
export const arbitraryAuthenticate: fc.Arbitrary<Message.Authenticate> = fc.record({
  _tag: fc.constant("Authenticate" as const),
  signature: fc.string({ maxLength: 40 }),
  extra: arbitraryDict
})
export const arbitraryGoodbye: fc.Arbitrary<Message.Goodbye> = fc.record({
  _tag: fc.constant("Goodbye" as const),
  details: arbitraryOptions,
  reason: arbitraryUri
})
export const arbitraryError: fc.Arbitrary<Message.Error> = withPayload(fc.record({
  _tag: fc.constant("Error" as const),
  requestType: fc.constantFrom(...errorRequestTypes),
  request: arbitraryId,
  details: arbitraryOptions,
  error: arbitraryUri
}))
export const arbitraryPublish: fc.Arbitrary<Message.Publish> = withPayload(fc.record({
  _tag: fc.constant("Publish" as const),
  request: arbitraryId,
  options: arbitraryOptions,
  topic: arbitraryPatternUri
}))
export const arbitraryPublished: fc.Arbitrary<Message.Published> = fc.record({
  _tag: fc.constant("Published" as const),
  request: arbitraryId,
  publication: arbitraryId
})
export const arbitrarySubscribe: fc.Arbitrary<Message.Subscribe> = fc.record({
  _tag: fc.constant("Subscribe" as const),
  request: arbitraryId,
  options: arbitraryOptions,
  topic: arbitraryPatternUri
})
export const arbitrarySubscribed: fc.Arbitrary<Message.Subscribed> = fc.record({
  _tag: fc.constant("Subscribed" as const),
  request: arbitraryId,
  subscription: arbitraryId
})
export const arbitraryUnsubscribe: fc.Arbitrary<Message.Unsubscribe> = fc.record({
  _tag: fc.constant("Unsubscribe" as const),
  request: arbitraryId,
  subscription: arbitraryId
})
/** Either a reply (`request` ≥ 1, no details) or a revocation (`request` 0 with details). */
export const arbitraryUnsubscribed: fc.Arbitrary<Message.Unsubscribed> = fc.oneof(
  arbitraryId.map((request) => ({ _tag: "Unsubscribed" as const, request })),
  arbitraryOptions.map((details) => ({ _tag: "Unsubscribed" as const, request: 0, details }))
)
export const arbitraryEvent: fc.Arbitrary<Message.Event> = withPayload(fc.record({
  _tag: fc.constant("Event" as const),
  subscription: arbitraryId,
  publication: arbitraryId,
  details: arbitraryOptions
}))
export const arbitraryCall: fc.Arbitrary<Message.Call> = withPayload(fc.record({
  _tag: fc.constant("Call" as const),
  request: arbitraryId,
  options: arbitraryOptions,
  procedure: arbitraryPatternUri
}))
export const arbitraryCancel: fc.Arbitrary<Message.Cancel> = fc.record({
  _tag: fc.constant("Cancel" as const),
  request: arbitraryId,
  options: arbitraryOptions
})
export const arbitraryResult: fc.Arbitrary<Message.Result> = withPayload(fc.record({
  _tag: fc.constant("Result" as const),
  request: arbitraryId,
  details: arbitraryOptions
}))
export const arbitraryRegister: fc.Arbitrary<Message.Register> = fc.record({
  _tag: fc.constant("Register" as const),
  request: arbitraryId,
  options: arbitraryOptions,
  procedure: arbitraryPatternUri
})
export const arbitraryRegistered: fc.Arbitrary<Message.Registered> = fc.record({
  _tag: fc.constant("Registered" as const),
  request: arbitraryId,
  registration: arbitraryId
})
export const arbitraryUnregister: fc.Arbitrary<Message.Unregister> = fc.record({
  _tag: fc.constant("Unregister" as const),
  request: arbitraryId,
  registration: arbitraryId
})
/** Either a reply (`request` ≥ 1, no details) or a revocation (`request` 0 with details). */
export const arbitraryUnregistered: fc.Arbitrary<Message.Unregistered> = fc.oneof(
  arbitraryId.map((request) => ({ _tag: "Unregistered" as const, request })),
  arbitraryOptions.map((details) => ({ _tag: "Unregistered" as const, request: 0, details }))
)
export const arbitraryInvocation: fc.Arbitrary<Message.Invocation> = withPayload(fc.record({
  _tag: fc.constant("Invocation" as const),
  request: arbitraryId,
  registration: arbitraryId,
  details: arbitraryOptions
}))
export const arbitraryInterrupt: fc.Arbitrary<Message.Interrupt> = fc.record({
  _tag: fc.constant("Interrupt" as const),
  request: arbitraryId,
  options: arbitraryOptions
})
export const arbitraryYield: fc.Arbitrary<Message.Yield> = withPayload(fc.record({
  _tag: fc.constant("Yield" as const),
  request: arbitraryId,
  options: arbitraryOptions
}))

/** One arbitrary per message tag. */
export const arbitraries: {
  readonly [T in Message.Message["_tag"]]: fc.Arbitrary<Extract<Message.Message, { _tag: T }>>
} = {
  Hello: arbitraryHello,
  Welcome: arbitraryWelcome,
  Abort: arbitraryAbort,
  Challenge: arbitraryChallenge,
  Authenticate: arbitraryAuthenticate,
  Goodbye: arbitraryGoodbye,
  Error: arbitraryError,
  Publish: arbitraryPublish,
  Published: arbitraryPublished,
  Subscribe: arbitrarySubscribe,
  Subscribed: arbitrarySubscribed,
  Unsubscribe: arbitraryUnsubscribe,
  Unsubscribed: arbitraryUnsubscribed,
  Event: arbitraryEvent,
  Call: arbitraryCall,
  Cancel: arbitraryCancel,
  Result: arbitraryResult,
  Register: arbitraryRegister,
  Registered: arbitraryRegistered,
  Unregister: arbitraryUnregister,
  Unregistered: arbitraryUnregistered,
  Invocation: arbitraryInvocation,
  Interrupt: arbitraryInterrupt,
  Yield: arbitraryYield
}

/** Any of the 24 messages, each type equally likely. */
export const arbitraryMessage: fc.Arbitrary<Message.Message> = fc.oneof(
  ...(Object.values(arbitraries) as ReadonlyArray<fc.Arbitrary<Message.Message>>)
)
