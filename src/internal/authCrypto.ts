/**
 * The signing primitives of WAMP-CRA and WAMP-Cryptosign, on `node:crypto`.
 *
 * Plain synchronous functions: they throw a plain `Error` with a clear message on malformed input
 * (wrong key length, non-hex text, challenge not 32 bytes). The Authenticator services wrap them and
 * turn those throws into `AuthenticationError`s; `cryptosignVerify` never throws (a router asks yes/no).
 */
import * as Crypto from "node:crypto"

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
  Crypto.createHmac("sha256", bytesOf(secret)).update(challenge, "utf8").digest("base64")

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
  return Crypto.pbkdf2Sync(bytesOf(secret), utf8.encode(salt), iterations, keylen, "sha256").toString("base64")
}

/** `deriveKey` off the event loop (libuv thread pool), for the session's dispatcher. */
export const deriveKeyAsync = (
  secret: string | Uint8Array,
  salt: string,
  iterations: number,
  keylen: number,
  callback: (error: Error | null, key: string) => void
): void => {
  try {
    checkDerivationParameters(iterations, keylen)
  } catch (error) {
    return callback(error as Error, "")
  }
  Crypto.pbkdf2(
    bytesOf(secret),
    utf8.encode(salt),
    iterations,
    keylen,
    "sha256",
    (error, key) => callback(error, error === null ? key.toString("base64") : "")
  )
}

// ---------------------------------------------------------------------------------------------
// WAMP-Cryptosign (Ed25519)
// ---------------------------------------------------------------------------------------------

/** DER headers that turn a raw 32-byte Ed25519 seed / public key into PKCS#8 / SPKI documents. */
const pkcs8Header = Buffer.from("302e020100300506032b657004220420", "hex")
const spkiHeader = Buffer.from("302a300506032b6570032100", "hex")

const hexPattern = /^(?:[0-9a-fA-F]{2})*$/

/** Decodes hex text; throws a plain `Error` naming `what` when it is not hex of `length` bytes. */
export const hexToBytes = (hex: string, length: number, what: string): Uint8Array => {
  if (typeof hex !== "string" || hex.length !== length * 2 || !hexPattern.test(hex)) {
    throw new Error(`${what} must be ${length * 2} hex characters (${length} bytes)`)
  }
  return Buffer.from(hex, "hex")
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
  readonly privateKey: Crypto.KeyObject
  /** Lowercase hex of the 32-byte public key. */
  readonly publicKey: string
}

/** Parses a 32-byte seed (bytes or 64 hex chars); throws a plain `Error` on any other length or text. */
export const cryptosignKey = (seed: Uint8Array | string): CryptosignKey => {
  const privateKey = Crypto.createPrivateKey({
    key: Buffer.concat([pkcs8Header, seedBytes(seed)]),
    format: "der",
    type: "pkcs8"
  })
  const spki = Crypto.createPublicKey(privateKey).export({ format: "der", type: "spki" })
  return { privateKey, publicKey: spki.subarray(spkiHeader.length).toString("hex") }
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
  const signature = Crypto.sign(null, message, key.privateKey)
  return signature.toString("hex") + Buffer.from(message).toString("hex")
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
    const publicKey = Crypto.createPublicKey({
      key: Buffer.concat([spkiHeader, hexToBytes(publicKeyHex, 32, "Cryptosign public key")]),
      format: "der",
      type: "spki"
    })
    const signed = hexToBytes(signatureHex, 96, "Cryptosign signature")
    const expected = signedMessage(challengeHex, channelId)
    const message = signed.subarray(64)
    return Crypto.timingSafeEqual(message, expected) && Crypto.verify(null, message, publicKey, signed.subarray(0, 64))
  } catch {
    return false
  }
}
