/**
 * Payload objects handed to user code are never shared between messages: a message without args
 * or kwargs yields frozen empties on the Effect API (typed readonly), so a handler that writes into
 * one (past the types) fails loudly instead of changing what every later message carries.
 */
import { describe, expect, expectTypeOf, it } from "@effect/vitest"
import { Chunk, Effect, Layer, Stream } from "effect"
import * as Authenticator from "../src/Authenticator.js"
import * as Serializer from "../src/Serializer.js"
import * as Session from "../src/Session.js"
import * as Router from "../src/testing/Router.js"
import * as Transport from "../src/Transport.js"

const twoSessions = Effect.gen(function*() {
  const router = yield* Router.make({ realms: ["realm1"] })
  const env = Layer.mergeAll(
    Layer.succeed(Transport.Transport, router.transport),
    Serializer.layerList(Serializer.json),
    Layer.succeed(Authenticator.Authenticator, Authenticator.anonymous())
  )
  const open = Session.make({ realm: "realm1", goodbyeTimeout: "500 millis" }).pipe(Effect.provide(env))
  return { a: yield* open, b: yield* open }
})

/** Writes into a payload past its readonly type, as untyped code would; reports whether it threw. */
const scribble = (args: Session.Invocation["args"], kwargs: Session.Invocation["kwargs"]) => {
  const thrown: Array<string> = []
  try {
    ;(kwargs as { [key: string]: unknown })["polluted"] = true
  } catch (error) {
    thrown.push(`kwargs: ${(error as Error).name}`)
  }
  try {
    ;(args as Array<unknown>).push("polluted")
  } catch (error) {
    thrown.push(`args: ${(error as Error).name}`)
  }
  return thrown
}

describe("payloads handed to Effect API code are not shared between messages", () => {
  it("the types say readonly (checked by tsc)", () => {
    expectTypeOf<Session.Invocation["args"]>().toEqualTypeOf<ReadonlyArray<unknown>>()
    expectTypeOf<Session.Invocation["kwargs"]>().toEqualTypeOf<{ readonly [key: string]: unknown }>()
    expectTypeOf<Session.Event["args"]>().toEqualTypeOf<ReadonlyArray<unknown>>()
    expectTypeOf<Session.Event["kwargs"]>().toEqualTypeOf<{ readonly [key: string]: unknown }>()
    expectTypeOf<Session.CallResult["kwargs"]>().toEqualTypeOf<{ readonly [key: string]: unknown }>()
  })

  it.scoped("a callee writing into an absent payload's empties fails and changes no later message", () =>
    Effect.gen(function*() {
      const { a, b } = yield* twoSessions
      const thrownBy: Array<ReadonlyArray<string>> = []
      yield* b.register("com.app.scribble", (invocation) =>
        Effect.sync(() => {
          thrownBy.push(scribble(invocation.args, invocation.kwargs))
          return { args: [thrownBy.length] }
        }))
      yield* b.register(
        "com.app.echo",
        (invocation) => Effect.succeed({ args: [invocation.args.length], kwargs: { seen: { ...invocation.kwargs } } })
      )

      const first = yield* a.call("com.app.scribble")
      expect(first.args).toEqual([1])
      expect(thrownBy[0]).toEqual(["kwargs: TypeError", "args: TypeError"])
      const plain = yield* a.call("com.app.echo")
      expect(plain.args).toEqual([0])
      expect(plain.kwargs).toEqual({ seen: {} })
      // The caller's own empty result payload is not writable either.
      const again = yield* a.call("com.app.scribble")
      expect(again.args).toEqual([2])
      const bare = yield* a.call("com.app.echo", [], undefined)
      expect(bare.kwargs).toEqual({ seen: {} })
    }))

  it.scoped("a subscriber writing into an event's empty payload fails and changes no later event", () =>
    Effect.gen(function*() {
      const { a, b } = yield* twoSessions
      const subscription = yield* b.subscribe("com.app.tick")
      yield* a.publish("com.app.tick", undefined, undefined, { acknowledge: true })
      yield* a.publish("com.app.tick", undefined, undefined, { acknowledge: true })
      const events = yield* subscription.events.pipe(Stream.take(2), Stream.runCollect, Effect.map(Chunk.toArray))
      expect(scribble(events[0]!.args, events[0]!.kwargs)).toEqual(["kwargs: TypeError", "args: TypeError"])
      expect(events[1]!.args).toEqual([])
      expect(events[1]!.kwargs).toEqual({})
    }))
})
