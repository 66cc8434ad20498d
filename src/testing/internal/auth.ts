/**
 * Router-side authentication: picks a method from HELLO (client preference order), builds the
 * CHALLENGE and checks the AUTHENTICATE. Anonymous, ticket, WAMP-CRA (salted or not) and
 * WAMP-Cryptosign, with the signing primitives the client side uses.
 */
import * as Redacted from "effect/Redacted"
import { craSign, cryptosignPublicKey, cryptosignSign, cryptosignVerify, deriveKey } from "../../Authenticator.js"
import type { ScramCredentials } from "../../Authenticator.js"
import * as Scram from "../../internal/authenticator/scram.js"
import type * as Message from "../../Message.js"
import { StandardUri as ErrorUri } from "../../WampError.js"
import type { RealmConfig, Secret, User } from "./config.js"
import type { AuthInfo } from "./session.js"

export type AuthStep =
  | { readonly _tag: "Welcome"; readonly auth: AuthInfo }
  | {
    readonly _tag: "Challenge"
    readonly method: string
    readonly extra: Message.Dict
    /** AUTHENTICATE's signature and extra. */
    readonly verify: (signature: string, extra: Message.Dict) => AuthStep
  }
  | { readonly _tag: "Abort"; readonly reason: string; readonly message: string }

const PROVIDER = "static"

const reveal = (secret: Secret): string => typeof secret === "string" ? secret : Redacted.value(secret)

const abort = (reason: string, message: string): AuthStep => ({ _tag: "Abort", reason, message })

const failed = abort(ErrorUri.AuthenticationFailed, "authentication failed")

const welcome = (authid: string, user: User, authmethod: string): AuthStep => ({
  _tag: "Welcome",
  auth: { authid, authrole: user.authrole ?? "user", authmethod, authprovider: PROVIDER }
})

/** A per-process key: digests made with it are equal exactly when their inputs are. */
const digestKey = crypto.getRandomValues(new Uint8Array(32))

/**
 * Compares a client's answer with the expected secret in time independent of where they differ
 * and of either length: both become HMAC-SHA256 digests of one fixed size first, compared over
 * every character.
 */
export const secretsEqual = (given: string, expected: string): boolean => {
  const a = craSign(digestKey, given)
  const b = craSign(digestKey, expected)
  let difference = a.length ^ b.length
  for (let i = 0; i < a.length; i++) difference |= a.charCodeAt(i) ^ b.charCodeAt(i)
  return difference === 0
}

const randomHex = (bytes: number): string =>
  Array.from(crypto.getRandomValues(new Uint8Array(bytes)), (byte) => byte.toString(16).padStart(2, "0")).join("")

/** Anonymous sessions are admitted by default only when the realm has no principals. */
export const anonymousRole = (realm: RealmConfig): string | undefined => {
  const setting = realm.anonymous ?? (realm.users === undefined || Object.keys(realm.users).length === 0)
  if (setting === false) return undefined
  return setting === true ? "anonymous" : setting.authrole ?? "anonymous"
}

const ownUser = (realm: RealmConfig, authid: string | undefined): User | undefined =>
  authid !== undefined && realm.users !== undefined && Object.hasOwn(realm.users, authid)
    ? realm.users[authid]
    : undefined

export const begin = (realm: RealmConfig, hello: Message.Hello, session: number): AuthStep => {
  const details = hello.details
  const offered = Array.isArray(details["authmethods"]) ? details["authmethods"] : ["anonymous"]
  const authid = typeof details["authid"] === "string" ? details["authid"] : undefined
  const user = ownUser(realm, authid)
  let unknownPrincipal = false

  for (const method of offered) {
    switch (method) {
      case "anonymous": {
        const authrole = anonymousRole(realm)
        if (authrole !== undefined) {
          return {
            _tag: "Welcome",
            auth: {
              authid: authid ?? `anonymous-${session}`,
              authrole,
              authmethod: "anonymous",
              authprovider: PROVIDER
            }
          }
        }
        break
      }
      case "ticket": {
        if (user?.ticket === undefined || authid === undefined) {
          unknownPrincipal = true
          break
        }
        const ticket = reveal(user.ticket)
        const known = user
        return {
          _tag: "Challenge",
          method: "ticket",
          extra: {},
          verify: (signature) => secretsEqual(signature, ticket) ? welcome(authid, known, "ticket") : failed
        }
      }
      case "wampcra": {
        if (user?.secret === undefined || authid === undefined) {
          unknownPrincipal = true
          break
        }
        return craChallenge(authid, user, user.secret, session)
      }
      case "wamp-scram": {
        if (user?.scram === undefined || authid === undefined) {
          unknownPrincipal = true
          break
        }
        return scramChallenge(authid, user, user.scram, details["authextra"])
      }
      case "cryptosign": {
        const pubkey = (details["authextra"] as Message.Dict | undefined)?.["pubkey"]
        const found = typeof pubkey === "string" ? findByKey(realm, authid, pubkey.toLowerCase()) : undefined
        if (found === undefined) {
          unknownPrincipal = true
          break
        }
        const challenge = randomHex(32)
        const proof = routerProof(realm, (details["authextra"] as Message.Dict)["challenge"])
        if (proof === "malformed") {
          return abort(ErrorUri.AuthenticationFailed, "authextra.challenge must be 64 hex characters")
        }
        return {
          _tag: "Challenge",
          method: "cryptosign",
          extra: { challenge, channel_binding: null, ...proof },
          verify: (signature) =>
            cryptosignVerify(found.pubkey, challenge, signature)
              ? welcome(found.authid, found.user, "cryptosign")
              : failed
        }
      }
    }
  }
  return unknownPrincipal
    ? abort(ErrorUri.NoSuchPrincipal, `no principal for the offered methods (authid ${authid ?? "absent"})`)
    : abort(ErrorUri.NoMatchingAuthMethod, `none of the offered methods is accepted: ${offered.join(", ")}`)
}

/** WAMP-SCRAM without channel binding (the test kit has no TLS). */
const scramChallenge = (authid: string, user: User, credentials: ScramCredentials, helloExtra: unknown): AuthStep => {
  const extra = (typeof helloExtra === "object" && helloExtra !== null ? helloExtra : {}) as Message.Dict
  const clientNonce = extra["nonce"]
  if (!Scram.isBase64(clientNonce)) return abort(ErrorUri.AuthenticationFailed, "authextra.nonce must be base64")
  if ((extra["channel_binding"] ?? null) !== null) {
    return abort(ErrorUri.AuthenticationFailed, "channel binding is not supported by this router")
  }
  const nonce = clientNonce + Scram.nonce()
  const storedKey = Scram.fromBase64(credentials.storedKey, "storedKey")
  const serverKey = Scram.fromBase64(credentials.serverKey, "serverKey")
  let message: string
  try {
    message = Scram.authMessage({
      authid,
      clientNonce,
      nonce,
      salt: credentials.salt,
      iterations: credentials.iterations
    })
  } catch {
    return abort(ErrorUri.AuthenticationFailed, "the authid is not a SASLprep string")
  }
  return {
    _tag: "Challenge",
    method: "wamp-scram",
    extra: {
      nonce,
      salt: credentials.salt,
      kdf: credentials.kdf,
      iterations: credentials.iterations,
      memory: credentials.memory ?? null
    },
    verify: (signature, answer) => {
      if (answer["nonce"] !== nonce || (answer["channel_binding"] ?? null) !== null || !Scram.isBase64(signature)) {
        return failed
      }
      if (!Scram.verifyProof(storedKey, message, Scram.fromBase64(signature, "ClientProof"))) return failed
      const verifier = Scram.toBase64(Scram.serverSignature(serverKey, message))
      const admitted = welcome(authid, user, "wamp-scram")
      return admitted._tag === "Welcome"
        ? { ...admitted, auth: { ...admitted.auth, authextra: { verifier } } }
        : admitted
    }
  }
}

/** The router's answer to a client's HELLO challenge (router authentication), when it has a key. */
const routerProof = (realm: RealmConfig, clientChallenge: unknown): Message.Dict | "malformed" => {
  if (clientChallenge === undefined || realm.cryptosignRouterKey === undefined) return {}
  const seed = reveal(realm.cryptosignRouterKey)
  try {
    // The test kit has no TLS, hence no channel binding: the challenge itself is signed.
    return { pubkey: cryptosignPublicKey(seed), signature: cryptosignSign(seed, clientChallenge as string) }
  } catch {
    return "malformed"
  }
}

const craChallenge = (authid: string, user: User, secret: Secret, session: number): AuthStep => {
  const authrole = user.authrole ?? "user"
  // The challenge is a JSON string the client signs byte for byte.
  const challenge = JSON.stringify({
    authid,
    authrole,
    authmethod: "wampcra",
    authprovider: PROVIDER,
    nonce: randomHex(16),
    timestamp: new Date().toISOString(),
    session
  })
  const extra: Record<string, unknown> = { challenge }
  let key = reveal(secret)
  if (user.salt !== undefined) {
    const iterations = user.salt.iterations ?? 1000
    const keylen = user.salt.keylen ?? 32
    extra["salt"] = user.salt.salt
    extra["iterations"] = iterations
    extra["keylen"] = keylen
    key = deriveKey(key, user.salt.salt, iterations, keylen)
  }
  const expected = craSign(key, challenge)
  return {
    _tag: "Challenge",
    method: "wampcra",
    extra,
    verify: (signature) => secretsEqual(signature, expected) ? welcome(authid, user, "wampcra") : failed
  }
}

const findByKey = (
  realm: RealmConfig,
  authid: string | undefined,
  pubkey: string
): { authid: string; user: User; pubkey: string } | undefined => {
  const holds = (user: User | undefined) => user?.cryptosign?.some((key) => key.toLowerCase() === pubkey) === true
  if (authid !== undefined) {
    const user = ownUser(realm, authid)
    return user !== undefined && holds(user) ? { authid, user, pubkey } : undefined
  }
  for (const [id, user] of Object.entries(realm.users ?? {})) if (holds(user)) return { authid: id, user, pubkey }
  return undefined
}
