/**
 * Procedure contracts end to end: two sessions through the in-memory test router, for each serializer.
 * Raw (untyped) session calls and registrations play the peer that breaks the contract.
 */
import { describe, expect, it } from "@effect/vitest"
import { Chunk, Effect, Layer, Logger, ParseResult, Ref, Schema, Stream } from "effect"
import * as Authenticator from "../src/Authenticator.js"
import { PayloadError } from "../src/Errors.js"
import * as Procedure from "../src/Procedure.js"
import * as Serializer from "../src/Serializer.js"
import * as Session from "../src/Session.js"
import * as Router from "../src/testing/Router.js"
import * as Transport from "../src/Transport.js"
import * as WampError from "../src/WampError.js"

// ---------------------------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------------------------

/** Two sessions (callee, caller) on one router, over the given serializer. */
const twoSessions = (serializer: Serializer.SerializerService) =>
  Effect.gen(function*() {
    const router = yield* Router.make({ realms: ["realm1"] })
    const env = Layer.mergeAll(
      Layer.succeed(Transport.Transport, router.transport),
      Serializer.layerList(serializer),
      Layer.succeed(Authenticator.Authenticator, Authenticator.anonymous())
    )
    const open = Session.make({ realm: "realm1", goodbyeTimeout: "500 millis" }).pipe(Effect.provide(env))
    const callee = yield* open
    const caller = yield* open
    return {
      callee,
      caller,
      /** Another session on the same router. */
      open,
      /** Runs an effect needing `Session` as the callee / the caller. */
      asCallee: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.provideService(effect, Session.Session, callee),
      asCaller: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.provideService(effect, Session.Session, caller)
    }
  })

/** Log lines (level and text) of everything run with the returned logger layer. */
const captureLogs = Effect.gen(function*() {
  const lines = yield* Ref.make<ReadonlyArray<string>>([])
  const logger = Logger.make(({ logLevel, message }) => {
    const text = Array.isArray(message) ? message.map(String).join(" ") : String(message)
    Effect.runSync(Ref.update(lines, (all) => [...all, `${logLevel.label} ${text}`]))
  })
  return { lines: Ref.get(lines), layer: Logger.replace(Logger.defaultLogger, logger) }
})

class DivisionByZero extends Schema.TaggedError<DivisionByZero>()("DivisionByZero", {
  dividend: Schema.Number
}) {
  static readonly uri = "com.example.error.division_by_zero"
}

class Overflow extends Schema.TaggedError<Overflow>()("Overflow", {
  message: Schema.String,
  limit: Schema.Number
}) {
  static readonly uri = "com.example.error.overflow"
}

const Divide = Procedure.make("com.example.divide", {
  args: Schema.Tuple(Schema.Number, Schema.Number),
  result: Schema.Number,
  error: [DivisionByZero, Overflow]
})

const Greet = Procedure.make("com.example.greet", {
  kwargs: Schema.Struct({ name: Schema.String, times: Schema.optional(Schema.Number) }),
  result: Schema.Struct({ greeting: Schema.String })
})

const Both = Procedure.make("com.example.both", {
  args: Schema.Array(Schema.String),
  kwargs: Schema.Struct({ separator: Schema.String }),
  result: Schema.String
})

const Ping = Procedure.make("com.example.ping", {})

const Positive = Schema.Number.pipe(Schema.positive())
const Sqrt = Procedure.make("com.example.sqrt", {
  args: Schema.Tuple(Positive),
  result: Positive
})

const Countdown = Procedure.make("com.example.countdown", {
  args: Schema.Tuple(Schema.Int),
  progress: Schema.Struct({ left: Schema.Int }),
  result: Schema.Literal("liftoff")
})

/** Values that each serializer carries differently; the Schema forms that cross all three. */
const Blob = Procedure.make("com.example.blob", {
  kwargs: Schema.Struct({ bytes: Schema.Uint8ArrayFromSelf, big: Schema.BigInt, at: Schema.Date }),
  result: Schema.Struct({ bytes: Schema.Uint8ArrayFromSelf, big: Schema.BigInt, at: Schema.Date })
})

const serializers = [Serializer.json, Serializer.msgpack, Serializer.cbor]

// ---------------------------------------------------------------------------------------------

describe.each(serializers)("Procedure over $name", (serializer) => {
  it.scoped("args in, result as args[0]: decoded both ways, wire shape as documented", () =>
    Effect.gen(function*() {
      const { asCallee, asCaller, caller } = yield* twoSessions(serializer)
      yield* asCallee(Procedure.register(Divide, ([a, b]) => Effect.succeed(a / b)))
      expect(yield* asCaller(Procedure.call(Divide, [6, 3]))).toBe(2)
      const raw = yield* caller.call(Divide.uri, [1, 4])
      expect(raw.args).toEqual([0.25])
      expect(raw.kwargs).toEqual({})
    }))

  it.scoped("kwargs in, Struct result travels as kwargs", () =>
    Effect.gen(function*() {
      const { asCallee, asCaller, caller } = yield* twoSessions(serializer)
      yield* asCallee(
        Procedure.register(Greet, ({ name, times }) => Effect.succeed({ greeting: `hi ${name}`.repeat(times ?? 1) }))
      )
      expect(yield* asCaller(Procedure.call(Greet, { name: "ann", times: 2 }))).toEqual({ greeting: "hi annhi ann" })
      const raw = yield* caller.call(Greet.uri, undefined, { name: "bob" })
      expect(raw.kwargs).toEqual({ greeting: "hi bob" })
      expect(raw.args).toEqual([])
    }))

  it.scoped("args and kwargs together: input is { args, kwargs }", () =>
    Effect.gen(function*() {
      const { asCallee, asCaller, caller } = yield* twoSessions(serializer)
      yield* asCallee(Procedure.register(Both, ({ args, kwargs }) => Effect.succeed(args.join(kwargs.separator))))
      expect(yield* asCaller(Procedure.call(Both, { args: ["a", "b", "c"], kwargs: { separator: "-" } }))).toBe("a-b-c")
      expect((yield* caller.call(Both.uri, ["x", "y"], { separator: "+" })).args).toEqual(["x+y"])
    }))

  it.scoped("no input, no result: an empty CALL and an empty RESULT", () =>
    Effect.gen(function*() {
      const { asCallee, asCaller, caller } = yield* twoSessions(serializer)
      const runs = yield* Ref.make(0)
      yield* asCallee(Procedure.register(Ping, () => Ref.update(runs, (n) => n + 1)))
      yield* asCaller(Procedure.call(Ping))
      expect(yield* Ref.get(runs)).toBe(1)
      expect(yield* caller.call(Ping.uri)).toMatchObject({ args: [], kwargs: {} })
    }))

  it.scoped("a contract error crosses as its URI and comes back as its class", () =>
    Effect.gen(function*() {
      const { asCallee, asCaller, caller } = yield* twoSessions(serializer)
      yield* asCallee(Procedure.register(Divide, ([a, b]) =>
        b === 0
          ? Effect.fail(new DivisionByZero({ dividend: a }))
          : a > 1000
          ? Effect.fail(new Overflow({ message: "too big", limit: 1000 }))
          : Effect.succeed(a / b)))
      const divByZero = yield* Effect.flip(asCaller(Procedure.call(Divide, [7, 0])))
      expect(divByZero).toBeInstanceOf(DivisionByZero)
      expect(divByZero).toMatchObject({ _tag: "DivisionByZero", dividend: 7 })
      const overflow = yield* Effect.flip(asCaller(Procedure.call(Divide, [2000, 1])))
      expect(overflow).toBeInstanceOf(Overflow)
      expect(overflow).toMatchObject({ message: "too big", limit: 1000 })
      // What other clients see: the URI, args = [message] when there is one, kwargs = the fields.
      const raw = yield* Effect.flip(caller.call(Divide.uri, [2000, 1]))
      expect(raw).toMatchObject({ error: Overflow.uri, args: ["too big"], kwargs: { message: "too big", limit: 1000 } })
      const rawZero = yield* Effect.flip(caller.call(Divide.uri, [1, 0]))
      expect(rawZero).toMatchObject({ error: DivisionByZero.uri, kwargs: { dividend: 1 } })
    }))

  it.scoped("any other ERROR stays a WampError", () =>
    Effect.gen(function*() {
      const { asCallee, asCaller } = yield* twoSessions(serializer)
      yield* asCallee(
        Procedure.register(Divide, () => Effect.fail(WampError.make("com.example.other", { args: ["nope"] })))
      )
      const error = yield* Effect.flip(asCaller(Procedure.call(Divide, [1, 2])))
      expect(error).toBeInstanceOf(WampError.WampError)
      expect(error).toMatchObject({ error: "com.example.other", args: ["nope"] })
      const missing = yield* Effect.flip(asCaller(Procedure.call(Greet, { name: "x" })))
      expect(WampError.isNoSuchProcedure(missing)).toBe(true)
    }))

  it.scoped("callee: input that does not decode gets invalid_argument naming the place; the handler never runs", () =>
    Effect.gen(function*() {
      const { asCallee, caller } = yield* twoSessions(serializer)
      const runs = yield* Ref.make(0)
      yield* asCallee(Procedure.register(Divide, ([a, b]) => Effect.as(Ref.update(runs, (n) => n + 1), a / b)))
      const error = yield* Effect.flip(caller.call(Divide.uri, [1, "two"]))
      expect(WampError.isInvalidArgument(error)).toBe(true)
      expect(error).toMatchObject({ error: WampError.StandardUri.InvalidArgument })
      const message = (error as WampError.WampError).args[0]
      expect(message).toContain("com.example.divide")
      expect(message).toContain("args[1]")
      expect(message).toContain("Expected number")
      const missing = yield* Effect.flip(caller.call(Greet.uri, [], {}))
      expect(WampError.isNoSuchProcedure(missing)).toBe(true)
      expect(yield* Ref.get(runs)).toBe(0)
      yield* asCallee(Procedure.register(Greet, ({ name }) => Effect.succeed({ greeting: name })))
      const noName = yield* Effect.flip(caller.call(Greet.uri, [], { times: 1 }))
      expect((noName as WampError.WampError).args[0]).toContain("kwargs.name")
    }))

  it.scoped("callee: a result that does not encode is a logged defect answered with runtime_error", () =>
    Effect.gen(function*() {
      const logs = yield* captureLogs
      const { asCallee, asCaller } = yield* twoSessions(serializer).pipe(Effect.provide(logs.layer))
      yield* asCallee(Procedure.register(Sqrt, ([x]) => Effect.succeed(-Math.sqrt(x))))
      const error = yield* Effect.flip(asCaller(Procedure.call(Sqrt, [4])))
      expect(WampError.isRuntimeError(error)).toBe(true)
      expect(error).toMatchObject({ args: ["the result of com.example.sqrt does not match its contract"] })
      const lines = yield* logs.lines
      expect(lines.some((line) => line.startsWith("ERROR the result of com.example.sqrt") && line.includes("-2")))
        .toBe(true)
    }))

  it.scoped("callee: a contract error that does not encode is a logged defect answered with runtime_error", () =>
    Effect.gen(function*() {
      const logs = yield* captureLogs
      const { asCallee, asCaller } = yield* twoSessions(serializer).pipe(Effect.provide(logs.layer))
      class Negative
        extends Schema.TaggedError<Negative>()("Negative", { value: Schema.Number.pipe(Schema.negative()) })
      {
        static readonly uri = "com.example.error.negative"
      }
      const Check = Procedure.make("com.example.check", { args: Schema.Tuple(Schema.Number), error: [Negative] })
      // Constructors validate too: `disableValidation` lets the handler build the bad value.
      yield* asCallee(Procedure.register(Check, ([x]) => Effect.fail(new Negative({ value: x }, true))))
      const error = yield* Effect.flip(asCaller(Procedure.call(Check, [5])))
      expect(WampError.isRuntimeError(error)).toBe(true)
      expect((yield* logs.lines).some((line) => line.startsWith("ERROR an error of com.example.check"))).toBe(true)
    }))

  it.scoped("caller: an input that does not encode fails with PayloadError EncodeInput; nothing is sent", () =>
    Effect.gen(function*() {
      const { asCallee, asCaller } = yield* twoSessions(serializer)
      const runs = yield* Ref.make(0)
      yield* asCallee(Procedure.register(Sqrt, ([x]) => Effect.as(Ref.update(runs, (n) => n + 1), Math.sqrt(x))))
      const error = yield* Effect.flip(asCaller(Procedure.call(Sqrt, [-1])))
      expect(error).toBeInstanceOf(PayloadError)
      expect(error).toMatchObject({ _tag: "PayloadError", reason: "EncodeInput", uri: Sqrt.uri })
      expect(yield* asCaller(Procedure.call(Sqrt, [9]))).toBe(3)
      expect(yield* Ref.get(runs)).toBe(1)
    }))

  it.scoped("caller: a RESULT that does not decode fails with PayloadError DecodeResult carrying the parse failure", () =>
    Effect.gen(function*() {
      const { asCaller, callee } = yield* twoSessions(serializer)
      yield* callee.register(Divide.uri, () => Effect.succeed({ args: ["not a number"] }))
      const error = yield* Effect.flip(asCaller(Procedure.call(Divide, [1, 2])))
      expect(error).toBeInstanceOf(PayloadError)
      expect(error).toMatchObject({ reason: "DecodeResult", uri: Divide.uri })
      const payloadError = error as PayloadError
      expect(ParseResult.isParseError(payloadError.cause)).toBe(true)
      expect(payloadError.message).toContain("args[0]")
    }))

  it.scoped("caller: a bound ERROR whose payload does not decode fails with PayloadError DecodeError", () =>
    Effect.gen(function*() {
      const { asCaller, callee } = yield* twoSessions(serializer)
      yield* callee.register(
        Divide.uri,
        () => Effect.fail(WampError.make(DivisionByZero.uri, { kwargs: { dividend: "seven" } }))
      )
      const error = yield* Effect.flip(asCaller(Procedure.call(Divide, [1, 0])))
      expect(error).toMatchObject({ _tag: "PayloadError", reason: "DecodeError", uri: Divide.uri })
      expect((error as PayloadError).message).toContain("dividend")
    }))

  it.scoped("progressive: decoded chunks, then the decoded result; a bad chunk is a DecodeProgress error", () =>
    Effect.gen(function*() {
      const { asCallee, asCaller, callee } = yield* twoSessions(serializer)
      yield* asCallee(Procedure.register(Countdown, ([from], invocation) =>
        Effect.gen(function*() {
          for (let left = from; left > 0; left--) yield* invocation.progress({ left })
          return "liftoff" as const
        })))
      const all = yield* asCaller(Stream.runCollect(Procedure.callProgressive(Countdown, [3])))
      expect(Chunk.toReadonlyArray(all).map(({ _tag, value }) => ({ _tag, value }))).toEqual([
        { _tag: "Progress", value: { left: 3 } },
        { _tag: "Progress", value: { left: 2 } },
        { _tag: "Progress", value: { left: 1 } },
        { _tag: "Result", value: "liftoff" }
      ])
      const Broken = Procedure.make("com.example.broken", Countdown.spec)
      yield* callee.register(
        Broken.uri,
        (invocation) =>
          Effect.zipRight(invocation.progress([], { left: "many" }), Effect.succeed({ args: ["liftoff"] }))
      )
      const error = yield* Effect.flip(asCaller(Stream.runCollect(Procedure.callProgressive(Broken, [1]))))
      expect(error).toMatchObject({ _tag: "PayloadError", reason: "DecodeProgress" })
    }))

  it.scoped("contract default options apply and per-use options override them", () =>
    Effect.gen(function*() {
      const { asCallee, asCaller, caller, open } = yield* twoSessions(serializer)
      const WhoAmI = Procedure.make("com.example.whoami", {
        result: Schema.NullOr(Schema.Number),
        call: { disclose_me: true },
        register: { invoke: "roundrobin" }
      })
      const handler = (_: void, invocation: Procedure.ContractInvocation<typeof WhoAmI>) =>
        Effect.succeed(invocation.details.caller ?? null)
      // Registrations of two sessions only coexist with a shared invocation policy: the contract's default.
      yield* asCallee(Procedure.register(WhoAmI, handler))
      const third = yield* open
      yield* Procedure.forSession(third).register(WhoAmI, handler)
      const fourth = yield* open
      const single = yield* Effect.flip(Procedure.forSession(fourth).register(WhoAmI, handler, { invoke: "single" }))
      expect(single).toMatchObject({ error: WampError.StandardUri.ProcedureExistsWithDifferentInvocationPolicy })
      expect(yield* asCaller(Procedure.call(WhoAmI, undefined))).toBe(caller.info.id)
      expect(yield* asCaller(Procedure.call(WhoAmI, undefined, { disclose_me: false }))).toBeNull()
    }))

  it.scoped("binary data, big integers and dates cross as Uint8ArrayFromSelf, BigInt (string) and Date (ISO string)", () =>
    Effect.gen(function*() {
      const { asCallee, asCaller, caller } = yield* twoSessions(serializer)
      yield* asCallee(Procedure.register(Blob, (input) =>
        Effect.succeed({
          bytes: input.bytes.map((b) => b + 1),
          big: input.big * 2n,
          at: new Date(input.at.getTime() + 1000)
        })))
      const at = new Date("2024-02-29T12:00:00.000Z")
      const out = yield* asCaller(
        Procedure.call(Blob, { bytes: new Uint8Array([0, 1, 254]), big: 2n ** 64n + 1n, at })
      )
      expect(out.bytes).toBeInstanceOf(Uint8Array)
      expect(Array.from(out.bytes)).toEqual([1, 2, 255])
      expect(out.big).toBe(2n ** 65n + 2n)
      expect(out.at.toISOString()).toBe("2024-02-29T12:00:01.000Z")
      // On the wire: bytes stay bytes (JSON: "\0"+base64, msgpack bin, CBOR byte string), the big
      // integer and the date are strings.
      const raw = yield* caller.call(Blob.uri, [], { bytes: new Uint8Array([7]), big: "5", at: at.toISOString() })
      expect(raw.kwargs["bytes"]).toBeInstanceOf(Uint8Array)
      expect(raw.kwargs["big"]).toBe("10")
      expect(raw.kwargs["at"]).toBe("2024-02-29T12:00:01.000Z")
    }))

  it.scoped("Date and bigint values themselves (DateFromSelf, BigIntFromSelf) are refused before sending", () =>
    Effect.gen(function*() {
      const { asCallee, asCaller } = yield* twoSessions(serializer)
      const SelfForms = Procedure.make("com.example.self_forms", {
        args: Schema.Tuple(Schema.DateFromSelf, Schema.BigIntFromSelf)
      })
      const runs = yield* Ref.make(0)
      yield* asCallee(Procedure.register(SelfForms, () => Ref.update(runs, (n) => n + 1)))
      // No serializer writes Date payloads (and JSON no BigInt; the binary ones give BigInt back
      // only beyond ±2^53), so the session refuses the CALL: contracts should use Schema.Date /
      // Schema.BigInt (strings on the wire) instead.
      const error = yield* Effect.flip(asCaller(Procedure.call(SelfForms, [new Date(0), 1n])))
      expect(error._tag).toBe("EncodeError")
      expect(yield* Ref.get(runs)).toBe(0)
    }))
})
