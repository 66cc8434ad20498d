/**
 * WAMP-SCRAM (the spec's `authentication_scram.md`, after RFC 5802 / RFC 7677): the key derivation
 * (Argon2id v1.3 or PBKDF2-HMAC-SHA256, 32-byte output), the AuthMessage, the client proof and the
 * server signature, for both the client authenticator and the test-kit router. On @noble/hashes
 * (audited, synchronous cores with async variants that yield to the event loop, browser-safe).
 *
 * Plain functions; malformed input throws a plain `Error` with a clear message, which the callers
 * turn into typed errors.
 */
import { argon2idAsync } from "@noble/hashes/argon2.js"
import { hmac } from "@noble/hashes/hmac.js"
import { pbkdf2Async } from "@noble/hashes/pbkdf2.js"
import { sha256 } from "@noble/hashes/sha2.js"
import { utf8ToBytes } from "@noble/hashes/utils.js"

export type Kdf = "argon2id13" | "pbkdf2"

export interface KdfParameters {
  readonly kdf: Kdf
  /** Base64 of the salt octets. */
  readonly salt: string
  readonly iterations: number
  /** Argon2 memory in KiB (ignored by PBKDF2). */
  readonly memory?: number | null | undefined
}

// ---------------------------------------------------------------------------------------------
// Base64 (canonical, no whitespace: the spec's rule), without Buffer so it runs in browsers
// ---------------------------------------------------------------------------------------------

const canonical = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/

export const toBase64 = (bytes: Uint8Array): string => {
  let binary = ""
  for (const byte of bytes) binary += String.fromCharCode(byte)
  return btoa(binary)
}

export const fromBase64 = (text: string, what: string): Uint8Array => {
  if (typeof text !== "string" || !canonical.test(text)) throw new Error(`${what} is not canonical base64`)
  const binary = atob(text)
  const bytes = new Uint8Array(binary.length)
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i)
  return bytes
}

export const isBase64 = (text: unknown): text is string => typeof text === "string" && canonical.test(text)

// ---------------------------------------------------------------------------------------------
// SASLprep (RFC 4013), the parts a password or user name needs
// ---------------------------------------------------------------------------------------------

/** RFC 3454 C.1.2: non-ASCII spaces, mapped to U+0020 (U+200B is mapped to nothing, as passlib does). */
const nonAsciiSpace = /[\u00A0\u1680\u2000-\u200A\u202F\u205F\u3000]/g
/** RFC 3454 B.1: commonly mapped to nothing. */
const mappedToNothing = /[\u00AD\u034F\u1806\u180B-\u180D\u200B-\u200D\u2060\uFE00-\uFE0F\uFEFF]/g
/** RFC 3454 C.2 (control), C.3-C.9 (private use, non-characters, surrogates, ...) as far as they matter here. */
const prohibited =
  /[\u0000-\u001F\u007F-\u009F\u06DD\u070F\u180E\u200E\u200F\u2028-\u202E\u2061-\u2063\u206A-\u206F\uD800-\uDFFF\uE000-\uF8FF\uFFF9-\uFFFD]/u

/**
 * SASLprep: map (non-ASCII spaces to space, "mapped to nothing" removed), NFKC, then refuse
 * prohibited characters. The bidirectional check of RFC 3454 section 6 is not done: a password
 * mixing right-to-left and left-to-right text is hashed as normalized here.
 */
export const saslprep = (text: string): string => {
  const mapped = text.replace(mappedToNothing, "").replace(nonAsciiSpace, " ").normalize("NFKC")
  if (prohibited.test(mapped)) throw new Error("the string contains a character SASLprep prohibits")
  return mapped
}

// ---------------------------------------------------------------------------------------------
// Key derivation
// ---------------------------------------------------------------------------------------------

export interface Limits {
  /** PBKDF2 iterations accepted (default [4096, 10,000,000]: RFC 7677 asks for at least 4096). */
  readonly pbkdf2Iterations?: readonly [number, number] | undefined
  /** Argon2 iterations accepted (default [1, 100]). */
  readonly argon2Iterations?: readonly [number, number] | undefined
  /** Argon2 memory accepted, KiB (default [8192, 1,048,576]: 8 MiB to 1 GiB). */
  readonly argon2Memory?: readonly [number, number] | undefined
}

const inRange = (value: number, [low, high]: readonly [number, number], what: string): void => {
  if (!Number.isSafeInteger(value) || value < low || value > high) {
    throw new Error(`${what} ${String(value)} is outside the accepted range [${low}, ${high}]`)
  }
}

/** Checks cost parameters a router sent: a rogue router must get neither a weak hash nor minutes of CPU. */
export const checkParameters = (parameters: KdfParameters, limits: Limits = {}): void => {
  if (parameters.kdf === "pbkdf2") {
    inRange(parameters.iterations, limits.pbkdf2Iterations ?? [4096, 10_000_000], "PBKDF2 iterations")
  } else if (parameters.kdf === "argon2id13") {
    inRange(parameters.iterations, limits.argon2Iterations ?? [1, 100], "Argon2 iterations")
    inRange(parameters.memory ?? NaN, limits.argon2Memory ?? [8192, 1_048_576], "Argon2 memory (KiB)")
  } else {
    throw new Error(`unknown WAMP-SCRAM kdf ${JSON.stringify(parameters.kdf)}`)
  }
}

/** SaltedPassword = KDF(SASLprep(password), UnBase64(salt), params): 32 bytes. */
export const saltedPassword = (password: string, parameters: KdfParameters): Promise<Uint8Array> => {
  const secret = utf8ToBytes(saslprep(password))
  const salt = fromBase64(parameters.salt, "the salt")
  switch (parameters.kdf) {
    case "pbkdf2":
      return pbkdf2Async(sha256, secret, salt, { c: parameters.iterations, dkLen: 32 })
    case "argon2id13":
      return argon2idAsync(secret, salt, {
        t: parameters.iterations,
        m: parameters.memory ?? 0,
        p: 1,
        dkLen: 32,
        version: 0x13,
        // Above the spec's need: noble's default ceiling is lower than the 1 GiB we accept.
        maxmem: 2 ** 32 - 1
      })
    default:
      return Promise.reject(new Error(`unknown WAMP-SCRAM kdf ${JSON.stringify(parameters.kdf)}`))
  }
}

// ---------------------------------------------------------------------------------------------
// Keys, proof, signature
// ---------------------------------------------------------------------------------------------

const text = (s: string) => utf8ToBytes(s)

const xor = (a: Uint8Array, b: Uint8Array): Uint8Array => a.map((byte, i) => byte ^ b[i]!)

/** Constant-time equality of two byte strings (lengths are public). */
export const equalBytes = (a: Uint8Array, b: Uint8Array): boolean => {
  if (a.length !== b.length) return false
  let difference = 0
  for (let i = 0; i < a.length; i++) difference |= a[i]! ^ b[i]!
  return difference === 0
}

export interface Keys {
  readonly clientKey: Uint8Array
  readonly storedKey: Uint8Array
  readonly serverKey: Uint8Array
}

export const keys = (salted: Uint8Array): Keys => {
  const clientKey = hmac(sha256, salted, text("Client Key"))
  return { clientKey, storedKey: sha256(clientKey), serverKey: hmac(sha256, salted, text("Server Key")) }
}

const escapeName = (name: string): string => name.replaceAll("=", "=3D").replaceAll(",", "=2C")

/** Base64("n,,"): no channel binding (the only mode implemented). */
const NO_CHANNEL_BINDING = "biws"

/** The spec's AuthMessage, without channel binding. */
export const authMessage = (fields: {
  readonly authid: string
  readonly clientNonce: string
  /** CHALLENGE.Extra.nonce: the client nonce followed by the router's. */
  readonly nonce: string
  readonly salt: string
  readonly iterations: number
}): string =>
  `n=${escapeName(saslprep(fields.authid))},r=${fields.clientNonce},` +
  `r=${fields.nonce},s=${fields.salt},i=${fields.iterations},` +
  `c=${NO_CHANNEL_BINDING},r=${fields.nonce}`

/** ClientProof = ClientKey XOR HMAC(StoredKey, AuthMessage). */
export const clientProof = (k: Keys, message: string): Uint8Array =>
  xor(k.clientKey, hmac(sha256, k.storedKey, text(message)))

/** ServerSignature = HMAC(ServerKey, AuthMessage). */
export const serverSignature = (serverKey: Uint8Array, message: string): Uint8Array =>
  hmac(sha256, serverKey, text(message))

/** Router side: SHA256(ClientSignature XOR proof) must be the StoredKey. */
export const verifyProof = (storedKey: Uint8Array, message: string, proof: Uint8Array): boolean => {
  if (proof.length !== 32) return false
  const recovered = xor(hmac(sha256, storedKey, text(message)), proof)
  return equalBytes(sha256(recovered), storedKey)
}

/** A random nonce: base64 of 16 octets (the spec's recommendation). */
export const nonce = (): string => toBase64(crypto.getRandomValues(new Uint8Array(16)))
