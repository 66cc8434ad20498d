import { describe, expect, it } from "@effect/vitest"
import { Config, ConfigProvider, Context, Effect, Either, Layer, Redacted } from "effect"
import * as FastCheck from "effect/FastCheck"
import { inspect } from "node:util"
import * as Authenticator from "../src/Authenticator.js"
import { AuthenticationError } from "../src/Errors.js"
import * as AuthCrypto from "../src/internal/authenticator/crypto.js"

const hex = (text: string): Uint8Array => Uint8Array.from(Buffer.from(text, "hex"))

/** The spec's own table (advanced/authentication_cryptosign.md, "Test Vectors"). */
const channelId = "62e935ae755f3d48f80d4d59f6121358c435722a67e859cc0caa8b539027f2ff"
const specVectors = [
  {
    channelId: undefined,
    seed: "4d57d97a68f555696620a6d849c0ce582568518d729eb753dc7c732de2804510",
    challenge: "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
    signature:
      "b32675b221f08593213737bef8240e7c15228b07028e19595294678c90d11c0cae80a357331bfc5cc9fb71081464e6e75013517c2cf067ad566a6b7b728e5d03ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"
  },
  {
    channelId: undefined,
    seed: "d511fe78e23934b3dadb52fcd022974b80bd92bccc7c5cf404e46cc0a8a2f5cd",
    challenge: "b26c1f87c13fc1da14997f1b5a71995dff8fbe0a62fae8473c7bdbd05bfb607d",
    signature:
      "d4209ad10d5aff6bfbc009d7e924795de138a63515efc7afc6b01b7fe5201372190374886a70207b042294af5bd64ce725cd8dceb344e6d11c09d1aaaf4d660fb26c1f87c13fc1da14997f1b5a71995dff8fbe0a62fae8473c7bdbd05bfb607d"
  },
  {
    channelId: undefined,
    seed: "6e1fde9cf9e2359a87420b65a87dc0c66136e66945196ba2475990d8a0c3a25b",
    challenge: "b05e6b8ad4d69abf74aa3be3c0ee40ae07d66e1895b9ab09285a2f1192d562d2",
    signature:
      "7beb282184baadd08f166f16dd683b39cab53816ed81e6955def951cb2ddad1ec184e206746fd82bda075af03711d3d5658fc84a76196b0fa8d1ebc92ef9f30bb05e6b8ad4d69abf74aa3be3c0ee40ae07d66e1895b9ab09285a2f1192d562d2"
  },
  {
    channelId,
    seed: "4d57d97a68f555696620a6d849c0ce582568518d729eb753dc7c732de2804510",
    challenge: "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff",
    signature:
      "9b6f41540c9b95b4b7b281c3042fa9c54cef43c842d62ea3fd6030fcb66e70b3e80d49d44c29d1635da9348d02ec93f3ed1ef227dfb59a07b580095c2b82f80f9d16ca518aa0c2b707f2b2a609edeca73bca8dd59817a633f35574ac6fd80d00"
  },
  {
    channelId,
    seed: "d511fe78e23934b3dadb52fcd022974b80bd92bccc7c5cf404e46cc0a8a2f5cd",
    challenge: "b26c1f87c13fc1da14997f1b5a71995dff8fbe0a62fae8473c7bdbd05bfb607d",
    signature:
      "305aaa3ac25e98f651427688b3fc43fe7d8a68a7ec1d7d61c61517c519bd4a427c3015599d83ca28b4c652333920223844ef0725eb5dc2febfd6af7677b73f01d0852a29b460fc92ec943242ac638a053bbacc200512b18b30d15083cbdc9282"
  },
  {
    channelId,
    seed: "6e1fde9cf9e2359a87420b65a87dc0c66136e66945196ba2475990d8a0c3a25b",
    challenge: "b05e6b8ad4d69abf74aa3be3c0ee40ae07d66e1895b9ab09285a2f1192d562d2",
    signature:
      "ee3c7644fd8070532bc1fde3d70d742267da545d8c8f03e63bda63f1ad4214f4d2c4bfdb4eb9526def42deeb7e31602a6ff99eba893e0a4ad4d45892ca75e608d2b75e24a189a7f78ca776ba36fc53f6c3e31c32f251f2c524f0a44202f2902d"
  }
] as const

const publicKeys: Record<string, string> = {
  "4d57d97a68f555696620a6d849c0ce582568518d729eb753dc7c732de2804510":
    "1adfc8bfe1d35616e64dffbd900096f23b066f914c8c2ffbb66f6075b96e116d",
  "d511fe78e23934b3dadb52fcd022974b80bd92bccc7c5cf404e46cc0a8a2f5cd":
    "6ed32739ff04a6074044ff0b0e3bfc7c856bc9d5f1d25efc57363bda0af3a8b0",
  // computed with autobahn-python 22.7.1 CryptosignKey.public_key()
  "6e1fde9cf9e2359a87420b65a87dc0c66136e66945196ba2475990d8a0c3a25b":
    "28e11f427b82b9a625ee7ac89a7d29326b505f2dc11dd88c1245f83b6da79a85"
}

/** A CRA challenge with non-ASCII text, as autobahn-python's json.dumps(ensure_ascii=False) writes it. */
const unicodeChallenge =
  "{\"authid\": \"jürgen\", \"nonce\": \"Ünïcødé ✓ 🚀\", \"authmethod\": \"wampcra\", \"session\": 42}"
/** autobahn-python compute_wcs(b"s3cr\xc3\xa9t", challenge.encode("utf8")) */
const unicodeSignature = "Ij/XIrRDpmQuPlQO3QumkZx7CfIOuMstHt7O0nB4A3s="

const challengeOf = (authenticator: Authenticator.AuthenticatorService, ctx: Authenticator.ChallengeContext) =>
  authenticator.challenge(ctx)

const failureOf = <A>(effect: Effect.Effect<A, AuthenticationError>) => Effect.flip(effect)

const fromLayer = <E>(layer: Layer.Layer<Authenticator.Authenticator, E>) =>
  Effect.provide(Authenticator.Authenticator, layer)

describe("pure functions", () => {
  it("craSign matches the reference vector", () => {
    expect(Authenticator.craSign("secret", "challenge")).toBe("oeUF6Wxqoezggrue+wbIDxKRPSF6esKwizR2MHh9HaA=")
    expect(Authenticator.craSign(new TextEncoder().encode("secret"), "challenge")).toBe(
      "oeUF6Wxqoezggrue+wbIDxKRPSF6esKwizR2MHh9HaA="
    )
  })

  it("craSign signs the exact UTF-8 bytes of a non-ASCII challenge", () => {
    expect(Authenticator.craSign("s3crét", unicodeChallenge)).toBe(unicodeSignature)
  })

  it("deriveKey matches the reference vectors", () => {
    expect(Authenticator.deriveKey("password", "salt", 100, 16)).toBe("B+aZcYDPfxKQTwQQDUBdNA==")
    // autobahn-python derive_key("pässword", "saltß", 1000, 32)
    expect(Authenticator.deriveKey("pässword", "saltß")).toBe("KINZeiq//XPeFSylf4tfZjptodaBhIU2jJ7jzHGgODE=")
  })

  it("the asynchronous derivation gives the same keys on WebCrypto and on the noble fallback", async () => {
    const derive = (
      webCrypto: SubtleCrypto | undefined,
      secret: string,
      salt: string,
      iterations: number,
      keylen: number
    ) =>
      new Promise<string>((resolve, reject) =>
        AuthCrypto.deriveKeyAsync(
          secret,
          salt,
          iterations,
          keylen,
          (error, key) => error ? reject(error) : resolve(key),
          webCrypto
        )
      )
    expect(globalThis.crypto.subtle).toBeDefined()
    for (const webCrypto of [globalThis.crypto.subtle, undefined]) {
      expect(await derive(webCrypto, "password", "salt", 100, 16)).toBe("B+aZcYDPfxKQTwQQDUBdNA==")
      expect(await derive(webCrypto, "pässword", "saltß", 1000, 32)).toBe(
        "KINZeiq//XPeFSylf4tfZjptodaBhIU2jJ7jzHGgODE="
      )
      await expect(derive(webCrypto, "p", "s", 0, 32)).rejects.toThrow(/iterations/)
    }
  })

  it("deriveKey rejects out-of-range parameters with a plain Error", () => {
    expect(() => Authenticator.deriveKey("p", "s", 0)).toThrow(/iterations/)
    expect(() => Authenticator.deriveKey("p", "s", 1.5)).toThrow(/iterations/)
    expect(() => Authenticator.deriveKey("p", "s", Authenticator.maxIterations + 1)).toThrow(/iterations/)
    expect(() => Authenticator.deriveKey("p", "s", 10, 0)).toThrow(/keylen/)
  })

  it("cryptosignPublicKey matches the vectors (hex and bytes seeds)", () => {
    for (const [seed, publicKey] of Object.entries(publicKeys)) {
      expect(Authenticator.cryptosignPublicKey(seed)).toBe(publicKey)
      expect(Authenticator.cryptosignPublicKey(hex(seed))).toBe(publicKey)
    }
    // PyNaCl SigningKey(bytes(range(32))).verify_key
    expect(Authenticator.cryptosignPublicKey(Uint8Array.from({ length: 32 }, (_, i) => i))).toBe(
      "03a107bff3ce10be1d70dd18e74bc09967e4d6309ba50d5f1ddc8664125531b8"
    )
  })

  it("cryptosignSign matches all six spec vectors", () => {
    for (const vector of specVectors) {
      const channel = vector.channelId === undefined ? undefined : hex(vector.channelId)
      expect(Authenticator.cryptosignSign(vector.seed, vector.challenge, channel)).toBe(vector.signature)
    }
  })

  it("cryptosignSign matches a PyNaCl vector with a channel id", () => {
    const seed = Uint8Array.from({ length: 32 }, (_, i) => i)
    expect(Authenticator.cryptosignSign(seed, Buffer.from(seed).toString("hex"), new Uint8Array(32).fill(0x5a))).toBe(
      "a52f024d76564becd65e110c32bd3081dde32ed30f049e38c20ae377b15670548a39628098741a3db19e307945890ff023402018d9cb21571a93eea1b4182b075a5b58595e5f5c5d52535051565754554a4b48494e4f4c4d4243404146474445"
    )
  })

  it("cryptosignSign rejects malformed seeds, challenges and channel ids with a plain Error", () => {
    const seed = specVectors[0].seed
    const challenge = specVectors[0].challenge
    expect(() => Authenticator.cryptosignSign(seed.slice(2), challenge)).toThrow(/seed/)
    expect(() => Authenticator.cryptosignSign(new Uint8Array(31), challenge)).toThrow(/seed/)
    expect(() => Authenticator.cryptosignSign(`zz${seed.slice(2)}`, challenge)).toThrow(/seed/)
    expect(() => Authenticator.cryptosignSign(seed, challenge.slice(2))).toThrow(/challenge/)
    expect(() => Authenticator.cryptosignSign(seed, `${challenge}00`)).toThrow(/challenge/)
    expect(() => Authenticator.cryptosignSign(seed, `x${challenge.slice(1)}`)).toThrow(/challenge/)
    expect(() => Authenticator.cryptosignSign(seed, challenge, new Uint8Array(16))).toThrow(/channel id/)
  })

  it("cryptosignVerify accepts the spec vectors and rejects tampering", () => {
    for (const vector of specVectors) {
      const publicKey = publicKeys[vector.seed]!
      const channel = vector.channelId === undefined ? undefined : hex(vector.channelId)
      expect(Authenticator.cryptosignVerify(publicKey, vector.challenge, vector.signature, channel)).toBe(true)
      // channel binding on/off must matter
      const otherChannel = channel === undefined ? hex(channelId) : undefined
      expect(Authenticator.cryptosignVerify(publicKey, vector.challenge, vector.signature, otherChannel)).toBe(false)
      // a flipped signature bit
      const flipped = (parseInt(vector.signature[0]!, 16) ^ 1).toString(16) + vector.signature.slice(1)
      expect(Authenticator.cryptosignVerify(publicKey, vector.challenge, flipped, channel)).toBe(false)
    }
    const [first, second] = specVectors
    // another key, another challenge
    expect(Authenticator.cryptosignVerify(publicKeys[second.seed]!, first.challenge, first.signature)).toBe(false)
    expect(Authenticator.cryptosignVerify(publicKeys[first.seed]!, second.challenge, first.signature)).toBe(false)
  })

  it("cryptosignVerify answers false to malformed input instead of throwing", () => {
    const [v] = specVectors
    const publicKey = publicKeys[v.seed]!
    expect(Authenticator.cryptosignVerify(publicKey.slice(2), v.challenge, v.signature)).toBe(false)
    expect(Authenticator.cryptosignVerify(`g${publicKey.slice(1)}`, v.challenge, v.signature)).toBe(false)
    expect(Authenticator.cryptosignVerify(publicKey, "ff", v.signature)).toBe(false)
    expect(Authenticator.cryptosignVerify(publicKey, v.challenge, v.signature.slice(0, 128))).toBe(false)
    expect(Authenticator.cryptosignVerify(publicKey, v.challenge, v.signature, new Uint8Array(3))).toBe(false)
    expect(Authenticator.cryptosignVerify(publicKey, v.challenge, null as unknown as string)).toBe(false)
  })

  it.prop(
    "cryptosignSign output verifies under its own public key, and only for its challenge",
    [
      FastCheck.uint8Array({ minLength: 32, maxLength: 32 }),
      FastCheck.uint8Array({ minLength: 32, maxLength: 32 }),
      FastCheck.option(FastCheck.uint8Array({ minLength: 32, maxLength: 32 }), { nil: undefined })
    ],
    ([seed, challengeBytes, channel]) => {
      const challenge = Buffer.from(challengeBytes).toString("hex")
      const signature = Authenticator.cryptosignSign(seed, challenge, channel)
      const publicKey = Authenticator.cryptosignPublicKey(seed)
      expect(signature).toMatch(/^[0-9a-f]{192}$/)
      expect(Authenticator.cryptosignVerify(publicKey, challenge, signature, channel)).toBe(true)
      const other = Buffer.from(challengeBytes.map((b, i) => (i === 0 ? b ^ 0x80 : b))).toString("hex")
      expect(Authenticator.cryptosignVerify(publicKey, other, signature, channel)).toBe(false)
    },
    { fastCheck: { numRuns: 50 } }
  )
})

describe("anonymous", () => {
  it.effect("announces anonymous with the optional identity and refuses every challenge", () =>
    Effect.gen(function*() {
      const auth = yield* fromLayer(Authenticator.layerAnonymous({ authid: "joe", authrole: "guest" }))
      expect(auth.authmethods).toEqual(["anonymous"])
      expect(auth.authid).toBe("joe")
      expect(auth.authrole).toBe("guest")
      expect(auth.authextra).toBeUndefined()
      for (const method of ["anonymous", "ticket"]) {
        const error = yield* failureOf(challengeOf(auth, { method, extra: {} }))
        expect(error).toBeInstanceOf(AuthenticationError)
        expect(error.reason).toBe("UnsupportedMethod")
        expect(error.method).toBe(method)
      }
      const bare = yield* fromLayer(Authenticator.layerAnonymous())
      expect(bare.authmethods).toEqual(["anonymous"])
      expect("authid" in bare).toBe(false)
    }))
})

describe("ticket", () => {
  it.effect("answers a ticket challenge with the ticket, and nothing else", () =>
    Effect.gen(function*() {
      const auth = yield* fromLayer(
        Authenticator.layerTicket({ authid: "joe", authrole: "user", ticket: Redacted.make("t1cket") })
      )
      expect(auth.authmethods).toEqual(["ticket"])
      expect(auth.authid).toBe("joe")
      expect(auth.authrole).toBe("user")
      expect(yield* challengeOf(auth, { method: "ticket", extra: {} })).toEqual({ signature: "t1cket", extra: {} })
      const error = yield* failureOf(challengeOf(auth, { method: "wampcra", extra: { challenge: "x" } }))
      expect(error.reason).toBe("UnsupportedMethod")
      expect(error.message).toContain("ticket")
    }))

  it.effect("layerTicketConfig reads the secret from Config", () =>
    Effect.gen(function*() {
      const layer = Authenticator.layerTicketConfig({
        authid: Config.string("WAMP_AUTHID"),
        ticket: Config.redacted("WAMP_TICKET")
      })
      const provider = ConfigProvider.fromMap(new Map([["WAMP_AUTHID", "joe"], ["WAMP_TICKET", "from-env"]]))
      const auth = yield* fromLayer(layer).pipe(Effect.withConfigProvider(provider))
      expect(auth.authid).toBe("joe")
      expect((yield* challengeOf(auth, { method: "ticket", extra: {} })).signature).toBe("from-env")
      const missing = yield* fromLayer(layer).pipe(
        Effect.withConfigProvider(ConfigProvider.fromMap(new Map([["WAMP_AUTHID", "joe"]]))),
        Effect.flip
      )
      expect(missing._tag).toBe("ConfigError")
    }))
})

describe("wampcra", () => {
  const cra = (secret: string) => Authenticator.wampCra({ authid: "joe", secret: Redacted.make(secret) })

  it.effect("signs an unsalted challenge", () =>
    Effect.gen(function*() {
      const auth = yield* fromLayer(
        Authenticator.layerWampCra({ authid: "joe", authrole: "admin", secret: Redacted.make("secret") })
      )
      expect(auth.authmethods).toEqual(["wampcra"])
      expect(auth.authid).toBe("joe")
      expect(auth.authrole).toBe("admin")
      expect(yield* challengeOf(auth, { method: "wampcra", extra: { challenge: "challenge" } })).toEqual({
        signature: "oeUF6Wxqoezggrue+wbIDxKRPSF6esKwizR2MHh9HaA=",
        extra: {}
      })
    }))

  it.effect("signs a challenge containing non-ASCII characters byte-exactly", () =>
    Effect.gen(function*() {
      const response = yield* challengeOf(cra("s3crét"), { method: "wampcra", extra: { challenge: unicodeChallenge } })
      expect(response.signature).toBe(unicodeSignature)
    }))

  it.effect("salted: derives with defaults (1000, 32) then signs, as autobahn-python does", () =>
    Effect.gen(function*() {
      const auth = cra("secret2")
      const challenge = "{\"nonce\":\"abc\",\"salt\":\"x\"}"
      // autobahn-python compute_wcs(derive_key("secret2", "mysalt"), challenge)
      const expected = "Tg+c5/t4JNNkAFQVAdtXW6zPkbgYjzb/iDSvVc2FTMc="
      const first = yield* challengeOf(auth, { method: "wampcra", extra: { challenge, salt: "mysalt" } })
      expect(first.signature).toBe(expected)
      // null means "default" too; the second round hits the cached key and must agree
      const second = yield* challengeOf(auth, {
        method: "wampcra",
        extra: { challenge, salt: "mysalt", iterations: null, keylen: null }
      })
      expect(second.signature).toBe(expected)
    }))

  it.effect("salted: honours the router's iterations and keylen", () =>
    Effect.gen(function*() {
      const auth = cra("password")
      const response = yield* challengeOf(auth, {
        method: "wampcra",
        extra: { challenge: "challenge", salt: "salt", iterations: 100, keylen: 16 }
      })
      // the HMAC key is the ASCII of the derived base64 text (vector D2)
      expect(response.signature).toBe(Authenticator.craSign("B+aZcYDPfxKQTwQQDUBdNA==", "challenge"))
      expect(response.signature).not.toBe(Authenticator.craSign("password", "challenge"))
      // a different salt must not reuse the cached key
      const other = yield* challengeOf(auth, {
        method: "wampcra",
        extra: { challenge: "challenge", salt: "pepper", iterations: 100, keylen: 16 }
      })
      expect(other.signature).toBe(
        Authenticator.craSign(Authenticator.deriveKey("password", "pepper", 100, 16), "challenge")
      )
    }))

  it.effect("malformed challenges fail with reason Challenge", () =>
    Effect.gen(function*() {
      const auth = cra("secret")
      const bad: ReadonlyArray<Record<string, unknown>> = [
        {},
        { challenge: 42 },
        { challenge: "c", salt: 7 },
        { challenge: "c", salt: "s", iterations: "1000" },
        { challenge: "c", salt: "s", iterations: 1.5 },
        { challenge: "c", salt: "s", keylen: -1 },
        { challenge: "c", salt: "s", iterations: 1e12 },
        { challenge: "c", salt: "s", keylen: 1e9 }
      ]
      for (const extra of bad) {
        const error = yield* failureOf(challengeOf(auth, { method: "wampcra", extra }))
        expect(error.reason, JSON.stringify(extra)).toBe("Challenge")
        expect(error.method).toBe("wampcra")
      }
      expect((yield* failureOf(challengeOf(auth, { method: "cryptosign", extra: {} }))).reason).toBe(
        "UnsupportedMethod"
      )
    }))
})

describe("cryptosign", () => {
  const [plain, , , bound] = specVectors
  const seed = plain.seed

  it.effect("announces the public key and signs the challenge", () =>
    Effect.gen(function*() {
      const auth = yield* fromLayer(
        Authenticator.layerCryptosign({ authid: "client01", authrole: "device", privateKey: Redacted.make(seed) })
      )
      expect(auth.authmethods).toEqual(["cryptosign"])
      expect(auth.authid).toBe("client01")
      expect(auth.authrole).toBe("device")
      expect(auth.authextra).toEqual({ pubkey: publicKeys[seed] })
      const response = yield* challengeOf(auth, {
        method: "cryptosign",
        extra: { challenge: plain.challenge, channel_binding: null }
      })
      expect(response).toEqual({ signature: plain.signature, extra: {} })
      // absent channel_binding is the same as null
      const again = yield* challengeOf(auth, { method: "cryptosign", extra: { challenge: plain.challenge } })
      expect(again.signature).toBe(plain.signature)
    }))

  it.effect("tls-unique: announces it, XORs the link's channel id, and checks the router agreed", () =>
    Effect.gen(function*() {
      const auth = Authenticator.unsafeCryptosign({
        privateKey: Redacted.make(hex(seed)),
        channelBinding: "tls-unique",
        authextra: { trustroot: "0xabc", pubkey: "not ours", channel_binding: "tls-exporter" }
      })
      expect(auth.authid).toBeUndefined()
      expect(auth.authextra).toEqual({ trustroot: "0xabc", pubkey: publicKeys[seed], channel_binding: "tls-unique" })
      const response = yield* challengeOf(auth, {
        method: "cryptosign",
        extra: { challenge: bound.challenge, channel_binding: "tls-unique" },
        channelBinding: hex(channelId)
      })
      expect(response.signature).toBe(bound.signature)

      const dropped = yield* failureOf(challengeOf(auth, {
        method: "cryptosign",
        extra: { challenge: bound.challenge },
        channelBinding: hex(channelId)
      }))
      expect(dropped.reason).toBe("Challenge")
      expect(dropped.message).toContain("channel_binding")

      const noChannelId = yield* failureOf(challengeOf(auth, {
        method: "cryptosign",
        extra: { challenge: bound.challenge, channel_binding: "tls-unique" }
      }))
      expect(noChannelId.reason).toBe("Signature")
    }))

  it.effect("refuses a binding it did not request, and malformed challenges", () =>
    Effect.gen(function*() {
      const auth = Authenticator.unsafeCryptosign({ privateKey: Redacted.make(seed) })
      expect(auth.authextra).toEqual({ pubkey: publicKeys[seed] })
      const unrequested = yield* failureOf(challengeOf(auth, {
        method: "cryptosign",
        extra: { challenge: plain.challenge, channel_binding: "tls-unique" },
        channelBinding: hex(channelId)
      }))
      expect(unrequested.reason).toBe("Challenge")
      for (const challenge of [undefined, 7, "ff", plain.challenge.replace("f", "g"), `${plain.challenge}ff`]) {
        const error = yield* failureOf(challengeOf(auth, { method: "cryptosign", extra: { challenge } }))
        expect(error.reason, String(challenge)).toBe("Challenge")
        expect(error.method).toBe("cryptosign")
      }
    }))

  it.effect("a malformed private key is a typed failure of the layer, a thrown AuthenticationError of the constructor", () =>
    Effect.gen(function*() {
      for (const privateKey of [seed.slice(2), `${seed}00`, seed.replace("4", "x"), new Uint8Array(31)]) {
        const error = yield* Effect.flip(
          fromLayer(Authenticator.layerCryptosign({ privateKey: Redacted.make(privateKey) }))
        )
        expect(error).toBeInstanceOf(AuthenticationError)
        expect(error.reason).toBe("Signature")
        expect(error.method).toBe("cryptosign")
        expect(() => Authenticator.unsafeCryptosign({ privateKey: Redacted.make(privateKey) })).toThrow(
          AuthenticationError
        )
        const typed = yield* Effect.flip(Authenticator.makeCryptosign({ privateKey: Redacted.make(privateKey) }))
        expect(typed.reason).toBe("Signature")
      }
    }))

  it("the deprecated `cryptosign` is still the throwing constructor", () => {
    const auth = Authenticator.cryptosign({ privateKey: Redacted.make(seed) })
    expect(auth.authextra).toEqual(Authenticator.unsafeCryptosign({ privateKey: Redacted.make(seed) }).authextra)
    expect(() => Authenticator.cryptosign({ privateKey: Redacted.make(seed.slice(2)) })).toThrow(AuthenticationError)
  })

  it.effect("layerCryptosignConfig reads a hex seed from Config", () =>
    Effect.gen(function*() {
      const layer = Authenticator.layerCryptosignConfig({
        authid: Config.string("AUTHID"),
        privateKey: Config.redacted("SEED")
      })
      const auth = yield* fromLayer(layer).pipe(
        Effect.withConfigProvider(ConfigProvider.fromMap(new Map([["AUTHID", "dev"], ["SEED", seed]])))
      )
      expect(auth.authextra).toEqual({ pubkey: publicKeys[seed] })
      expect((yield* challengeOf(auth, { method: "cryptosign", extra: { challenge: plain.challenge } })).signature)
        .toBe(
          plain.signature
        )
      const error = yield* fromLayer(layer).pipe(
        Effect.withConfigProvider(ConfigProvider.fromMap(new Map([["AUTHID", "dev"], ["SEED", "abc"]]))),
        Effect.flip
      )
      expect(error._tag).toBe("AuthenticationError")
    }))
})

class Signer extends Context.Tag("test/Signer")<Signer, { readonly sign: (text: string) => string }>() {}

describe("custom", () => {
  it.effect("answers its methods through the handler, with extra defaulting to {}", () =>
    Effect.gen(function*() {
      const seen: Array<Authenticator.ChallengeContext> = []
      const auth = Authenticator.custom({
        authmethods: ["cookie", "x-otp"],
        authid: "me",
        authextra: { client: "test" },
        onChallenge: (ctx) =>
          Effect.sync(() => {
            seen.push(ctx)
            return ctx.method === "x-otp" ? { signature: "123456", extra: { round: 2 } } : { signature: "c" }
          })
      })
      expect(auth.authmethods).toEqual(["cookie", "x-otp"])
      expect(auth.authextra).toEqual({ client: "test" })
      expect(yield* challengeOf(auth, { method: "cookie", extra: { a: 1 } })).toEqual({ signature: "c", extra: {} })
      expect(yield* challengeOf(auth, { method: "x-otp", extra: {} })).toEqual({
        signature: "123456",
        extra: { round: 2 }
      })
      expect(seen.map((ctx) => ctx.method)).toEqual(["cookie", "x-otp"])
      expect(seen[0]!.extra).toEqual({ a: 1 })
      expect((yield* failureOf(challengeOf(auth, { method: "ticket", extra: {} }))).reason).toBe("UnsupportedMethod")
      expect(seen).toHaveLength(2)
    }))

  it.effect("a handler's failure passes through; a throwing handler becomes an AuthenticationError", () =>
    Effect.gen(function*() {
      const failing = Authenticator.custom({
        authmethods: ["x"],
        onChallenge: () => Effect.fail(new AuthenticationError({ reason: "Challenge", method: "x", message: "nope" }))
      })
      expect((yield* failureOf(challengeOf(failing, { method: "x", extra: {} }))).message).toBe("nope")
      const throwing = Authenticator.custom({
        authmethods: ["x"],
        onChallenge: () => {
          throw new Error("boom")
        }
      })
      const error = yield* failureOf(challengeOf(throwing, { method: "x", extra: {} }))
      expect(error.reason).toBe("Signature")
      expect(error.message).toContain("boom")
    }))

  it.effect("layerCustom captures the services its handler needs", () =>
    Effect.gen(function*() {
      const layer = Authenticator.layerCustom({
        authmethods: ["hmac"],
        onChallenge: (ctx) => Effect.map(Signer, (signer) => ({ signature: signer.sign(String(ctx.extra["nonce"])) }))
      }).pipe(Layer.provide(Layer.succeed(Signer, { sign: (text) => text.toUpperCase() })))
      const auth = yield* fromLayer(layer)
      expect((yield* challengeOf(auth, { method: "hmac", extra: { nonce: "abc" } })).signature).toBe("ABC")
    }))
})

describe("combined", () => {
  const cryptosignSeed = specVectors[0].seed

  it.effect("offers every method in order and routes each CHALLENGE to its owner", () =>
    Effect.gen(function*() {
      const auth = yield* fromLayer(Authenticator.layerAll(
        Authenticator.layerCryptosign({ privateKey: Redacted.make(cryptosignSeed), authextra: { shared: "first" } }),
        Authenticator.layerWampCra({ authid: "joe", authrole: "user", secret: Redacted.make("secret") }),
        Authenticator.layerTicket({ authid: "jim", authrole: "other", ticket: Redacted.make("tk") }),
        Authenticator.layerCustom({
          authmethods: ["ticket", "cookie"],
          authextra: { shared: "second", more: 1 },
          onChallenge: () => Effect.succeed({ signature: "from custom" })
        })
      ))
      expect(auth.authmethods).toEqual(["cryptosign", "wampcra", "ticket", "cookie"])
      // first defined authid/authrole win; authextra merged with the first value winning
      expect(auth.authid).toBe("joe")
      expect(auth.authrole).toBe("user")
      expect(auth.authextra).toEqual({ pubkey: publicKeys[cryptosignSeed], shared: "first", more: 1 })

      expect((yield* challengeOf(auth, { method: "wampcra", extra: { challenge: "challenge" } })).signature).toBe(
        "oeUF6Wxqoezggrue+wbIDxKRPSF6esKwizR2MHh9HaA="
      )
      expect(
        (yield* challengeOf(auth, { method: "cryptosign", extra: { challenge: specVectors[0].challenge } })).signature
      )
        .toBe(specVectors[0].signature)
      // "ticket" belongs to its first owner
      expect((yield* challengeOf(auth, { method: "ticket", extra: {} })).signature).toBe("tk")
      expect((yield* challengeOf(auth, { method: "cookie", extra: {} })).signature).toBe("from custom")

      const error = yield* failureOf(challengeOf(auth, { method: "scram", extra: {} }))
      expect(error.reason).toBe("UnsupportedMethod")
      expect(error.method).toBe("scram")
    }))

  it.effect("layerAll fails when one of its layers fails", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(fromLayer(Authenticator.layerAll(
        Authenticator.layerAnonymous(),
        Authenticator.layerCryptosign({ privateKey: Redacted.make("00") })
      )))
      expect(error.reason).toBe("Signature")
    }))

  it("combine keeps anonymous refusing challenges and leaves absent fields out", () => {
    const auth = Authenticator.combine(Authenticator.anonymous(), Authenticator.anonymous({ authrole: "guest" }))
    expect(auth.authmethods).toEqual(["anonymous"])
    expect(auth.authrole).toBe("guest")
    expect(auth.authid).toBeUndefined()
    expect(auth.authextra).toBeUndefined()
    const exit = Effect.runSyncExit(Effect.either(auth.challenge({ method: "anonymous", extra: {} })))
    expect(exit._tag === "Success" && Either.isLeft(exit.value) && exit.value.left.reason).toBe("UnsupportedMethod")
  })
})

describe("secrets", () => {
  it.effect("do not appear in the service's String, JSON, inspection, nor in error messages", () =>
    Effect.gen(function*() {
      const ticketSecret = "TICKET-SECRET-1"
      const craSecret = "CRA-SECRET-2"
      const seed = specVectors[1].seed
      const services = [
        Authenticator.ticket({ authid: "a", ticket: Redacted.make(ticketSecret) }),
        Authenticator.wampCra({ authid: "a", secret: Redacted.make(craSecret) }),
        Authenticator.unsafeCryptosign({ privateKey: Redacted.make(seed) })
      ]
      services.push(Authenticator.combine(...services))
      for (const auth of services) {
        for (const text of [String(auth), JSON.stringify(auth), inspect(auth, { depth: 10, showHidden: true })]) {
          expect(text).not.toContain(ticketSecret)
          expect(text).not.toContain(craSecret)
          expect(text).not.toContain(seed)
        }
        // a malformed challenge: ticket still answers it, the others fail and must not leak in the error
        const result = yield* Effect.either(auth.challenge({ method: auth.authmethods[0]!, extra: { challenge: 1 } }))
        if (Either.isLeft(result)) {
          const text = `${result.left.message} ${inspect(result.left, { depth: 10 })}`
          expect(text).not.toContain(craSecret)
          expect(text).not.toContain(seed)
        }
      }
      const withBadSeed = yield* Effect.flip(Authenticator.makeCryptosign({ privateKey: Redacted.make(`${seed}ff`) }))
      expect(`${withBadSeed.message} ${inspect(withBadSeed, { depth: 10 })}`).not.toContain(seed)
    }))
})
