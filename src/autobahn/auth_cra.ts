/**
 * `autobahn.auth_cra`: WAMP-CRA helpers with Autobahn|JS's signatures and defaults, on the core's
 * crypto (Node's HMAC and PBKDF2; same results as Autobahn|JS's crypto-js).
 */
import { craSign, deriveKey } from "../Authenticator.js"

/** base64(HMAC-SHA256(key, challenge)): the `onchallenge` answer for `wampcra`. */
export const sign = (key: string, challenge: string): string => craSign(key, challenge)

/**
 * The salted WAMP-CRA key: base64(PBKDF2-HMAC-SHA256(secret, salt)). As in Autobahn|JS a missing
 * (or zero) `iterations` means 1000 and `keylen` means 32 bytes.
 */
export const derive_key = (secret: string, salt: string, iterations?: number, keylen?: number): string =>
  deriveKey(secret, salt, iterations || 1000, keylen || 32)
