/**
 * The test-kit router and a message it cannot encode for one recipient (a bigint forwarded to a JSON
 * session): a call ends at once with ERROR `wamp.error.invalid_payload` to the caller (never a wait
 * for the caller's own timeout), a callee that already has the invocation is interrupted, an EVENT is
 * dropped for that subscriber alone, and every such message is counted and logged.
 */
import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Fiber, Logger, Ref, Stream } from "effect"
import * as Serializer from "../../src/Serializer.js"
import * as Router from "../../src/testing/Router.js"
import * as WampError from "../../src/WampError.js"
import { sessionOver } from "../support/routerSession.js"

const big = 2n ** 64n

/** The failure of `effect`, which must come well before the caller's own timeout. */
const invalidPayload = <A, E>(effect: Effect.Effect<A, E>) =>
  Effect.gen(function*() {
    const error = yield* Effect.flip(Effect.timeout(effect, "3 seconds"))
    expect(error).toBeInstanceOf(WampError.WampError)
    expect((error as WampError.WampError).error).toBe(WampError.StandardUri.InvalidPayload)
    return (error as WampError.WampError).message
  })

describe("test-kit router: messages it cannot encode for their recipient", () => {
  it.scopedLive("an INVOCATION a JSON callee cannot receive: the caller gets invalid_payload, the callee never runs", () =>
    Effect.gen(function*() {
      const router = yield* Router.make({ realms: ["realm1"] })
      const callee = yield* sessionOver(router, Serializer.json)
      const caller = yield* sessionOver(router, Serializer.cbor)
      const runs = yield* Ref.make(0)
      yield* callee.register("com.app.echo", ({ args }) => Effect.as(Ref.update(runs, (n) => n + 1), { args }))
      const message = yield* invalidPayload(caller.call("com.app.echo", [big]))
      expect(message).toContain("the call could not be serialized for the callee")
      expect(message).toContain("bigint")
      expect(yield* Ref.get(runs)).toBe(0)
      const undelivered = yield* router.undelivered
      expect(undelivered.count).toBe(1)
      expect(undelivered.recent[0]).toMatchObject({ session: callee.info.id, message: "INVOCATION" })
      // Both sessions are still fine.
      expect((yield* caller.call("com.app.echo", [1])).args).toEqual([1])
      expect(yield* Ref.get(runs)).toBe(1)
    }))

  it.scopedLive("a RESULT or an ERROR a JSON caller cannot receive becomes invalid_payload", () =>
    Effect.gen(function*() {
      const router = yield* Router.make({ realms: ["realm1"] })
      const callee = yield* sessionOver(router, Serializer.cbor)
      const caller = yield* sessionOver(router, Serializer.json)
      yield* callee.register("com.app.big", () => Effect.succeed({ args: [big] }))
      yield* callee.register(
        "com.app.fails",
        () => Effect.fail(WampError.make("com.app.too_big", { kwargs: { value: big } }))
      )
      const result = yield* invalidPayload(caller.call("com.app.big"))
      expect(result).toContain("the result could not be serialized for the caller")
      const error = yield* invalidPayload(caller.call("com.app.fails"))
      expect(error).toContain("the error com.app.too_big could not be serialized for the caller")
      expect((yield* router.undelivered).recent.map((entry) => entry.message)).toEqual(["RESULT", "ERROR"])
    }))

  it.scopedLive("a progressive RESULT a JSON caller cannot receive ends the call and interrupts the callee", () =>
    Effect.gen(function*() {
      const router = yield* Router.make({ realms: ["realm1"] })
      const callee = yield* sessionOver(router, Serializer.cbor)
      const caller = yield* sessionOver(router, Serializer.json)
      const interrupted = yield* Deferred.make<void>()
      yield* callee.register("com.app.count", (invocation) =>
        Effect.gen(function*() {
          yield* invocation.progress([1])
          yield* invocation.progress([big])
          return yield* Effect.never
        }).pipe(Effect.onInterrupt(() => Deferred.succeed(interrupted, undefined))))
      const seen: Array<unknown> = []
      const message = yield* invalidPayload(
        Stream.runForEach(
          caller.callProgressive("com.app.count"),
          (chunk) => Effect.sync(() => seen.push(chunk.args[0]))
        )
      )
      expect(message).toContain("a progressive result could not be serialized for the caller")
      expect(seen).toEqual([1])
      yield* Effect.timeout(Deferred.await(interrupted), "3 seconds")
      // No late RESULT reaches the caller for the ended call (it would be a protocol violation).
      expect(yield* caller.isOpen).toBe(true)
      expect((yield* caller.call("wamp.session.count")).args).toEqual([2])
    }))

  it.scopedLive("a progressive CALL chunk a JSON callee cannot receive ends the call and interrupts the callee", () =>
    Effect.gen(function*() {
      const router = yield* Router.make({ realms: ["realm1"] })
      const callee = yield* sessionOver(router, Serializer.json)
      const caller = yield* sessionOver(router, Serializer.cbor)
      const interrupted = yield* Deferred.make<void>()
      const chunks: Array<unknown> = []
      yield* callee.register(
        "com.app.sum",
        (invocation) =>
          Stream.runForEach(invocation.input, (chunk) => Effect.sync(() => chunks.push(chunk.args?.[0]))).pipe(
            Effect.as({ args: [chunks.length] }),
            Effect.onInterrupt(() => Deferred.succeed(interrupted, undefined))
          )
      )
      const input = Stream.make({ args: [1] }, { args: [big] }, { args: [3] }).pipe(
        Stream.tap(() => Effect.sleep("20 millis"))
      )
      const message = yield* invalidPayload(caller.callWithInput("com.app.sum", input))
      expect(message).toContain("a call chunk could not be serialized for the callee")
      yield* Effect.timeout(Deferred.await(interrupted), "3 seconds")
      expect(chunks).toEqual([1])
    }))

  it.scopedLive("an EVENT a JSON subscriber cannot receive is dropped for it alone, counted and logged", () =>
    Effect.gen(function*() {
      const logged: Array<string> = []
      const logger = Logger.make(({ message }) => {
        logged.push(String(Array.isArray(message) ? message.join(" ") : message))
      })
      const router = yield* Router.make({ realms: ["realm1"] }).pipe(
        Effect.provide(Logger.replace(Logger.defaultLogger, logger))
      )
      const publisher = yield* sessionOver(router, Serializer.cbor)
      const json = yield* sessionOver(router, Serializer.json)
      const cbor = yield* sessionOver(router, Serializer.cbor)
      const toJson = yield* json.subscribe("com.app.t")
      const toCbor = yield* cbor.subscribe("com.app.t")
      const jsonEvents = yield* Effect.fork(Stream.runCollect(Stream.take(toJson.events, 1)))
      // Acknowledged all the same: the broker accepted and dispatched it (WAMP has no per-subscriber delivery report).
      const publication = yield* publisher.publish("com.app.t", [big], {}, { acknowledge: true })
      expect(typeof publication).toBe("number")
      const [atCbor] = yield* Stream.runCollect(Stream.take(toCbor.events, 1))
      expect(atCbor!.args).toEqual([big])
      yield* publisher.publish("com.app.t", [2], {}, { acknowledge: true })
      const [atJson] = yield* Effect.timeout(Fiber.join(jsonEvents), "3 seconds")
      // The JSON subscriber got the next event, not the one it could not receive.
      expect(atJson!.args).toEqual([2])
      const undelivered = yield* router.undelivered
      expect(undelivered.count).toBe(1)
      expect(undelivered.recent[0]).toMatchObject({ session: json.info.id, message: "EVENT" })
      expect(undelivered.recent[0]!.reason).toContain("bigint")
      yield* Effect.yieldNow()
      expect(logged.some((line) => line.includes(`EVENT not delivered to session ${json.info.id}`))).toBe(true)
    }))
})
