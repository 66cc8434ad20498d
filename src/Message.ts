/**
 * The 24 WAMP v2 messages as plain tagged data, and their wire codec.
 *
 * One ordered element table (`internal/message/definitions.ts`) is the single definition of each
 * message's wire shape: CALL is `[48, Request|Id, Options|Options, Procedure|PatternUri, Arguments?|List,
 * ArgumentsKw?|Dict]`, read into `{ _tag: "Call", request, options, procedure, args?, kwargs? }`. From it,
 * once per message type, are compiled the decoder (one `Schema.declare` that runs the element schemas'
 * checks directly, without Schema's general parser; `decode` reaches it by the code, never through a
 * union of the 24), the encoder (plain code), the message's Schema (`schemas.Call`, decoding with that
 * same decoder) and its layout.
 */
import * as Either from "effect/Either"
import type * as ParseResult from "effect/ParseResult"
import type * as Schema from "effect/Schema"
import { ProtocolError } from "./Errors.js"
import * as Definitions from "./internal/message/definitions.js"
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
export const Code = Definitions.Code

/** The wire list of a message, as the schemas' encoded side sees it. */
export type Wire = ReadonlyArray<unknown>

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

const definitions = Definitions.definitions

/**
 * The wire schema of every message, by tag (the `Type` side is the message, the `Encoded` side its wire
 * list). Decoding runs the same compiled decoder as `decode` (trailing payload nulls read as absent
 * included); a refusal is a ParseIssue pointing at the element.
 */
export const schemas: { readonly [T in Message["_tag"]]: Schema.Schema<Extract<Message, { readonly _tag: T }>, Wire> } =
  Object.fromEntries(Object.values(definitions).map((d) => [d.tag, d.schema])) as any

/** The wire layout of every message, by tag: the definition table as data (for tools and tests). */
export const layouts: { readonly [T in Message["_tag"]]: Layout } = Object.fromEntries(
  Object.values(definitions).map((d) => [d.tag, d.layout])
) as { readonly [T in Message["_tag"]]: Layout }

// ---------------------------------------------------------------------------------------------------------
// Decoding

const malformed = (message: string) => Either.left(new ProtocolError({ reason: "Malformed", message }))

/** Decodes a raw message list (as a serializer produced it). Never throws. */
export const decode = (raw: unknown): Either.Either<Message, ProtocolError> => {
  if (!Array.isArray(raw) || raw.length === 0) {
    return malformed(`a message must be a non-empty list, got ${E.show(raw)}`)
  }
  const code: unknown = raw[0]
  if (typeof code !== "number" || !Number.isInteger(code)) {
    return malformed(`the message type (element 0) must be an integer, got ${E.show(code)}`)
  }
  const definition = code >= 0 && code < Definitions.byCode.length ? Definitions.byCode[code] : undefined
  if (definition === undefined) {
    return Either.left(new ProtocolError({ reason: "UnknownMessage", message: `unknown message type ${code}` }))
  }
  const result = definition.decodeWire(raw)
  if (Either.isRight(result)) return result as unknown as Either.Either<Message, never>
  // The declaration's refusal: a Pointer to the element (its index on the wire) or, for the element
  // count, the bare issue.
  const issue = result.left
  const index = issue._tag === "Pointer" ? issue.path as number : -1
  const text = (issue._tag === "Pointer" ? issue.issue : issue) as ParseResult.Type
  const where = index < 0 ? "" : ` element ${index} (${definition.labels[index] ?? "?"})`
  return Either.left(
    new ProtocolError({ reason: "Malformed", message: `${definition.name}:${where} ${text.message}`, cause: issue })
  )
}

// ---------------------------------------------------------------------------------------------------------
// Encoding and helpers

/** Encodes a message to its wire list, omitting empty trailing Arguments/ArgumentsKw as the spec says. */
export const encode = (message: Message): ReadonlyArray<unknown> =>
  (definitions[message._tag] as unknown as Definitions.Definition).encode(message)

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
