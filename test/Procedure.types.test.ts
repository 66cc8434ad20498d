/**
 * Type tests of the contract signatures: what users write compiles without casts, and the inferred
 * input, result, error and context types are the contract's. Checked by `tsc`; the `expectTypeOf`
 * calls also run (and pass trivially) under vitest so a broken import still fails the suite.
 */
import { describe, expect, expectTypeOf, it } from "@effect/vitest"
import { Context, Effect, Schema, type Scope, type Stream } from "effect"
import type { EncodeError, PayloadError } from "../src/Errors.js"
import * as Procedure from "../src/Procedure.js"
import type { CallOptions, Registration, Session, SessionError } from "../src/Session.js"
import * as Topic from "../src/Topic.js"
import type { WampError } from "../src/WampError.js"

class DivisionByZero extends Schema.TaggedError<DivisionByZero>()("DivisionByZero", { dividend: Schema.Number }) {
  static readonly uri = "com.example.error.division_by_zero"
}
class Overflow extends Schema.TaggedError<Overflow>()("Overflow", { limit: Schema.Number }) {
  static readonly uri = "com.example.error.overflow"
}

const Divide = Procedure.make("com.example.divide", {
  args: Schema.Tuple(Schema.Number, Schema.Number),
  result: Schema.Number,
  progress: Schema.Struct({ done: Schema.Number }),
  error: [DivisionByZero, Overflow]
})
const Greet = Procedure.make("com.example.greet", {
  kwargs: Schema.Struct({ name: Schema.String, at: Schema.Date })
})
const Both = Procedure.make("com.example.both", {
  args: Schema.Array(Schema.String),
  kwargs: Schema.Struct({ big: Schema.BigInt })
})
const Ping = Procedure.make("com.example.ping", {})

interface NoUri {
  readonly _tag: "NoUri"
}

class Clock extends Context.Tag("test/Clock")<Clock, { readonly now: number }>() {}

describe("Procedure types", () => {
  it("input, result, progress and errors are inferred from the schemas (decoded types)", () => {
    expectTypeOf<Procedure.Input<typeof Divide>>().toEqualTypeOf<readonly [number, number]>()
    expectTypeOf<Procedure.Result<typeof Divide>>().toEqualTypeOf<number>()
    expectTypeOf<Procedure.Progress<typeof Divide>>().toEqualTypeOf<{ readonly done: number }>()
    expectTypeOf<Procedure.Errors<typeof Divide>>().toEqualTypeOf<DivisionByZero | Overflow>()
    expectTypeOf<Procedure.Input<typeof Greet>>().toEqualTypeOf<{ readonly name: string; readonly at: Date }>()
    expectTypeOf<Procedure.Result<typeof Greet>>().toEqualTypeOf<void>()
    expectTypeOf<Procedure.Errors<typeof Greet>>().toEqualTypeOf<never>()
    expectTypeOf<Procedure.Input<typeof Both>>().toEqualTypeOf<
      { readonly args: ReadonlyArray<string>; readonly kwargs: { readonly big: bigint } }
    >()
    expectTypeOf<Procedure.Input<typeof Ping>>().toEqualTypeOf<void>()
    expect(Divide.resultIn).toBe("args[0]")
    // @ts-expect-error: args must encode to a list
    Procedure.make("com.example.bad", { args: Schema.Number })
    // @ts-expect-error: kwargs must encode to a dict
    Procedure.make("com.example.bad", { kwargs: Schema.Array(Schema.String) })
    // @ts-expect-error: an error class needs its URI
    Procedure.make("com.example.bad", { error: [Schema.TaggedError<NoUri>()("NoUri", {})] })
    expect(Both.resultIn).toBe("args[0]")
    expect(Procedure.make("com.example.x", { result: Schema.Struct({ a: Schema.Number }) }).resultIn).toBe("kwargs")
  })

  it("call: the decoded result; errors = contract errors | WampError | PayloadError | session errors | EncodeError", () => {
    const call = Procedure.call(Divide, [1, 2])
    expectTypeOf(call).toEqualTypeOf<
      Effect.Effect<number, DivisionByZero | Overflow | WampError | PayloadError | SessionError | EncodeError, Session>
    >()
    expectTypeOf(Procedure.call(Greet, { name: "x", at: new Date() }, { timeout: 5 })).toEqualTypeOf<
      Effect.Effect<void, WampError | PayloadError | SessionError | EncodeError, Session>
    >()
    // A contract without input is called without one.
    expectTypeOf(Procedure.call(Ping)).toEqualTypeOf<
      Effect.Effect<void, WampError | PayloadError | SessionError | EncodeError, Session>
    >()
    expectTypeOf(Procedure.call<typeof Divide>).parameter(1).toEqualTypeOf<readonly [number, number]>()
    // @ts-expect-error: the input must match the contract
    Procedure.call(Divide, [1, "2"])
    // @ts-expect-error: input is required when the contract has one
    Procedure.call(Divide)
    // @ts-expect-error: kwargs fields are checked
    Procedure.call(Greet, { name: "x" })
    expectTypeOf<Procedure.CallArguments<typeof Divide>[1]>().toEqualTypeOf<CallOptions | undefined>()
  })

  it("callProgressive: a Stream of tagged progress chunks then the result", () => {
    expectTypeOf(Procedure.callProgressive(Divide, [4, 2])).toEqualTypeOf<
      Stream.Stream<
        Procedure.ProgressiveResult<typeof Divide>,
        DivisionByZero | Overflow | WampError | PayloadError | SessionError | EncodeError,
        Session
      >
    >()
    expectTypeOf<Extract<Procedure.ProgressiveResult<typeof Divide>, { _tag: "Progress" }>["value"]>()
      .toEqualTypeOf<{ readonly done: number }>()
    expectTypeOf<Extract<Procedure.ProgressiveResult<typeof Divide>, { _tag: "Result" }>["value"]>()
      .toEqualTypeOf<number>()
  })

  it("register: the handler gets decoded input; its errors are limited to the contract's and WampError", () => {
    const registered = Procedure.register(Divide, ([a, b], invocation) => {
      expectTypeOf(a).toEqualTypeOf<number>()
      expectTypeOf(invocation.progress).parameter(0).toEqualTypeOf<{ readonly done: number }>()
      return b === 0
        ? Effect.fail(new DivisionByZero({ dividend: a }))
        : Effect.map(Clock, (clock) => a / b + clock.now * 0)
    })
    expectTypeOf(registered).toEqualTypeOf<
      Effect.Effect<Registration, WampError | SessionError | EncodeError, Session | Scope.Scope | Clock>
    >()
    expectTypeOf(Procedure.register(Greet, ({ at, name }) => Effect.log(name, at))).toEqualTypeOf<
      Effect.Effect<Registration, WampError | SessionError | EncodeError, Session | Scope.Scope>
    >()
    // @ts-expect-error: a failure outside the contract is refused
    Procedure.register(Divide, () => Effect.fail(new Error("boom")))
    // @ts-expect-error: the result must be the contract's
    Procedure.register(Divide, () => Effect.succeed("three"))
  })
})

describe("Topic types", () => {
  const Tick = Topic.make("com.example.tick", { kwargs: Schema.Struct({ seq: Schema.Number, at: Schema.Date }) })
  const Pair = Topic.make("com.example.pair", { args: Schema.Tuple(Schema.String, Schema.BigInt) })

  it("publish takes the decoded payload; subscribe / stream give it back", () => {
    expectTypeOf<Topic.Payload<typeof Tick>>().toEqualTypeOf<{ readonly seq: number; readonly at: Date }>()
    expectTypeOf<Topic.Payload<typeof Pair>>().toEqualTypeOf<readonly [string, bigint]>()
    expectTypeOf(Topic.publish(Pair, ["a", 1n])).toEqualTypeOf<
      Effect.Effect<number | undefined, WampError | SessionError | PayloadError | EncodeError, Session>
    >()
    expectTypeOf(Topic.stream(Tick)).toEqualTypeOf<
      Stream.Stream<
        { readonly seq: number; readonly at: Date },
        WampError | EncodeError | Topic.EventStreamError,
        Session
      >
    >()
    expectTypeOf(Topic.subscribe(Tick)).toEqualTypeOf<
      Effect.Effect<
        Topic.TopicSubscription<typeof Tick>,
        WampError | SessionError | EncodeError,
        Session | Scope.Scope
      >
    >()
    // @ts-expect-error: the payload must match the contract
    Topic.publish(Pair, ["a", 1])
  })
})
