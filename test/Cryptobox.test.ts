/**
 * Cryptobox primitives: the NaCl box against a PyNaCl known answer, sealing and opening, key ring
 * lookup as Autobahn|Python's (longest prefix, default key, roles).
 */
import { describe, expect, it } from "@effect/vitest"
import { Either } from "effect"
import * as Cryptobox from "../src/Cryptobox.js"
import { makeBox, publicKeyOf } from "../src/internal/cryptobox/box.js"

const hex = (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("")
const key = (options: Cryptobox.KeyOptions) => Either.getOrThrow(Cryptobox.makeKey(options))

describe("Cryptobox", () => {
  it("the box matches PyNaCl's Box.encrypt byte for byte", () => {
    // /usr/bin/python3: bytes(Box(PrivateKey(bytes([1]*32)), PrivateKey(bytes([2]*32)).public_key)
    //   .encrypt(b"hello", bytes([7]*24))).hex()
    const a = new Uint8Array(32).fill(1)
    const b = new Uint8Array(32).fill(2)
    const sealed = makeBox(a, publicKeyOf(b)).seal(new TextEncoder().encode("hello"), new Uint8Array(24).fill(7))
    expect(hex(sealed)).toBe("07".repeat(24) + "3fb2fe4717fe65e7770e7c018080c5ea40e1ba0794")
    // The other side's box opens it; a flipped bit or another key does not.
    expect(new TextDecoder().decode(makeBox(b, publicKeyOf(a)).open(sealed))).toBe("hello")
    const tampered = Uint8Array.from(sealed)
    tampered[30] = tampered[30]! ^ 1
    expect(makeBox(b, publicKeyOf(a)).open(tampered)).toBeUndefined()
    expect(makeBox(new Uint8Array(32).fill(3), publicKeyOf(a)).open(sealed)).toBeUndefined()
    expect(makeBox(b, publicKeyOf(a)).open(sealed.subarray(0, 30))).toBeUndefined()
  })

  it("seals { uri, args, kwargs } as JSON (bytes as \\0+base64) and opens it again", () => {
    const originator = Cryptobox.generateKeyPair()
    const responder = Cryptobox.generateKeyPair()
    const mine = key({ originatorPrivate: originator.privateKey, responderPublic: responder.publicKey })
    const theirs = key({ responderPrivate: responder.privateKey, originatorPublic: originator.publicKey })
    const args = ["x", new Uint8Array([0, 255]), 2 ** 53]
    const sealed = Either.getOrThrow(Cryptobox.seal(mine.originator!, "com.a", args, { k: [1] }))
    expect(sealed).toMatchObject({ form: "transparent", scheme: "cryptobox", serializer: "json" })
    expect(Cryptobox.open(theirs.responder!, sealed)).toStrictEqual(
      Either.right({ uri: "com.a", args, kwargs: { k: [1] } })
    )
    // Absent args/kwargs travel as null and come back empty.
    const empty = Either.getOrThrow(Cryptobox.seal(mine.originator!, "com.a", undefined, undefined))
    expect(Cryptobox.open(theirs.responder!, empty)).toStrictEqual(Either.right({ uri: "com.a", args: [], kwargs: {} }))
    expect(Either.isLeft(Cryptobox.open(mine.originator!, { ...sealed, serializer: "msgpack" }))).toBe(true)
    expect(
      Cryptobox.open(
        key({ responderPrivate: originator.privateKey, originatorPublic: originator.publicKey }).responder!,
        sealed
      )
    )
      .toStrictEqual(Either.left("the payload does not decrypt with this key"))
  })

  it("key ring: longest prefix, then the default key; each role its own box", () => {
    const a = Cryptobox.generateKeyPair()
    const b = Cryptobox.generateKeyPair()
    const short = key({ originatorPrivate: a.privateKey, responderPublic: b.publicKey })
    const long = key({ originatorPrivate: b.privateKey, responderPublic: a.publicKey })
    const fallback = key({ responderPrivate: a.privateKey, originatorPublic: b.publicKey })
    const ring = Cryptobox.keyRing({ "com.app.": short, "com.app.secret.": long }, fallback)
    expect(ring.boxFor("originator", "com.app.x")).toBe(short.originator)
    expect(ring.boxFor("originator", "com.app.secret.y")).toBe(long.originator)
    expect(ring.boxFor("originator", "org.other")).toBeUndefined() // the default key has no originator box
    expect(ring.boxFor("responder", "org.other")).toBe(fallback.responder)
    expect(Cryptobox.keyRing({ "com.app.": short }).boxFor("responder", "com.app.x")).toBeUndefined()
  })

  it("makeKey refuses keys of the wrong size and keys giving no box", () => {
    expect(Cryptobox.makeKey({ originatorPrivate: "c2hvcnQ=" })).toStrictEqual(
      Either.left("originatorPrivate must be 32 bytes (or their base64)")
    )
    expect(Either.isLeft(Cryptobox.makeKey({ originatorPublic: Cryptobox.generateKeyPair().publicKey }))).toBe(true)
  })
})
