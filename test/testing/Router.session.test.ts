import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Fiber, Scope } from "effect"
import { craSign, cryptosignPublicKey, cryptosignSign, deriveKey } from "../../src/Authenticator.js"
import * as Router from "../../src/testing/Router.js"
import { allRoles, connect, join, subscribe } from "./support/rawClient.js"

const SEED = "4d57d97a68f555696620a6d849c0ce582568518d729eb753dc7c732de2804510"
const OTHER_SEED = "d511fe78e23934b3dadb52fcd022974b80bd92bccc7c5cf404e46cc0a8a2f5cd"

const secured = {
  name: "secure",
  users: {
    alice: { ticket: "t1cket", authrole: "admin" },
    bob: { secret: "s3cret" },
    carol: { secret: "pw", salt: { salt: "salt123", iterations: 100, keylen: 16 } },
    dave: { cryptosign: [cryptosignPublicKey(SEED)], authrole: "robot" }
  }
} as const

describe("Router sessions", () => {
  it.scoped("WELCOME announces broker and dealer roles with their features", () =>
    Effect.gen(function*() {
      const router = yield* Router.make({ realms: ["realm1"] })
      const client = yield* connect(router)
      yield* client.send({ _tag: "Hello", realm: "realm1", details: { roles: allRoles } })
      const welcome = yield* client.expect("Welcome")
      const roles = welcome.details["roles"] as any
      assert.strictEqual(roles.dealer.features.progressive_call_results, true)
      assert.strictEqual(roles.dealer.features.call_canceling, true)
      assert.strictEqual(roles.dealer.features.shared_registration, true)
      assert.strictEqual(roles.broker.features.event_retention, true)
      assert.strictEqual(roles.broker.features.session_meta_api, true)
      assert.strictEqual(welcome.details["authmethod"], "anonymous")
      assert.strictEqual(welcome.details["authrole"], "anonymous")
      assert.isTrue(Number.isInteger(welcome.session) && welcome.session >= 1 && welcome.session <= 2 ** 53)
      assert.strictEqual(yield* router.sessions.count, 1)
    }))

  it.scoped("an unknown realm gets ABORT no_such_realm", () =>
    Effect.gen(function*() {
      const router = yield* Router.make({ realms: ["realm1"] })
      const client = yield* connect(router)
      yield* client.send({ _tag: "Hello", realm: "nope", details: { roles: allRoles } })
      const abort = yield* client.expect("Abort")
      assert.strictEqual(abort.reason, "wamp.error.no_such_realm")
      yield* client.closed
    }))

  it.scoped("GOODBYE is answered with goodbye_and_out and the link closes", () =>
    Effect.gen(function*() {
      const router = yield* Router.make({ realms: ["realm1"] })
      const client = yield* join(router)
      yield* client.send({ _tag: "Goodbye", details: {}, reason: "wamp.close.normal" })
      const goodbye = yield* client.expect("Goodbye")
      assert.strictEqual(goodbye.reason, "wamp.close.goodbye_and_out")
      yield* client.closed
      assert.strictEqual(yield* router.sessions.count, 0)
    }))

  it.scoped("ticket: right ticket joins with the user's role, wrong ticket is aborted", () =>
    Effect.gen(function*() {
      const router = yield* Router.make({ realms: [secured] })
      const good = yield* connect(router)
      yield* good.send({
        _tag: "Hello",
        realm: "secure",
        details: { roles: allRoles, authmethods: ["ticket"], authid: "alice" }
      })
      const challenge = yield* good.expect("Challenge")
      assert.strictEqual(challenge.authMethod, "ticket")
      yield* good.send({ _tag: "Authenticate", signature: "t1cket", extra: {} })
      const welcome = yield* good.expect("Welcome")
      assert.strictEqual(welcome.details["authid"], "alice")
      assert.strictEqual(welcome.details["authrole"], "admin")
      assert.strictEqual(welcome.details["authmethod"], "ticket")

      const bad = yield* connect(router)
      yield* bad.send({
        _tag: "Hello",
        realm: "secure",
        details: { roles: allRoles, authmethods: ["ticket"], authid: "alice" }
      })
      yield* bad.expect("Challenge")
      yield* bad.send({ _tag: "Authenticate", signature: "wrong", extra: {} })
      const abort = yield* bad.expect("Abort")
      assert.strictEqual(abort.reason, "wamp.error.authentication_failed")
    }))

  it.scoped("anonymous is refused on a realm with users unless allowed", () =>
    Effect.gen(function*() {
      const router = yield* Router.make({ realms: [secured, { ...secured, name: "mixed", anonymous: true }] })
      const refused = yield* connect(router)
      yield* refused.send({ _tag: "Hello", realm: "secure", details: { roles: allRoles } })
      assert.strictEqual((yield* refused.expect("Abort")).reason, "wamp.error.no_matching_auth_method")
      const admitted = yield* join(router, "mixed")
      assert.isTrue(admitted.session > 0)
    }))

  it.scoped("wampcra without salt: signature of the exact challenge string", () =>
    Effect.gen(function*() {
      const router = yield* Router.make({ realms: [secured] })
      for (const [secret, expected] of [["s3cret", "Welcome"], ["bad", "Abort"]] as const) {
        const client = yield* connect(router)
        yield* client.send({
          _tag: "Hello",
          realm: "secure",
          details: { roles: allRoles, authmethods: ["wampcra"], authid: "bob" }
        })
        const challenge = yield* client.expect("Challenge")
        assert.strictEqual(challenge.authMethod, "wampcra")
        const text = challenge.extra["challenge"] as string
        assert.strictEqual(JSON.parse(text).authid, "bob")
        yield* client.send({ _tag: "Authenticate", signature: craSign(secret, text), extra: {} })
        const reply = yield* client.take(
          (message): message is any => message._tag === "Welcome" || message._tag === "Abort",
          "WELCOME or ABORT"
        )
        assert.strictEqual(reply._tag, expected)
        if (expected === "Welcome") assert.strictEqual(reply.details.authrole, "user")
      }
    }))

  it.scoped("wampcra with salt: the key is derived from the CHALLENGE's salt parameters", () =>
    Effect.gen(function*() {
      const router = yield* Router.make({ realms: [secured] })
      for (const [secret, expected] of [["pw", "Welcome"], ["nope", "Abort"]] as const) {
        const client = yield* connect(router)
        yield* client.send({
          _tag: "Hello",
          realm: "secure",
          details: { roles: allRoles, authmethods: ["wampcra"], authid: "carol" }
        })
        const challenge = yield* client.expect("Challenge")
        assert.strictEqual(challenge.extra["salt"], "salt123")
        assert.strictEqual(challenge.extra["iterations"], 100)
        assert.strictEqual(challenge.extra["keylen"], 16)
        const key = deriveKey(secret, "salt123", 100, 16)
        yield* client.send({
          _tag: "Authenticate",
          signature: craSign(key, challenge.extra["challenge"] as string),
          extra: {}
        })
        const reply = yield* client.take(
          (message): message is any => message._tag === "Welcome" || message._tag === "Abort",
          "WELCOME or ABORT"
        )
        assert.strictEqual(reply._tag, expected)
      }
    }))

  it.scoped("cryptosign: a known key signing the challenge joins; another key is refused", () =>
    Effect.gen(function*() {
      const router = yield* Router.make({ realms: [secured] })
      const client = yield* connect(router)
      yield* client.send({
        _tag: "Hello",
        realm: "secure",
        details: { roles: allRoles, authmethods: ["cryptosign"], authextra: { pubkey: cryptosignPublicKey(SEED) } }
      })
      const challenge = yield* client.expect("Challenge")
      assert.strictEqual(challenge.authMethod, "cryptosign")
      yield* client.send({
        _tag: "Authenticate",
        signature: cryptosignSign(SEED, challenge.extra["challenge"] as string),
        extra: {}
      })
      const welcome = yield* client.expect("Welcome")
      assert.strictEqual(welcome.details["authid"], "dave")
      assert.strictEqual(welcome.details["authrole"], "robot")

      // Right key announced, signature made with another key.
      const forger = yield* connect(router)
      yield* forger.send({
        _tag: "Hello",
        realm: "secure",
        details: { roles: allRoles, authmethods: ["cryptosign"], authextra: { pubkey: cryptosignPublicKey(SEED) } }
      })
      const forged = yield* forger.expect("Challenge")
      yield* forger.send({
        _tag: "Authenticate",
        signature: cryptosignSign(OTHER_SEED, forged.extra["challenge"] as string),
        extra: {}
      })
      assert.strictEqual((yield* forger.expect("Abort")).reason, "wamp.error.authentication_failed")

      // Unknown key: no principal.
      const stranger = yield* connect(router)
      yield* stranger.send({
        _tag: "Hello",
        realm: "secure",
        details: {
          roles: allRoles,
          authmethods: ["cryptosign"],
          authextra: { pubkey: cryptosignPublicKey(OTHER_SEED) }
        }
      })
      assert.strictEqual((yield* stranger.expect("Abort")).reason, "wamp.error.no_such_principal")
    }))

  it.scoped("a protocol violation aborts only the offending session", () =>
    Effect.gen(function*() {
      const router = yield* Router.make({ realms: ["realm1"] })
      const good = yield* join(router)
      const cases: ReadonlyArray<(client: any) => Effect.Effect<void, any>> = [
        (client) => client.sendFrame("{not json"),
        (client) => client.sendWire([999, 1]),
        (client) => client.send({ _tag: "Hello", realm: "realm1", details: { roles: allRoles } }),
        (client) => client.sendWire([8, 48, 1, {}, "wamp.error.x"]),
        (client) => client.send({ _tag: "Welcome", session: 1, details: {} })
      ]
      for (const misbehave of cases) {
        const bad = yield* join(router)
        yield* misbehave(bad)
        const abort = yield* bad.expect("Abort")
        assert.strictEqual(abort.reason, "wamp.error.protocol_violation")
        yield* bad.closed
      }
      // Before HELLO too.
      const early = yield* connect(router)
      yield* early.sendWire([48, 1, {}, "com.x"])
      assert.strictEqual((yield* early.expect("Abort")).reason, "wamp.error.protocol_violation")
      yield* good.barrier
      assert.strictEqual(yield* router.sessions.count, 1)
    }))

  it.scoped("killSession sends GOODBYE wamp.close.killed with the message", () =>
    Effect.gen(function*() {
      const router = yield* Router.make({ realms: ["realm1"] })
      const victim = yield* join(router)
      assert.isTrue(yield* router.killSession(victim.session, undefined, "bye now"))
      const goodbye = yield* victim.expect("Goodbye")
      assert.strictEqual(goodbye.reason, "wamp.close.killed")
      assert.strictEqual(goodbye.details["message"], "bye now")
      yield* victim.send({ _tag: "Goodbye", details: {}, reason: "wamp.close.goodbye_and_out" })
      yield* victim.closed
      assert.strictEqual(yield* router.sessions.count, 0)
      assert.isFalse(yield* router.killSession(victim.session))
    }))

  it.scoped("a transport drop is a session leave (on_leave fires)", () =>
    Effect.gen(function*() {
      const router = yield* Router.make({ realms: ["realm1"] })
      const client = yield* join(router)
      const watcher = yield* join(router)
      const subscription = yield* subscribe(watcher, "wamp.session.on_leave")
      yield* client.link.close(1006, "dropped")
      const event = yield* watcher.expect("Event", (e) => e.subscription === subscription)
      assert.strictEqual(event.args?.[0], client.session)
      const list = yield* router.sessions.list
      assert.deepStrictEqual(list.map((s) => s.session), [watcher.session])
    }))

  it.scoped("closing the router's scope says GOODBYE system_shutdown to every session", () =>
    Effect.gen(function*() {
      const routerScope = yield* Scope.make()
      const router = yield* Router.make({ realms: ["realm1"], goodbyeTimeout: 5000 }).pipe(Scope.extend(routerScope))
      const client = yield* join(router)
      const closing = yield* Effect.fork(Scope.close(routerScope, Exit.void))
      const goodbye = yield* client.expect("Goodbye")
      assert.strictEqual(goodbye.reason, "wamp.close.system_shutdown")
      yield* client.send({ _tag: "Goodbye", details: {}, reason: "wamp.close.goodbye_and_out" })
      yield* client.closed
      yield* Fiber.join(closing)
    }))
})
