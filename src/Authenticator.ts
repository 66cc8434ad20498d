/**
 * Authenticator: what a client announces in HELLO (`authmethods`, `authid`, `authrole`, `authextra`)
 * and how it answers a CHALLENGE. Anonymous, ticket, WAMP-CRA (salted or not), WAMP-Cryptosign
 * (with optional tls-unique channel binding and router authentication), WAMP-SCRAM (Argon2id or
 * PBKDF2, verifying the router's signature in WELCOME), a custom one from a function, and a
 * combinator that offers several at once.
 *
 * Secrets are `Redacted` and unwrapped only at the point of use: they never appear in the service
 * object, its JSON, its inspection, nor in error messages.
 *
 * Each method comes as a plain constructor returning the service (`ticket(...)`, for code without
 * layers such as the Autobahn facade), a layer (`layerTicket(...)`) and, for the secret-based ones, a
 * layer reading `Config` (`layerTicketConfig(...)`).
 */
import * as Config from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import { AuthenticationError } from "./Errors.js"
import * as AuthCrypto from "./internal/authenticator/crypto.js"
import * as Scram from "./internal/authenticator/scram.js"

export {
  /** base64(HMAC-SHA256(secret, UTF-8 challenge)). Never throws. */
  craSign,
  /** Ed25519 public key (hex) of a 32-byte seed. Throws a plain `Error` on a malformed seed. */
  cryptosignPublicKey,
  /** hex(signature) + hex(msg). Throws a plain `Error` on a malformed seed, challenge or channel id. */
  cryptosignSign,
  /** Router-side check of a Cryptosign signature; `false` on any malformed input, never throws. */
  cryptosignVerify,
  /** Salted WAMP-CRA key (base64 PBKDF2-HMAC-SHA256). Throws a plain `Error` on out-of-range parameters. */
  deriveKey,
  /** Upper bounds on CHALLENGE-supplied salted CRA parameters (a hostile router must not stall us). */
  maxIterations,
  maxKeylen
} from "./internal/authenticator/crypto.js"

// ---------------------------------------------------------------------------------------------
// The service
// ---------------------------------------------------------------------------------------------

export interface ChallengeContext {
  /** CHALLENGE.AuthMethod */
  readonly method: string
  /** CHALLENGE.Extra */
  readonly extra: { readonly [key: string]: unknown }
  /** The link's tls-unique data, when it has one. */
  readonly channelBinding?: Uint8Array | undefined
}

export interface ChallengeResponse {
  /** AUTHENTICATE.Signature */
  readonly signature: string
  /** AUTHENTICATE.Extra */
  readonly extra: { readonly [key: string]: unknown }
}

export interface WelcomeContext {
  /** WELCOME.Details.authmethod */
  readonly authmethod: string | undefined
  /** WELCOME.Details.authextra ({} when absent) */
  readonly authextra: { readonly [key: string]: unknown }
  /** The full WELCOME.Details. */
  readonly details: { readonly [key: string]: unknown }
}

export interface AuthenticatorService {
  /** HELLO.Details.authmethods, in preference order. */
  readonly authmethods: ReadonlyArray<string>
  readonly authid?: string | undefined
  readonly authrole?: string | undefined
  /** HELLO.Details.authextra, e.g. cryptosign `pubkey` and `channel_binding`. */
  readonly authextra?: { readonly [key: string]: unknown } | undefined
  /** Answers one CHALLENGE (called once per round: two-factor setups send several). */
  readonly challenge: (ctx: ChallengeContext) => Effect.Effect<ChallengeResponse, AuthenticationError>
  /**
   * Checks WELCOME before the session is joined (mutual authentication). A failure ABORTs with
   * `wamp.error.cannot_authenticate` and fails the join with the error. Absent: WELCOME is accepted.
   */
  readonly welcome?: ((ctx: WelcomeContext) => Effect.Effect<void, AuthenticationError>) | undefined
  /**
   * A fresh authenticator for one join (a new HELLO): for methods whose HELLO carries a nonce or
   * challenge of their own, checked later in CHALLENGE or WELCOME. Absent: the service itself is used.
   */
  readonly attempt?: (() => AuthenticatorService) | undefined
}

export class Authenticator extends Context.Tag("effect-wamp/Authenticator")<Authenticator, AuthenticatorService>() {}

type Extra = { readonly [key: string]: unknown }

interface Identity {
  readonly authid?: string | undefined
  readonly authrole?: string | undefined
}

const noExtra: Extra = Object.freeze({})

const unsupported = (method: string, offered: ReadonlyArray<string>): AuthenticationError =>
  new AuthenticationError({
    reason: "UnsupportedMethod",
    method,
    message: `The router challenged with "${method}", which this client did not offer (offered: ${
      offered.length === 0 ? "none" : offered.join(", ")
    })`
  })

const badChallenge = (method: string, message: string): AuthenticationError =>
  new AuthenticationError({ reason: "Challenge", method, message })

/**
 * Builds a service answering only the methods it announces; any other CHALLENGE fails with
 * "UnsupportedMethod". Undefined fields are left out so the object stays tidy when inspected.
 */
const service = (
  fields: Identity & { readonly authmethods: ReadonlyArray<string>; readonly authextra?: Extra | undefined },
  answer: (ctx: ChallengeContext) => Effect.Effect<ChallengeResponse, AuthenticationError>,
  hooks?: Pick<AuthenticatorService, "welcome" | "attempt">
): AuthenticatorService => {
  const authmethods = Object.freeze([...fields.authmethods])
  const result: {
    authmethods: ReadonlyArray<string>
    authid?: string
    authrole?: string
    authextra?: Extra
    challenge: AuthenticatorService["challenge"]
    welcome?: AuthenticatorService["welcome"]
    attempt?: AuthenticatorService["attempt"]
  } = {
    authmethods,
    challenge: (ctx) =>
      authmethods.includes(ctx.method) ? answer(ctx) : Effect.fail(unsupported(ctx.method, authmethods))
  }
  if (fields.authid !== undefined) result.authid = fields.authid
  if (fields.authrole !== undefined) result.authrole = fields.authrole
  if (fields.authextra !== undefined) result.authextra = fields.authextra
  if (hooks?.welcome !== undefined) result.welcome = hooks.welcome
  if (hooks?.attempt !== undefined) result.attempt = hooks.attempt
  return result
}

// ---------------------------------------------------------------------------------------------
// Anonymous
// ---------------------------------------------------------------------------------------------

export interface AnonymousOptions extends Identity {}

/** `authmethods: ["anonymous"]`. Anonymous is never challenged, so any CHALLENGE is "UnsupportedMethod". */
export const anonymous = (options: AnonymousOptions = {}): AuthenticatorService =>
  service(
    { ...options, authmethods: ["anonymous"] },
    (ctx) => Effect.fail(unsupported(ctx.method, []))
  )

export const layerAnonymous = (options?: AnonymousOptions): Layer.Layer<Authenticator> =>
  Layer.succeed(Authenticator, anonymous(options))

// ---------------------------------------------------------------------------------------------
// Ticket
// ---------------------------------------------------------------------------------------------

export interface TicketOptions {
  readonly authid: string
  readonly authrole?: string | undefined
  readonly ticket: Redacted.Redacted<string>
}

/** `authmethods: ["ticket"]`; answers `[4, "ticket", {}]` with the ticket itself (send it over TLS only). */
export const ticket = (options: TicketOptions): AuthenticatorService =>
  service(
    { authid: options.authid, authrole: options.authrole, authmethods: ["ticket"] },
    () => Effect.sync(() => ({ signature: Redacted.value(options.ticket), extra: noExtra }))
  )

export const layerTicket = (options: TicketOptions): Layer.Layer<Authenticator> =>
  Layer.succeed(Authenticator, ticket(options))

/** e.g. `layerTicketConfig({ authid: Config.string("WAMP_AUTHID"), ticket: Config.redacted("WAMP_TICKET") })` */
export const layerTicketConfig = (
  config: Config.Config.Wrap<TicketOptions>
): Layer.Layer<Authenticator, ConfigError.ConfigError> =>
  Layer.effect(Authenticator, Effect.map(Config.unwrap(config), ticket))

// ---------------------------------------------------------------------------------------------
// WAMP-CRA
// ---------------------------------------------------------------------------------------------

export interface WampCraOptions {
  readonly authid: string
  readonly authrole?: string | undefined
  /** The shared secret (for salted CRA: the password the router's key was derived from). */
  readonly secret: Redacted.Redacted<string | Uint8Array>
}

/** CHALLENGE.Extra numbers for salted CRA: absent or null means the default. */
const derivationParameter = (extra: Extra, key: "iterations" | "keylen", fallback: number): number | string => {
  const value = extra[key]
  if (value === undefined || value === null) return fallback
  return typeof value === "number" && Number.isSafeInteger(value) ? value : `CHALLENGE.Extra.${key} is not an integer`
}

/**
 * `authmethods: ["wampcra"]`. Signs `Extra.challenge` byte-exactly with the secret; when Extra carries
 * `salt` (and optionally `iterations`, default 1000, and `keylen`, default 32), signs with the derived
 * key instead. Derivation runs off the event loop and is bounded (see `maxIterations`); the last
 * derived key is kept so reconnects with the same salt do not pay for it again.
 */
export const wampCra = (options: WampCraOptions): AuthenticatorService => {
  let cached:
    | { readonly salt: string; readonly iterations: number; readonly keylen: number; readonly key: string }
    | undefined

  const derive = (salt: string, iterations: number, keylen: number): Effect.Effect<string, AuthenticationError> => {
    if (cached !== undefined && cached.salt === salt && cached.iterations === iterations && cached.keylen === keylen) {
      return Effect.succeed(cached.key)
    }
    return Effect.async<string, AuthenticationError>((resume) =>
      AuthCrypto.deriveKeyAsync(Redacted.value(options.secret), salt, iterations, keylen, (error, key) => {
        if (error !== null) {
          return resume(Effect.fail(
            new AuthenticationError({ reason: "Challenge", method: "wampcra", message: error.message, cause: error })
          ))
        }
        cached = { salt, iterations, keylen, key }
        resume(Effect.succeed(key))
      })
    )
  }

  return service(
    { authid: options.authid, authrole: options.authrole, authmethods: ["wampcra"] },
    (ctx) => {
      const challenge = ctx.extra["challenge"]
      if (typeof challenge !== "string") {
        return Effect.fail(badChallenge("wampcra", "CHALLENGE.Extra.challenge is missing or not a string"))
      }
      const salt = ctx.extra["salt"]
      if (salt === undefined || salt === null) {
        return Effect.sync(() => ({
          signature: AuthCrypto.craSign(Redacted.value(options.secret), challenge),
          extra: noExtra
        }))
      }
      if (typeof salt !== "string") return Effect.fail(badChallenge("wampcra", "CHALLENGE.Extra.salt is not a string"))
      const iterations = derivationParameter(ctx.extra, "iterations", 1000)
      const keylen = derivationParameter(ctx.extra, "keylen", 32)
      if (typeof iterations === "string") return Effect.fail(badChallenge("wampcra", iterations))
      if (typeof keylen === "string") return Effect.fail(badChallenge("wampcra", keylen))
      return Effect.map(
        derive(salt, iterations, keylen),
        (key) => ({ signature: AuthCrypto.craSign(key, challenge), extra: noExtra })
      )
    }
  )
}

export const layerWampCra = (options: WampCraOptions): Layer.Layer<Authenticator> =>
  Layer.succeed(Authenticator, wampCra(options))

/** e.g. `layerWampCraConfig({ authid: Config.string("WAMP_AUTHID"), secret: Config.redacted("WAMP_SECRET") })` */
export const layerWampCraConfig = (
  config: Config.Config.Wrap<WampCraOptions>
): Layer.Layer<Authenticator, ConfigError.ConfigError> =>
  Layer.effect(Authenticator, Effect.map(Config.unwrap(config), wampCra))

// ---------------------------------------------------------------------------------------------
// WAMP-Cryptosign
// ---------------------------------------------------------------------------------------------

export interface CryptosignOptions extends Identity {
  /** The 32-byte Ed25519 seed, as bytes or 64 hex characters. */
  readonly privateKey: Redacted.Redacted<string | Uint8Array>
  /** Ask the router to bind the signature to the TLS channel (needs a link with tls-unique data). */
  readonly channelBinding?: "tls-unique" | undefined
  /** More HELLO authextra entries (e.g. `trustroot`); `pubkey`, `channel_binding` and `challenge` are ours. */
  readonly authextra?: Extra | undefined
  /**
   * Router authentication: every HELLO carries a fresh random `authextra.challenge`, and the
   * router must answer in CHALLENGE.Extra with its `pubkey`, one of `trustedKeys` (64 hex
   * characters each), and its `signature` of that challenge (XOR the TLS channel id under channel
   * binding). Otherwise the join fails with `AuthenticationError` reason "Router", before we sign.
   */
  readonly router?: { readonly trustedKeys: ReadonlyArray<string> } | undefined
}

const randomChallenge = (): string =>
  Array.from(crypto.getRandomValues(new Uint8Array(32)), (byte) => byte.toString(16).padStart(2, "0")).join("")

const routerFailure = (message: string): AuthenticationError =>
  new AuthenticationError({ reason: "Router", method: "cryptosign", message })

/** The router's proof in CHALLENGE.Extra: a trusted key and its signature of our HELLO challenge. */
const checkRouter = (
  trusted: ReadonlySet<string>,
  ours: string,
  extra: Extra,
  channelId: Uint8Array | undefined
): AuthenticationError | undefined => {
  const pubkey = extra["pubkey"]
  const signature = extra["signature"]
  if (typeof pubkey !== "string" || typeof signature !== "string") {
    return routerFailure("The router did not authenticate: CHALLENGE.Extra.pubkey / signature are missing")
  }
  if (!trusted.has(pubkey.toLowerCase())) return routerFailure(`The router's key ${pubkey} is not a trusted router key`)
  if (!AuthCrypto.cryptosignVerify(pubkey, ours, signature, channelId)) {
    return routerFailure("The router's signature of our challenge does not verify")
  }
  return undefined
}

/**
 * `authmethods: ["cryptosign"]`, HELLO authextra `{ pubkey, channel_binding?, challenge? }` (the
 * challenge with `router`: router authentication, fresh per join through `attempt`). Answers with
 * hex(Ed25519 signature) + hex(signed message). The CHALLENGE's `channel_binding` must equal the one
 * requested (absent and null both mean none): a router silently dropping a requested binding is
 * refused, as the spec asks the client to verify it.
 *
 * The key is parsed once, here: a seed that is not 32 bytes / 64 hex characters (or a malformed
 * trusted router key) makes this constructor THROW an `AuthenticationError` (reason "Signature"),
 * hence `unsafe`, as in Effect's `DateTime.unsafeMake` / `Cron.unsafeParse`; `makeCryptosign` (an
 * Effect) and `layerCryptosign` give the same failure typed instead.
 */
export const unsafeCryptosign = (options: CryptosignOptions): AuthenticatorService => {
  let key: AuthCrypto.CryptosignKey
  try {
    key = AuthCrypto.cryptosignKey(Redacted.value(options.privateKey))
  } catch (error) {
    throw new AuthenticationError({
      reason: "Signature",
      method: "cryptosign",
      message: error instanceof Error ? error.message : "Invalid Cryptosign private key",
      cause: error
    })
  }
  const requested = options.channelBinding ?? null
  const trusted = options.router === undefined ? undefined : new Set(
    options.router.trustedKeys.map((trustedKey) => {
      try {
        AuthCrypto.hexToBytes(trustedKey, 32, "A trusted router key")
      } catch (error) {
        throw new AuthenticationError({
          reason: "Signature",
          method: "cryptosign",
          message: error instanceof Error ? error.message : "Invalid trusted router key",
          cause: error
        })
      }
      return trustedKey.toLowerCase()
    })
  )
  const baseExtra: Record<string, unknown> = { ...options.authextra, pubkey: key.publicKey }
  delete baseExtra["challenge"]
  if (requested !== null) baseExtra["channel_binding"] = requested
  else delete baseExtra["channel_binding"]

  const answer = (
    ctx: ChallengeContext,
    ours: string | undefined
  ): Effect.Effect<ChallengeResponse, AuthenticationError> => {
    const challenge = ctx.extra["challenge"]
    if (typeof challenge !== "string") {
      return Effect.fail(badChallenge("cryptosign", "CHALLENGE.Extra.challenge is missing or not a string"))
    }
    const binding = ctx.extra["channel_binding"] ?? null
    if (binding !== requested) {
      return Effect.fail(badChallenge(
        "cryptosign",
        `CHALLENGE.Extra.channel_binding is ${JSON.stringify(binding)}, but ${JSON.stringify(requested)} was requested`
      ))
    }
    if (requested !== null && ctx.channelBinding === undefined) {
      return Effect.fail(
        new AuthenticationError({
          reason: "Signature",
          method: "cryptosign",
          message: `Channel binding ${requested} was requested, but the link has no TLS channel id`
        })
      )
    }
    const channelId = requested === null ? undefined : ctx.channelBinding
    if (trusted !== undefined && ours !== undefined) {
      const refused = checkRouter(trusted, ours, ctx.extra, channelId)
      if (refused !== undefined) return Effect.fail(refused)
    }
    return Effect.try({
      try: () => ({ signature: AuthCrypto.cryptosignSignWith(key, challenge, channelId), extra: noExtra }),
      catch: (error) =>
        badChallenge("cryptosign", error instanceof Error ? error.message : "Cannot sign the Cryptosign challenge")
    })
  }

  // One authenticator per HELLO challenge (a new one per join under router authentication).
  const withChallenge = (ours: string | undefined): AuthenticatorService => {
    const authextra = ours === undefined ? baseExtra : { ...baseExtra, challenge: ours }
    return service(
      { authid: options.authid, authrole: options.authrole, authmethods: ["cryptosign"], authextra },
      (ctx) => answer(ctx, ours),
      trusted === undefined ? undefined : { attempt: () => withChallenge(randomChallenge()) }
    )
  }

  // Used as is (without `attempt`), it still asks the router to authenticate, with one challenge.
  return withChallenge(trusted === undefined ? undefined : randomChallenge())
}

/**
 * @deprecated Use `unsafeCryptosign` (the same function: it throws on a malformed key), or
 * `makeCryptosign` for the failure typed. The name did not say that this one constructor throws.
 */
export const cryptosign = (options: CryptosignOptions): AuthenticatorService => unsafeCryptosign(options)

/** The cryptosign authenticator as an Effect: a malformed key is a typed failure instead of a throw. */
export const makeCryptosign = (options: CryptosignOptions): Effect.Effect<AuthenticatorService, AuthenticationError> =>
  Effect.try({
    try: () => unsafeCryptosign(options),
    catch: (error) =>
      error instanceof AuthenticationError ? error : new AuthenticationError({
        reason: "Signature",
        method: "cryptosign",
        message: "Invalid Cryptosign private key",
        cause: error
      })
  })

export const layerCryptosign = (options: CryptosignOptions): Layer.Layer<Authenticator, AuthenticationError> =>
  Layer.effect(Authenticator, makeCryptosign(options))

/** e.g. `layerCryptosignConfig({ privateKey: Config.redacted("WAMP_PRIVATE_KEY") })` (hex seed). */
export const layerCryptosignConfig = (
  config: Config.Config.Wrap<CryptosignOptions>
): Layer.Layer<Authenticator, ConfigError.ConfigError | AuthenticationError> =>
  Layer.effect(Authenticator, Effect.flatMap(Config.unwrap(config), makeCryptosign))

// ---------------------------------------------------------------------------------------------
// WAMP-SCRAM
// ---------------------------------------------------------------------------------------------

export type ScramKdf = Scram.Kdf
export type ScramLimits = Scram.Limits

export interface ScramOptions {
  readonly authid: string
  readonly authrole?: string | undefined
  readonly password: Redacted.Redacted<string>
  /** Cost parameters accepted from the router (too low: a weak hash; too high: a stall). */
  readonly limits?: ScramLimits | undefined
}

const scramFailure = (reason: "Challenge" | "Signature" | "Router", message: string, cause?: unknown) =>
  new AuthenticationError({ reason, method: "wamp-scram", message, ...(cause === undefined ? {} : { cause }) })

/**
 * `authmethods: ["wamp-scram"]` (the spec's WAMP-SCRAM, SHA-256, no channel binding): HELLO
 * authextra `{ nonce, channel_binding: null }` with a fresh nonce per join; the CHALLENGE's nonce
 * must extend ours and its cost parameters lie within `limits`; the key (Argon2id v1.3 or PBKDF2)
 * is derived off the hot path and kept for reconnects with the same parameters; WELCOME must carry
 * `authextra.verifier`, the router's ServerSignature, or the join fails (reason "Router").
 * The password and user name are SASLprep-normalized (without the bidi check).
 */
export const scram = (options: ScramOptions): AuthenticatorService => {
  let cached: { readonly id: string; readonly keys: Scram.Keys } | undefined
  const derive = (parameters: Scram.KdfParameters): Effect.Effect<Scram.Keys, AuthenticationError> => {
    const id = JSON.stringify([parameters.kdf, parameters.salt, parameters.iterations, parameters.memory ?? null])
    if (cached?.id === id) return Effect.succeed(cached.keys)
    return Effect.tryPromise({
      try: () => Scram.saltedPassword(Redacted.value(options.password), parameters),
      catch: (error) => scramFailure("Signature", `Cannot derive the WAMP-SCRAM key: ${String(error)}`, error)
    }).pipe(Effect.map((salted) => {
      const keys = Scram.keys(salted)
      cached = { id, keys }
      return keys
    }))
  }

  const attempt = (): AuthenticatorService => {
    const clientNonce = Scram.nonce()
    let expected: Uint8Array | undefined
    return service(
      {
        authid: options.authid,
        authrole: options.authrole,
        authmethods: ["wamp-scram"],
        authextra: { nonce: clientNonce, channel_binding: null }
      },
      (ctx) =>
        Effect.gen(function*() {
          const { iterations, kdf, memory, nonce, salt } = ctx.extra
          if (typeof nonce !== "string" || !nonce.startsWith(clientNonce) || nonce.length === clientNonce.length) {
            return yield* Effect.fail(scramFailure("Challenge", "CHALLENGE.Extra.nonce does not extend our nonce"))
          }
          if (nonce.includes(",")) {
            return yield* Effect.fail(scramFailure("Challenge", "CHALLENGE.Extra.nonce has a comma"))
          }
          if (!Scram.isBase64(salt)) {
            return yield* Effect.fail(scramFailure("Challenge", "CHALLENGE.Extra.salt is not base64"))
          }
          if (kdf !== "pbkdf2" && kdf !== "argon2id13") {
            return yield* Effect.fail(
              scramFailure("Challenge", `CHALLENGE.Extra.kdf ${JSON.stringify(kdf)} is not supported`)
            )
          }
          if ((ctx.extra["channel_binding"] ?? null) !== null) {
            return yield* Effect.fail(scramFailure("Challenge", "CHALLENGE.Extra.channel_binding was not requested"))
          }
          const parameters: Scram.KdfParameters = {
            kdf,
            salt,
            iterations: iterations as number,
            memory: typeof memory === "number" ? memory : undefined
          }
          yield* Effect.try({
            try: () => Scram.checkParameters(parameters, options.limits),
            catch: (error) => scramFailure("Challenge", (error as Error).message)
          })
          const keys = yield* derive(parameters)
          const message = yield* Effect.try({
            try: () =>
              Scram.authMessage({
                authid: options.authid,
                clientNonce,
                nonce,
                salt,
                iterations: parameters.iterations
              }),
            catch: (error) => scramFailure("Signature", (error as Error).message)
          })
          expected = Scram.serverSignature(keys.serverKey, message)
          return {
            signature: Scram.toBase64(Scram.clientProof(keys, message)),
            extra: { nonce, channel_binding: null, cbind_data: null }
          }
        }),
      {
        welcome: (ctx) => {
          const verifier = ctx.authextra["verifier"]
          if (expected === undefined) {
            return Effect.fail(scramFailure("Router", "WELCOME came before the WAMP-SCRAM exchange finished"))
          }
          if (!Scram.isBase64(verifier) || !Scram.equalBytes(Scram.fromBase64(verifier, "verifier"), expected)) {
            return Effect.fail(
              scramFailure("Router", "WELCOME.Details.authextra.verifier is not the router's signature")
            )
          }
          return Effect.void
        },
        attempt
      }
    )
  }
  return attempt()
}

export const layerScram = (options: ScramOptions): Layer.Layer<Authenticator> =>
  Layer.succeed(Authenticator, scram(options))

/** e.g. `layerScramConfig({ authid: Config.string("WAMP_AUTHID"), password: Config.redacted("WAMP_PASSWORD") })` */
export const layerScramConfig = (
  config: Config.Config.Wrap<ScramOptions>
): Layer.Layer<Authenticator, ConfigError.ConfigError> =>
  Layer.effect(Authenticator, Effect.map(Config.unwrap(config), scram))

/** What a router stores for a WAMP-SCRAM user (never the password). */
export interface ScramCredentials {
  readonly kdf: ScramKdf
  /** Base64 of the salt octets (random per user). */
  readonly salt: string
  readonly iterations: number
  /** Argon2 memory in KiB. */
  readonly memory?: number | undefined
  /** Base64 StoredKey = SHA256(HMAC(SaltedPassword, "Client Key")). */
  readonly storedKey: string
  /** Base64 ServerKey = HMAC(SaltedPassword, "Server Key"). */
  readonly serverKey: string
}

/** Registers a WAMP-SCRAM user: the keys a router stores, from the password and the KDF parameters. */
export const scramCredentials = (
  password: Redacted.Redacted<string>,
  parameters: { readonly kdf: ScramKdf; readonly salt: string; readonly iterations: number; readonly memory?: number }
): Effect.Effect<ScramCredentials, AuthenticationError> =>
  Effect.tryPromise({
    try: () => Scram.saltedPassword(Redacted.value(password), parameters),
    catch: (error) => scramFailure("Signature", `Cannot derive the WAMP-SCRAM key: ${String(error)}`, error)
  }).pipe(Effect.map((salted) => {
    const keys = Scram.keys(salted)
    return {
      ...parameters,
      storedKey: Scram.toBase64(keys.storedKey),
      serverKey: Scram.toBase64(keys.serverKey)
    }
  }))

// ---------------------------------------------------------------------------------------------
// Custom
// ---------------------------------------------------------------------------------------------

export interface CustomOptions<R = never> extends Identity {
  readonly authmethods: ReadonlyArray<string>
  readonly authextra?: Extra | undefined
  /** Called only for a method in `authmethods`; `extra` defaults to `{}`. */
  readonly onChallenge: (ctx: ChallengeContext) => Effect.Effect<
    { readonly signature: string; readonly extra?: Extra | undefined },
    AuthenticationError,
    R
  >
}

const customAnswer = <R>(
  onChallenge: CustomOptions<R>["onChallenge"],
  context: Context.Context<R>
) =>
(ctx: ChallengeContext): Effect.Effect<ChallengeResponse, AuthenticationError> =>
  Effect.suspend(() => onChallenge(ctx)).pipe(
    Effect.map(({ extra, signature }) => ({ signature, extra: extra ?? noExtra })),
    // A throwing callback (e.g. a facade user's onchallenge) still ends as ABORT, not a crashed session.
    Effect.catchAllDefect((defect) =>
      Effect.fail(
        new AuthenticationError({
          reason: "Signature",
          method: ctx.method,
          message: `The challenge handler failed: ${defect instanceof Error ? defect.message : String(defect)}`,
          cause: defect
        })
      )
    ),
    Effect.provide(context)
  )

/** Any method (e.g. Crossbar's `cookie`, `scram`), answered by a function returning an Effect. */
export const custom = (options: CustomOptions): AuthenticatorService =>
  service(options, customAnswer(options.onChallenge, Context.empty()))

/** Like `custom`; the handler may use services, taken from the context the layer is built in. */
export const layerCustom = <R = never>(options: CustomOptions<R>): Layer.Layer<Authenticator, never, R> =>
  Layer.effect(
    Authenticator,
    Effect.map(Effect.context<R>(), (context) => service(options, customAnswer(options.onChallenge, context)))
  )

// ---------------------------------------------------------------------------------------------
// Several methods at once
// ---------------------------------------------------------------------------------------------

/**
 * Offers every method of every authenticator, in the order given (a method offered twice keeps its
 * first place and its first owner). A CHALLENGE goes to the first authenticator offering its method.
 *
 * HELLO carries one authid/authrole for all methods, so on conflict the FIRST defined one wins
 * (give the preferred method first). `authextra` entries are merged, and on a key present in
 * several the first authenticator's value wins too.
 */
export const combine = (...authenticators: ReadonlyArray<AuthenticatorService>): AuthenticatorService => {
  const authmethods: Array<string> = []
  const owners = new Map<string, AuthenticatorService>()
  let authid: string | undefined
  let authrole: string | undefined
  let authextra: Record<string, unknown> | undefined
  for (const authenticator of authenticators) {
    for (const method of authenticator.authmethods) {
      if (owners.has(method)) continue
      owners.set(method, authenticator)
      authmethods.push(method)
    }
    authid ??= authenticator.authid
    authrole ??= authenticator.authrole
    if (authenticator.authextra !== undefined) authextra = { ...authenticator.authextra, ...authextra }
  }
  const perAttempt = authenticators.some((authenticator) => authenticator.attempt !== undefined)
  // `service` rejects methods nobody offered, so the owner is always found.
  return service(
    { authmethods, authid, authrole, authextra },
    (ctx) => owners.get(ctx.method)!.challenge(ctx),
    {
      // WELCOME is checked by the authenticator of the method the router used.
      welcome: (ctx) => {
        const check = ctx.authmethod === undefined ? undefined : owners.get(ctx.authmethod)?.welcome
        return check === undefined ? Effect.void : check(ctx)
      },
      attempt: perAttempt
        ? () => combine(...authenticators.map((authenticator) => authenticator.attempt?.() ?? authenticator))
        : undefined
    }
  )
}

/** `combine` over layers: `layerAll(layerCryptosign(...), layerTicket(...))`. */
export const layerAll = <
  const Layers extends readonly [Layer.Layer<Authenticator, any, any>, ...Array<Layer.Layer<Authenticator, any, any>>]
>(
  ...layers: Layers
): Layer.Layer<Authenticator, Layer.Layer.Error<Layers[number]>, Layer.Layer.Context<Layers[number]>> =>
  Layer.scoped(
    Authenticator,
    Effect.map(
      Effect.forEach(layers, (layer) => Effect.map(Layer.build(layer), Context.get(Authenticator))),
      (authenticators) => combine(...authenticators)
    )
  )
