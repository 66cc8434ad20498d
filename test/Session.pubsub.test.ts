import { describe, expect } from "@effect/vitest"
import { Chunk, Effect, Exit, Fiber, Scope, Stream } from "effect"
import type * as Message from "../src/Message.js"
import type * as Session from "../src/Session.js"
import type * as FakePeer from "../src/testing/FakePeer.js"
import { counters, join, scoped } from "./support/session.js"

const subscribeVia = (
  joined: { peer: FakePeer.FakePeer; session: Session.SessionService },
  topic: string,
  options?: Session.SubscribeOptions,
  subscriptionId = 300
) =>
  Effect.gen(function*() {
    const fiber = yield* Effect.fork(joined.session.subscribe(topic, options))
    const subscribe = yield* joined.peer.expect("Subscribe")
    yield* joined.peer.send({ _tag: "Subscribed", request: subscribe.request, subscription: subscriptionId })
    return { subscription: yield* Fiber.join(fiber), subscribe }
  })

const event = (subscription: number, publication: number, args: Message.List, details: Message.Dict = {}) =>
  ({ _tag: "Event", subscription, publication, details, args }) as const

describe("Session PubSub", () => {
  scoped("subscribe: SUBSCRIBE with options; EVENTs arrive in order with their details", () =>
    Effect.gen(function*() {
      const joined = yield* join()
      const { subscribe, subscription } = yield* subscribeVia(joined, "com.example", { match: "prefix" })
      expect(subscribe.options).toEqual({ match: "prefix" })
      const received = yield* Effect.fork(Stream.runCollect(Stream.take(subscription.events, 3)))
      yield* joined.peer.send(
        event(300, 1, [1], { topic: "com.example.a", publisher: 9, publisher_authid: "pub" }),
        event(300, 2, [2], { topic: "com.example.b", retained: true }),
        event(300, 3, [3], { topic: "com.example.c" })
      )
      const events = Chunk.toReadonlyArray(yield* Fiber.join(received))
      expect(events.map((e) => e.args[0])).toEqual([1, 2, 3])
      expect(events[0]!.details).toMatchObject({
        publication: 1,
        topic: "com.example.a",
        publisher: 9,
        publisher_authid: "pub"
      })
      expect(events[1]!.details.retained).toBe(true)
    }))

  scoped("an EVENT right behind SUBSCRIBED (same chunk) is delivered", () =>
    Effect.gen(function*() {
      const joined = yield* join()
      const fiber = yield* Effect.fork(joined.session.subscribe("com.example.t"))
      const subscribe = yield* joined.peer.expect("Subscribe")
      yield* joined.peer.send(
        { _tag: "Subscribed", request: subscribe.request, subscription: 1 },
        event(1, 10, ["first"])
      )
      const subscription = yield* Fiber.join(fiber)
      const first = yield* Stream.runHead(subscription.events)
      expect(first._tag === "Some" && first.value.args).toEqual(["first"])
    }))

  scoped(
    "local subscribers of the same topic share one router subscription; the last one unsubscribes",
    () =>
      Effect.gen(function*() {
        const joined = yield* join()
        const scopeA = yield* Scope.make()
        const scopeB = yield* Scope.make()
        const a = yield* subscribeVia(joined, "com.example.t").pipe(Scope.extend(scopeA))
        const b = yield* joined.session.subscribe("com.example.t").pipe(Scope.extend(scopeB))
        expect(b.id).toBe(a.subscription.id)
        yield* joined.peer.expectNothing()
        yield* joined.peer.send(event(300, 1, ["x"]))
        expect((yield* Stream.runHead(a.subscription.events))._tag).toBe("Some")
        expect((yield* Stream.runHead(b.events))._tag).toBe("Some")
        yield* Scope.close(scopeA, Exit.void)
        yield* joined.peer.expectNothing()
        const closingB = yield* Effect.fork(Scope.close(scopeB, Exit.void))
        const unsubscribe = yield* joined.peer.expect("Unsubscribe")
        expect(unsubscribe.subscription).toBe(300)
        // An EVENT still in flight for the subscription we are leaving is ignored.
        yield* joined.peer.send(event(300, 2, ["late"]))
        yield* joined.peer.send({ _tag: "Unsubscribed", request: unsubscribe.request })
        yield* Fiber.join(closingB)
        expect(counters(joined.session).subscriptions).toBe(0)
        expect(yield* joined.session.isOpen).toBe(true)
      })
  )

  scoped(
    "revocation fails the stream with SubscriptionRevokedError after the buffered events",
    () =>
      Effect.gen(function*() {
        const joined = yield* join()
        const { subscription } = yield* subscribeVia(joined, "com.example.t")
        yield* joined.peer.send(
          event(300, 1, ["before"]),
          { _tag: "Unsubscribed", request: 0, details: { subscription: 300, reason: "wamp.reason.gone" } }
        )
        const collected: Array<unknown> = []
        const exit = yield* Effect.exit(
          Stream.runForEach(subscription.events, (e) => Effect.sync(() => collected.push(e.args[0])))
        )
        expect(collected).toEqual(["before"])
        expect(exit._tag === "Failure" && JSON.stringify(exit.cause)).toContain("SubscriptionRevokedError")
        expect(counters(joined.session).subscriptions).toBe(0)
      })
  )

  scoped(
    "overflow 'fail': the stream fails with SubscriptionOverflowError after the buffered events",
    () =>
      Effect.gen(function*() {
        const joined = yield* join()
        const { subscription } = yield* subscribeVia(joined, "com.example.t", {
          buffer: { capacity: 2, overflow: "fail" }
        })
        yield* joined.peer.send(event(300, 1, [1]), event(300, 2, [2]), event(300, 3, [3]))
        yield* joined.peer.expectNothing()
        const collected: Array<unknown> = []
        const error = yield* Effect.flip(
          Stream.runForEach(subscription.events, (e) => Effect.sync(() => collected.push(e.args[0])))
        )
        expect(collected).toEqual([1, 2])
        expect(error._tag).toBe("SubscriptionOverflowError")
        // The session itself is unaffected.
        expect(yield* joined.session.isOpen).toBe(true)
      })
  )

  scoped("overflow 'dropOldest': the newest events are kept", () =>
    Effect.gen(function*() {
      const joined = yield* join()
      const { subscription } = yield* subscribeVia(joined, "com.example.t", {
        buffer: { capacity: 2, overflow: "dropOldest" }
      })
      yield* joined.peer.send(event(300, 1, [1]), event(300, 2, [2]), event(300, 3, [3]))
      yield* joined.peer.expectNothing()
      const events = yield* Stream.runCollect(Stream.take(subscription.events, 2))
      expect(Chunk.toReadonlyArray(events).map((e) => e.args[0])).toEqual([2, 3])
    }))

  scoped("overflow 'suspend': nothing is lost; the dispatcher waits for the subscriber", () =>
    Effect.gen(function*() {
      const joined = yield* join()
      const { subscription } = yield* subscribeVia(joined, "com.example.t", {
        buffer: { capacity: 2, overflow: "suspend" }
      })
      yield* joined.peer.send(...[1, 2, 3, 4, 5].map((n) => event(300, n, [n])))
      // While the subscriber is full, the dispatcher is suspended: a RESULT would wait too.
      yield* joined.peer.expectNothing()
      const events = yield* Stream.runCollect(Stream.take(subscription.events, 5))
      expect(Chunk.toReadonlyArray(events).map((e) => e.args[0])).toEqual([1, 2, 3, 4, 5])
    }))

  scoped("'suspend': a subscriber that leaves while full releases the dispatcher", () =>
    Effect.gen(function*() {
      const joined = yield* join()
      const scope = yield* Scope.make()
      yield* subscribeVia(joined, "com.example.t", { buffer: { capacity: 1, overflow: "suspend" } }).pipe(
        Scope.extend(scope)
      )
      yield* joined.peer.send(event(300, 1, [1]), event(300, 2, [2]), event(300, 3, [3]))
      yield* joined.peer.expectNothing()
      const closing = yield* Effect.fork(Scope.close(scope, Exit.void))
      const unsubscribe = yield* joined.peer.expect("Unsubscribe")
      yield* joined.peer.send({ _tag: "Unsubscribed", request: unsubscribe.request })
      yield* Fiber.join(closing)
      // The dispatcher runs again: a call completes.
      const call = yield* Effect.fork(joined.session.call("com.example.p"))
      const sent = yield* joined.peer.expect("Call")
      yield* joined.peer.send({ _tag: "Result", request: sent.request, details: {} })
      yield* Fiber.join(call)
    }))

  scoped("session loss fails subscription streams with the session error", () =>
    Effect.gen(function*() {
      const joined = yield* join()
      const { subscription } = yield* subscribeVia(joined, "com.example.t")
      yield* joined.peer.drop
      const error = yield* Effect.flip(Stream.runDrain(subscription.events))
      expect(error).toMatchObject({ _tag: "SessionClosedError", reason: "wamp.close.transport_lost" })
    }))

  scoped(
    "publish without acknowledge returns at once; with acknowledge returns the publication id",
    () =>
      Effect.gen(function*() {
        const joined = yield* join()
        const result = yield* joined.session.publish("com.example.t", [1], { a: 1 }, {
          exclude_me: false,
          exclude: [5],
          eligible_authrole: ["user"],
          retain: true,
          disclose_me: true
        })
        expect(result).toBeUndefined()
        const publish = yield* joined.peer.expect("Publish")
        expect(publish).toEqual({
          _tag: "Publish",
          request: 1,
          topic: "com.example.t",
          options: { exclude_me: false, exclude: [5], eligible_authrole: ["user"], retain: true, disclose_me: true },
          args: [1],
          kwargs: { a: 1 }
        })
        expect(counters(joined.session).pending).toBe(0)
        const acked = yield* Effect.fork(joined.session.publish("com.example.t", [], undefined, { acknowledge: true }))
        const second = yield* joined.peer.expect("Publish")
        expect(second.args).toBeUndefined()
        yield* joined.peer.send({ _tag: "Published", request: second.request, publication: 4242 })
        expect(yield* Fiber.join(acked)).toBe(4242)
        const denied = yield* Effect.fork(joined.session.publish("com.example.t", [], {}, { acknowledge: true }))
        const third = yield* joined.peer.expect("Publish")
        yield* joined.peer.send({
          _tag: "Error",
          requestType: 16,
          request: third.request,
          details: {},
          error: "wamp.error.not_authorized"
        })
        expect(yield* Effect.flip(Fiber.join(denied))).toMatchObject({ error: "wamp.error.not_authorized" })
      })
  )
})
