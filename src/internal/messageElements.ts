/**
 * Schemas of the element types of WAMP messages (spec "Message Definitions" / "Identifiers").
 *
 * Each is a `Schema.declare` with a hand-written check instead of a composed `Schema.Struct`/`Record`:
 * the check runs on every received message, and a declaration neither copies the value nor walks
 * nested payloads. A failing check returns the end of the error sentence ("must be a dict, got 3"), which
 * `Message.decode` prefixes with the message name and element.
 */
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import type * as AST from "effect/SchemaAST"
import * as Uri from "../Uri.js"
import { InexactInteger } from "./serializer/leadingIntegers.js"

type Dict = { readonly [key: string]: unknown }
type List = ReadonlyArray<unknown>

/** Short rendering of an offending value for error messages; never throws (BigInt, cycles). */
export const show = (value: unknown): string => {
  if (value === undefined) return "undefined"
  if (value instanceof InexactInteger) return value.description
  if (typeof value === "bigint") return `${value}n`
  if (typeof value === "function") return "a function"
  let text: string
  try {
    text = JSON.stringify(value) ?? String(value)
  } catch {
    text = Object.prototype.toString.call(value)
  }
  if (value instanceof Uint8Array) text = `bytes(${value.length})`
  else if (value instanceof Map) text = "a Map"
  return text.length > 60 ? `${text.slice(0, 57)}...` : text
}

/**
 * The check of one element: `undefined` when valid, else the end of the error sentence. `wire` is the
 * whole message list, for a check that depends on another element (Arguments read under the message's
 * Options); the element schemas' own checks ignore it.
 */
export type Check = (input: unknown, wire: ReadonlyArray<unknown>) => string | undefined

/** Annotation carrying an element schema's check, so that compiled decoders call it without Schema's parser. */
export const CheckId: unique symbol = Symbol.for("effect-wamp/Message/ElementCheck")

/** The check of an element schema declared here. */
export const checkOf = (schema: Schema.Schema.Any): Check => {
  const check = schema.ast.annotations[CheckId]
  if (typeof check !== "function") throw new Error("messageElements: not an element schema")
  return check as Check
}

/** A declared schema whose check returns `undefined` when valid, else the failure text. */
const element = <A>(identifier: string, check: (input: unknown) => string | undefined) =>
  Schema.declare<A, A, readonly []>([], {
    decode: () => (input: unknown, _: unknown, ast: AST.Declaration) => {
      const failure = check(input)
      return failure === undefined
        ? ParseResult.succeed(input as A)
        : ParseResult.fail(new ParseResult.Type(ast, input, failure))
    },
    encode: () => (input: unknown, _: unknown, ast: AST.Declaration) => {
      const failure = check(input)
      return failure === undefined
        ? ParseResult.succeed(input as A)
        : ParseResult.fail(new ParseResult.Type(ast, input, failure))
    }
  }, { identifier, [CheckId]: check })

/** Largest WAMP ID: 2^53 is exactly representable but not a "safe" integer, hence not `isSafeInteger`. */
export const maxId = 2 ** 53

/**
 * THE id check, for every ID element of every message: an integer in [1, 2^53]. What the decoders
 * would hide from it (an ID sent as the float `1.0`, or as 2^53 + 1 and rounded to 2^53) the
 * serializers replace by an `InexactInteger` (see `serializer/leadingIntegers.ts`), which fails here
 * like any other non-number; a BigInt (a CBOR bignum) fails too.
 */
export const isId = (u: unknown): u is number => typeof u === "number" && Number.isInteger(u) && u >= 1 && u <= maxId

/** A plain object: not an array, not null, not a Map, Uint8Array or other class instance. */
export const isDict = (u: unknown): u is Dict => {
  if (typeof u !== "object" || u === null || Array.isArray(u)) return false
  const proto = Object.getPrototypeOf(u)
  return proto === Object.prototype || proto === null
}

/**
 * Options/Details keys the spec types as `bool`. "Integers MUST NOT be used instead of boolean", so
 * `"progress": 1` is a protocol error; every other key is left alone (unknown keys MUST be ignored).
 */
export const booleanKeys: ReadonlySet<string> = new Set([
  "progress",
  "receive_progress",
  "acknowledge",
  "exclude_me",
  "disclose_me",
  "disclose_caller",
  "retain",
  "get_retained",
  "retained",
  "forward_timeout"
])

/** An ID in [1, 2^53]. */
export const Id = element<number>(
  "Id",
  (u) => isId(u) ? undefined : `must be an ID (integer in [1, 2^53]), got ${show(u)}`
)

/** 0 or an ID: the request of UNSUBSCRIBED/UNREGISTERED, where 0 marks a revocation. */
export const IdOrZero = element<number>(
  "IdOrZero",
  (u) => u === 0 || isId(u) ? undefined : `must be 0 or an ID (integer in [1, 2^53]), got ${show(u)}`
)

/** A dict whose keys carry no meaning for the protocol (CHALLENGE/AUTHENTICATE Extra, ArgumentsKw). */
export const Dict = element<Dict>("Dict", (u) => isDict(u) ? undefined : `must be a dict, got ${show(u)}`)

/**
 * An Options or Details dict: a dict whose known boolean keys, when present, hold booleans. A key
 * holding `undefined` counts as absent: MessagePack and CBOR can carry `undefined`, and clients that
 * build options with unset fields send it (wampy 8 with msgpack: `{ match: "prefix", get_retained: undefined }`).
 */
export const Options = element<Dict>("Options", (u) => {
  if (!isDict(u)) return `must be a dict, got ${show(u)}`
  for (const key in u) {
    if (booleanKeys.has(key)) {
      const value = u[key]
      if (value !== undefined && typeof value !== "boolean") return `must have a boolean "${key}", got ${show(value)}`
    }
  }
  return undefined
})

/** A list (Arguments). */
export const List = element<List>("List", (u) => Array.isArray(u) ? undefined : `must be a list, got ${show(u)}`)

/** A loose URI without empty components (Realm, Reason, Error). */
export const LooseUri = element<string>(
  "Uri",
  (u) => typeof u === "string" && Uri.isLoose(u) ? undefined : `must be a URI, got ${show(u)}`
)

/** A loose URI whose components may be empty (Topic, Procedure: exact, prefix or wildcard patterns). */
export const PatternUri = element<string>(
  "PatternUri",
  (u) => typeof u === "string" && Uri.isLooseWithEmpty(u) ? undefined : `must be a URI, got ${show(u)}`
)

/** A string (AuthMethod, Signature). */
export const Text = element<string>(
  "String",
  (u) => typeof u === "string" ? undefined : `must be a string, got ${show(u)}`
)

/** The message codes an ERROR may answer (spec: ERROR with another REQUEST.Type is a protocol error). */
export const errorRequestTypes: ReadonlySet<number> = new Set([16, 32, 34, 48, 64, 66, 68])

/** ERROR's REQUEST.Type. */
export const RequestType = element<number>(
  "RequestType",
  (u) =>
    typeof u === "number" && errorRequestTypes.has(u)
      ? undefined
      : `must be the type of a request that can fail (16, 32, 34, 48, 64, 66 or 68), got ${show(u)}`
)

/**
 * Arguments of the messages that may carry a passthru payload: a list, or (Autobahn|Python's
 * "payload transparency", the form of the wamp-proto test vectors) one bare binary in its place.
 */
export const ListOrBinary = element<List | Uint8Array>(
  "Arguments",
  (u) => Array.isArray(u) || u instanceof Uint8Array ? undefined : `must be a list, got ${show(u)}`
)

const pptKeys = ["ppt_scheme", "ppt_serializer", "ppt_cipher", "ppt_keyid"] as const

/** Whether a (checked) Options/Details dict has a key starting with `ppt_`. */
const hasPptKey = (options: Dict): boolean => {
  for (const key in options) if (key.charCodeAt(0) === 112 && key.startsWith("ppt_")) return true
  return false
}

/** Autobahn|Python's `enc_algo` values (message.py `is_valid_enc_algo`): standard ones or `x_…` custom. */
const encAlgos: ReadonlySet<string> = new Set(["cryptobox", "mqtt", "xbr"])
const encSerializers: ReadonlySet<string> = new Set(["json", "msgpack", "cbor", "ubjson", "flatbuffers"])
const customName = /^x_([a-z][\da-z_]+)?$/

/**
 * Payload passthru mode (advanced/payload_passthru_mode.md), the rules every peer can check
 * without reading the payload, for CALL / PUBLISH / YIELD options and INVOCATION / EVENT / RESULT /
 * ERROR details (`wire[optionsAt]`), with Arguments at `wire[optionsAt + k]`:
 * - spec form: a non-empty string `ppt_scheme` (required once any `ppt_*` key is present), the other
 *   `ppt_*` keys strings; Arguments one binary item, ArgumentsKw absent or empty;
 * - Autobahn|Python form: Arguments a bare binary, no ArgumentsKw, a valid `enc_algo`, a valid
 *   `enc_serializer` and a string `enc_key` when present.
 * Values specific to a scheme (`ppt_serializer` of scheme `wamp`, ...) are the endpoints' business
 * (see `Passthru.validate`): a router must not inspect them.
 */
export const passthruRule =
  (optionsAt: number, argsAt: number) =>
  (wire: ReadonlyArray<unknown>): { readonly path: ReadonlyArray<number>; readonly message: string } | undefined => {
    const options = wire[optionsAt] as Dict
    const args = wire[argsAt]
    if (args instanceof Uint8Array) {
      if (wire.length > argsAt + 1) {
        return { path: [argsAt + 1], message: "must be absent after a binary payload (payload transparency)" }
      }
      const fail = (message: string) => ({ path: [optionsAt], message })
      const algo = options["enc_algo"]
      if (typeof algo !== "string" || !(encAlgos.has(algo) || customName.test(algo))) {
        return fail(`must have a valid "enc_algo" with a binary payload, got ${show(algo)}`)
      }
      const serializer = options["enc_serializer"]
      if (
        serializer !== undefined &&
        (typeof serializer !== "string" || !(encSerializers.has(serializer) || customName.test(serializer)))
      ) {
        return fail(`must have a valid "enc_serializer", got ${show(serializer)}`)
      }
      const key = options["enc_key"]
      if (key !== undefined && key !== null && typeof key !== "string") {
        return fail(`must have a string "enc_key", got ${show(key)}`)
      }
      if (options["ppt_scheme"] !== undefined) return fail("mixes ppt_* options with a bare binary payload")
      return undefined
    }
    // Most messages carry no ppt_* key: one pass over the (few) keys costs ~10 ns, four missing-key
    // lookups on dicts of every shape ~40 ns (measured), on every CALL/RESULT/EVENT/... decoded.
    if (!hasPptKey(options)) return undefined
    let any = false
    for (const key of pptKeys) {
      const value = options[key]
      if (value === undefined) continue
      any = true
      if (typeof value !== "string") {
        return { path: [optionsAt], message: `must have a string "${key}", got ${show(value)}` }
      }
    }
    if (!any) return undefined
    if (options["ppt_scheme"] === undefined || options["ppt_scheme"] === "") {
      return { path: [optionsAt], message: "must have a non-empty \"ppt_scheme\" with ppt_* options" }
    }
    if (!Array.isArray(args) || args.length !== 1 || !(args[0] instanceof Uint8Array)) {
      return { path: [argsAt], message: `must be one binary item in payload passthru mode, got ${show(args)}` }
    }
    const kwargs = wire[argsAt + 1]
    if (kwargs !== undefined && (!isDict(kwargs) || Object.keys(kwargs).length > 0)) {
      return { path: [argsAt + 1], message: "must be absent or empty in payload passthru mode" }
    }
    return undefined
  }
