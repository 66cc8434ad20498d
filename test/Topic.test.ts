/**
 * Topic contracts end to end: a publisher and a subscriber through the in-memory test router, for
 * each serializer. Raw (untyped) publications play the publisher that breaks the contract.
 */
import { describe, expect, it } from "@effect/vitest"
import { Chunk, Effect, Fiber, Layer, Logger, Ref, Schema, Stream } from "effect"
import * as Authenticator from "../src/Authenticator.js"
import { PayloadError } from "../src/Errors.js"
import * as Serializer from "../src/Serializer.js"
import * as Session from "../src/Session.js"
import * as Router from "../src/testing/Router.js"
import * as Topic from "../src/Topic.js"
import * as Transport from "../src/Transport.js"
import { inRealTime } from "./support/realTime.js"

/** A publisher and a subscriber session on one router, over the given serializer. */
const twoSessions = (serializer: Serializer.SerializerService) =>
  Effect.gen(function*() {
    const router = yield* Router.make({ realms: ["realm1"] })
    const env = Layer.mergeAll(
      Layer.succeed(Transport.Transport, router.transport),
      Serializer.layerList(serializer),
      Layer.succeed(Authenticator.Authenticator, Authenticator.anonymous())
    )
    const open = Session.make({ realm: "realm1", goodbyeTimeout: "500 millis" }).pipe(Effect.provide(env))
    const publisher = yield* open
    const subscriber = yield* open
    return {
      publisher,
      subscriber,
      asPublisher: <A, E, R>(effect: Effect.Effect<A, E, R>) =>
        Effect.provideService(effect, Session.Session, publisher),
      asSubscriber: <A, E, R>(effect: Effect.Effect<A, E, R>) =>
        Effect.provideService(effect, Session.Session, subscriber)
    }
  })

const captureLogs = Effect.gen(function*() {
  const lines = yield* Ref.make<ReadonlyArray<string>>([])
  const logger = Logger.make(({ logLevel, message }) => {
    const text = Array.isArray(message) ? message.map(String).join(" ") : String(message)
    Effect.runSync(Ref.update(lines, (all) => [...all, `${logLevel.label} ${text}`]))
  })
  return { lines: Ref.get(lines), layer: Logger.replace(Logger.defaultLogger, logger) }
})

const Tick = Topic.make("com.example.tick", {
  kwargs: Schema.Struct({ seq: Schema.Int, at: Schema.Date, data: Schema.Uint8ArrayFromSelf })
})

const Pair = Topic.make("com.example.pair", {
  args: Schema.Tuple(Schema.String, Schema.BigInt)
})

const Tagged = Topic.make("com.example.tagged", {
  args: Schema.Array(Schema.String),
  kwargs: Schema.Struct({ level: Schema.Literal("info", "warn") })
})

const Strict = Topic.make("com.example.strict", { args: Schema.Tuple(Schema.Number), onInvalid: "fail" })

const acknowledged = { acknowledge: true } as const

const serializers = [Serializer.json, Serializer.msgpack, Serializer.cbor]

describe.each(serializers)("Topic over $name", (serializer) => {
  it.scoped("kwargs payload: published encoded, received decoded (dates and bytes included)", () =>
    Effect.gen(function*() {
      const { asPublisher, asSubscriber, publisher } = yield* twoSessions(serializer)
      const subscription = yield* asSubscriber(Topic.subscribe(Tick))
      const at = new Date("2024-05-01T10:00:00.000Z")
      yield* asPublisher(Topic.publish(Tick, { seq: 1, at, data: new Uint8Array([1, 2, 3]) }, acknowledged))
      const [event] = Chunk.toReadonlyArray(yield* Stream.runCollect(Stream.take(subscription.events, 1)))
      expect(event?.payload.seq).toBe(1)
      expect(event?.payload.at.toISOString()).toBe(at.toISOString())
      expect(Array.from(event?.payload.data ?? [])).toEqual([1, 2, 3])
      expect(event?.details.topic).toBe(Tick.uri)
      expect(typeof event?.details.publication).toBe("number")
      expect(publisher.info.id).toBeGreaterThan(0)
    }))

  it.scoped("args payload: a Tuple with a big integer crosses as a string", () =>
    Effect.gen(function*() {
      const { asPublisher, asSubscriber, subscriber } = yield* twoSessions(serializer)
      const raw = yield* asSubscriber(subscriber.subscribe(Pair.uri))
      const typed = yield* asSubscriber(Topic.subscribe(Pair))
      yield* asPublisher(Topic.publish(Pair, ["big", 2n ** 80n], acknowledged))
      const [event] = Chunk.toReadonlyArray(yield* Stream.runCollect(Stream.take(typed.events, 1)))
      expect(event?.payload).toEqual(["big", 2n ** 80n])
      const [wire] = Chunk.toReadonlyArray(yield* Stream.runCollect(Stream.take(raw.events, 1)))
      expect(wire?.args).toEqual(["big", (2n ** 80n).toString()])
    }))

  it.scoped("args and kwargs: the payload is { args, kwargs }; Topic.stream gives payloads only", () =>
    Effect.gen(function*() {
      const { asPublisher, asSubscriber } = yield* twoSessions(serializer)
      const subscription = yield* asSubscriber(Topic.subscribe(Tagged))
      yield* asPublisher(Topic.publish(Tagged, { args: ["a", "b"], kwargs: { level: "warn" } }, acknowledged))
      const [event] = Chunk.toReadonlyArray(yield* Stream.runCollect(Stream.take(subscription.events, 1)))
      expect(event?.payload).toEqual({ args: ["a", "b"], kwargs: { level: "warn" } })
    }))

  it.scoped("Topic.stream subscribes when run and yields decoded payloads", () =>
    Effect.gen(function*() {
      const { asPublisher, asSubscriber, subscriber } = yield* twoSessions(serializer)
      const received = yield* asSubscriber(
        Stream.runCollect(Stream.take(Topic.stream(Pair), 2)).pipe(Effect.fork)
      )
      // Publish until the stream's subscription is in place (bounded): the first may precede it.
      const counted = yield* Ref.make(0)
      for (let i = 0; i < 200; i++) {
        yield* asPublisher(Topic.publish(Pair, [`n${i}`, BigInt(i)], acknowledged))
        yield* Ref.update(counted, (n) => n + 1)
        if (received.unsafePoll() !== null) break
        // Real time: the subscription is set up by other fibers, which virtual time would not wait for.
        yield* inRealTime(Effect.sleep("5 millis"))
      }
      const all = Chunk.toReadonlyArray(yield* received.await.pipe(Effect.flatten))
      expect(all).toHaveLength(2)
      expect(all[0]?.[0]).toMatch(/^n\d+$/)
      expect(typeof all[1]?.[1]).toBe("bigint")
      expect(subscriber.info.id).toBeGreaterThan(0)
    }))

  it.scoped("an event that does not decode is skipped and logged by default", () =>
    Effect.gen(function*() {
      const logs = yield* captureLogs
      const { asSubscriber, publisher } = yield* twoSessions(serializer)
      const subscription = yield* asSubscriber(Topic.subscribe(Pair))
      yield* publisher.publish(Pair.uri, ["bad", "not-an-integer"], undefined, acknowledged)
      yield* publisher.publish(Pair.uri, ["good", "7"], undefined, acknowledged)
      const events = yield* Stream.runCollect(Stream.take(subscription.events, 1)).pipe(Effect.provide(logs.layer))
      expect(Chunk.toReadonlyArray(events).map((event) => event.payload)).toEqual([["good", 7n]])
      const lines = yield* logs.lines
      expect(
        lines.some((line) => line.startsWith("WARN skipped an event of com.example.pair") && line.includes("args[1]"))
      )
        .toBe(true)
    }))

  it.scoped("with onInvalid: \"fail\" the stream fails with PayloadError DecodeEvent", () =>
    Effect.gen(function*() {
      const { asSubscriber, publisher } = yield* twoSessions(serializer)
      const subscription = yield* asSubscriber(Topic.subscribe(Strict))
      yield* publisher.publish(Strict.uri, [1], undefined, acknowledged)
      yield* publisher.publish(Strict.uri, ["one"], undefined, acknowledged)
      const received = yield* Ref.make<ReadonlyArray<number>>([])
      const error = yield* Effect.flip(
        Stream.runForEach(subscription.events, (event) => Ref.update(received, (all) => [...all, event.payload[0]]))
      )
      expect(yield* Ref.get(received)).toEqual([1])
      expect(error).toBeInstanceOf(PayloadError)
      expect(error).toMatchObject({ _tag: "PayloadError", reason: "DecodeEvent", uri: Strict.uri })
      // The per-subscription option overrides the contract's policy.
      const lenient = yield* asSubscriber(Topic.subscribe(Strict, { onInvalid: "skip" }))
      yield* publisher.publish(Strict.uri, ["two"], undefined, acknowledged)
      yield* publisher.publish(Strict.uri, [2], undefined, acknowledged)
      const logs = yield* captureLogs
      const [event] = Chunk.toReadonlyArray(
        yield* Stream.runCollect(Stream.take(lenient.events, 1)).pipe(Effect.provide(logs.layer))
      )
      expect(event?.payload).toEqual([2])
      expect((yield* logs.lines).filter((line) => line.startsWith("WARN skipped"))).toHaveLength(1)
      expect(lenient.options).not.toHaveProperty("onInvalid")
    }))

  it.scoped("takeAll: decoded events in batches; a batch the skip policy empties is waited past", () =>
    Effect.gen(function*() {
      const { asSubscriber, publisher } = yield* twoSessions(serializer)
      const subscription = yield* asSubscriber(Topic.subscribe(Pair))
      yield* publisher.publish(Pair.uri, ["a", "1"], undefined, acknowledged)
      yield* publisher.publish(Pair.uri, ["bad", "x"], undefined, acknowledged)
      yield* publisher.publish(Pair.uri, ["b", "2"], undefined, acknowledged)
      const first: Array<unknown> = []
      while (first.length < 2) {
        const [events, done] = yield* subscription.takeAll
        expect(done).toBe(false)
        first.push(...Chunk.toReadonlyArray(events).map((event) => event.payload))
      }
      expect(first).toEqual([["a", 1n], ["b", 2n]])
      // Only an invalid event so far: the take waits for a valid one.
      yield* publisher.publish(Pair.uri, ["bad", "y"], undefined, acknowledged)
      const waiting = yield* Effect.fork(subscription.takeAll)
      yield* publisher.publish(Pair.uri, ["c", "3"], undefined, acknowledged)
      const [second] = yield* Fiber.join(waiting)
      expect(Chunk.toReadonlyArray(second).map((event) => event.payload)).toEqual([["c", 3n]])
      yield* subscription.unsubscribe
      expect(yield* subscription.takeAll).toEqual([Chunk.empty(), true])
    }))

  it.scoped("takeAll with onInvalid: \"fail\" fails with PayloadError DecodeEvent, after the events before it", () =>
    Effect.gen(function*() {
      const { asSubscriber, publisher } = yield* twoSessions(serializer)
      const subscription = yield* asSubscriber(Topic.subscribe(Strict))
      yield* publisher.publish(Strict.uri, ["one"], undefined, acknowledged)
      const error = yield* Effect.flip(subscription.takeAll)
      expect(error).toMatchObject({ _tag: "PayloadError", reason: "DecodeEvent", uri: Strict.uri })
      // Valid events before the invalid one in the same batch come first; the failure follows.
      yield* publisher.publish(Strict.uri, [1], undefined, acknowledged)
      yield* publisher.publish(Strict.uri, [2], undefined, acknowledged)
      yield* publisher.publish(Strict.uri, ["three"], undefined, acknowledged)
      yield* publisher.publish(Strict.uri, [4], undefined, acknowledged)
      const [events] = yield* subscription.takeAll
      expect(Chunk.toReadonlyArray(events).map((event) => event.payload)).toEqual([[1], [2]])
      const later = yield* Effect.flip(subscription.takeAll)
      expect(later).toMatchObject({ _tag: "PayloadError", reason: "DecodeEvent" })
    }))

  it.scoped("a payload that does not encode fails publish with PayloadError EncodeEvent; nothing is sent", () =>
    Effect.gen(function*() {
      const { asPublisher, asSubscriber } = yield* twoSessions(serializer)
      const subscription = yield* asSubscriber(Topic.subscribe(Tick))
      const error = yield* Effect.flip(
        asPublisher(Topic.publish(Tick, { seq: 1.5, at: new Date(0), data: new Uint8Array() }, acknowledged))
      )
      expect(error).toMatchObject({ _tag: "PayloadError", reason: "EncodeEvent", uri: Tick.uri })
      expect((error as PayloadError).message).toContain("kwargs.seq")
      yield* asPublisher(Topic.publish(Tick, { seq: 2, at: new Date(0), data: new Uint8Array() }, acknowledged))
      const [event] = Chunk.toReadonlyArray(yield* Stream.runCollect(Stream.take(subscription.events, 1)))
      expect(event?.payload.seq).toBe(2)
    }))

  it.scoped("contract default options apply and per-use options override them", () =>
    Effect.gen(function*() {
      const { publisher } = yield* twoSessions(serializer)
      // The publisher subscribes itself: it only sees its own events with exclude_me: false.
      const Echo = Topic.make("com.example.echo", {
        args: Schema.Tuple(Schema.String),
        publish: { exclude_me: false, acknowledge: true }
      })
      const own = Topic.forSession(publisher)
      const subscription = yield* own.subscribe(Echo)
      yield* own.publish(Echo, ["excluded"], { exclude_me: true })
      const id = yield* own.publish(Echo, ["seen"])
      expect(typeof id).toBe("number") // acknowledge came from the contract
      const [event] = Chunk.toReadonlyArray(yield* Stream.runCollect(Stream.take(subscription.events, 1)))
      expect(event?.payload).toEqual(["seen"])
      expect(event?.details.publication).toBe(id)
    }))
})
