import { describe, expect } from "@effect/vitest"
import { Chunk, Effect, Fiber, Stream } from "effect"
import type * as Message from "../src/Message.js"
import type * as Session from "../src/Session.js"
import type * as FakePeer from "../src/testing/FakePeer.js"
import { counters, join, scoped } from "./support/session.js"

const subscribeVia = (
  joined: { peer: FakePeer.FakePeer; session: Session.SessionService },
  topic: string,
  options?: Session.SubscribeOptions
) =>
  Effect.gen(function*() {
    const fiber = yield* Effect.fork(joined.session.subscribe(topic, options))
    const subscribe = yield* joined.peer.expect("Subscribe")
    yield* joined.peer.send({ _tag: "Subscribed", request: subscribe.request, subscription: 300 })
    return yield* Fiber.join(fiber)
  })

const event = (publication: number): Message.Message => ({
  _tag: "Event",
  subscription: 300,
  publication,
  details: {},
  args: [publication]
})

const numbers = (events: Chunk.Chunk<Session.Event>) => Chunk.toReadonlyArray(events).map((e) => e.args[0])

describe("Subscription.takeAll: the events so far, all at once", () => {
  scoped(
    "takes everything buffered in one go, waits while there is nothing, then says done",
    () =>
      Effect.gen(function*() {
        const joined = yield* join()
        const subscription = yield* subscribeVia(joined, "com.example.t")
        yield* joined.peer.send(event(1), event(2), event(3))
        yield* joined.peer.expectNothing()
        const [first, firstDone] = yield* subscription.takeAll
        expect(numbers(first)).toEqual([1, 2, 3])
        expect(firstDone).toBe(false)

        // Nothing buffered: it waits for the next event.
        const waiting = yield* Effect.fork(subscription.takeAll)
        yield* joined.peer.expectNothing()
        expect(waiting.unsafePoll()).toBeNull()
        yield* joined.peer.send(event(4))
        const [second] = yield* Fiber.join(waiting)
        expect(numbers(second)).toEqual([4])

        yield* joined.peer.send(event(5))
        yield* joined.peer.expectNothing()
        const leaving = yield* Effect.fork(subscription.unsubscribe)
        const unsubscribe = yield* joined.peer.expect("Unsubscribe")
        yield* joined.peer.send({ _tag: "Unsubscribed", request: unsubscribe.request })
        yield* Fiber.join(leaving)
        // Left: what was buffered is dropped, and every take after the end says done.
        expect(yield* subscription.takeAll).toEqual([Chunk.empty(), true])
        expect(yield* subscription.takeAll).toEqual([Chunk.empty(), true])
      })
  )

  scoped("a waiting take is ended by unsubscribe: done, no events", () =>
    Effect.gen(function*() {
      const joined = yield* join()
      const subscription = yield* subscribeVia(joined, "com.example.t")
      const waiting = yield* Effect.fork(subscription.takeAll)
      yield* joined.peer.expectNothing()
      const leaving = yield* Effect.fork(subscription.unsubscribe)
      const unsubscribe = yield* joined.peer.expect("Unsubscribe")
      yield* joined.peer.send({ _tag: "Unsubscribed", request: unsubscribe.request })
      yield* Fiber.join(leaving)
      const [events, done] = yield* Fiber.join(waiting)
      expect(Chunk.size(events)).toBe(0)
      expect(done).toBe(true)
    }))

  scoped("fails as the stream does: revoked after the buffered events", () =>
    Effect.gen(function*() {
      const joined = yield* join()
      const subscription = yield* subscribeVia(joined, "com.example.t")
      yield* joined.peer.send(
        event(1),
        { _tag: "Unsubscribed", request: 0, details: { subscription: 300, reason: "wamp.reason.gone" } }
      )
      yield* joined.peer.expectNothing()
      const [events, done] = yield* subscription.takeAll
      expect(numbers(events)).toEqual([1])
      expect(done).toBe(false)
      const error = yield* Effect.flip(subscription.takeAll)
      expect(error._tag).toBe("SubscriptionRevokedError")
      expect(counters(joined.session).subscriptions).toBe(0)
    }))

  scoped("fails with the session error when the session is lost", () =>
    Effect.gen(function*() {
      const joined = yield* join()
      const subscription = yield* subscribeVia(joined, "com.example.t")
      const waiting = yield* Effect.fork(Effect.flip(subscription.takeAll))
      yield* joined.peer.expectNothing()
      yield* joined.peer.drop
      expect(yield* Fiber.join(waiting)).toMatchObject({
        _tag: "SessionClosedError",
        reason: "wamp.close.transport_lost"
      })
    }))

  scoped("overflow 'fail': the buffered events, then the overflow error", () =>
    Effect.gen(function*() {
      const joined = yield* join()
      const subscription = yield* subscribeVia(joined, "com.example.t", { buffer: { capacity: 2, overflow: "fail" } })
      yield* joined.peer.send(event(1), event(2), event(3))
      yield* joined.peer.expectNothing()
      expect(numbers((yield* subscription.takeAll)[0])).toEqual([1, 2])
      expect((yield* Effect.flip(subscription.takeAll))._tag).toBe("SubscriptionOverflowError")
    }))

  scoped("overflow 'suspend': a take makes room; nothing is lost", () =>
    Effect.gen(function*() {
      const joined = yield* join()
      const subscription = yield* subscribeVia(joined, "com.example.t", {
        buffer: { capacity: 2, overflow: "suspend" }
      })
      yield* joined.peer.send(...[1, 2, 3, 4, 5].map(event))
      yield* joined.peer.expectNothing()
      const seen: Array<unknown> = []
      while (seen.length < 5) seen.push(...numbers((yield* subscription.takeAll)[0]))
      expect(seen).toEqual([1, 2, 3, 4, 5])
    }))

  scoped("an interrupted take loses nothing: the next take gets the events", () =>
    Effect.gen(function*() {
      const joined = yield* join()
      const subscription = yield* subscribeVia(joined, "com.example.t")
      const waiting = yield* Effect.fork(subscription.takeAll)
      yield* joined.peer.expectNothing()
      yield* Fiber.interrupt(waiting)
      yield* joined.peer.send(event(1), event(2))
      yield* joined.peer.expectNothing()
      expect(numbers((yield* subscription.takeAll)[0])).toEqual([1, 2])
    }))

  scoped(
    "takes and the stream read one buffer: a take after a partial stream read gets the rest",
    () =>
      Effect.gen(function*() {
        const joined = yield* join()
        const subscription = yield* subscribeVia(joined, "com.example.t")
        yield* joined.peer.send(event(1))
        yield* joined.peer.expectNothing()
        const head = yield* Stream.runHead(subscription.events)
        expect(head._tag === "Some" && head.value.args).toEqual([1])
        yield* joined.peer.send(event(2), event(3))
        yield* joined.peer.expectNothing()
        expect(numbers((yield* subscription.takeAll)[0])).toEqual([2, 3])
      })
  )
})
