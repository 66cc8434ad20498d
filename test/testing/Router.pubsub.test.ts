import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import type * as Message from "../../src/Message.js"
import * as Serializer from "../../src/Serializer.js"
import * as Router from "../../src/testing/Router.js"
import { call, join, type RawClient, subscribe } from "./support/rawClient.js"

const publish = (client: RawClient, topic: string, options: Message.Dict = {}, args: Message.List = ["hi"]) =>
  Effect.gen(function*() {
    const request = client.nextId()
    yield* client.send({ _tag: "Publish", request, options: { acknowledge: true, ...options }, topic, args })
    return yield* client.take(
      (m): m is Message.Published | Message.Error =>
        (m._tag === "Published" || m._tag === "Error") && m.request === request,
      `reply to PUBLISH ${request}`
    )
  })

/** Takes the events this client received so far (after a barrier), for "who got it" assertions. */
const eventsOf = (client: RawClient) =>
  Effect.gen(function*() {
    yield* client.barrier
    return (yield* client.drain).filter((m): m is Message.Event => m._tag === "Event")
  })

describe("Router broker", () => {
  it.scoped("subscribe, publish with acknowledge: PUBLISHED and EVENT with the same publication", () =>
    Effect.gen(function*() {
      const router = yield* Router.make({ realms: ["realm1"] })
      const [publisher, subscriber] = [yield* join(router), yield* join(router)]
      const subscription = yield* subscribe(subscriber, "com.app.news")
      const published = yield* publish(publisher, "com.app.news", {}, ["a"])
      assert.strictEqual(published._tag, "Published")
      const event = yield* subscriber.expect("Event")
      assert.strictEqual(event.subscription, subscription)
      assert.deepStrictEqual(event.args, ["a"])
      if (published._tag === "Published") assert.strictEqual(event.publication, published.publication)
      assert.deepStrictEqual(event.details, {})
    }))

  it.scoped("one subscription id per topic+match, shared between sessions", () =>
    Effect.gen(function*() {
      const router = yield* Router.make({ realms: ["realm1"] })
      const [a, b] = [yield* join(router), yield* join(router)]
      const first = yield* subscribe(a, "com.app.t")
      assert.strictEqual(yield* subscribe(b, "com.app.t"), first)
      assert.strictEqual(yield* subscribe(a, "com.app.t"), first)
      assert.notStrictEqual(yield* subscribe(a, "com.app.t", { match: "prefix" }), first)
    }))

  it.scoped("exclude_me defaults to true; exclude_me:false delivers to the publisher", () =>
    Effect.gen(function*() {
      const router = yield* Router.make({ realms: ["realm1"] })
      const client = yield* join(router)
      yield* subscribe(client, "com.app.self")
      yield* publish(client, "com.app.self", {}, [1])
      yield* publish(client, "com.app.self", { exclude_me: false }, [2])
      const events = yield* eventsOf(client)
      assert.deepStrictEqual(events.map((e) => e.args), [[2]])
    }))

  it.scoped("exclude / eligible by session id, authid and authrole", () =>
    Effect.gen(function*() {
      const router = yield* Router.make({
        realms: [{
          name: "realm1",
          users: { u1: { ticket: "x", authrole: "red" }, u2: { ticket: "x", authrole: "blue" } }
        }]
      })
      const login = (authid: string) =>
        Effect.gen(function*() {
          const { connect } = yield* Effect.promise(() => import("./support/rawClient.js"))
          const client = yield* connect(router)
          yield* client.send({
            _tag: "Hello",
            realm: "realm1",
            details: { roles: { subscriber: {}, publisher: {} }, authmethods: ["ticket"], authid }
          })
          yield* client.expect("Challenge")
          yield* client.send({ _tag: "Authenticate", signature: "x", extra: {} })
          client.session = (yield* client.expect("Welcome")).session
          return client
        })
      const [publisher, red, blue] = [yield* login("u1"), yield* login("u1"), yield* login("u2")]
      yield* subscribe(red, "com.t")
      yield* subscribe(blue, "com.t")
      const cases: ReadonlyArray<readonly [Message.Dict, ReadonlyArray<RawClient>]> = [
        [{ exclude: [red.session] }, [blue]],
        [{ eligible: [red.session] }, [red]],
        [{ exclude_authrole: ["blue"] }, [red]],
        [{ eligible_authrole: ["blue"] }, [blue]],
        [{ exclude_authid: ["u1"] }, [blue]],
        [{ eligible_authid: ["u1"] }, [red]],
        [{ eligible: [red.session, blue.session], exclude_authrole: ["red"] }, [blue]]
      ]
      for (const [index, [options, receivers]] of cases.entries()) {
        yield* publish(publisher, "com.t", options, [index])
        for (const client of [red, blue]) {
          const got = (yield* eventsOf(client)).some((e) => e.args?.[0] === index)
          assert.strictEqual(got, receivers.includes(client), `${JSON.stringify(options)} for ${client.session}`)
        }
      }
    }))

  it.scoped("publisher disclosure and no PUBLISHED without acknowledge", () =>
    Effect.gen(function*() {
      const router = yield* Router.make({ realms: ["realm1"] })
      const [publisher, subscriber] = [yield* join(router), yield* join(router)]
      yield* subscribe(subscriber, "com.t")
      const request = publisher.nextId()
      yield* publisher.send({ _tag: "Publish", request, options: { disclose_me: true }, topic: "com.t" })
      const event = yield* subscriber.expect("Event")
      assert.strictEqual(event.details["publisher"], publisher.session)
      assert.strictEqual(event.details["publisher_authrole"], "anonymous")
      yield* publisher.barrier
      assert.isFalse((yield* publisher.pending).some((m) => m._tag === "Published"))
    }))

  it.scoped("prefix and wildcard subscriptions get EVENT.Details.topic; one event per matching subscription", () =>
    Effect.gen(function*() {
      const router = yield* Router.make({ realms: ["realm1"] })
      const [publisher, subscriber] = [yield* join(router), yield* join(router)]
      const exact = yield* subscribe(subscriber, "com.app.a.b")
      const prefix = yield* subscribe(subscriber, "com.app", { match: "prefix" })
      const wildcard = yield* subscribe(subscriber, "com..a.", { match: "wildcard" })
      const published = yield* publish(publisher, "com.app.a.b")
      const events = yield* eventsOf(subscriber)
      assert.deepStrictEqual(events.map((e) => e.subscription).sort(), [exact, prefix, wildcard].sort())
      for (const event of events) {
        assert.strictEqual(event.details["topic"], event.subscription === exact ? undefined : "com.app.a.b")
        assert.strictEqual(event.publication, published._tag === "Published" ? published.publication : -1)
      }
      // A plain string prefix (the spec's `emergency` / `emergency-low` example; Crossbar.io, Nexus).
      yield* publish(publisher, "com.apple")
      assert.deepStrictEqual((yield* eventsOf(subscriber)).map((e) => e.subscription), [prefix])
      yield* publish(publisher, "com.ap")
      assert.deepStrictEqual(yield* eventsOf(subscriber), [], "shorter than the prefix")
    }))

  it.scoped("prefix subscription: the spec's example, a plain string prefix", () =>
    Effect.gen(function*() {
      const router = yield* Router.make({ realms: ["realm1"] })
      const [publisher, subscriber] = [yield* join(router), yield* join(router)]
      yield* subscribe(subscriber, "com.myapp.topic.emergency", { match: "prefix" })
      const topics = [
        "com.myapp.topic.emergency.11",
        "com.myapp.topic.emergency-low",
        "com.myapp.topic.emergency.category.severe",
        "com.myapp.topic.emergency",
        "com.myapp.topic.emerge"
      ]
      for (const topic of topics) yield* publish(publisher, topic)
      const events = yield* eventsOf(subscriber)
      assert.deepStrictEqual(events.map((e) => e.details["topic"]), topics.slice(0, 4))
    }))

  it.scoped("retained events: delivered on subscribe with get_retained, marked retained", () =>
    Effect.gen(function*() {
      const router = yield* Router.make({ realms: ["realm1"] })
      const publisher = yield* join(router)
      yield* publish(publisher, "com.state", { retain: true }, ["v1"])
      yield* publish(publisher, "com.state", { retain: true }, ["v2"])
      yield* publish(publisher, "com.other", {}, ["not retained"])
      const late = yield* join(router)
      const subscription = yield* subscribe(late, "com.state", { get_retained: true })
      const event = yield* late.expect("Event")
      assert.deepStrictEqual([event.subscription, event.args, event.details["retained"]], [subscription, ["v2"], true])
      const patterned = yield* subscribe(late, "com", { match: "prefix", get_retained: true })
      const viaPattern = yield* late.expect("Event", (e) => e.subscription === patterned)
      assert.deepStrictEqual([viaPattern.details["topic"], viaPattern.args], ["com.state", ["v2"]])
      const plain = yield* join(router)
      yield* subscribe(plain, "com.state")
      assert.deepStrictEqual(yield* eventsOf(plain), [])
    }))

  it.scoped("fan-out across serializers: each subscriber gets every payload intact, in order", () =>
    Effect.gen(function*() {
      const router = yield* Router.make({ realms: ["realm1"] })
      const publisher = yield* join(router)
      const subscribers: Array<RawClient> = []
      for (const serializer of [Serializer.json, Serializer.msgpack, Serializer.cbor, Serializer.msgpack]) {
        const subscriber = yield* join(router, "realm1", {}, serializer)
        yield* subscribe(subscriber, "com.fan")
        yield* subscribe(subscriber, "com", { match: "prefix" })
        subscribers.push(subscriber)
      }
      const count = 200
      for (let i = 0; i < count; i++) {
        yield* publisher.send({
          _tag: "Publish",
          request: publisher.nextId(),
          options: {},
          topic: "com.fan",
          args: [i, "x".repeat(i % 7)]
        })
      }
      for (const subscriber of subscribers) {
        const events: Array<Message.Event> = []
        while (events.length < 2 * count) events.push(yield* subscriber.expect("Event"))
        const exact = events.filter((e) => e.details["topic"] === undefined)
        const prefixed = events.filter((e) => e.details["topic"] === "com.fan")
        for (const stream of [exact, prefixed]) {
          assert.deepStrictEqual(
            stream.map((e) => e.args),
            Array.from({ length: count }, (_, i) => [i, "x".repeat(i % 7)])
          )
        }
      }
    }))

  it.scoped("permissions: denied publish (acknowledged) and subscribe get not_authorized", () =>
    Effect.gen(function*() {
      const router = yield* Router.make({
        realms: [{ name: "realm1", roles: { anonymous: { publish: false, subscribe: (uri) => uri !== "com.secret" } } }]
      })
      const client = yield* join(router)
      const published = yield* publish(client, "com.t")
      assert.strictEqual(published._tag === "Error" && published.error, "wamp.error.not_authorized")
      const request = client.nextId()
      yield* client.send({ _tag: "Subscribe", request, options: {}, topic: "com.secret" })
      assert.strictEqual(
        (yield* client.expect("Error", (e) => e.request === request)).error,
        "wamp.error.not_authorized"
      )
      yield* subscribe(client, "com.open")
    }))

  it.scoped("unsubscribe, and ERROR for an unknown subscription", () =>
    Effect.gen(function*() {
      const router = yield* Router.make({ realms: ["realm1"] })
      const [publisher, subscriber] = [yield* join(router), yield* join(router)]
      const subscription = yield* subscribe(subscriber, "com.t")
      const request = subscriber.nextId()
      yield* subscriber.send({ _tag: "Unsubscribe", request, subscription })
      yield* subscriber.expect("Unsubscribed", (m) => m.request === request)
      yield* publish(publisher, "com.t")
      assert.deepStrictEqual(yield* eventsOf(subscriber), [])
      const again = subscriber.nextId()
      yield* subscriber.send({ _tag: "Unsubscribe", request: again, subscription })
      const error = yield* subscriber.expect("Error", (m) => m.request === again)
      assert.deepStrictEqual([error.requestType, error.error], [34, "wamp.error.no_such_subscription"])
    }))

  it.scoped("revokeSubscription: UNSUBSCRIBED [35, 0, {subscription, reason}], no more events", () =>
    Effect.gen(function*() {
      const router = yield* Router.make({ realms: ["realm1"] })
      const [publisher, subscriber] = [yield* join(router), yield* join(router)]
      const subscription = yield* subscribe(subscriber, "com.t")
      assert.isTrue(yield* router.revokeSubscription(subscription, "gone"))
      const revoked = yield* subscriber.expect("Unsubscribed")
      assert.deepStrictEqual([revoked.request, revoked.details], [0, { subscription, reason: "gone" }])
      yield* publish(publisher, "com.t")
      assert.deepStrictEqual(yield* eventsOf(subscriber), [])
    }))

  it.scoped("revocation is not sent to a subscriber that did not announce it", () =>
    Effect.gen(function*() {
      const router = yield* Router.make({ realms: ["realm1"] })
      const plain = yield* join(router, "realm1", { roles: { subscriber: {} } })
      const subscription = yield* subscribe(plain, "com.t")
      assert.isTrue(yield* router.revokeSubscription(subscription))
      yield* plain.barrier
      assert.isFalse((yield* plain.pending).some((m) => m._tag === "Unsubscribed"))
    }))
})

describe("Router meta API", () => {
  it.scoped("session count/list/get and on_join / on_leave", () =>
    Effect.gen(function*() {
      const router = yield* Router.make({ realms: ["realm1"] })
      const watcher = yield* join(router)
      const onJoin = yield* subscribe(watcher, "wamp.session.on_join")
      const onLeave = yield* subscribe(watcher, "wamp.session.on_leave")
      const other = yield* join(router)
      const joined = yield* watcher.expect("Event", (e) => e.subscription === onJoin)
      const details = joined.args?.[0] as Message.Dict
      assert.strictEqual(details["session"], other.session)
      assert.strictEqual(details["authmethod"], "anonymous")

      const count = yield* call(watcher, "wamp.session.count")
      assert.deepStrictEqual(count.args, [2])
      assert.deepStrictEqual((yield* call(watcher, "wamp.session.count", [["nobody"]])).args, [0])
      const list = yield* call(watcher, "wamp.session.list")
      assert.deepStrictEqual([...(list.args?.[0] as Array<number>)].sort(), [watcher.session, other.session].sort())
      const got = yield* call(watcher, "wamp.session.get", [other.session])
      assert.strictEqual((got.args?.[0] as Message.Dict)["session"], other.session)
      const missing = yield* call(watcher, "wamp.session.get", [123])
      assert.strictEqual(missing._tag === "Error" && missing.error, "wamp.error.no_such_session")

      yield* other.send({ _tag: "Goodbye", details: {}, reason: "wamp.close.normal" })
      const left = yield* watcher.expect("Event", (e) => e.subscription === onLeave)
      assert.strictEqual(left.args?.[0], other.session)
    }))

  it.scoped("wamp.session.kill sends GOODBYE killed; killing yourself is no_such_session", () =>
    Effect.gen(function*() {
      const router = yield* Router.make({ realms: ["realm1"] })
      const [admin, victim] = [yield* join(router), yield* join(router)]
      const killed = yield* call(admin, "wamp.session.kill", [victim.session], { message: "out" })
      assert.strictEqual(killed._tag, "Result")
      const goodbye = yield* victim.expect("Goodbye")
      assert.deepStrictEqual([goodbye.reason, goodbye.details["message"]], ["wamp.close.killed", "out"])
      const self = yield* call(admin, "wamp.session.kill", [admin.session])
      assert.strictEqual(self._tag === "Error" && self.error, "wamp.error.no_such_session")
    }))

  it.scoped("kill_by_authid / kill_by_authrole / kill_all spare the caller", () =>
    Effect.gen(function*() {
      const router = yield* Router.make({ realms: ["realm1"] })
      const admin = yield* join(router, "realm1", { authid: "admin" })
      const [a, b] = [
        yield* join(router, "realm1", { authid: "same" }),
        yield* join(router, "realm1", { authid: "same" })
      ]
      const byAuthid = yield* call(admin, "wamp.session.kill_by_authid", ["same"])
      assert.deepStrictEqual([...(byAuthid.args?.[0] as Array<number>)].sort(), [a.session, b.session].sort())
      for (const victim of [a, b]) assert.strictEqual((yield* victim.expect("Goodbye")).reason, "wamp.close.killed")
      const c = yield* join(router)
      const byRole = yield* call(admin, "wamp.session.kill_by_authrole", ["anonymous"], { reason: "com.app.bye" })
      assert.deepStrictEqual(byRole.args, [1])
      assert.strictEqual((yield* c.expect("Goodbye")).reason, "com.app.bye")
      const d = yield* join(router)
      assert.deepStrictEqual((yield* call(admin, "wamp.session.kill_all")).args, [1])
      yield* d.expect("Goodbye")
      const bad = yield* call(admin, "wamp.session.kill_all", [], { reason: "not a uri" })
      assert.strictEqual(bad._tag === "Error" && bad.error, "wamp.error.invalid_uri")
      assert.deepStrictEqual((yield* call(admin, "wamp.session.list")).args, [[admin.session]])
    }))

  it.scoped("registration meta: list/lookup/match/get/list_callees/count_callees and events", () =>
    Effect.gen(function*() {
      const router = yield* Router.make({ realms: ["realm1"] })
      const [watcher, callee] = [yield* join(router), yield* join(router)]
      const onCreate = yield* subscribe(watcher, "wamp.registration.on_create")
      const onRegister = yield* subscribe(watcher, "wamp.registration.on_register")
      const onDelete = yield* subscribe(watcher, "wamp.registration.on_delete")
      const { register } = yield* Effect.promise(() => import("./support/rawClient.js"))
      const registration = yield* register(callee, "com.app", { match: "prefix" })
      const created = yield* watcher.expect("Event", (e) => e.subscription === onCreate)
      assert.strictEqual(created.args?.[0], callee.session)
      assert.deepStrictEqual(
        { ...(created.args?.[1] as Message.Dict), created: "" },
        { id: registration, created: "", uri: "com.app", match: "prefix", invoke: "single" }
      )
      assert.deepStrictEqual(
        (yield* watcher.expect("Event", (e) => e.subscription === onRegister)).args,
        [callee.session, registration]
      )
      const result = (procedure: string, args?: Message.List) =>
        Effect.map(call(watcher, procedure, args), (reply) => reply._tag === "Result" ? reply.args?.[0] : reply.error)
      assert.deepStrictEqual(yield* result("wamp.registration.list"), {
        exact: [],
        prefix: [registration],
        wildcard: []
      })
      assert.strictEqual(yield* result("wamp.registration.lookup", ["com.app"]), null)
      assert.strictEqual(yield* result("wamp.registration.lookup", ["com.app", { match: "prefix" }]), registration)
      assert.strictEqual(yield* result("wamp.registration.match", ["com.app.x"]), registration)
      assert.strictEqual(yield* result("wamp.registration.match", ["org.x"]), null)
      assert.strictEqual(((yield* result("wamp.registration.get", [registration])) as Message.Dict)["uri"], "com.app")
      assert.deepStrictEqual(yield* result("wamp.registration.list_callees", [registration]), [callee.session])
      assert.strictEqual(yield* result("wamp.registration.count_callees", [registration]), 1)
      assert.strictEqual(yield* result("wamp.registration.get", [999999]), "wamp.error.no_such_registration")
      const request = callee.nextId()
      yield* callee.send({ _tag: "Unregister", request, registration })
      yield* callee.expect("Unregistered", (m) => m.request === request)
      assert.deepStrictEqual(
        (yield* watcher.expect("Event", (e) => e.subscription === onDelete)).args,
        [callee.session, registration]
      )
    }))

  it.scoped("subscription meta: list/lookup/match/get/list_subscribers/count_subscribers and events", () =>
    Effect.gen(function*() {
      const router = yield* Router.make({ realms: ["realm1"] })
      const [watcher, subscriber] = [yield* join(router), yield* join(router)]
      const onCreate = yield* subscribe(watcher, "wamp.subscription.on_create")
      const onSubscribe = yield* subscribe(watcher, "wamp.subscription.on_subscribe")
      const onUnsubscribe = yield* subscribe(watcher, "wamp.subscription.on_unsubscribe")
      const onDelete = yield* subscribe(watcher, "wamp.subscription.on_delete")
      const subscription = yield* subscribe(subscriber, "com.t")
      const created = yield* watcher.expect(
        "Event",
        (e) => e.subscription === onCreate && (e.args?.[1] as Message.Dict)["uri"] === "com.t"
      )
      assert.strictEqual((created.args?.[1] as Message.Dict)["id"], subscription)
      assert.deepStrictEqual(
        (yield* watcher.expect("Event", (e) => e.subscription === onSubscribe && e.args?.[0] === subscriber.session))
          .args,
        [subscriber.session, subscription]
      )
      const result = (procedure: string, args?: Message.List) =>
        Effect.map(call(watcher, procedure, args), (reply) => reply._tag === "Result" ? reply.args?.[0] : reply.error)
      const listed = (yield* result("wamp.subscription.list")) as { exact: Array<number> }
      assert.isTrue(listed.exact.includes(subscription))
      assert.strictEqual(yield* result("wamp.subscription.lookup", ["com.t"]), subscription)
      assert.deepStrictEqual(yield* result("wamp.subscription.match", ["com.t"]), [subscription])
      assert.strictEqual(yield* result("wamp.subscription.match", ["com.none"]), null)
      assert.strictEqual(((yield* result("wamp.subscription.get", [subscription])) as Message.Dict)["match"], "exact")
      assert.deepStrictEqual(yield* result("wamp.subscription.list_subscribers", [subscription]), [subscriber.session])
      assert.strictEqual(yield* result("wamp.subscription.count_subscribers", [subscription]), 1)
      assert.strictEqual(yield* result("wamp.subscription.get", [999999]), "wamp.error.no_such_subscription")
      yield* subscriber.link.close(1000, "")
      assert.deepStrictEqual(
        (yield* watcher.expect("Event", (e) => e.subscription === onUnsubscribe && e.args?.[1] === subscription)).args,
        [subscriber.session, subscription]
      )
      assert.deepStrictEqual(
        (yield* watcher.expect("Event", (e) => e.subscription === onDelete && e.args?.[1] === subscription)).args,
        [subscriber.session, subscription]
      )
    }))
})
