/**
 * The element table of the 24 WAMP messages, and what is compiled from it once per message type:
 * the decoder (wire list → message), the encoder (message → wire list), the message's Schema and its
 * layout. One table drives all of them, so decode and encode see the same elements in the same order.
 *
 * The decoder runs the element checks of `messageElements.ts` directly, in wire order, and stops at the
 * first refusal: the same elements accepted and refused, with the same texts, as Schema's general parser
 * on the structural tuple schema (`structural.ts`, kept as the reference of a property test), at a
 * fraction of the cost (no ParseResult node per element, no copy of the list).
 */
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import * as SchemaAST from "effect/SchemaAST"
import type * as Message from "../../Message.js"
import * as E from "../messageElements.js"
import * as B from "./builders.js"

type Msg = Message.Message
type Wire = ReadonlyArray<unknown>

/** Wire codes. */
export const Code = {
  Hello: 1,
  Welcome: 2,
  Abort: 3,
  Challenge: 4,
  Authenticate: 5,
  Goodbye: 6,
  Error: 8,
  Publish: 16,
  Published: 17,
  Subscribe: 32,
  Subscribed: 33,
  Unsubscribe: 34,
  Unsubscribed: 35,
  Event: 36,
  Call: 48,
  Cancel: 49,
  Result: 50,
  Register: 64,
  Registered: 65,
  Unregister: 66,
  Unregistered: 67,
  Invocation: 68,
  Interrupt: 69,
  Yield: 70
} as const satisfies Record<Msg["_tag"], number>

type FieldKey<M> = Exclude<keyof M, "_tag" | "args" | "kwargs" | "payload">

/** One non-payload element: the message field it fills, its spec name, and its schema (typed to the field). */
export type Element<M> = {
  readonly [K in FieldKey<M>]: readonly [key: K, label: string, schema: Schema.Schema<Exclude<M[K], undefined>, any>]
}[FieldKey<M>]

/** A check across elements, run once every element passed: the failing wire index and text. */
export type Refine = (wire: Wire) => { readonly path: ReadonlyArray<number>; readonly message: string } | undefined

/** Why a wire list was refused: the wire index of the element (-1: the element count) and the text. */
export class Refusal {
  constructor(
    readonly index: number,
    readonly text: string,
    readonly value: unknown,
    /** The schema that refused, for the ParseIssue. */
    readonly ast: SchemaAST.AST | undefined
  ) {}

  /** The refusal as a ParseIssue pointing at the element (built only when a message is refused). */
  issue(wire: unknown, ast: SchemaAST.AST): ParseResult.ParseIssue {
    const type = new ParseResult.Type(this.ast ?? ast, this.value, this.text)
    return this.index < 0 ? type : new ParseResult.Pointer(this.index, wire, type)
  }
}

export interface Definition<M extends Msg = Msg> {
  readonly tag: M["_tag"]
  readonly code: number
  /** Upper-case spec name, for error messages. */
  readonly name: string
  /** The non-payload elements after the code, in wire order. */
  readonly elements: ReadonlyArray<Element<M>>
  /** Index among `elements` from which elements are optional (revocation Details). */
  readonly optionalFrom: number
  /** Whether Arguments / ArgumentsKw may follow the elements. */
  readonly payload: boolean
  /** Payload passthru mode: Arguments may be a bare binary (`payload`), `E.passthruRule` applies. */
  readonly passthru: boolean
  readonly refine: Refine | undefined
  /** Element counts allowed (code included). */
  readonly minLength: number
  readonly maxLength: number
  /** Index of Arguments on the wire, or -1 when the message carries no payload. */
  readonly payloadAt: number
  /** Index of the Options / Details element on the wire, or -1 (for checks that depend on it). */
  readonly optionsAt: number
  /** Spec name of each wire element, by index. */
  readonly labels: ReadonlyArray<string>
  readonly layout: Message.Layout
  /** The message's Schema: wire list on the encoded side, the message on the type side. */
  readonly schema: Schema.Schema<M, Wire>
  /**
   * `Message.decode`'s path: the compiled decoder as one `Schema.declare` (wire list in, message out; a
   * refusal is a ParseIssue pointing at the element), run by Schema's parser at ~10–30 ns over a direct call.
   */
  readonly decodeWire: (wire: Wire) => Either.Either<M, ParseResult.ParseIssue>
  /** The compiled decoder; never throws. */
  readonly decode: (wire: Wire) => M | Refusal
  readonly encode: (message: M) => Wire
}

interface DefineOptions<M> {
  /** Trailing Arguments / ArgumentsKw. */
  readonly payload?: boolean
  /** Index (among the elements) from which elements are optional (revocation Details). */
  readonly optionalFrom?: number
  /** A check across elements. */
  readonly refine?: Refine
  /** Payload passthru mode (CALL, RESULT, PUBLISH, EVENT, INVOCATION, YIELD, ERROR): its rules read this Options/Details index. */
  readonly passthruOptionsAt?: number
  /** A hand-written builder of the message from its checked wire (`builders.ts`); else the generic one. */
  readonly build?: (wire: Wire, length: number) => M
}

const WireSchema: Schema.Schema<Wire> = Schema.declare((u): u is Wire => Array.isArray(u), {
  identifier: "WireList"
})

const define = <M extends Msg>(
  tag: M["_tag"],
  name: string,
  elements: ReadonlyArray<Element<M>>,
  options: DefineOptions<M> = {}
): Definition<M> => {
  const code = Code[tag]
  const payload = options.payload === true
  const optionalFrom = options.optionalFrom ?? elements.length
  const keys = elements.map(([key]) => key as string)
  const fieldCount = keys.length
  const passthru = options.passthruOptionsAt !== undefined
  const refine = passthru ? E.passthruRule(options.passthruOptionsAt!, fieldCount + 1) : options.refine
  const build = options.build
  const minLength = 1 + optionalFrom
  const maxLength = 1 + fieldCount + (payload ? 2 : 0)
  const payloadAt = payload ? fieldCount + 1 : -1
  const counts = minLength === maxLength ? `${minLength}` : `${minLength} to ${maxLength}`
  const labels = ["MessageType", ...elements.map(([, label]) => label)]
  if (payload) labels.push("Arguments", "ArgumentsKw")

  // Checks and schemas by wire index (index 0, the code, is compared directly). A check gets the whole
  // wire too: one that depends on another element (Arguments under the Options' `ppt_scheme`, found at
  // `optionsAt`) replaces its entry here, and the structural reference (`structural.ts`) then needs the
  // same rule as a `refine`, its only way to see across elements.
  const schemas: Array<Schema.Schema.Any> = [Schema.Literal(code)]
  for (const [, , schema] of elements) schemas.push(schema)
  if (payload) schemas.push(passthru ? E.ListOrBinary : E.List, E.Dict)
  const checks: ReadonlyArray<E.Check> = schemas.map((schema, i) => i === 0 ? () => undefined : E.checkOf(schema))
  const asts = schemas.map((schema) => schema.ast)

  const decode = (raw: Wire): M | Refusal => {
    let wire = raw
    // Lenient on purpose: fox-wamp sends `null` where an absent Arguments / ArgumentsKw would be
    // (`[50, 1, {}, [3], null]`); trailing nulls in payload positions are read as "absent".
    if (payloadAt > 0 && wire.length > payloadAt && wire.length <= maxLength && wire[wire.length - 1] === null) {
      let end = wire.length
      while (end > payloadAt && wire[end - 1] === null) end--
      wire = wire.slice(0, end)
    }
    const length = wire.length
    if (length < minLength || length > maxLength) {
      return new Refusal(-1, `expected ${counts} elements, got ${raw.length}`, raw, undefined)
    }
    if (wire[0] !== code) return new Refusal(0, `must be ${code}, got ${E.show(wire[0])}`, wire[0], asts[0])
    for (let i = 1; i < length; i++) {
      const value = wire[i]
      const failure = checks[i]!(value, wire)
      if (failure !== undefined) return new Refusal(i, failure, value, asts[i])
    }
    if (refine !== undefined) {
      const failure = refine(wire)
      if (failure !== undefined) {
        const index = failure.path[0] ?? -1
        return new Refusal(index, failure.message, wire[index], undefined)
      }
    }
    // A bare binary payload (rare) takes the generic builder, which knows the `payload` field.
    if (build !== undefined && !(passthru && wire[payloadAt] instanceof Uint8Array)) return build(wire, length)
    // Builds the object field by field in table order, so every message of one type shares one shape.
    const out: Record<string, unknown> = { _tag: tag }
    for (let i = 0; i < fieldCount; i++) {
      const value = wire[i + 1]
      if (value !== undefined) out[keys[i]!] = value
    }
    if (payload) {
      const args = wire[payloadAt]
      if (args instanceof Uint8Array) out.payload = args
      else if (length > payloadAt) out.args = args
      if (length > payloadAt + 1) out.kwargs = wire[payloadAt + 1]
    }
    return out as unknown as M
  }

  // Spec "Empty Arguments and Keyword Arguments": omit them from the end; kwargs needs args (even []).
  const encode = (m: M): Wire => {
    const out: Array<unknown> = [code]
    const record = m as unknown as Record<string, unknown>
    for (let i = 0; i < fieldCount; i++) {
      const value = record[keys[i]!]
      if (value !== undefined) out.push(value)
      else if (i >= optionalFrom && record.request === 0) out.push({}) // a revocation always carries Details
    }
    if (payload) {
      const { args, kwargs, payload: binary } = m as {
        readonly args?: Message.List
        readonly kwargs?: Message.Dict
        readonly payload?: Uint8Array
      }
      if (binary !== undefined) out.push(binary)
      else if (kwargs !== undefined && hasKeys(kwargs)) out.push(args ?? [], kwargs)
      else if (args !== undefined && args.length > 0) out.push(args)
    }
    return out
  }

  // Encoding checks the wire it produced with the decoder.
  const encodeChecked = (message: M, ast: SchemaAST.AST): Either.Either<Wire, ParseResult.ParseIssue> => {
    const wire = encode(message)
    const result = decode(wire)
    return result instanceof Refusal ? Either.left(result.issue(wire, ast)) : Either.right(wire)
  }
  const decodeChecked = (input: unknown, ast: SchemaAST.AST): Either.Either<M, ParseResult.ParseIssue> => {
    if (!Array.isArray(input)) {
      return Either.left(new ParseResult.Type(ast, input, `must be a list, got ${E.show(input)}`))
    }
    const result = decode(input)
    return result instanceof Refusal ? Either.left(result.issue(input, ast)) : Either.right(result)
  }
  const declaration = Schema.declare<M, Wire, readonly []>([], {
    decode: () => (input, _, ast) => decodeChecked(input, ast),
    encode: () => (input, _, ast) => encodeChecked(input as M, ast)
  }, { identifier: name })

  // The public schema keeps the message as its Type side (`Schema.is`, `typeSchema`), which a declaration
  // from the wire list cannot; it runs the same compiled decoder, at Schema's transformation cost.
  const schema = Schema.transformOrFail(
    WireSchema,
    Schema.declare((u): u is M => typeof u === "object" && u !== null && (u as { _tag?: unknown })._tag === tag, {
      identifier: tag
    }),
    {
      strict: true,
      decode: (wire, _, ast) => decodeChecked(wire, ast),
      encode: (message, _, ast) => encodeChecked(message, ast)
    }
  ).annotations({ title: name })

  const layout: Message.Layout = {
    code,
    fields: elements.map(([key, label, element], i) => ({
      key: key as string,
      label,
      element: SchemaAST.getIdentifierAnnotation(element.ast).pipe(Option.getOrElse(() => "unknown")),
      optional: i >= optionalFrom
    })),
    payload
  }
  const optionsAt = 1 + elements.findIndex(([, , element]) => element.ast === E.Options.ast)
  return {
    tag,
    code,
    name,
    elements,
    optionalFrom,
    payload,
    passthru,
    refine,
    minLength,
    maxLength,
    payloadAt,
    optionsAt: optionsAt > 0 ? optionsAt : -1,
    labels,
    layout,
    schema,
    decodeWire: ParseResult.decodeUnknownEither(declaration),
    decode,
    encode
  }
}

const hasKeys = (dict: Message.Dict): boolean => {
  for (const _ in dict) return true
  return false
}

/** UNSUBSCRIBED / UNREGISTERED: `[c, Request]` answers a request (Request ≥ 1); `[c, 0, Details]` is a revocation. */
const revocationRule: Refine = (wire) =>
  wire.length === 3
    ? wire[1] === 0
      ? undefined
      : { path: [1], message: `must be 0 in a revocation (3 elements), got ${E.show(wire[1])}` }
    : wire[1] === 0
    ? { path: [1], message: "must be an ID (integer in [1, 2^53]) outside a revocation, got 0" }
    : undefined

export const definitions = {
  Hello: define<Message.Hello>("Hello", "HELLO", [["realm", "Realm", E.LooseUri], ["details", "Details", E.Options]]),
  Welcome: define<Message.Welcome>("Welcome", "WELCOME", [["session", "Session", E.Id], [
    "details",
    "Details",
    E.Options
  ]]),
  Abort: define<Message.Abort>(
    "Abort",
    "ABORT",
    [["details", "Details", E.Options], ["reason", "Reason", E.LooseUri]],
    {
      payload: true
    }
  ),
  Challenge: define<Message.Challenge>("Challenge", "CHALLENGE", [["authMethod", "AuthMethod", E.Text], [
    "extra",
    "Extra",
    E.Dict
  ]]),
  Authenticate: define<Message.Authenticate>("Authenticate", "AUTHENTICATE", [["signature", "Signature", E.Text], [
    "extra",
    "Extra",
    E.Dict
  ]]),
  Goodbye: define<Message.Goodbye>("Goodbye", "GOODBYE", [["details", "Details", E.Options], [
    "reason",
    "Reason",
    E.LooseUri
  ]]),
  Error: define<Message.Error>("Error", "ERROR", [
    ["requestType", "REQUEST.Type", E.RequestType],
    ["request", "REQUEST.Request", E.Id],
    ["details", "Details", E.Options],
    ["error", "Error", E.LooseUri]
  ], { payload: true, passthruOptionsAt: 3, build: B.Error }),
  Publish: define<Message.Publish>("Publish", "PUBLISH", [
    ["request", "Request", E.Id],
    ["options", "Options", E.Options],
    ["topic", "Topic", E.PatternUri]
  ], { payload: true, passthruOptionsAt: 2, build: B.Publish }),
  Published: define<Message.Published>("Published", "PUBLISHED", [
    ["request", "PUBLISH.Request", E.Id],
    ["publication", "Publication", E.Id]
  ]),
  Subscribe: define<Message.Subscribe>("Subscribe", "SUBSCRIBE", [
    ["request", "Request", E.Id],
    ["options", "Options", E.Options],
    ["topic", "Topic", E.PatternUri]
  ]),
  Subscribed: define<Message.Subscribed>("Subscribed", "SUBSCRIBED", [
    ["request", "SUBSCRIBE.Request", E.Id],
    ["subscription", "Subscription", E.Id]
  ]),
  Unsubscribe: define<Message.Unsubscribe>("Unsubscribe", "UNSUBSCRIBE", [
    ["request", "Request", E.Id],
    ["subscription", "SUBSCRIBED.Subscription", E.Id]
  ]),
  Unsubscribed: define<Message.Unsubscribed>(
    "Unsubscribed",
    "UNSUBSCRIBED",
    [["request", "UNSUBSCRIBE.Request", E.IdOrZero], ["details", "Details", E.Options]],
    { optionalFrom: 1, refine: revocationRule }
  ),
  Event: define<Message.Event>("Event", "EVENT", [
    ["subscription", "SUBSCRIBED.Subscription", E.Id],
    ["publication", "PUBLISHED.Publication", E.Id],
    ["details", "Details", E.Options]
  ], { payload: true, passthruOptionsAt: 3, build: B.Event }),
  Call: define<Message.Call>("Call", "CALL", [
    ["request", "Request", E.Id],
    ["options", "Options", E.Options],
    ["procedure", "Procedure", E.PatternUri]
  ], { payload: true, passthruOptionsAt: 2, build: B.Call }),
  Cancel: define<Message.Cancel>("Cancel", "CANCEL", [["request", "CALL.Request", E.Id], [
    "options",
    "Options",
    E.Options
  ]]),
  Result: define<Message.Result>("Result", "RESULT", [["request", "CALL.Request", E.Id], [
    "details",
    "Details",
    E.Options
  ]], { payload: true, passthruOptionsAt: 2, build: B.Result }),
  Register: define<Message.Register>("Register", "REGISTER", [
    ["request", "Request", E.Id],
    ["options", "Options", E.Options],
    ["procedure", "Procedure", E.PatternUri]
  ]),
  Registered: define<Message.Registered>("Registered", "REGISTERED", [
    ["request", "REGISTER.Request", E.Id],
    ["registration", "Registration", E.Id]
  ]),
  Unregister: define<Message.Unregister>("Unregister", "UNREGISTER", [
    ["request", "Request", E.Id],
    ["registration", "REGISTERED.Registration", E.Id]
  ]),
  Unregistered: define<Message.Unregistered>(
    "Unregistered",
    "UNREGISTERED",
    [["request", "UNREGISTER.Request", E.IdOrZero], ["details", "Details", E.Options]],
    { optionalFrom: 1, refine: revocationRule }
  ),
  Invocation: define<Message.Invocation>("Invocation", "INVOCATION", [
    ["request", "Request", E.Id],
    ["registration", "REGISTERED.Registration", E.Id],
    ["details", "Details", E.Options]
  ], { payload: true, passthruOptionsAt: 3, build: B.Invocation }),
  Interrupt: define<Message.Interrupt>("Interrupt", "INTERRUPT", [
    ["request", "INVOCATION.Request", E.Id],
    ["options", "Options", E.Options]
  ]),
  Yield: define<Message.Yield>("Yield", "YIELD", [["request", "INVOCATION.Request", E.Id], [
    "options",
    "Options",
    E.Options
  ]], { payload: true, passthruOptionsAt: 2, build: B.Yield })
} satisfies { readonly [T in Msg["_tag"]]: Definition<Extract<Msg, { readonly _tag: T }>> }

/** Definitions by message code; every other slot is an unknown code. */
export const byCode: ReadonlyArray<Definition | undefined> = (() => {
  const table: Array<Definition | undefined> = []
  for (const definition of Object.values(definitions)) table[definition.code] = definition as unknown as Definition
  return table
})()
