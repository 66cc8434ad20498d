/**
 * NaCl `crypto_box` (X25519 + XSalsa20-Poly1305) on audited, platform-neutral primitives:
 * @noble/curves' X25519 and @noble/ciphers' HSalsa20 and XSalsa20-Poly1305. The shared key is
 * NaCl's `crypto_box_beforenm`: HSalsa20 of the X25519 secret with 16 zero bytes. A sealed box is
 * laid out as PyNaCl's `Box.encrypt` returns it: nonce (24) || tag (16) || ciphertext.
 */
import { hsalsa, xsalsa20poly1305 } from "@noble/ciphers/salsa.js"
import { x25519 } from "@noble/curves/ed25519.js"

export const NONCE_LENGTH = 24
const TAG_LENGTH = 16

/** "expand 32-byte k" as little-endian words. */
const SIGMA = new Uint32Array([0x61707865, 0x3320646e, 0x79622d32, 0x6b206574])

const toWords = (bytes: Uint8Array): Uint32Array => {
  const words = new Uint32Array(bytes.length / 4)
  for (let i = 0; i < words.length; i++) {
    words[i] = (bytes[4 * i]! | (bytes[4 * i + 1]! << 8) | (bytes[4 * i + 2]! << 16) | (bytes[4 * i + 3]! << 24)) >>> 0
  }
  return words
}

const fromWords = (words: Uint32Array): Uint8Array => {
  const bytes = new Uint8Array(words.length * 4)
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!
    bytes[4 * i] = w & 0xff
    bytes[4 * i + 1] = (w >>> 8) & 0xff
    bytes[4 * i + 2] = (w >>> 16) & 0xff
    bytes[4 * i + 3] = (w >>> 24) & 0xff
  }
  return bytes
}

/** The public key of a 32-byte X25519 private key. */
export const publicKeyOf = (privateKey: Uint8Array): Uint8Array => x25519.getPublicKey(privateKey)

/** A box between our private key and their public key: the same symmetric key on both sides. */
export interface Box {
  readonly seal: (plaintext: Uint8Array, nonce?: Uint8Array) => Uint8Array
  /** The plaintext, or undefined when the box does not open (wrong key, tampered, too short). */
  readonly open: (sealed: Uint8Array) => Uint8Array | undefined
}

export const makeBox = (privateKey: Uint8Array, publicKey: Uint8Array): Box => {
  const shared = x25519.getSharedSecret(privateKey, publicKey)
  const out = new Uint32Array(8)
  hsalsa(SIGMA, toWords(shared), new Uint32Array(4), out)
  const key = fromWords(out)
  return {
    seal: (plaintext, nonce = crypto.getRandomValues(new Uint8Array(NONCE_LENGTH))) => {
      const sealed = xsalsa20poly1305(key, nonce).encrypt(plaintext)
      const framed = new Uint8Array(NONCE_LENGTH + sealed.length)
      framed.set(nonce, 0)
      framed.set(sealed, NONCE_LENGTH)
      return framed
    },
    open: (framed) => {
      if (framed.length < NONCE_LENGTH + TAG_LENGTH) return undefined
      try {
        return xsalsa20poly1305(key, framed.subarray(0, NONCE_LENGTH)).decrypt(framed.subarray(NONCE_LENGTH))
      } catch {
        return undefined
      }
    }
  }
}
