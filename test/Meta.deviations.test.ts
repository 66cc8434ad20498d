/**
 * The typed meta API's decoding of what real routers send, scripted with FakePeer so the committed
 * suite needs no Nexus: the spec's shapes, Nexus's deviations (`match: ""`, `invoke: ""`, `0` for
 * "none", `null` id lists, a count from `kill_by_authid`, `count_subscribers` missing), and replies
 * that match neither (a typed `PayloadError`, a failed event stream).
 */
import { describe, expect } from "@effect/vitest"
import { Chunk, Effect, Either, type Exit, Fiber, Option, Stream } from "effect"
import * as Authenticator from "../src/Authenticator.js"
import type * as Message from "../src/Message.js"
import * as Meta from "../src/Meta.js"
import * as Session from "../src/Session.js"
import * as FakePeer from "../src/testing/FakePeer.js"
import { dropAtEnd, scoped } from "./support/session.js"

const connect = Effect.gen(function*() {
  const fake = yield* FakePeer.make({ timeout: "2 seconds" })
  const joining = yield* Effect.fork(
    Session.make({ realm: "realm1", goodbyeTimeout: "100 millis" }).pipe(
      Effect.provide(fake.layer),
      Effect.provideService(Authenticator.Authenticator, Authenticator.anonymous())
    )
  )
  const peer = yield* fake.accept
  // On TestClock: the link drops when the test body ends, so the session's GOODBYE waits for nothing.
  yield* dropAtEnd(peer)
  yield* peer.welcome({ session: 7 })
  const session = yield* Fiber.join(joining)
  return { peer, meta: Meta.forSession(session) }
})

/** Runs `effect`, answers its one CALL with `answer`, and returns the effect's exit and the CALL. */
const exchange = <A, E>(
  peer: FakePeer.FakePeer,
  effect: Effect.Effect<A, E>,
  answer: (call: Message.Call) => Message.Message
) =>
  Effect.gen(function*() {
    const fiber = yield* Effect.fork(Effect.exit(effect))
    const call = yield* peer.expect("Call")
    yield* peer.send(answer(call))
    return { exit: yield* Fiber.join(fiber), call }
  })

const result = (...args: Message.List) => (call: Message.Call): Message.Message => ({
  _tag: "Result",
  request: call.request,
  details: {},
  args
})
const error = (uri: string) => (call: Message.Call): Message.Message => ({
  _tag: "Error",
  requestType: 48,
  request: call.request,
  details: {},
  error: uri
})

const success = <A, E>(exit: Exit.Exit<A, E>): A => {
  if (exit._tag === "Failure") throw new Error(`expected success, got ${String(exit.cause)}`)
  return exit.value
}
const failureOf = <A, E>(exit: Exit.Exit<A, E>): E => {
  if (exit._tag === "Success" || exit.cause._tag !== "Fail") throw new Error("expected a typed failure")
  return exit.cause.error
}

describe("Meta: decoding what routers send", () => {
  scoped(
    "lookup and match: null and 0 are none, an id is some; the options are sent as given",
    () =>
      Effect.gen(function*() {
        const { meta, peer } = yield* connect
        const a = yield* exchange(peer, meta.registrationLookup("com.x", { match: "prefix" }), result(null))
        expect(a.call.procedure).toBe("wamp.registration.lookup")
        expect(a.call.args).toEqual(["com.x", { match: "prefix" }])
        expect(success(a.exit)).toEqual(Option.none())
        const b = yield* exchange(peer, meta.registrationLookup("com.x"), result(0))
        expect(b.call.args).toEqual(["com.x"])
        expect(success(b.exit)).toEqual(Option.none())
        expect(success((yield* exchange(peer, meta.registrationMatch("com.x"), result(0))).exit)).toEqual(Option.none())
        expect(success((yield* exchange(peer, meta.subscriptionLookup("com.x"), result(42))).exit)).toEqual(
          Option.some(42)
        )
      })
  )

  scoped(
    "details: match \"\" is exact and invoke \"\" is single; extra keys are dropped",
    () =>
      Effect.gen(function*() {
        const { meta, peer } = yield* connect
        const nexus = { id: 5, created: "2026-12-02T02:59:18Z", uri: "com.x", match: "", invoke: "", extra: 1 }
        expect(success((yield* exchange(peer, meta.registrationGet(5), result(nexus))).exit)).toEqual({
          id: 5,
          created: "2026-12-02T02:59:18Z",
          uri: "com.x",
          match: "exact",
          invoke: "single"
        })
        const sub = { id: 6, created: "c", uri: "com..x", match: "wildcard" }
        expect(success((yield* exchange(peer, meta.subscriptionGet(6), result(sub))).exit)).toEqual(sub)
      })
  )

  scoped("id lists: null is empty; list keys may be missing", () =>
    Effect.gen(function*() {
      const { meta, peer } = yield* connect
      expect(success((yield* exchange(peer, meta.subscriptionMatch("com.x"), result(null))).exit)).toEqual([])
      expect(success((yield* exchange(peer, meta.listCallees(3), result([1, 2]))).exit)).toEqual([1, 2])
      const lists = yield* exchange(peer, meta.registrationList(), result({ exact: [1], prefix: null }))
      expect(success(lists.exit)).toEqual({ exact: [1], prefix: [], wildcard: [] })
    }))

  scoped(
    "kill_by_authid: the spec's id list, or Nexus's count; the reason goes in kwargs",
    () =>
      Effect.gen(function*() {
        const { meta, peer } = yield* connect
        const spec = yield* exchange(peer, meta.killByAuthid("joe", { reason: "com.x.bye" }), result([3, 4]))
        expect(spec.call.args).toEqual(["joe"])
        expect(spec.call.kwargs).toEqual({ reason: "com.x.bye" })
        expect(success(spec.exit)).toEqual({ count: 2, sessions: [3, 4] })
        const nexus = yield* exchange(peer, meta.killByAuthid("joe"), result(2))
        expect(success(nexus.exit)).toEqual({ count: 2, sessions: undefined })
      })
  )

  scoped(
    "count_subscribers missing (Nexus registers it misspelt): counted from list_subscribers",
    () =>
      Effect.gen(function*() {
        const { meta, peer } = yield* connect
        const fiber = yield* Effect.fork(meta.countSubscribers(9))
        const first = yield* peer.expect("Call")
        expect(first.procedure).toBe("wamp.subscription.count_subscribers")
        yield* peer.send(error("wamp.error.no_such_procedure")(first))
        const second = yield* peer.expect("Call")
        expect(second.procedure).toBe("wamp.subscription.list_subscribers")
        expect(second.args).toEqual([9])
        yield* peer.send(result([11, 12, 13])(second))
        expect(yield* Fiber.join(fiber)).toBe(3)
      })
  )

  scoped(
    "not found is typed; other errors stay WampError; a malformed reply is a PayloadError",
    () =>
      Effect.gen(function*() {
        const { meta, peer } = yield* connect
        const missing = failureOf((yield* exchange(peer, meta.sessionGet(1), error("wamp.error.no_such_session"))).exit)
        expect(missing).toBeInstanceOf(Meta.NoSuchSession)
        const denied = failureOf((yield* exchange(peer, meta.sessionCount(), error("wamp.error.not_authorized"))).exit)
        expect(denied._tag).toBe("WampError")
        const bad = failureOf((yield* exchange(peer, meta.sessionCount(), result("three"))).exit)
        expect(bad._tag).toBe("PayloadError")
        if (bad._tag === "PayloadError") {
          expect(bad.reason).toBe("DecodeResult")
          expect(bad.uri).toBe("wamp.session.count")
        }
        const badDetails = failureOf((yield* exchange(peer, meta.sessionGet(1), result({ session: "x" }))).exit)
        expect(badDetails._tag).toBe("PayloadError")
      })
  )

  scoped("meta events decode positional arguments; a malformed one fails the stream", () =>
    Effect.gen(function*() {
      const { meta, peer } = yield* connect
      const events = yield* Effect.fork(Stream.runCollect(Stream.either(meta.onLeave)))
      const subscribe = yield* peer.expect("Subscribe")
      expect(subscribe.topic).toBe("wamp.session.on_leave")
      yield* peer.send({ _tag: "Subscribed", request: subscribe.request, subscription: 77 })
      const event = (publication: number, args: Message.List): Message.Message => ({
        _tag: "Event",
        subscription: 77,
        publication,
        details: {},
        args
      })
      yield* peer.send(event(1, [5, "joe", "user"]), event(2, [6, null]), event(3, ["not an id"]))
      // The failed stream unsubscribes (and waits for the reply, which we give).
      const unsubscribe = yield* peer.expect("Unsubscribe")
      expect(unsubscribe.subscription).toBe(77)
      yield* peer.send({ _tag: "Unsubscribed", request: unsubscribe.request })
      const [first, second, third, ...rest] = Chunk.toReadonlyArray(yield* Fiber.join(events))
      expect(first).toEqual(Either.right({ session: 5, authid: "joe", authrole: "user" }))
      expect(second).toEqual(Either.right({ session: 6, authid: undefined, authrole: undefined }))
      // Only the router publishes on wamp.*: a malformed event is a bug worth seeing, so the stream fails.
      expect(Either.isLeft(third!) && third.left._tag).toBe("PayloadError")
      expect(rest).toEqual([])
    }))

  scoped(
    "meta events: extra trailing arguments are tolerated; ending the stream unsubscribes",
    () =>
      Effect.gen(function*() {
        const { meta, peer } = yield* connect
        const events = yield* Effect.fork(Stream.runCollect(Stream.take(meta.onRegister, 2)))
        const subscribe = yield* peer.expect("Subscribe")
        expect(subscribe.topic).toBe("wamp.registration.on_register")
        yield* peer.send({ _tag: "Subscribed", request: subscribe.request, subscription: 78 })
        for (const [publication, args] of [[1, [5, 100]], [2, [6, 101, "extra"]]] as const) {
          yield* peer.send({ _tag: "Event", subscription: 78, publication, details: {}, args: [...args] })
        }
        // Ending the stream unsubscribes, and the stream ends once UNSUBSCRIBED arrives.
        const unsubscribe = yield* peer.expect("Unsubscribe")
        expect(unsubscribe.subscription).toBe(78)
        yield* peer.send({ _tag: "Unsubscribed", request: unsubscribe.request })
        expect([...(yield* Fiber.join(events))]).toEqual([{ session: 5, id: 100 }, { session: 6, id: 101 }])
      })
  )
})
