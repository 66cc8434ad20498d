/**
 * End-to-end encryption of payloads, WAMP-cryptobox as Autobahn|Python's `cryptobox.KeyRing` does
 * it, so that the two interoperate: NaCl box (X25519 + XSalsa20-Poly1305) over the transparent
 * payload form (`enc_algo: "cryptobox"`, `enc_serializer: "json"`, the bytes bare in place of
 * Arguments). The router sees only ciphertext.
 *
 * - Inside the box: the JSON text of `{ "uri", "args", "kwargs" }` (binary values as "\0"+base64);
 *   the receiver checks that `uri` is the URI the message was routed by.
 * - Keys are found by the longest URI prefix in the ring, else its default key. A key holds the
 *   originator's (caller / publisher) and the responder's (callee / subscriber) key pairs, private
 *   where that side is us: originators seal CALL / PUBLISH and open RESULT / ERROR with
 *   box(originator private, responder public); responders the reverse. Both give the same key.
 * - Each sealed payload is nonce (24 random bytes) || Poly1305 tag || ciphertext; `enc_key` is not
 *   sent (Autobahn|Python 22.7 sends none either).
 *
 * `Cryptobox.session(session, keyRing)` is a view of a session that encrypts `call`, `publish`,
 * `register` and `subscribe` for URIs with a key, and leaves other URIs in plain text. The spec's
 * own E2EE form (`ppt_scheme: "wamp"`, CBOR inside, `ppt_keyid`) is not implemented: no peer speaks it.
 */
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import { EncodeError, type SessionError } from "./Errors.js"
import { type Box, makeBox, publicKeyOf } from "./internal/cryptobox/box.js"
import * as Base64 from "./internal/serializer/base64.js"
import { json } from "./internal/serializer/json.js"
import type { Dict, List } from "./Message.js"
import * as Passthru from "./Passthru.js"
import type {
  CallOptions,
  CallResult,
  Event,
  HandlerResult,
  Invocation,
  PublishOptions,
  RegisterOptions,
  SessionService
} from "./Session.js"
import * as WampError from "./WampError.js"

/** A 32-byte X25519 key: raw bytes, or base64 text as Autobahn|Python writes them. */
export type KeyBytes = Uint8Array | string

export interface KeyOptions {
  readonly originatorPrivate?: KeyBytes | undefined
  readonly originatorPublic?: KeyBytes | undefined
  readonly responderPrivate?: KeyBytes | undefined
  readonly responderPublic?: KeyBytes | undefined
}

/** The boxes of one key: as originator (caller, publisher) and as responder (callee, subscriber). */
export interface Key {
  readonly originator: Box | undefined
  readonly responder: Box | undefined
}

export type Role = "originator" | "responder"

const keyBytes = (value: KeyBytes, name: string): Uint8Array => {
  const bytes = typeof value === "string" ? Base64.decode(value) : value
  if (bytes === undefined || bytes.length !== 32) throw new Error(`${name} must be 32 bytes (or their base64)`)
  return bytes
}

/**
 * A key from its parts (as Autobahn|Python's `cryptobox.Key`): a public key is derived from the
 * private one when both would be given. Fails when neither role gets a box.
 */
export const makeKey = (options: KeyOptions): Either.Either<Key, string> => {
  try {
    const part = (value: KeyBytes | undefined, name: string) => value === undefined ? undefined : keyBytes(value, name)
    const originatorPrivate = part(options.originatorPrivate, "originatorPrivate")
    const responderPrivate = part(options.responderPrivate, "responderPrivate")
    const originatorPublic = originatorPrivate !== undefined
      ? publicKeyOf(originatorPrivate)
      : part(options.originatorPublic, "originatorPublic")
    const responderPublic = responderPrivate !== undefined
      ? publicKeyOf(responderPrivate)
      : part(options.responderPublic, "responderPublic")
    const key: Key = {
      originator: originatorPrivate && responderPublic ? makeBox(originatorPrivate, responderPublic) : undefined,
      responder: responderPrivate && originatorPublic ? makeBox(responderPrivate, originatorPublic) : undefined
    }
    return key.originator === undefined && key.responder === undefined
      ? Either.left("insufficient keys for either the originator or the responder role")
      : Either.right(key)
  } catch (error) {
    return Either.left(error instanceof Error ? error.message : String(error))
  }
}

/** Keys by URI prefix (longest match wins), and an optional default for every other URI. */
export interface KeyRing {
  readonly boxFor: (role: Role, uri: string) => Box | undefined
}

export const keyRing = (keys: { readonly [uriPrefix: string]: Key }, defaultKey?: Key): KeyRing => {
  // Longest prefix first, as Autobahn|Python's StringTrie.longest_prefix_value (a plain string prefix).
  const entries = Object.entries(keys).sort(([a], [b]) => b.length - a.length)
  return {
    boxFor: (role, uri) => {
      const entry = entries.find(([prefix]) => uri.startsWith(prefix))
      const key = entry === undefined ? defaultKey : entry[1]
      return key?.[role]
    }
  }
}

/** A fresh X25519 key pair, base64 encoded as Autobahn|Python's `KeyRing.generate_key`. */
export const generateKeyPair = (): { readonly privateKey: string; readonly publicKey: string } => {
  const privateKey = crypto.getRandomValues(new Uint8Array(32))
  return { privateKey: Base64.encode(privateKey), publicKey: Base64.encode(publicKeyOf(privateKey)) }
}

// ---------------------------------------------------------------------------------------------
// Payloads

/** Seals `uri`, args and kwargs into a transparent passthru payload. */
export const seal = (
  box: Box,
  uri: string,
  args: List | undefined,
  kwargs: Dict | undefined
): Either.Either<Passthru.Passthru, string> => {
  const text = json.encode([{ uri, args: args ?? null, kwargs: kwargs ?? null }])
  if (Either.isLeft(text)) return Either.left(text.left.message)
  const inner = (text.right as string).slice(1, -1) // the one element of the list
  return Either.right({
    form: "transparent",
    scheme: "cryptobox",
    serializer: "json",
    bytes: box.seal(new TextEncoder().encode(inner))
  })
}

export interface Opened {
  readonly uri: string
  readonly args: List
  readonly kwargs: Dict
}

/** Opens a cryptobox payload; the text of what went wrong otherwise. */
export const open = (box: Box, passthru: Passthru.Passthru): Either.Either<Opened, string> => {
  if (passthru.scheme !== "cryptobox") return Either.left(`not a cryptobox payload (${passthru.scheme})`)
  if (passthru.serializer !== "json") return Either.left(`cannot read enc_serializer ${String(passthru.serializer)}`)
  const plain = box.open(passthru.bytes)
  if (plain === undefined) return Either.left("the payload does not decrypt with this key")
  let text: string
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(plain)
  } catch {
    return Either.left("the decrypted payload is not UTF-8")
  }
  const decoded = json.decode(`[${text}]`)
  if (Either.isLeft(decoded)) return Either.left(`the decrypted payload is not JSON: ${decoded.left.message}`)
  const value = decoded.right[0] as { uri?: unknown; args?: unknown; kwargs?: unknown } | null
  if (typeof value !== "object" || value === null || typeof value.uri !== "string") {
    return Either.left("the decrypted payload has no uri")
  }
  const args = value.args ?? []
  const kwargs = value.kwargs ?? {}
  if (!Array.isArray(args) || typeof kwargs !== "object" || kwargs === null || Array.isArray(kwargs)) {
    return Either.left("the decrypted payload has malformed args or kwargs")
  }
  return Either.right({ uri: value.uri, args, kwargs: kwargs as Dict })
}

const DECRYPT_ERROR = "wamp.error.encryption.decrypt_error"
const URI_MISMATCH = "wamp.error.encryption.trusted_uri_mismatch"

const failure = (error: string, text: string) => WampError.make(error, { args: [text] })

/** Opens and checks the envelope URI; a WampError (as Autobahn|Python names them) otherwise. */
const openFor = (box: Box, passthru: Passthru.Passthru, uri: string): Either.Either<Opened, WampError.WampError> => {
  const opened = open(box, passthru)
  if (Either.isLeft(opened)) return Either.left(failure(DECRYPT_ERROR, opened.left))
  return opened.right.uri === uri
    ? Either.right(opened.right)
    : Either.left(
      failure(URI_MISMATCH, `URI within encrypted payload (${opened.right.uri}) does not match the envelope (${uri})`)
    )
}

/** An unserializable payload fails as the session's own operations do: `EncodeError`, nothing sent. */
const sealOrFail = (box: Box, uri: string, args: List | undefined, kwargs: Dict | undefined) =>
  Either.mapLeft(seal(box, uri, args, kwargs), (message) => new EncodeError({ message }))

// ---------------------------------------------------------------------------------------------
// The session view

/**
 * A view of `session` that encrypts with `ring`: `call` and `publish` seal the payload for URIs with
 * an originator key, `register` and `subscribe` open what arrives encrypted (and a handler's result
 * goes back sealed when its invocation came sealed). Results, events and invocations without
 * encryption pass unchanged. An event that does not open is dropped (as Autobahn|Python does); an
 * invocation that does not open fails with `wamp.error.encryption.decrypt_error`. The progressive
 * forms (`callProgressive`, `callWithInput`, `callStreaming`) are not encrypted.
 */
export const session = (inner: SessionService, ring: KeyRing): SessionService => {
  /** Opens an encrypted RESULT / ERROR of a call we sealed. */
  const openReply = (box: Box, procedure: string) => (result: CallResult) => {
    const passthru = result.passthru
    if (passthru === undefined || passthru.scheme !== "cryptobox") return Effect.succeed(result)
    return Either.match(openFor(box, passthru, procedure), {
      onLeft: Effect.fail,
      onRight: (opened) => Effect.succeed({ args: opened.args, kwargs: opened.kwargs, details: result.details })
    })
  }
  const openError = (box: Box) => (error: WampError.WampError | SessionError | EncodeError) => {
    const passthru = error instanceof WampError.WampError ? Passthru.fromMessage(error) : undefined
    if (passthru === undefined || passthru.scheme !== "cryptobox") return Effect.fail(error)
    const { error: uri, details } = error as WampError.WampError
    const opened = openFor(box, passthru, uri)
    return Effect.fail(
      Either.isLeft(opened)
        ? opened.left
        : new WampError.WampError({ error: uri, details, args: opened.right.args, kwargs: opened.right.kwargs })
    )
  }

  const call: SessionService["call"] = (procedure, args, kwargs, options) => {
    const box = ring.boxFor("originator", procedure)
    if (box === undefined) return inner.call(procedure, args, kwargs, options)
    const sealed = sealOrFail(box, procedure, args, kwargs)
    if (Either.isLeft(sealed)) return Effect.fail(sealed.left)
    const withPassthru: CallOptions = { ...options, passthru: sealed.right }
    return inner.call(procedure, undefined, undefined, withPassthru).pipe(
      Effect.flatMap(openReply(box, procedure)),
      Effect.catchAll(openError(box))
    )
  }

  const publish: SessionService["publish"] = (topic, args, kwargs, options) => {
    const box = ring.boxFor("originator", topic)
    if (box === undefined) return inner.publish(topic, args, kwargs, options)
    const sealed = sealOrFail(box, topic, args, kwargs)
    if (Either.isLeft(sealed)) return Effect.fail(sealed.left)
    const withPassthru: PublishOptions = { ...options, passthru: sealed.right }
    return inner.publish(topic, undefined, undefined, withPassthru)
  }

  const register: SessionService["register"] = <E, R>(
    procedure: string,
    handler: (invocation: Invocation) => Effect.Effect<HandlerResult, E, R>,
    options?: RegisterOptions
  ) =>
    inner.register<E | WampError.WampError | EncodeError, R>(procedure, (invocation: Invocation) => {
      const passthru = invocation.passthru
      if (passthru === undefined || passthru.scheme !== "cryptobox") return handler(invocation)
      const uri = invocation.details.procedure
      const box = ring.boxFor("responder", uri)
      if (box === undefined) return Effect.fail(failure(DECRYPT_ERROR, `no key for ${uri}`))
      const opened = openFor(box, passthru, uri)
      if (Either.isLeft(opened)) return Effect.fail(opened.left)
      const { passthru: _, ...plain } = invocation
      return Effect.flatMap(
        handler({ ...plain, args: opened.right.args, kwargs: opened.right.kwargs }),
        (result: HandlerResult) => {
          const sealed = sealOrFail(box, uri, result?.args, result?.kwargs)
          return Either.isLeft(sealed) ? Effect.fail(sealed.left) : Effect.succeed({ passthru: sealed.right })
        }
      )
    }, options)

  const subscribe: SessionService["subscribe"] = (topic, options) =>
    Effect.map(inner.subscribe(topic, options), (subscription) => ({
      ...subscription,
      events: Stream.filterMap(subscription.events, (event: Event) => {
        const passthru = event.passthru
        if (passthru === undefined || passthru.scheme !== "cryptobox") return Option.some(event)
        const box = ring.boxFor("responder", event.details.topic)
        if (box === undefined) return Option.none()
        const opened = openFor(box, passthru, event.details.topic)
        if (Either.isLeft(opened)) return Option.none()
        const { passthru: _, ...plain } = event
        return Option.some({ ...plain, args: opened.right.args, kwargs: opened.right.kwargs })
      })
    }))

  return { ...inner, call, publish, register, subscribe }
}
