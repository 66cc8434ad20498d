/**
 * Cryptosign router authentication: the client sends a fresh `authextra.challenge` in every HELLO,
 * and joins only when CHALLENGE.Extra carries a trusted router key and that key's signature of the
 * challenge. End to end against the test-kit router (WebSocket and RawSocket, every serializer),
 * and with FakePeer for what a real router would not send (a replayed signature, an untrusted key,
 * no proof at all).
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Fiber, Redacted } from "effect"
import * as Authenticator from "../src/Authenticator.js"
import { AuthenticationError } from "../src/Errors.js"
import type * as Message from "../src/Message.js"
import * as Serializer from "../src/Serializer.js"
import * as Session from "../src/Session.js"
import * as FakePeer from "../src/testing/FakePeer.js"
import * as Router from "../src/testing/Router.js"
import * as Transport from "../src/Transport.js"
import { connectors, serializers } from "./e2e/harness.js"
import { dropAtEnd, scoped } from "./support/session.js"

const clientSeed = "a3".repeat(32)
const routerSeed = "5c".repeat(32)
const otherSeed = "77".repeat(32)
const routerKey = Authenticator.cryptosignPublicKey(routerSeed)
const otherKey = Authenticator.cryptosignPublicKey(otherSeed)

const realm = "secured"
const config: Router.Config = {
  realms: [{
    name: realm,
    users: { dave: { cryptosign: [Authenticator.cryptosignPublicKey(clientSeed)], authrole: "robot" } },
    cryptosignRouterKey: routerSeed
  }],
  goodbyeTimeout: 500
}

const client = (trustedKeys: ReadonlyArray<string>) =>
  Authenticator.unsafeCryptosign({ authid: "dave", privateKey: Redacted.make(clientSeed), router: { trustedKeys } })

const joinWith = (
  transport: Transport.TransportService,
  serializer: Serializer.SerializerService,
  auth: Authenticator.AuthenticatorService
) =>
  Session.make({ realm, goodbyeTimeout: "1 second" }).pipe(
    Effect.provideService(Transport.Transport, transport),
    Effect.provideService(Serializer.Serializers, [serializer]),
    Effect.provideService(Authenticator.Authenticator, auth)
  )

for (const [name, connector] of connectors.filter(([name]) => name !== "memory")) {
  for (const serializer of serializers) {
    describe(`Cryptosign router authentication over ${name} / ${serializer.name}`, () => {
      it.scopedLive("a router holding a trusted key joins; one holding another key is refused before we sign", () =>
        Effect.gen(function*() {
          const router = yield* Router.make(config)
          const transport = yield* connector(router)
          const session = yield* joinWith(transport, serializer, client([otherKey, routerKey.toUpperCase()]))
          expect(session.info.authmethod).toBe("cryptosign")
          expect(session.info.authid).toBe("dave")
          yield* session.leave()

          const refused = yield* Effect.flip(joinWith(transport, serializer, client([otherKey])))
          expect(refused).toBeInstanceOf(AuthenticationError)
          expect(refused._tag === "AuthenticationError" && refused.reason).toBe("Router")
          expect(refused.message).toContain("not a trusted router key")
          expect(yield* router.sessions.count).toBe(0)
        }))
    })
  }
}

describe("Cryptosign router authentication: what the client checks", () => {
  const hello = (fake: FakePeer.FakeRouter, auth: Authenticator.AuthenticatorService) =>
    Effect.gen(function*() {
      const joining = yield* Effect.fork(
        Session.make({ realm, goodbyeTimeout: "100 millis" }).pipe(
          Effect.provide(fake.layer),
          Effect.provideService(Authenticator.Authenticator, auth)
        )
      )
      const peer = yield* fake.accept
      // On TestClock: the link drops when the test body ends (no GOODBYE waiting on virtual time).
      yield* dropAtEnd(peer)
      const message = yield* peer.expect("Hello")
      const authextra = message.details["authextra"] as Message.Dict
      return { joining, peer, challenge: authextra["challenge"] as string, authextra }
    })

  const challengeWith = (peer: FakePeer.FakePeer, extra: Message.Dict) =>
    peer.send({ _tag: "Challenge", authMethod: "cryptosign", extra: { challenge: "11".repeat(32), ...extra } })

  scoped("every join sends a fresh 32-byte challenge; without `router` none is sent", () =>
    Effect.gen(function*() {
      const fake = yield* FakePeer.make({ timeout: "2 seconds" })
      const auth = client([routerKey])
      const first = yield* hello(fake, auth)
      const second = yield* hello(fake, auth)
      expect(first.challenge).toMatch(/^[0-9a-f]{64}$/)
      expect(second.challenge).toMatch(/^[0-9a-f]{64}$/)
      expect(first.challenge).not.toBe(second.challenge)
      const plain = yield* hello(
        fake,
        Authenticator.unsafeCryptosign({ authid: "dave", privateKey: Redacted.make(clientSeed) })
      )
      expect(plain.authextra).toEqual({ pubkey: Authenticator.cryptosignPublicKey(clientSeed) })
      // Through `combine` too.
      const combined = yield* hello(
        fake,
        Authenticator.combine(auth, Authenticator.ticket({ authid: "dave", ticket: Redacted.make("t") }))
      )
      expect(combined.challenge).toMatch(/^[0-9a-f]{64}$/)
      expect(combined.challenge).not.toBe(first.challenge)
    }))

  const refusedWith = (extraOf: (challenge: string) => Message.Dict, expected: string) =>
    Effect.gen(function*() {
      const fake = yield* FakePeer.make({ timeout: "2 seconds" })
      const { challenge, joining, peer } = yield* hello(fake, client([routerKey]))
      yield* challengeWith(peer, extraOf(challenge))
      // We never sign for a router that did not prove itself: ABORT, no AUTHENTICATE.
      const abort = yield* peer.expect("Abort")
      expect(abort.reason).toBe("wamp.error.cannot_authenticate")
      const error = yield* Effect.flip(Fiber.join(joining))
      expect(error._tag === "AuthenticationError" && error.reason).toBe("Router")
      expect(error.message).toContain(expected)
    })

  scoped("a replayed signature (of another challenge) is refused", () =>
    refusedWith(
      () => ({ pubkey: routerKey, signature: Authenticator.cryptosignSign(routerSeed, "42".repeat(32)) }),
      "does not verify"
    ))

  scoped("a trusted key with a signature made by another key is refused", () =>
    refusedWith(
      (challenge) => ({ pubkey: routerKey, signature: Authenticator.cryptosignSign(otherSeed, challenge) }),
      "does not verify"
    ))

  scoped("a valid signature by an untrusted key is refused", () =>
    refusedWith(
      (challenge) => ({ pubkey: otherKey, signature: Authenticator.cryptosignSign(otherSeed, challenge) }),
      "not a trusted router key"
    ))

  scoped("no proof at all, or garbage, is refused", () =>
    Effect.gen(function*() {
      yield* refusedWith(() => ({}), "missing")
      yield* refusedWith(() => ({ pubkey: routerKey, signature: "zz" }), "does not verify")
      yield* refusedWith(() => ({ pubkey: 7, signature: null }), "missing")
    }))

  scoped("the router's proof accepted, the client signs the router's challenge", () =>
    Effect.gen(function*() {
      const fake = yield* FakePeer.make({ timeout: "2 seconds" })
      const { challenge, joining, peer } = yield* hello(fake, client([routerKey]))
      yield* challengeWith(peer, { pubkey: routerKey, signature: Authenticator.cryptosignSign(routerSeed, challenge) })
      const authenticate = yield* peer.expect("Authenticate")
      expect(
        Authenticator.cryptosignVerify(
          Authenticator.cryptosignPublicKey(clientSeed),
          "11".repeat(32),
          authenticate.signature
        )
      ).toBe(true)
      yield* peer.send({
        _tag: "Welcome",
        session: 9,
        details: { authid: "dave", authmethod: "cryptosign", roles: FakePeer.routerRoles }
      })
      expect((yield* Fiber.join(joining)).info.id).toBe(9)
    }))

  it("a malformed trusted key is refused when the authenticator is made", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(
        Authenticator.makeCryptosign({
          privateKey: Redacted.make(clientSeed),
          router: { trustedKeys: ["not hex"] }
        })
      )
      expect(error.reason).toBe("Signature")
      expect(error.message).toContain("trusted router key")
    }).pipe(Effect.runPromise))
})
