/**
 * WAMP-SCRAM: the primitives against vectors made with Autobahn|Python 22.7's helpers
 * (test/fixtures/scram/vectors.json, see generate.py next to it; RFC 7677's example among them),
 * the client's checks with FakePeer (nonce, cost limits, the router's verifier), and joins against
 * the test-kit router over WebSocket and RawSocket with every serializer, for both KDFs.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Fiber, Redacted } from "effect"
import { readFileSync } from "node:fs"
import * as Authenticator from "../src/Authenticator.js"
import type { AuthenticationError } from "../src/Errors.js"
import * as Scram from "../src/internal/authenticator/scram.js"
import type * as Message from "../src/Message.js"
import * as Serializer from "../src/Serializer.js"
import * as Session from "../src/Session.js"
import * as FakePeer from "../src/testing/FakePeer.js"
import * as Router from "../src/testing/Router.js"
import * as Transport from "../src/Transport.js"
import * as WampError from "../src/WampError.js"
import { connectors, serializers } from "./e2e/harness.js"
import { dropAtEnd, scoped } from "./support/session.js"

interface Exchange {
  readonly authid: string
  readonly password: string
  readonly clientNonce: string
  readonly serverNonce: string
  readonly salt: string
  readonly kdf: Scram.Kdf
  readonly iterations: number
  readonly memory: number | null
  readonly saltedPassword: string
  readonly storedKey: string
  readonly serverKey: string
  readonly authMessage: string
  readonly clientProof: string
  readonly serverSignature: string
}

const vectors = JSON.parse(readFileSync(new URL("./fixtures/scram/vectors.json", import.meta.url), "utf8")) as {
  readonly kdf: ReadonlyArray<Scram.KdfParameters & { readonly password: string; readonly saltedPassword: string }>
  readonly exchanges: ReadonlyArray<Exchange>
  readonly saslprep: ReadonlyArray<readonly [string, string]>
}

const hex = (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("")

describe("WAMP-SCRAM primitives (vectors from Autobahn|Python)", () => {
  it.effect("SaltedPassword: PBKDF2-HMAC-SHA256 and Argon2id v1.3", () =>
    Effect.gen(function*() {
      for (const vector of vectors.kdf) {
        const salted = yield* Effect.promise(() => Scram.saltedPassword(vector.password, vector))
        expect(hex(salted), `${vector.kdf} ${vector.iterations}`).toBe(vector.saltedPassword)
      }
    }))

  it.effect("exchanges: keys, AuthMessage, ClientProof, ServerSignature (RFC 7677's example first)", () =>
    Effect.gen(function*() {
      expect(vectors.exchanges[0]!.clientProof).toBe("dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=")
      for (const v of vectors.exchanges) {
        const parameters = { kdf: v.kdf, salt: v.salt, iterations: v.iterations, memory: v.memory }
        const salted = yield* Effect.promise(() => Scram.saltedPassword(v.password, parameters))
        expect(hex(salted)).toBe(v.saltedPassword)
        const keys = Scram.keys(salted)
        expect(Scram.toBase64(keys.storedKey)).toBe(v.storedKey)
        expect(Scram.toBase64(keys.serverKey)).toBe(v.serverKey)
        const message = Scram.authMessage({
          authid: v.authid,
          clientNonce: v.clientNonce,
          nonce: v.clientNonce + v.serverNonce,
          salt: v.salt,
          iterations: v.iterations
        })
        expect(message).toBe(v.authMessage)
        expect(Scram.toBase64(Scram.clientProof(keys, message))).toBe(v.clientProof)
        expect(Scram.toBase64(Scram.serverSignature(keys.serverKey, message))).toBe(v.serverSignature)
        expect(Scram.verifyProof(keys.storedKey, message, Scram.fromBase64(v.clientProof, "proof"))).toBe(true)
        const tampered = Scram.fromBase64(v.clientProof, "proof")
        tampered[0] = tampered[0]! ^ 1
        expect(Scram.verifyProof(keys.storedKey, message, tampered)).toBe(false)
        const credentials = yield* Authenticator.scramCredentials(Redacted.make(v.password), {
          kdf: v.kdf,
          salt: v.salt,
          iterations: v.iterations,
          ...(v.memory === null ? {} : { memory: v.memory })
        })
        expect([credentials.storedKey, credentials.serverKey]).toEqual([v.storedKey, v.serverKey])
      }
    }))

  it("SASLprep as passlib does it; prohibited characters refused", () => {
    for (const [input, output] of vectors.saslprep) expect(Scram.saslprep(input)).toBe(output)
    expect(() => Scram.saslprep("bell\u0007")).toThrow(/prohibits/)
  })

  it("cost limits: too low and too high are refused, unknown KDFs too", () => {
    expect(() => Scram.checkParameters({ kdf: "pbkdf2", salt: "", iterations: 1000 })).toThrow(/4096/)
    expect(() => Scram.checkParameters({ kdf: "pbkdf2", salt: "", iterations: 1e9 })).toThrow(/outside/)
    expect(() => Scram.checkParameters({ kdf: "argon2id13", salt: "", iterations: 2, memory: 64 })).toThrow(/memory/)
    expect(() => Scram.checkParameters({ kdf: "argon2id13", salt: "", iterations: 2 })).toThrow(/memory/)
    expect(() => Scram.checkParameters({ kdf: "scrypt" as never, salt: "", iterations: 2 })).toThrow(/unknown/)
    expect(() => Scram.checkParameters({ kdf: "argon2id13", salt: "", iterations: 2, memory: 8192 })).not.toThrow()
  })
})

// Cheap parameters for the joins (the client is told to accept them).
const limits: Authenticator.ScramLimits = { pbkdf2Iterations: [1000, 10_000], argon2Memory: [1024, 65536] }
const client = (authid: string, password: string) =>
  Authenticator.scram({ authid, password: Redacted.make(password), limits })

describe("WAMP-SCRAM: the client's checks", () => {
  const salt = "c2FsdHNhbHRzYWx0c2FsdA=="
  const start = (auth: Authenticator.AuthenticatorService = client("alice", "pw")) =>
    Effect.gen(function*() {
      const fake = yield* FakePeer.make({ timeout: "3 seconds" })
      const joining = yield* Effect.fork(
        Session.make({ realm: "realm1", goodbyeTimeout: "100 millis" }).pipe(
          Effect.provide(fake.layer),
          Effect.provideService(Authenticator.Authenticator, auth)
        )
      )
      const peer = yield* fake.accept
      // On TestClock: the link drops when the test body ends (no GOODBYE waiting on virtual time).
      yield* dropAtEnd(peer)
      const hello = yield* peer.expect("Hello")
      expect(hello.details["authmethods"]).toEqual(["wamp-scram"])
      const authextra = hello.details["authextra"] as Message.Dict
      return { joining, peer, clientNonce: authextra["nonce"] as string, authextra }
    })
  const challenge = (peer: FakePeer.FakePeer, extra: Message.Dict) =>
    peer.send({ _tag: "Challenge", authMethod: "wamp-scram", extra })
  const refused = <A, E extends { readonly _tag: string }>(joining: Fiber.Fiber<A, E>) =>
    Effect.map(Effect.flip(Fiber.join(joining)), (error) => {
      expect(error._tag).toBe("AuthenticationError")
      return error as unknown as AuthenticationError
    })

  scoped("a fresh base64 nonce per HELLO, no channel binding", () =>
    Effect.gen(function*() {
      const auth = client("alice", "pw")
      const a = yield* start(auth)
      const b = yield* start(auth)
      expect(a.authextra).toEqual({ nonce: a.clientNonce, channel_binding: null })
      expect(Scram.fromBase64(a.clientNonce, "nonce").length).toBe(16)
      expect(a.clientNonce).not.toBe(b.clientNonce)
    }))

  scoped(
    "a CHALLENGE nonce that does not extend ours, or too cheap parameters: ABORT before any proof",
    () =>
      Effect.gen(function*() {
        for (
          const [extra, expected] of [
            [(nonce: string) => ({ nonce: "AAAA" + nonce, salt, kdf: "pbkdf2", iterations: 4096 }), "extend"],
            [(nonce: string) => ({ nonce, salt, kdf: "pbkdf2", iterations: 4096 }), "extend"],
            [(nonce: string) => ({ nonce: nonce + "x", salt, kdf: "pbkdf2", iterations: 10 }), "outside"],
            [(nonce: string) => ({ nonce: nonce + "x", salt, kdf: "argon2id13", iterations: 1, memory: 8 }), "memory"],
            [(nonce: string) => ({ nonce: nonce + "x", salt, kdf: "md5", iterations: 4096 }), "not supported"],
            [
              (nonce: string) => ({ nonce: nonce + "x", salt: "not base64!", kdf: "pbkdf2", iterations: 4096 }),
              "base64"
            ]
          ] as const
        ) {
          const { clientNonce, joining, peer } = yield* start()
          yield* challenge(peer, extra(clientNonce))
          expect((yield* peer.expect("Abort")).reason).toBe(WampError.StandardUri.CannotAuthenticate)
          const error = yield* refused(joining)
          expect(error.reason).toBe("Challenge")
          expect(error.message).toContain(expected)
        }
      })
  )

  scoped(
    "WELCOME without the router's verifier, or with a wrong one, is refused (mutual authentication)",
    () =>
      Effect.gen(function*() {
        const credentials = yield* Authenticator.scramCredentials(Redacted.make("pw"), {
          kdf: "pbkdf2",
          salt,
          iterations: 1000
        })
        for (const verifier of [undefined, "AAAA", Scram.toBase64(new Uint8Array(32)), "sig"]) {
          const { clientNonce, joining, peer } = yield* start()
          const nonce = clientNonce + "c2VydmVy"
          yield* challenge(peer, { nonce, salt, kdf: "pbkdf2", iterations: 1000, memory: null })
          const authenticate = yield* peer.expect("Authenticate")
          expect(authenticate.extra).toEqual({ nonce, channel_binding: null, cbind_data: null })
          // The proof is right: the router side accepts it.
          const message = Scram.authMessage({ authid: "alice", clientNonce, nonce, salt, iterations: 1000 })
          const storedKey = Scram.fromBase64(credentials.storedKey, "storedKey")
          expect(Scram.verifyProof(storedKey, message, Scram.fromBase64(authenticate.signature, "proof"))).toBe(true)
          yield* peer.send({
            _tag: "Welcome",
            session: 5,
            details: {
              authid: "alice",
              authmethod: "wamp-scram",
              roles: FakePeer.routerRoles,
              ...(verifier === undefined ? {} : { authextra: { verifier } })
            }
          })
          expect((yield* peer.expect("Abort")).reason).toBe(WampError.StandardUri.CannotAuthenticate)
          const error = yield* refused(joining)
          expect(error.reason).toBe("Router")
        }
      })
  )
})

const users = Effect.all({
  pbkdf2: Authenticator.scramCredentials(Redacted.make("pässword 1"), {
    kdf: "pbkdf2",
    salt: "UGJrZGYyU2FsdFNhbHQ=",
    iterations: 2000
  }),
  argon2: Authenticator.scramCredentials(Redacted.make("secret two"), {
    kdf: "argon2id13",
    salt: "QXJnb24yU2FsdFNhbHQ=",
    iterations: 2,
    memory: 1024
  })
})

for (const [name, connector] of connectors.filter(([name]) => name !== "memory")) {
  for (const serializer of serializers) {
    describe(`WAMP-SCRAM over ${name} / ${serializer.name}`, () => {
      it.scopedLive("joins with PBKDF2 and Argon2id users; a wrong password is refused by the router", () =>
        Effect.gen(function*() {
          const { argon2, pbkdf2 } = yield* users
          const router = yield* Router.make({
            realms: [{
              name: "secured",
              users: { paula: { scram: pbkdf2, authrole: "p" }, arne: { scram: argon2, authrole: "a" } }
            }],
            goodbyeTimeout: 500
          })
          const transport = yield* connector(router)
          const join = (auth: Authenticator.AuthenticatorService) =>
            Session.make({ realm: "secured", goodbyeTimeout: "1 second" }).pipe(
              Effect.provideService(Transport.Transport, transport),
              Effect.provideService(Serializer.Serializers, [serializer]),
              Effect.provideService(Authenticator.Authenticator, auth)
            )
          const paula = yield* join(client("paula", "pässword 1"))
          expect([paula.info.authid, paula.info.authrole, paula.info.authmethod]).toEqual(["paula", "p", "wamp-scram"])
          const arne = yield* join(client("arne", "secret two"))
          expect([arne.info.authid, arne.info.authrole]).toEqual(["arne", "a"])
          const denied = yield* Effect.flip(join(client("paula", "wrong")))
          expect(denied._tag).toBe("WampError")
          expect((denied as WampError.WampError).error).toBe(WampError.StandardUri.AuthenticationFailed)
          // Offered next to another method, SCRAM still runs with a fresh nonce.
          const both = yield* join(
            Authenticator.combine(
              client("arne", "secret two"),
              Authenticator.ticket({ authid: "arne", ticket: Redacted.make("x") })
            )
          )
          expect(both.info.authmethod).toBe("wamp-scram")
        }))
    })
  }
}
