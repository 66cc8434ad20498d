import { describe, expect } from "@effect/vitest"
import { Chunk, Deferred, Effect, Either, Exit, Fiber, Layer, Schedule, Scope, Stream, TestClock } from "effect"
import * as Authenticator from "../src/Authenticator.js"
import * as Connection from "../src/Connection.js"
import { SessionClosedError, TransportError } from "../src/Errors.js"
import type * as Message from "../src/Message.js"
import * as Session from "../src/Session.js"
import * as FakePeer from "../src/testing/FakePeer.js"
import * as Transport from "../src/Transport.js"
import * as WampError from "../src/WampError.js"
import * as Tracked from "./support/connection.js"
import { inRealTime } from "./support/realTime.js"
import { scoped } from "./support/session.js"

const fastRetry = Schedule.spaced("5 millis").pipe(Schedule.intersect(Schedule.recurs(5)))

/**
 * The tests run on TestClock (`scoped`): the retry waits are stepped with `TestClock.adjust`, and
 * every peer accepted drops when the body ends, so no GOODBYE waits for virtual time at scope close.
 */
const fakeRouter = Tracked.fakeRouter({ timeout: "1 second" })

/** A connection on a FakePeer router; each open of its transport is a new peer to `accept`. */
const connect = (
  options?: Partial<Connection.ConnectionOptions>,
  transport?: (fake: FakePeer.FakeRouter) => Transport.TransportService
) =>
  Effect.gen(function*() {
    const fake = yield* fakeRouter
    const layer = Layer.mergeAll(
      fake.layer,
      transport === undefined ? Layer.empty : Layer.succeed(Transport.Transport, transport(fake)),
      Layer.succeed(Authenticator.Authenticator, Authenticator.anonymous())
    )
    const connection = yield* Tracked.make({
      realm: "realm1",
      goodbyeTimeout: "200 millis",
      retry: fastRetry,
      ...options
    }).pipe(Effect.provide(layer))
    return { fake, connection }
  })

/** Accepts the next link and answers WELCOME with this session id. */
const open = (fake: FakePeer.FakeRouter, session: number) =>
  Effect.gen(function*() {
    const peer = yield* fake.accept
    yield* peer.welcome({ session })
    return peer
  })

const { retryNow, waitFor } = Tracked

/** True when the client opens no further connection for a (real) while. */
const noConnection = (fake: FakePeer.FakeRouter) =>
  fake.accept.pipe(Effect.timeout("100 millis"), inRealTime, Effect.either, Effect.map(Either.isLeft))

/** Reads `count` messages, in whatever order concurrent re-applications sent them. */
const receiveAll = (peer: FakePeer.FakePeer, count: number) =>
  Effect.forEach(Array.from({ length: count }), () => peer.receive)

const byTag = <T extends Message.Message["_tag"]>(messages: ReadonlyArray<Message.Message>, tag: T) =>
  messages.find((m): m is Extract<Message.Message, { readonly _tag: T }> => m._tag === tag)!

const eventsOf = (subscription: number, first: number, labels: ReadonlyArray<string>): Array<Message.Message> =>
  labels.map((label, i) => ({ _tag: "Event", subscription, publication: first + i, details: {}, args: [label] }))

/** `connection.subscribe(topic)`, answered on `peer` with SUBSCRIBED `id`, then `after` (e.g. EVENTs). */
const subscribeAnswered = (
  connection: Connection.ConnectionService,
  peer: FakePeer.FakePeer,
  topic: string,
  id: number,
  after: ReadonlyArray<Message.Message> = []
) =>
  Effect.gen(function*() {
    const subscribing = yield* Effect.fork(connection.subscribe(topic))
    const subscribe = yield* peer.expect("Subscribe")
    yield* peer.send({ _tag: "Subscribed", request: subscribe.request, subscription: id }, ...after)
    return yield* Fiber.join(subscribing)
  })

/**
 * A durable subscription to "com.topic" made on session 1 (subscription 21, which sends `before`),
 * then the link dropped and session 2 joined (subscription 22, which sends `after`); nobody has read
 * the subscription yet.
 */
const subscribedAcrossReconnect = (before: ReadonlyArray<string>, after: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const { connection, fake } = yield* connect()
    const peer1 = yield* open(fake, 1)
    yield* connection.awaitOpen
    const subscription = yield* subscribeAnswered(connection, peer1, "com.topic", 21, eventsOf(21, 1, before))
    yield* peer1.drop
    yield* waitFor(connection, "Retrying")
    yield* TestClock.adjust("5 millis")
    const peer2 = yield* open(fake, 2)
    const subscribe2 = yield* peer2.expect("Subscribe")
    yield* peer2.send(
      { _tag: "Subscribed", request: subscribe2.request, subscription: 22 },
      ...eventsOf(22, before.length + 1, after)
    )
    yield* waitFor(connection, "Open")
    return { connection, subscription, peer2 }
  })

describe("Connection reconnect", () => {
  scoped(
    "re-registers and re-subscribes with the original options; streams continue with a Gap",
    () =>
      Effect.gen(function*() {
        const { connection, fake } = yield* connect()
        const peer1 = yield* open(fake, 1)
        yield* connection.awaitOpen

        const registering = yield* Effect.fork(connection.register(
          "com.example.",
          (invocation) => Effect.succeed({ args: [`hello ${invocation.args[0]}`] }),
          { match: "prefix", invoke: "roundrobin" }
        ))
        const register1 = yield* peer1.expect("Register")
        yield* peer1.send({ _tag: "Registered", request: register1.request, registration: 11 })
        const registration = yield* Fiber.join(registering)
        expect(registration.id).toBe(11)

        const subscribing = yield* Effect.fork(connection.subscribe("com..topic", { match: "wildcard" }))
        const subscribe1 = yield* peer1.expect("Subscribe")
        yield* peer1.send({ _tag: "Subscribed", request: subscribe1.request, subscription: 21 })
        const subscription = yield* Fiber.join(subscribing)
        const received = yield* Effect.fork(Stream.runCollect(Stream.take(subscription.eventsWithGaps, 3)))
        yield* peer1.send({ _tag: "Event", subscription: 21, publication: 1, details: {}, args: ["before"] })

        yield* peer1.drop
        const retrying = yield* waitFor(connection, "Retrying")
        expect(retrying._tag === "Retrying" && retrying.details).toMatchObject({ wasClean: false, everOpened: true })
        expect(retrying._tag === "Retrying" && retrying.details.willRetry).toBe(true)
        // Virtual time: no new connection a millisecond before the schedule's delay.
        yield* TestClock.adjust("4 millis")
        expect(yield* noConnection(fake)).toBe(true)
        yield* TestClock.adjust("1 millis")

        const peer2 = yield* open(fake, 2)
        const again = yield* receiveAll(peer2, 2)
        const register2 = byTag(again, "Register")
        const subscribe2 = byTag(again, "Subscribe")
        expect(register2.procedure).toBe("com.example.")
        expect(register2.options).toEqual(register1.options)
        expect(register2.options).toEqual({ match: "prefix", invoke: "roundrobin" })
        expect(subscribe2.topic).toBe("com..topic")
        expect(subscribe2.options).toEqual({ match: "wildcard" })
        yield* peer2.send(
          { _tag: "Registered", request: register2.request, registration: 12 },
          { _tag: "Subscribed", request: subscribe2.request, subscription: 22 }
        )
        yield* waitFor(connection, "Open")
        expect(registration.id).toBe(12)
        expect(subscription.id).toBe(22)
        expect(connection.session.info.id).toBe(2)

        yield* peer2.send({ _tag: "Event", subscription: 22, publication: 2, details: {}, args: ["after"] })
        const items = Chunk.toReadonlyArray(yield* Fiber.join(received))
        expect(items.map((item) => "_tag" in item ? `gap:${item.session}` : item.args[0])).toEqual([
          "before",
          "gap:2",
          "after"
        ])
        const gap = items[1] as Connection.Gap
        expect(gap.reason.reason).toBe(WampError.StandardUri.TransportLost)

        // The handler answers on the new session.
        yield* peer2.send({ _tag: "Invocation", request: 5, registration: 12, details: {}, args: ["you"] })
        const answer = yield* peer2.expect("Yield")
        expect(answer.args).toEqual(["hello you"])
      })
  )

  scoped(
    "a subscription's stream first read after a reconnect starts with the first session's events, then the Gap",
    () =>
      Effect.gen(function*() {
        const { subscription } = yield* subscribedAcrossReconnect(["before"], ["after"])
        // Nobody read the stream until now.
        const items = yield* Stream.runCollect(Stream.take(subscription.eventsWithGaps, 3))
        expect(Chunk.toReadonlyArray(items).map((item) => "_tag" in item ? `gap:${item.session}` : item.args[0]))
          .toEqual(["before", "gap:2", "after"])
      })
  )

  scoped(
    "a subscription's stream first read after the connection closed yields what it had, then ends",
    () =>
      Effect.gen(function*() {
        const { connection, fake } = yield* connect()
        const peer = yield* open(fake, 1)
        yield* connection.awaitOpen
        const subscribing = yield* Effect.fork(connection.subscribe("com.topic"))
        const subscribe = yield* peer.expect("Subscribe")
        yield* peer.send(
          { _tag: "Subscribed", request: subscribe.request, subscription: 21 },
          { _tag: "Event", subscription: 21, publication: 1, details: {}, args: ["one"] },
          { _tag: "Event", subscription: 21, publication: 2, details: {}, args: ["two"] }
        )
        const subscription = yield* Fiber.join(subscribing)
        yield* Effect.fork(
          peer.expect("Goodbye").pipe(
            Effect.zipRight(peer.send({ _tag: "Goodbye", details: {}, reason: "wamp.close.goodbye_and_out" }))
          )
        )
        yield* connection.close()
        const events = yield* Stream.runCollect(subscription.events)
        expect(Chunk.toReadonlyArray(events).map((event) => event.args[0])).toEqual(["one", "two"])
      })
  )

  scoped(
    "takeAll reads a durable subscription across sessions: the first session's events, then the next's (no Gap)",
    () =>
      Effect.gen(function*() {
        const { connection, peer2, subscription } = yield* subscribedAcrossReconnect(["one", "two"], ["three"])
        // First read after the reconnect: session 1's events come first, then session 2's.
        const args = (taken: readonly [Chunk.Chunk<Session.Event>, boolean]) =>
          Chunk.toReadonlyArray(taken[0]).map((event) => event.args[0])
        expect(args(yield* subscription.takeAll)).toEqual(["one", "two"])
        expect(args(yield* subscription.takeAll)).toEqual(["three"])

        // A take waiting on session 2 gets its next event.
        const waiting = yield* Effect.fork(subscription.takeAll)
        yield* peer2.send({ _tag: "Event", subscription: 22, publication: 4, details: {}, args: ["four"] })
        expect(args(yield* Fiber.join(waiting))).toEqual(["four"])

        // The connection closed: what is left, then done.
        yield* peer2.send({ _tag: "Event", subscription: 22, publication: 5, details: {}, args: ["five"] })
        yield* Effect.fork(
          peer2.expect("Goodbye").pipe(
            Effect.zipRight(peer2.send({ _tag: "Goodbye", details: {}, reason: "wamp.close.goodbye_and_out" }))
          )
        )
        yield* connection.close()
        const rest: Array<unknown> = []
        let done = false
        while (!done) {
          const taken = yield* subscription.takeAll
          rest.push(...args(taken))
          done = taken[1]
        }
        expect(rest).toEqual(["five"])
        expect(yield* subscription.takeAll).toEqual([Chunk.empty(), true])
      })
  )

  scoped(
    "takeAll on a durable subscription the router revokes: fails with SubscriptionRevokedError, and it is not re-subscribed",
    () =>
      Effect.gen(function*() {
        const { connection, fake } = yield* connect()
        const peer1 = yield* open(fake, 1)
        yield* connection.awaitOpen
        const subscription = yield* subscribeAnswered(connection, peer1, "com.topic", 21)
        expect(Tracked.counters(connection).durableSubscriptions).toBe(1)
        const waiting = yield* Effect.fork(Effect.flip(subscription.takeAll))
        yield* peer1.send({
          _tag: "Unsubscribed",
          request: 0,
          details: { subscription: 21, reason: "wamp.reason.gone" }
        })
        expect((yield* Fiber.join(waiting))._tag).toBe("SubscriptionRevokedError")
        expect(Tracked.counters(connection).durableSubscriptions).toBe(0)
        // On the next session nothing is subscribed again.
        yield* peer1.drop
        yield* waitFor(connection, "Retrying")
        yield* TestClock.adjust("5 millis")
        const peer2 = yield* open(fake, 2)
        yield* waitFor(connection, "Open")
        yield* peer2.expectNothing()
      })
  )

  scoped(
    "operations in flight fail at once with SessionClosedError and are never re-sent",
    () =>
      Effect.gen(function*() {
        const { connection, fake } = yield* connect()
        const peer1 = yield* open(fake, 1)
        yield* connection.awaitOpen
        const calls = yield* Effect.forEach([1, 2, 3], (n) =>
          Effect.fork(
            Session.call("com.p", [n]).pipe(
              Effect.provideService(Session.Session, connection.session)
            )
          ))
        yield* receiveAll(peer1, 3)
        yield* peer1.drop
        for (const call of calls) {
          const exit = yield* Fiber.await(call)
          expect(Exit.isFailure(exit) && Exit.causeOption(exit)).toBeTruthy()
          const error = yield* Effect.flip(Fiber.join(call))
          expect(error).toBeInstanceOf(SessionClosedError)
        }
        yield* retryNow(connection)
        const peer2 = yield* open(fake, 2)
        yield* waitFor(connection, "Open")
        // Nothing of the old session is sent again.
        yield* peer2.expectNothing("100 millis")
      })
  )

  scoped(
    "an operation started while disconnected waits for the next session (default policy)",
    () =>
      Effect.gen(function*() {
        const { connection, fake } = yield* connect({ retry: Schedule.spaced("50 millis") })
        const peer1 = yield* open(fake, 1)
        yield* connection.awaitOpen
        yield* peer1.drop
        yield* waitFor(connection, "Retrying")
        const call = yield* Effect.fork(connection.session.call("com.p", [1]))
        // The call waits while the retry does: nothing before the 50 ms are up.
        yield* TestClock.adjust("49 millis")
        expect(yield* noConnection(fake)).toBe(true)
        expect(call.unsafePoll()).toBeNull()
        yield* TestClock.adjust("1 millis")
        const peer2 = yield* open(fake, 2)
        const sent = yield* peer2.expect("Call")
        yield* peer2.send({ _tag: "Result", request: sent.request, details: {}, args: ["ok"] })
        const result = yield* Fiber.join(call)
        expect(result.args).toEqual(["ok"])
      })
  )

  scoped(
    "failFast: an operation while disconnected fails at once; a bounded wait fails when it runs out",
    () =>
      Effect.gen(function*() {
        const fast = yield* connect({ whenDisconnected: "failFast", retry: Schedule.spaced("1 hour") })
        const peer = yield* open(fast.fake, 1)
        yield* fast.connection.awaitOpen
        yield* peer.drop
        yield* waitFor(fast.connection, "Retrying")
        const error = yield* Effect.flip(fast.connection.session.call("com.p"))
        expect(error).toBeInstanceOf(SessionClosedError)

        const bounded = yield* connect({ whenDisconnected: { wait: "50 millis" }, retry: Schedule.spaced("1 hour") })
        const peer2 = yield* open(bounded.fake, 1)
        yield* bounded.connection.awaitOpen
        yield* peer2.drop
        yield* waitFor(bounded.connection, "Retrying")
        const publishing = yield* Effect.fork(Effect.flip(bounded.connection.session.publish("com.t", [1])))
        // The bounded wait runs out at 50 ms of virtual time, not a millisecond early.
        yield* TestClock.adjust("49 millis")
        expect(publishing.unsafePoll()).toBeNull()
        yield* TestClock.adjust("1 millis")
        const waited = yield* Fiber.join(publishing)
        expect(waited).toBeInstanceOf(SessionClosedError)
        expect(waited._tag === "SessionClosedError" && waited.message).toMatch(/no session opened within/)
      })
  )

  scoped(
    "ABORT wamp.error.no_such_realm stops retrying: Closed, will_retry false, the layer fails",
    () =>
      Effect.gen(function*() {
        const { connection, fake } = yield* connect()
        const peer = yield* fake.accept
        yield* peer.expect("Hello")
        yield* peer.send({ _tag: "Abort", details: { message: "no realm" }, reason: WampError.StandardUri.NoSuchRealm })
        const details = yield* connection.closed
        expect(details).toMatchObject({
          reason: WampError.StandardUri.NoSuchRealm,
          message: "no realm",
          wasClean: true,
          everOpened: false,
          willRetry: false,
          retryDelay: undefined,
          retryCount: undefined
        })
        const error = yield* Effect.flip(connection.awaitOpen)
        expect(WampError.isNoSuchRealm(error)).toBe(true)
        // No second connection.
        expect(yield* noConnection(fake)).toBe(true)
      })
  )

  scoped("router GOODBYE wamp.close.system_shutdown retries; wamp.close.killed does not", () =>
    Effect.gen(function*() {
      const { connection, fake } = yield* connect()
      const peer1 = yield* open(fake, 1)
      yield* connection.awaitOpen
      yield* peer1.send({ _tag: "Goodbye", details: {}, reason: WampError.StandardUri.CloseSystemShutdown })
      const retrying = yield* waitFor(connection, "Retrying")
      expect(retrying._tag === "Retrying" && retrying.details).toMatchObject({
        wasClean: true,
        reason: WampError.StandardUri.CloseSystemShutdown,
        willRetry: true,
        retryCount: 1
      })
      expect(yield* connection.isRetrying).toBe(true)
      yield* TestClock.adjust(retrying._tag === "Retrying" ? retrying.delay : "0 millis")
      const peer2 = yield* open(fake, 2)
      yield* waitFor(connection, "Open")
      expect(yield* connection.isRetrying).toBe(false)
      yield* peer2.send({ _tag: "Goodbye", details: {}, reason: WampError.StandardUri.Killed })
      const details = yield* connection.closed
      expect(details).toMatchObject({ wasClean: true, reason: WampError.StandardUri.Killed, willRetry: false })
      expect(yield* connection.isOpen).toBe(false)
    }))

  scoped("close() during a retry wait does not reconnect", () =>
    Effect.gen(function*() {
      const { connection, fake } = yield* connect({ retry: Schedule.spaced("1 hour") })
      const peer = yield* open(fake, 1)
      yield* connection.awaitOpen
      yield* peer.drop
      const retrying = yield* waitFor(connection, "Retrying")
      expect(retrying._tag === "Retrying" && retrying.delay).toBeDefined()
      yield* connection.close()
      const state = yield* connection.state
      expect(state._tag).toBe("Closed")
      expect(state._tag === "Closed" && state.details).toMatchObject({ wasClean: true, everOpened: true })
      // Not even once the retry's hour has passed.
      yield* TestClock.adjust("2 hours")
      expect(yield* noConnection(fake)).toBe(true)
      const error = yield* Effect.flip(connection.session.call("com.p"))
      expect(error).toBeInstanceOf(SessionClosedError)
    }))

  scoped(
    "close() is graceful: GOODBYE, durable streams end, registrations end as session-closed",
    () =>
      Effect.gen(function*() {
        const { connection, fake } = yield* connect()
        const peer = yield* open(fake, 1)
        yield* connection.awaitOpen
        const subscription = yield* subscribeAnswered(connection, peer, "com.t", 1)
        const registering = yield* Effect.fork(connection.register("com.p", () => Effect.void))
        const register = yield* peer.expect("Register")
        yield* peer.send({ _tag: "Registered", request: register.request, registration: 2 })
        const registration = yield* Fiber.join(registering)
        const drained = yield* Effect.fork(Stream.runCollect(subscription.events))
        const closing = yield* Effect.fork(connection.close())
        const goodbye = yield* peer.expect("Goodbye")
        expect(goodbye.reason).toBe(WampError.StandardUri.CloseNormal)
        yield* peer.send({ _tag: "Goodbye", details: {}, reason: WampError.StandardUri.GoodbyeAndOut })
        yield* Fiber.join(closing)
        expect(Chunk.size(yield* Fiber.join(drained))).toBe(0)
        expect((yield* registration.ended).reason).toBe("session-closed")
        expect((yield* connection.closed).wasClean).toBe(true)
      })
  )

  scoped("the first connect is retried (unreachable), unless retryFirstConnect is false", () =>
    Effect.gen(function*() {
      let refusals = 2
      // The first attempt waits until the test watches the states.
      const watching = yield* Deferred.make<void>()
      const flaky = (fake: FakePeer.FakeRouter) =>
        Transport.make((serializers) =>
          Effect.zipRight(
            Deferred.await(watching),
            refusals-- > 0
              ? Effect.fail(new TransportError({ reason: "Open", message: "connection refused" }))
              : fake.transport.open(serializers)
          )
        )
      const { connection, fake } = yield* connect(undefined, flaky)
      const states = yield* Effect.fork(
        Stream.runCollect(connection.changes.pipe(Stream.takeUntil((state) => state._tag === "Open")))
      )
      // Real time: the states fiber subscribes to the changes meanwhile.
      yield* inRealTime(Effect.sleep("20 millis"))
      yield* Deferred.succeed(watching, undefined)
      // Two refusals, each followed by the schedule's 5 ms.
      yield* retryNow(connection)
      yield* retryNow(connection)
      yield* open(fake, 1)
      const seen = Chunk.toReadonlyArray(yield* Fiber.join(states))
      expect(
        seen.map((state) =>
          state._tag === "Retrying"
            ? `${state._tag}:${state.details.everOpened ? "after-open" : "never-open"}`
            : state._tag
        )
      )
        .toEqual(["Connecting", "Retrying:never-open", "Connecting", "Retrying:never-open", "Connecting", "Open"])

      refusals = 1
      const once = yield* connect({ retryFirstConnect: false }, flaky)
      const details = yield* once.connection.closed
      expect(details).toMatchObject({ wasClean: false, everOpened: false, willRetry: false })
      const error = yield* Effect.flip(once.connection.awaitOpen)
      expect(error).toBeInstanceOf(TransportError)
    }))

  scoped(
    "Connection.layer provides Session: user code is unchanged; the layer fails when the first join fails",
    () =>
      Effect.gen(function*() {
        const fake = yield* fakeRouter
        const layer = Connection.layer({ realm: "realm1", goodbyeTimeout: "200 millis", retry: fastRetry }).pipe(
          Layer.provide(Layer.merge(fake.layer, Layer.succeed(Authenticator.Authenticator, Authenticator.anonymous())))
        )
        const scope = yield* Scope.make()
        const building = yield* Effect.fork(Layer.buildWithScope(layer, scope))
        const peer = yield* fake.accept
        yield* peer.welcome({ session: 7 })
        const context = yield* Fiber.join(building)
        const calling = yield* Effect.fork(Session.call("com.p", [1]).pipe(Effect.provide(context)))
        const call = yield* peer.expect("Call")
        yield* peer.send({ _tag: "Result", request: call.request, details: {}, args: [2] })
        expect((yield* Fiber.join(calling)).args).toEqual([2])
        const closing = yield* Effect.fork(Scope.close(scope, Exit.void))
        yield* peer.expect("Goodbye")
        yield* peer.send({ _tag: "Goodbye", details: {}, reason: WampError.StandardUri.GoodbyeAndOut })
        yield* Fiber.join(closing)

        const failing = yield* Effect.fork(Effect.scoped(Layer.build(layer)))
        const refused = yield* fake.accept
        yield* refused.expect("Hello")
        yield* refused.send({ _tag: "Abort", details: {}, reason: WampError.StandardUri.NotAuthorized })
        const error = yield* Effect.flip(Fiber.join(failing))
        expect(WampError.isNotAuthorized(error)).toBe(true)
      })
  )

  scoped(
    "a revoked durable registration is not re-registered; unregister and scope close are final",
    () =>
      Effect.gen(function*() {
        const { connection, fake } = yield* connect()
        const peer1 = yield* open(fake, 1)
        yield* connection.awaitOpen
        const scope = yield* Scope.make()
        const registering = yield* Effect.fork(
          Scope.extend(connection.register("com.revoked", () => Effect.void), scope)
        )
        const register = yield* peer1.expect("Register")
        yield* peer1.send({ _tag: "Registered", request: register.request, registration: 1 })
        const revoked = yield* Fiber.join(registering)
        yield* peer1.send({ _tag: "Unregistered", request: 0, details: { registration: 1, reason: "gone" } })
        expect((yield* revoked.ended).reason).toBe("revoked")
        const subscribing = yield* Effect.fork(Scope.extend(connection.subscribe("com.left"), scope))
        const subscribe = yield* peer1.expect("Subscribe")
        yield* peer1.send({ _tag: "Subscribed", request: subscribe.request, subscription: 3 })
        const left = yield* Fiber.join(subscribing)
        const unsubscribing = yield* Effect.fork(left.unsubscribe)
        const unsubscribe = yield* peer1.expect("Unsubscribe")
        yield* peer1.send({ _tag: "Unsubscribed", request: unsubscribe.request })
        yield* Fiber.join(unsubscribing)
        yield* Scope.close(scope, Exit.void)
        expect(Tracked.counters(connection)).toMatchObject({ durableRegistrations: 0, durableSubscriptions: 0 })
        yield* peer1.drop
        yield* retryNow(connection)
        yield* open(fake, 2).pipe(Effect.flatMap((peer) => peer.expectNothing("100 millis")))
      })
  )
})
