/**
 * The 24 WAMP v2 messages as plain tagged data, and their wire codec.
 *
 * Schema is the single source of truth of each message's wire shape: `schemas.Call` is the tuple
 * `[48, Request|id, Options|dict, Procedure|uri, Arguments?|list, ArgumentsKw?|dict]` transformed into
 * `{ _tag: "Call", request, options, procedure, args?, kwargs? }`. Each schema is built by `define` from
 * one ordered element table; `decode` runs that schema (compiled once per code, reached by the code,
 * never through a union of the 24), and `encode` walks the same table in plain code (the hot path does
 * not need Schema's encoder; the table keeps the two in step: same elements, same order).
 */
import { Either, Option, ParseResult, Schema, SchemaAST } from "effect"
import type * as AST from "effect/SchemaAST"
import { ProtocolError } from "./Errors.js"
import * as E from "./internal/messageElements.js"

export type Dict = { readonly [key: string]: unknown }
export type List = ReadonlyArray<unknown>

export interface Hello {
  readonly _tag: "Hello"
  readonly realm: string
  readonly details: Dict
}
export interface Welcome {
  readonly _tag: "Welcome"
  readonly session: number
  readonly details: Dict
}
export interface Abort {
  readonly _tag: "Abort"
  readonly details: Dict
  readonly reason: string
  readonly args?: List
  readonly kwargs?: Dict
}
export interface Challenge {
  readonly _tag: "Challenge"
  readonly authMethod: string
  readonly extra: Dict
}
export interface Authenticate {
  readonly _tag: "Authenticate"
  readonly signature: string
  readonly extra: Dict
}
export interface Goodbye {
  readonly _tag: "Goodbye"
  readonly details: Dict
  readonly reason: string
}
export interface Error {
  readonly _tag: "Error"
  readonly requestType: number
  readonly request: number
  readonly details: Dict
  readonly error: string
  readonly args?: List
  readonly kwargs?: Dict
  /** Autobahn|Python's transparent payload: a bare binary in place of Arguments (see `Passthru`). */
  readonly payload?: Uint8Array
}
export interface Publish {
  readonly _tag: "Publish"
  readonly request: number
  readonly options: Dict
  readonly topic: string
  readonly args?: List
  readonly kwargs?: Dict
  /** Autobahn|Python's transparent payload: a bare binary in place of Arguments (see `Passthru`). */
  readonly payload?: Uint8Array
}
export interface Published {
  readonly _tag: "Published"
  readonly request: number
  readonly publication: number
}
export interface Subscribe {
  readonly _tag: "Subscribe"
  readonly request: number
  readonly options: Dict
  readonly topic: string
}
export interface Subscribed {
  readonly _tag: "Subscribed"
  readonly request: number
  readonly subscription: number
}
export interface Unsubscribe {
  readonly _tag: "Unsubscribe"
  readonly request: number
  readonly subscription: number
}
/** `request` 0 with `details` is a revocation (`details.subscription`, `details.reason`). */
export interface Unsubscribed {
  readonly _tag: "Unsubscribed"
  readonly request: number
  readonly details?: Dict
}
export interface Event {
  readonly _tag: "Event"
  readonly subscription: number
  readonly publication: number
  readonly details: Dict
  readonly args?: List
  readonly kwargs?: Dict
  /** Autobahn|Python's transparent payload: a bare binary in place of Arguments (see `Passthru`). */
  readonly payload?: Uint8Array
}
export interface Call {
  readonly _tag: "Call"
  readonly request: number
  readonly options: Dict
  readonly procedure: string
  readonly args?: List
  readonly kwargs?: Dict
  /** Autobahn|Python's transparent payload: a bare binary in place of Arguments (see `Passthru`). */
  readonly payload?: Uint8Array
}
export interface Cancel {
  readonly _tag: "Cancel"
  readonly request: number
  readonly options: Dict
}
export interface Result {
  readonly _tag: "Result"
  readonly request: number
  readonly details: Dict
  readonly args?: List
  readonly kwargs?: Dict
  /** Autobahn|Python's transparent payload: a bare binary in place of Arguments (see `Passthru`). */
  readonly payload?: Uint8Array
}
export interface Register {
  readonly _tag: "Register"
  readonly request: number
  readonly options: Dict
  readonly procedure: string
}
export interface Registered {
  readonly _tag: "Registered"
  readonly request: number
  readonly registration: number
}
export interface Unregister {
  readonly _tag: "Unregister"
  readonly request: number
  readonly registration: number
}
/** `request` 0 with `details` is a revocation (`details.registration`, `details.reason`). */
export interface Unregistered {
  readonly _tag: "Unregistered"
  readonly request: number
  readonly details?: Dict
}
export interface Invocation {
  readonly _tag: "Invocation"
  readonly request: number
  readonly registration: number
  readonly details: Dict
  readonly args?: List
  readonly kwargs?: Dict
  /** Autobahn|Python's transparent payload: a bare binary in place of Arguments (see `Passthru`). */
  readonly payload?: Uint8Array
}
export interface Interrupt {
  readonly _tag: "Interrupt"
  readonly request: number
  readonly options: Dict
}
export interface Yield {
  readonly _tag: "Yield"
  readonly request: number
  readonly options: Dict
  readonly args?: List
  readonly kwargs?: Dict
  /** Autobahn|Python's transparent payload: a bare binary in place of Arguments (see `Passthru`). */
  readonly payload?: Uint8Array
}

export type Message =
  | Hello
  | Welcome
  | Abort
  | Challenge
  | Authenticate
  | Goodbye
  | Error
  | Publish
  | Published
  | Subscribe
  | Subscribed
  | Unsubscribe
  | Unsubscribed
  | Event
  | Call
  | Cancel
  | Result
  | Register
  | Registered
  | Unregister
  | Unregistered
  | Invocation
  | Interrupt
  | Yield

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
} as const satisfies Record<Message["_tag"], number>

// ---------------------------------------------------------------------------------------------------------
// Schemas

type FieldKey<M> = Exclude<keyof M, "_tag" | "args" | "kwargs" | "payload">

/** One non-payload element: the message field it fills, its spec name, and its schema (typed to the field). */
type Element<M> = {
  readonly [K in FieldKey<M>]: readonly [key: K, label: string, schema: Schema.Schema<Exclude<M[K], undefined>, any>]
}[FieldKey<M>]

/** The wire list of a message, as the schemas' encoded side sees it. */
export type Wire = ReadonlyArray<unknown>

interface Definition<M extends Message> {
  readonly tag: M["_tag"]
  readonly code: number
  /** Upper-case spec name, for error messages. */
  readonly name: string
  readonly schema: Schema.Schema<M, Wire>
  /** Element counts allowed, read from the tuple schema. */
  readonly minLength: number
  readonly maxLength: number
  /** Index of Arguments on the wire, or -1 when the message carries no payload. */
  readonly payloadAt: number
  /** Spec name of each wire element, by index. */
  readonly labels: ReadonlyArray<string>
  readonly layout: Layout
  readonly encode: (message: M) => Wire
}

/** How a message lies on the wire after its code: its fields in order, then maybe the payload. */
export interface Layout {
  readonly code: number
  readonly fields: ReadonlyArray<{
    /** The message field. */
    readonly key: string
    /** The spec's name of the element. */
    readonly label: string
    /** The kind of element: the identifier of its schema (`Id`, `Options`, `Uri`, ...). */
    readonly element: string
    /** Absent when the message ends before it (the Details of a revocation). */
    readonly optional: boolean
  }>
  /** Whether Arguments / ArgumentsKw may follow the fields. */
  readonly payload: boolean
}

interface DefineOptions {
  /** Trailing Arguments / ArgumentsKw. */
  readonly payload?: boolean
  /** Payload passthru mode: the index of the Options/Details element its rules read (`passthruRule`). */
  readonly passthruOptionsAt?: number
  /** Index (among the elements) from which elements are optional (revocation Details). */
  readonly optionalFrom?: number
  /** A check across elements, returning the failing wire index and text. */
  readonly refine?: (wire: Wire) => { readonly path: ReadonlyArray<number>; readonly message: string } | undefined
}

const define = <M extends Message>(
  tag: M["_tag"],
  name: string,
  elements: ReadonlyArray<Element<M>>,
  options: DefineOptions = {}
): Definition<M> => {
  const code = Code[tag]
  const payload = options.payload === true
  const optionalFrom = options.optionalFrom ?? elements.length
  const keys = elements.map(([key]) => key as string)
  const fieldCount = keys.length

  const parts: Array<Schema.Schema.Any | Schema.Element<Schema.Schema.Any, "?">> = [Schema.Literal(code)]
  elements.forEach(([, , schema], i) => parts.push(i >= optionalFrom ? Schema.optionalElement(schema) : schema))
  const passthru = options.passthruOptionsAt !== undefined
  if (payload) {
    parts.push(Schema.optionalElement(passthru ? E.ListOrBinary : E.List), Schema.optionalElement(E.Dict))
  }
  const tuple = Schema.Tuple(...(parts as [Schema.Schema.Any]))
  const refine = passthru ? E.passthruRule(options.passthruOptionsAt!, fieldCount + 1) : options.refine
  const wire = refine === undefined
    ? tuple
    : tuple.pipe(Schema.filter((t) => refine(t as Wire)))

  // Builds the object field by field in table order, so every message of one type shares one shape.
  const fromWire = (t: Wire): M => {
    const out: Record<string, unknown> = { _tag: tag }
    for (let i = 0; i < fieldCount; i++) {
      const value = t[i + 1]
      if (value !== undefined) out[keys[i]!] = value
    }
    if (payload) {
      const args = t[fieldCount + 1]
      if (args instanceof Uint8Array) out.payload = args
      else if (t.length > fieldCount + 1) out.args = args
      if (t.length > fieldCount + 2) out.kwargs = t[fieldCount + 2]
    }
    return out as unknown as M
  }

  // Spec "Empty Arguments and Keyword Arguments": omit them from the end; kwargs needs args (even []).
  const toWire = (m: M): Wire => {
    const out: Array<unknown> = [code]
    const record = m as unknown as Record<string, unknown>
    for (let i = 0; i < fieldCount; i++) {
      const value = record[keys[i]!]
      if (value !== undefined) out.push(value)
      else if (i >= optionalFrom && record.request === 0) out.push({}) // a revocation always carries Details
    }
    if (payload) {
      const { args, kwargs, payload: binary } = m as {
        readonly args?: List
        readonly kwargs?: Dict
        readonly payload?: Uint8Array
      }
      if (binary !== undefined) out.push(binary)
      else if (kwargs !== undefined && hasKeys(kwargs)) out.push(args ?? [], kwargs)
      else if (args !== undefined && args.length > 0) out.push(args)
    }
    return out
  }

  const schema = Schema.transform(
    wire as unknown as Schema.Schema<Wire>,
    Schema.declare((u): u is M => typeof u === "object" && u !== null && (u as { _tag?: unknown })._tag === tag, {
      identifier: tag
    }),
    { strict: true, decode: fromWire, encode: toWire }
  )

  const tupleAst = tuple.ast as AST.TupleType
  const labels = ["MessageType", ...elements.map(([, label]) => label)]
  if (payload) labels.push("Arguments", "ArgumentsKw")
  const layout: Layout = {
    code,
    fields: elements.map(([key, label, element], i) => ({
      key: key as string,
      label,
      element: SchemaAST.getIdentifierAnnotation(element.ast).pipe(Option.getOrElse(() => "unknown")),
      optional: i >= optionalFrom
    })),
    payload
  }
  return {
    tag,
    code,
    name,
    schema,
    layout,
    minLength: tupleAst.elements.filter((e) => !e.isOptional).length,
    maxLength: tupleAst.elements.length,
    payloadAt: payload ? fieldCount + 1 : -1,
    labels,
    encode: toWire
  }
}

const hasKeys = (dict: Dict): boolean => {
  for (const _ in dict) return true
  return false
}

/** UNSUBSCRIBED / UNREGISTERED: `[c, Request]` answers a request (Request ≥ 1); `[c, 0, Details]` is a revocation. */
const revocationRule = (wire: Wire) =>
  wire.length === 3
    ? wire[1] === 0
      ? undefined
      : { path: [1], message: `must be 0 in a revocation (3 elements), got ${E.show(wire[1])}` }
    : wire[1] === 0
    ? { path: [1], message: "must be an ID (integer in [1, 2^53]) outside a revocation, got 0" }
    : undefined

const definitions = {
  Hello: define<Hello>("Hello", "HELLO", [["realm", "Realm", E.LooseUri], ["details", "Details", E.Options]]),
  Welcome: define<Welcome>("Welcome", "WELCOME", [["session", "Session", E.Id], ["details", "Details", E.Options]]),
  Abort: define<Abort>("Abort", "ABORT", [["details", "Details", E.Options], ["reason", "Reason", E.LooseUri]], {
    payload: true
  }),
  Challenge: define<Challenge>("Challenge", "CHALLENGE", [["authMethod", "AuthMethod", E.Text], [
    "extra",
    "Extra",
    E.Dict
  ]]),
  Authenticate: define<Authenticate>("Authenticate", "AUTHENTICATE", [["signature", "Signature", E.Text], [
    "extra",
    "Extra",
    E.Dict
  ]]),
  Goodbye: define<Goodbye>("Goodbye", "GOODBYE", [["details", "Details", E.Options], ["reason", "Reason", E.LooseUri]]),
  Error: define<Error>("Error", "ERROR", [
    ["requestType", "REQUEST.Type", E.RequestType],
    ["request", "REQUEST.Request", E.Id],
    ["details", "Details", E.Options],
    ["error", "Error", E.LooseUri]
  ], { payload: true, passthruOptionsAt: 3 }),
  Publish: define<Publish>("Publish", "PUBLISH", [
    ["request", "Request", E.Id],
    ["options", "Options", E.Options],
    ["topic", "Topic", E.PatternUri]
  ], { payload: true, passthruOptionsAt: 2 }),
  Published: define<Published>("Published", "PUBLISHED", [
    ["request", "PUBLISH.Request", E.Id],
    ["publication", "Publication", E.Id]
  ]),
  Subscribe: define<Subscribe>("Subscribe", "SUBSCRIBE", [
    ["request", "Request", E.Id],
    ["options", "Options", E.Options],
    ["topic", "Topic", E.PatternUri]
  ]),
  Subscribed: define<Subscribed>("Subscribed", "SUBSCRIBED", [
    ["request", "SUBSCRIBE.Request", E.Id],
    ["subscription", "Subscription", E.Id]
  ]),
  Unsubscribe: define<Unsubscribe>("Unsubscribe", "UNSUBSCRIBE", [
    ["request", "Request", E.Id],
    ["subscription", "SUBSCRIBED.Subscription", E.Id]
  ]),
  Unsubscribed: define<Unsubscribed>(
    "Unsubscribed",
    "UNSUBSCRIBED",
    [["request", "UNSUBSCRIBE.Request", E.IdOrZero], ["details", "Details", E.Options]],
    { optionalFrom: 1, refine: revocationRule }
  ),
  Event: define<Event>("Event", "EVENT", [
    ["subscription", "SUBSCRIBED.Subscription", E.Id],
    ["publication", "PUBLISHED.Publication", E.Id],
    ["details", "Details", E.Options]
  ], { payload: true, passthruOptionsAt: 3 }),
  Call: define<Call>("Call", "CALL", [
    ["request", "Request", E.Id],
    ["options", "Options", E.Options],
    ["procedure", "Procedure", E.PatternUri]
  ], { payload: true, passthruOptionsAt: 2 }),
  Cancel: define<Cancel>("Cancel", "CANCEL", [["request", "CALL.Request", E.Id], ["options", "Options", E.Options]]),
  Result: define<Result>("Result", "RESULT", [["request", "CALL.Request", E.Id], ["details", "Details", E.Options]], {
    payload: true,
    passthruOptionsAt: 2
  }),
  Register: define<Register>("Register", "REGISTER", [
    ["request", "Request", E.Id],
    ["options", "Options", E.Options],
    ["procedure", "Procedure", E.PatternUri]
  ]),
  Registered: define<Registered>("Registered", "REGISTERED", [
    ["request", "REGISTER.Request", E.Id],
    ["registration", "Registration", E.Id]
  ]),
  Unregister: define<Unregister>("Unregister", "UNREGISTER", [
    ["request", "Request", E.Id],
    ["registration", "REGISTERED.Registration", E.Id]
  ]),
  Unregistered: define<Unregistered>(
    "Unregistered",
    "UNREGISTERED",
    [["request", "UNREGISTER.Request", E.IdOrZero], ["details", "Details", E.Options]],
    { optionalFrom: 1, refine: revocationRule }
  ),
  Invocation: define<Invocation>("Invocation", "INVOCATION", [
    ["request", "Request", E.Id],
    ["registration", "REGISTERED.Registration", E.Id],
    ["details", "Details", E.Options]
  ], { payload: true, passthruOptionsAt: 3 }),
  Interrupt: define<Interrupt>("Interrupt", "INTERRUPT", [
    ["request", "INVOCATION.Request", E.Id],
    ["options", "Options", E.Options]
  ]),
  Yield: define<Yield>("Yield", "YIELD", [["request", "INVOCATION.Request", E.Id], ["options", "Options", E.Options]], {
    payload: true,
    passthruOptionsAt: 2
  })
} satisfies { readonly [T in Message["_tag"]]: Definition<Extract<Message, { readonly _tag: T }>> }

/** The wire schema of every message, by tag (the `Type` side is the message, the `Encoded` side its wire list). */
export const schemas: { readonly [T in Message["_tag"]]: Schema.Schema<Extract<Message, { readonly _tag: T }>, Wire> } =
  Object.fromEntries(Object.values(definitions).map((d) => [d.tag, d.schema])) as any

/** The wire layout of every message, by tag: the definition table as data (for tools and tests). */
export const layouts: { readonly [T in Message["_tag"]]: Layout } = Object.fromEntries(
  Object.values(definitions).map((d) => [d.tag, d.layout])
) as { readonly [T in Message["_tag"]]: Layout }

// ---------------------------------------------------------------------------------------------------------
// Decoding

type Decoder = (raw: Wire) => Either.Either<Message, ProtocolError>

const malformed = (message: string) => Either.left(new ProtocolError({ reason: "Malformed", message }))

/** Walks a parse issue down to the failing element: `[wire index, text]`. */
const locate = (issue: ParseResult.ParseIssue): readonly [number | undefined, string | undefined] => {
  let index: number | undefined
  let current: ParseResult.ParseIssue = issue
  for (;;) {
    switch (current._tag) {
      case "Pointer": {
        const path = Array.isArray(current.path) ? current.path[0] : current.path
        if (index === undefined && typeof path === "number") index = path
        current = current.issue
        break
      }
      case "Composite":
        current = Array.isArray(current.issues) ? current.issues[0]! : current.issues as ParseResult.ParseIssue
        break
      case "Refinement":
      case "Transformation":
        current = current.issue
        break
      default:
        return [index, current.message]
    }
  }
}

const compile = <M extends Message>(definition: Definition<M>): Decoder => {
  const { labels, maxLength, minLength, name, payloadAt } = definition
  const decodeWire = ParseResult.decodeUnknownEither(definition.schema)
  const counts = minLength === maxLength ? `${minLength}` : `${minLength} to ${maxLength}`
  return (raw) => {
    let wire = raw
    // Lenient on purpose: fox-wamp sends `null` where an absent Arguments / ArgumentsKw would be
    // (`[50, 1, {}, [3], null]`); trailing nulls in payload positions are read as "absent".
    if (payloadAt > 0 && wire.length > payloadAt && wire.length <= maxLength && wire[wire.length - 1] === null) {
      let end = wire.length
      while (end > payloadAt && wire[end - 1] === null) end--
      wire = wire.slice(0, end)
    }
    if (wire.length < minLength || wire.length > maxLength) {
      return malformed(`${name}: expected ${counts} elements, got ${raw.length}`)
    }
    const result = decodeWire(wire)
    if (Either.isRight(result)) return result as unknown as Either.Either<Message, never>
    const [index, text] = locate(result.left)
    const where = index === undefined ? "" : ` element ${index} (${labels[index] ?? "?"})`
    return Either.left(
      new ProtocolError({
        reason: "Malformed",
        message: `${name}:${where} ${text ?? ParseResult.TreeFormatter.formatIssueSync(result.left)}`,
        cause: result.left
      })
    )
  }
}

/** Decoders indexed by message code; every other slot is an unknown code. */
const decoders: ReadonlyArray<Decoder | undefined> = (() => {
  const table: Array<Decoder | undefined> = []
  for (const definition of Object.values(definitions)) {
    table[definition.code] = compile(definition as Definition<Message>)
  }
  return table
})()

/** Decodes a raw message list (as a serializer produced it). Never throws. */
export const decode = (raw: unknown): Either.Either<Message, ProtocolError> => {
  if (!Array.isArray(raw) || raw.length === 0) {
    return malformed(`a message must be a non-empty list, got ${E.show(raw)}`)
  }
  const code: unknown = raw[0]
  if (typeof code !== "number" || !Number.isInteger(code)) {
    return malformed(`the message type (element 0) must be an integer, got ${E.show(code)}`)
  }
  const decoder = code >= 0 && code < decoders.length ? decoders[code] : undefined
  if (decoder === undefined) {
    return Either.left(new ProtocolError({ reason: "UnknownMessage", message: `unknown message type ${code}` }))
  }
  return decoder(raw)
}

// ---------------------------------------------------------------------------------------------------------
// Encoding and helpers

/** Encodes a message to its wire list, omitting empty trailing Arguments/ArgumentsKw as the spec says. */
export const encode = (message: Message): ReadonlyArray<unknown> =>
  (definitions[message._tag] as unknown as Definition<Message>).encode(message)

const names: ReadonlyArray<string | undefined> = (() => {
  const table: Array<string | undefined> = []
  for (const definition of Object.values(definitions)) table[definition.code] = definition.name
  return table
})()

/** Upper-case spec name of a message code (`48` → `"CALL"`), or `"message type N"` for unknown codes. */
export const name = (code: number): string => names[code] ?? `message type ${code}`

/** A router's revocation of a subscription/registration: `[35, 0, {…}]` / `[67, 0, {…}]`. */
export const isRevocation = (message: Message): message is Unsubscribed | Unregistered =>
  (message._tag === "Unsubscribed" || message._tag === "Unregistered") && message.request === 0

/** The REQUEST.Type values an ERROR may carry. */
export type ErrorRequestType = 16 | 32 | 34 | 48 | 64 | 66 | 68

/** Whether `code` is a REQUEST.Type an ERROR may carry (PUBLISH, SUBSCRIBE, ..., INVOCATION). */
export const isErrorRequestType = (code: number): code is ErrorRequestType => E.errorRequestTypes.has(code)

/**
 * The REQUEST.Type of an ERROR answering `request` (`Call` → 48, `Invocation` → 68), or `undefined`
 * when no ERROR can answer that message.
 */
export const requestTypeOf = (request: Message | Message["_tag"]): ErrorRequestType | undefined => {
  const code = Code[typeof request === "string" ? request : request._tag]
  return isErrorRequestType(code) ? code : undefined
}
