/**
 * The typed meta API end to end, written once against "some router": the test-kit router (every
 * transport × serializer, `test/Meta.*.test.ts`) and Nexus (`test/meta/nexus.nexus.ts`, run by hand
 * with `npm run test:nexus`). Nexus is shared by every test and never publishes a meta event to the
 * session that caused it, so each test observes from a separate session, filters events by the
 * session it caused them with, and asserts only on what it created.
 */
import { expect, it } from "@effect/vitest"
import { Chunk, Effect, Either, Exit, Fiber, Option, Schedule, Scope, Stream } from "effect"
import * as Meta from "../../src/Meta.js"
import type * as Session from "../../src/Session.js"
import { Session as SessionTag } from "../../src/Session.js"
import type * as Topic from "../../src/Topic.js"

export interface MetaTarget {
  /** Joins the realm anonymously for the lifetime of the scope. */
  readonly join: () => Effect.Effect<Session.SessionService, unknown, Scope.Scope>
  /** A URI no other test uses. */
  readonly uri: (name: string) => string
}

/** The first event of a meta subscription that satisfies `keep`, awaited in a fiber started now. */
const first = <A>(events: Stream.Stream<A, unknown>, keep: (a: A) => boolean) =>
  Effect.fork(
    Stream.runHead(Stream.filter(events, keep)).pipe(Effect.map(Option.getOrThrow), Effect.timeout("5 seconds"))
  )

/** Subscribes the observer to a meta topic now; the decoded payloads. */
const eventsOf = <T extends Topic.Topic>(observer: Session.SessionService, topic: T) =>
  Effect.map(
    Meta.subscribe(topic).pipe(Effect.provideService(SessionTag, observer)),
    (subscription) => Stream.map(subscription.events, (event) => event.payload)
  )

const failure = <A, E>(effect: Effect.Effect<A, E>) => Effect.flip(effect)

export const metaSuite = (target: Effect.Effect<MetaTarget, unknown, Scope.Scope>): void => {
  it.scopedLive("sessions: on_join / on_leave, count, list, get, and NoSuchSession", () =>
    Effect.gen(function*() {
      const { join } = yield* target
      const observer = yield* join()
      const meta = Meta.forSession(observer)
      const joins = yield* eventsOf(observer, Meta.OnJoin)
      const leaves = yield* eventsOf(observer, Meta.OnLeave)
      const countBefore = yield* meta.sessionCount()

      const joined = yield* first(joins, (p) => p.details.session !== observer.info.id)
      const other = yield* Effect.scoped(Effect.gen(function*() {
        const other = yield* join()
        const seen = (yield* Fiber.join(joined)).details
        expect(seen.session).toBe(other.info.id)
        expect(seen.authid).toBe(other.info.authid)
        expect(seen.authrole).toBe(other.info.authrole)

        expect(yield* meta.sessionCount()).toBe(countBefore + 1)
        expect(yield* meta.sessionCount(["no-such-role-anywhere"])).toBe(0)
        expect(yield* meta.sessionCount([other.info.authrole!])).toBeGreaterThanOrEqual(1)
        const list = yield* meta.sessionList()
        expect(list).toContain(other.info.id)
        expect(list).toContain(observer.info.id)
        expect(yield* meta.sessionList(["no-such-role-anywhere"])).toEqual([])

        const details = yield* meta.sessionGet(other.info.id)
        expect(details.session).toBe(other.info.id)
        expect(details.authid).toBe(other.info.authid)
        expect(details.authrole).toBe(other.info.authrole)
        return other.info
      }))
      const left = yield* Fiber.join(yield* first(leaves, (p) => p.session === other.id))
      expect(left).toEqual({ session: other.id, authid: other.authid, authrole: other.authrole })

      const missing = yield* failure(meta.sessionGet(other.id))
      expect(missing._tag).toBe("NoSuchSession")
      expect(yield* meta.sessionCount()).toBe(countBefore)
    }))

  it.scopedLive("kill, kill_by_authid, kill_by_authrole and kill_all end the other sessions with the reason", () =>
    Effect.gen(function*() {
      const { join } = yield* target
      const admin = yield* join()
      const meta = Meta.forSession(admin)

      const victim = yield* join()
      yield* meta.killSession(victim.info.id, { reason: "com.example.go_away", message: "bye" })
      const closed = yield* victim.closed.pipe(Effect.timeout("5 seconds"))
      expect(closed.reason).toBe("com.example.go_away")
      expect(closed.by).toBe("router")
      // Our own session is "no such (other) session".
      expect((yield* failure(meta.killSession(admin.info.id)))._tag).toBe("NoSuchSession")
      // A killed session is gone once the router has processed its GOODBYE reply; Nexus does that
      // asynchronously, so poll (bounded) rather than assume it is immediate.
      const gone = yield* failure(meta.sessionGet(victim.info.id)).pipe(
        Effect.retry(Schedule.spaced("20 millis").pipe(Schedule.intersect(Schedule.recurs(100))))
      )
      expect(gone._tag).toBe("NoSuchSession")
      expect((yield* failure(meta.killSession(victim.info.id)))._tag).toBe("NoSuchSession")

      const byId = yield* join()
      // Explicit reasons: Nexus closes with wamp.close.normal when none is given (the spec: killed).
      const killed = yield* meta.killByAuthid(byId.info.authid!, { reason: "com.example.by_authid" })
      expect(killed.count).toBe(1)
      // Nexus answers with a count only; the spec (and the test-kit router) with the ids.
      if (killed.sessions !== undefined) expect(killed.sessions).toEqual([byId.info.id])
      expect((yield* byId.closed.pipe(Effect.timeout("5 seconds"))).reason).toBe("com.example.by_authid")

      expect(yield* meta.killByAuthrole("no-such-role-anywhere")).toBe(0)

      const [a, b] = yield* Effect.all([join(), join()])
      expect(yield* meta.killAll({ reason: "com.example.all_out", message: "everyone out" })).toBeGreaterThanOrEqual(2)
      for (const s of [a, b]) {
        expect((yield* s.closed.pipe(Effect.timeout("5 seconds"))).reason).toBe("com.example.all_out")
      }
      expect(yield* admin.isOpen).toBe(true)
    }))

  it.scopedLive("registrations: on_create / on_register / on_unregister / on_delete and the procedures", () =>
    Effect.gen(function*() {
      const { join, uri } = yield* target
      const [observer, callee] = yield* Effect.all([join(), join()])
      const meta = Meta.forSession(observer)
      const exact = uri("proc")
      const prefix = uri("pfx")
      const created = yield* eventsOf(observer, Meta.OnRegistrationCreate)
      const registered = yield* eventsOf(observer, Meta.OnRegister)
      const unregistered = yield* eventsOf(observer, Meta.OnUnregister)
      const deleted = yield* eventsOf(observer, Meta.OnRegistrationDelete)
      const seenCreate = yield* first(created, (p) => p.details.uri === exact)
      const seenRegister = yield* first(registered, (p) => p.session === callee.info.id)

      const reg = yield* callee.register(exact, () => Effect.succeed({ args: [1] }))
      const pfx = yield* callee.register(prefix, () => Effect.succeed({ args: [2] }), { match: "prefix" })

      const create = yield* Fiber.join(seenCreate)
      expect(create.session).toBe(callee.info.id)
      expect(create.details).toMatchObject({ id: reg.id, uri: exact, match: "exact" })
      expect(typeof create.details.created).toBe("string")
      expect((yield* Fiber.join(seenRegister)).session).toBe(callee.info.id)

      expect(yield* meta.registrationLookup(exact)).toEqual(Option.some(reg.id))
      expect(yield* meta.registrationLookup(prefix, { match: "prefix" })).toEqual(Option.some(pfx.id))
      expect(yield* meta.registrationLookup(prefix)).toEqual(Option.none())
      expect(yield* meta.registrationLookup(uri("nothing"))).toEqual(Option.none())
      expect(yield* meta.registrationMatch(`${prefix}.deeper`)).toEqual(Option.some(pfx.id))
      expect(yield* meta.registrationMatch(exact)).toEqual(Option.some(reg.id))
      expect(yield* meta.registrationMatch(uri("nothing"))).toEqual(Option.none())

      const details = yield* meta.registrationGet(pfx.id)
      expect(details).toMatchObject({ id: pfx.id, uri: prefix, match: "prefix", invoke: "single" })
      expect(yield* meta.listCallees(reg.id)).toEqual([callee.info.id])
      expect(yield* meta.countCallees(reg.id)).toBe(1)
      const list = yield* meta.registrationList()
      expect(list.exact).toContain(reg.id)
      expect(list.prefix).toContain(pfx.id)
      expect(list.exact).not.toContain(pfx.id)

      const seenUnregister = yield* first(unregistered, (p) => p.id === reg.id)
      const seenDelete = yield* first(deleted, (p) => p.id === reg.id)
      yield* reg.unregister
      expect(yield* Fiber.join(seenUnregister)).toEqual({ session: callee.info.id, id: reg.id })
      expect(yield* Fiber.join(seenDelete)).toEqual({ session: callee.info.id, id: reg.id })

      for (const missing of [meta.registrationGet(reg.id), meta.listCallees(reg.id), meta.countCallees(reg.id)]) {
        expect((yield* failure(missing as Effect.Effect<unknown, { readonly _tag: string }>))._tag).toBe(
          "NoSuchRegistration"
        )
      }
      expect(yield* meta.registrationLookup(exact)).toEqual(Option.none())
    }))

  it.scopedLive("subscriptions: on_create / on_subscribe / on_unsubscribe / on_delete and the procedures", () =>
    Effect.gen(function*() {
      const { join, uri } = yield* target
      const [observer, subscriber, second] = yield* Effect.all([join(), join(), join()])
      const meta = Meta.forSession(observer)
      const topic = uri("topic.leaf")
      const pattern = topic.replace(/\.topic\.leaf$/, "..leaf")
      const created = yield* eventsOf(observer, Meta.OnSubscriptionCreate)
      const subscribed = yield* eventsOf(observer, Meta.OnSubscribe)
      const unsubscribed = yield* eventsOf(observer, Meta.OnUnsubscribe)
      const deleted = yield* eventsOf(observer, Meta.OnSubscriptionDelete)
      const seenCreate = yield* first(created, (p) => p.details.uri === topic)
      const seenSubscribe = yield* first(subscribed, (p) => p.session === second.info.id)

      // The subscriber's own scope, closed below to unsubscribe it while `second` stays.
      const subscriberScope = yield* Scope.make()
      const secondScope = yield* Scope.make()
      const sub = yield* Effect.gen(function*() {
        const sub = yield* subscriber.subscribe(topic).pipe(Scope.extend(subscriberScope))
        const wild = yield* subscriber.subscribe(pattern, { match: "wildcard" }).pipe(Scope.extend(subscriberScope))
        const create = yield* Fiber.join(seenCreate)
        expect(create.session).toBe(subscriber.info.id)
        expect(create.details).toMatchObject({ id: sub.id, uri: topic, match: "exact" })
        yield* second.subscribe(topic).pipe(Scope.extend(secondScope))
        expect(yield* Fiber.join(seenSubscribe)).toEqual({ session: second.info.id, id: sub.id })

        expect(yield* meta.subscriptionLookup(topic)).toEqual(Option.some(sub.id))
        expect(yield* meta.subscriptionLookup(pattern, { match: "wildcard" })).toEqual(Option.some(wild.id))
        expect(yield* meta.subscriptionLookup(uri("nothing"))).toEqual(Option.none())
        expect([...(yield* meta.subscriptionMatch(topic))].sort()).toEqual([sub.id, wild.id].sort())
        expect(yield* meta.subscriptionMatch(uri("nothing"))).toEqual([])
        expect(yield* meta.subscriptionGet(wild.id)).toMatchObject({ id: wild.id, uri: pattern, match: "wildcard" })
        expect([...(yield* meta.listSubscribers(sub.id))].sort()).toEqual(
          [subscriber.info.id, second.info.id].sort()
        )
        expect(yield* meta.countSubscribers(sub.id)).toBe(2)
        expect(yield* meta.countSubscribers(wild.id)).toBe(1)
        const list = yield* meta.subscriptionList()
        expect(list.exact).toContain(sub.id)
        expect(list.wildcard).toContain(wild.id)
        return sub
      })
      yield* Scope.close(subscriberScope, Exit.void)
      // `second` still holds the subscription.
      expect(yield* meta.listSubscribers(sub.id)).toEqual([second.info.id])

      const seenUnsubscribe = yield* first(unsubscribed, (p) => p.session === second.info.id)
      const seenDelete = yield* first(deleted, (p) => p.id === sub.id)
      // An explicit UNSUBSCRIBE: Nexus publishes no on_unsubscribe for a session that leaves.
      yield* Scope.close(secondScope, Exit.void)
      expect(yield* Fiber.join(seenUnsubscribe)).toEqual({ session: second.info.id, id: sub.id })
      expect(yield* Fiber.join(seenDelete)).toEqual({ session: second.info.id, id: sub.id })
      for (
        const missing of [meta.subscriptionGet(sub.id), meta.listSubscribers(sub.id), meta.countSubscribers(sub.id)]
      ) {
        expect((yield* failure(missing as Effect.Effect<unknown, { readonly _tag: string }>))._tag).toBe(
          "NoSuchSubscription"
        )
      }
    }))

  it.scopedLive("the Session-context forms and the convenience streams", () =>
    Effect.gen(function*() {
      const { join } = yield* target
      const observer = yield* join()
      const run = <A, E>(effect: Effect.Effect<A, E, SessionTag>) => Effect.provideService(effect, SessionTag, observer)
      expect(yield* run(Meta.sessionList())).toContain(observer.info.id)
      expect(Either.isLeft(yield* Effect.either(run(Meta.sessionGet(observer.info.id + 1e9))))).toBe(true)
      // The stream subscribes when run: poll joins until ours shows up.
      const joins = yield* Effect.fork(
        Stream.runCollect(Stream.take(Stream.provideService(Meta.onJoin, SessionTag, observer), 1))
      )
      const joined = yield* Effect.retry(
        Effect.gen(function*() {
          const other = yield* Effect.scoped(Effect.map(join(), (s) => s.info.id))
          const polled = yield* Fiber.join(joins).pipe(Effect.timeout("300 millis"))
          return { other, polled: Chunk.toReadonlyArray(polled) }
        }),
        { times: 20 }
      )
      expect(joined.polled.length).toBe(1)
    }))
}
