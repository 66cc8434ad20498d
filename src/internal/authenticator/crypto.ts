/**
 * The signing primitives of WAMP-CRA and WAMP-Cryptosign, on the audited, synchronous,
 * platform-neutral `@noble/hashes` (HMAC-SHA256, PBKDF2) and `@noble/curves` (Ed25519), so they
 * run the same in browsers and on Node. Salted key derivation off the calling stack uses WebCrypto
 * where it is there (Node, secure browser contexts), else noble's time-sliced PBKDF2.
 *
 * Plain synchronous functions: they throw a plain `Error` with a clear message on malformed input
 * (wrong key length, non-hex text, challenge not 32 bytes). The Authenticator services wrap them and
 * turn those throws into `AuthenticationError`s; `cryptosignVerify` never throws (a router asks yes/no).
 */
import { ed25519 } from "@noble/curves/ed25519.js"
import { hmac } from "@noble/hashes/hmac.js"
import { pbkdf2, pbkdf2Async } from "@noble/hashes/pbkdf2.js"
import { sha256 } from "@noble/hashes/sha2.js"
import { bytesToHex, hexToBytes as nobleHexToBytes } from "@noble/hashes/utils.js"
import * as Base64 from "../serializer/base64.js"

const utf8 = new TextEncoder()

/** Bytes of a key or secret: strings are taken as UTF-8, byte arrays as they are. */
const bytesOf = (value: string | Uint8Array): Uint8Array => typeof value === "string" ? utf8.encode(value) : value

// ---------------------------------------------------------------------------------------------
// WAMP-CRA
// ---------------------------------------------------------------------------------------------

/**
 * WAMP-CRA signature: base64 of HMAC-SHA256 with key = the secret's bytes and message = the exact
 * UTF-8 bytes of the challenge string as received (never re-serialized: the router signs those bytes).
 */
export const craSign = (secret: string | Uint8Array, challenge: string): string =>
  Base64.encode(hmac(sha256, bytesOf(secret), utf8.encode(challenge)))

/** Bounds for salted WAMP-CRA key derivation: a hostile router must not make us spin for minutes. */
export const maxIterations = 10_000_000
export const maxKeylen = 1024

const checkDerivationParameters = (iterations: number, keylen: number): void => {
  if (!Number.isSafeInteger(iterations) || iterations < 1 || iterations > maxIterations) {
    throw new Error(`WAMP-CRA iterations must be an integer in [1, ${maxIterations}], got ${String(iterations)}`)
  }
  if (!Number.isSafeInteger(keylen) || keylen < 1 || keylen > maxKeylen) {
    throw new Error(`WAMP-CRA keylen must be an integer in [1, ${maxKeylen}], got ${String(keylen)}`)
  }
}

/**
 * Salted WAMP-CRA key: base64 of PBKDF2-HMAC-SHA256(password = secret, salt = UTF-8 of the salt
 * string, NOT base64-decoded). The HMAC key for `craSign` is then the ASCII bytes of this base64
 * text, which is what passing the returned string to `craSign` does.
 * Throws a plain `Error` when iterations/keylen are not positive integers within bounds.
 */
export const deriveKey = (secret: string | Uint8Array, salt: string, iterations = 1000, keylen = 32): string => {
  checkDerivationParameters(iterations, keylen)
  return Base64.encode(pbkdf2(sha256, bytesOf(secret), utf8.encode(salt), { c: iterations, dkLen: keylen }))
}

const subtle = (globalThis as { crypto?: { subtle?: SubtleCrypto } }).crypto?.subtle

/** WebCrypto's PBKDF2 (native, off the main thread); rejects where the platform refuses it. */
const deriveBitsWebCrypto = async (
  subtle: SubtleCrypto,
  secret: Uint8Array,
  salt: Uint8Array,
  iterations: number,
  keylen: number
): Promise<Uint8Array> => {
  // Copies: WebCrypto wants ArrayBuffer-backed views.
  const key = await subtle.importKey("raw", new Uint8Array(secret), "PBKDF2", false, ["deriveBits"])
  const bits = await subtle.deriveBits(
    { name: "PBKDF2", hash: "SHA-256", salt: new Uint8Array(salt), iterations },
    key,
    keylen * 8
  )
  return new Uint8Array(bits)
}

/**
 * `deriveKey` without blocking the session's dispatcher: WebCrypto when available, else noble's
 * PBKDF2, which yields to the event loop every 10 ms.
 */
export const deriveKeyAsync = (
  secret: string | Uint8Array,
  salt: string,
  iterations: number,
  keylen: number,
  callback: (error: Error | null, key: string) => void,
  webCrypto: SubtleCrypto | undefined = subtle
): void => {
  try {
    checkDerivationParameters(iterations, keylen)
  } catch (error) {
    return callback(error as Error, "")
  }
  const password = bytesOf(secret)
  const saltBytes = utf8.encode(salt)
  const fallback = () => pbkdf2Async(sha256, password, saltBytes, { c: iterations, dkLen: keylen, asyncTick: 10 })
  const derived = webCrypto === undefined
    ? fallback()
    : deriveBitsWebCrypto(webCrypto, password, saltBytes, iterations, keylen).catch(fallback)
  derived.then(
    (key) => callback(null, Base64.encode(key)),
    (error: unknown) => callback(error instanceof Error ? error : new Error(String(error)), "")
  )
}

// ---------------------------------------------------------------------------------------------
// WAMP-Cryptosign (Ed25519)
// ---------------------------------------------------------------------------------------------

const hexPattern = /^(?:[0-9a-fA-F]{2})*$/

/** Decodes hex text; throws a plain `Error` naming `what` when it is not hex of `length` bytes. */
export const hexToBytes = (hex: string, length: number, what: string): Uint8Array => {
  if (typeof hex !== "string" || hex.length !== length * 2 || !hexPattern.test(hex)) {
    throw new Error(`${what} must be ${length * 2} hex characters (${length} bytes)`)
  }
  return nobleHexToBytes(hex)
}

const seedBytes = (seed: Uint8Array | string): Uint8Array => {
  if (typeof seed === "string") return hexToBytes(seed, 32, "Cryptosign private key (seed)")
  if (!(seed instanceof Uint8Array) || seed.length !== 32) {
    throw new Error("Cryptosign private key (seed) must be 32 bytes")
  }
  return seed
}

/** A parsed Ed25519 key pair; parse once, sign many times. */
export interface CryptosignKey {
  /** The 32-byte seed. */
  readonly privateKey: Uint8Array
  /** Lowercase hex of the 32-byte public key. */
  readonly publicKey: string
}

/** Parses a 32-byte seed (bytes or 64 hex chars); throws a plain `Error` on any other length or text. */
export const cryptosignKey = (seed: Uint8Array | string): CryptosignKey => {
  // A copy, so a caller's later change to its array does not change the key.
  const privateKey = Uint8Array.from(seedBytes(seed))
  return { privateKey, publicKey: bytesToHex(ed25519.getPublicKey(privateKey)) }
}

/** The message signed: the challenge, or the challenge XOR the 32-byte TLS channel id. */
const signedMessage = (challengeHex: string, channelId: Uint8Array | undefined): Uint8Array => {
  const challenge = hexToBytes(challengeHex, 32, "Cryptosign challenge")
  if (channelId === undefined) return challenge
  if (!(channelId instanceof Uint8Array) || channelId.length !== 32) {
    throw new Error("Cryptosign channel id must be 32 bytes")
  }
  return challenge.map((byte, i) => byte ^ channelId[i]!)
}

/** AUTHENTICATE signature with an already parsed key: hex(Ed25519 signature of msg) + hex(msg). */
export const cryptosignSignWith = (key: CryptosignKey, challengeHex: string, channelId?: Uint8Array): string => {
  const message = signedMessage(challengeHex, channelId)
  return bytesToHex(ed25519.sign(message, key.privateKey)) + bytesToHex(message)
}

/**
 * WAMP-Cryptosign AUTHENTICATE signature: hex(Ed25519 signature of msg) + hex(msg), where msg is the
 * 32-byte challenge, or challenge XOR channelId under channel binding (192 lowercase hex characters).
 * Throws a plain `Error` when the seed is not 32 bytes / 64 hex characters, the challenge is not
 * 64 hex characters, or the channel id is not 32 bytes.
 */
export const cryptosignSign = (seed: Uint8Array | string, challengeHex: string, channelId?: Uint8Array): string =>
  cryptosignSignWith(cryptosignKey(seed), challengeHex, channelId)

/** Lowercase hex of the Ed25519 public key of a seed. Throws a plain `Error` on a malformed seed. */
export const cryptosignPublicKey = (seed: Uint8Array | string): string => cryptosignKey(seed).publicKey

/**
 * Checks a Cryptosign AUTHENTICATE signature as a router would: the trailing 32 bytes must be the
 * challenge (XOR channelId when given) and the leading 64 bytes a valid Ed25519 signature of them
 * under the public key. Malformed input of any kind yields `false`, never a throw.
 */
export const cryptosignVerify = (
  publicKeyHex: string,
  challengeHex: string,
  signatureHex: string,
  channelId?: Uint8Array
): boolean => {
  try {
    const publicKey = hexToBytes(publicKeyHex, 32, "Cryptosign public key")
    const signed = hexToBytes(signatureHex, 96, "Cryptosign signature")
    const expected = signedMessage(challengeHex, channelId)
    const message = signed.subarray(64)
    return equalBytes(message, expected) && ed25519.verify(signed.subarray(0, 64), message, publicKey)
  } catch {
    return false
  }
}

/** Compares in time independent of where the bytes differ. */
const equalBytes = (a: Uint8Array, b: Uint8Array): boolean => {
  if (a.length !== b.length) return false
  let difference = 0
  for (let i = 0; i < a.length; i++) difference |= a[i]! ^ b[i]!
  return difference === 0
}
