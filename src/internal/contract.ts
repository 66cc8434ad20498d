/**
 * What Procedure and Topic contracts share: the payload codecs (a value <-> WAMP Arguments /
 * ArgumentsKw), the error classes bound to URIs, and readable messages from Schema parse errors.
 *
 * Every codec wraps the user's schema in a small Struct whose keys are `args` / `kwargs`, so one
 * decoder compiled at contract creation checks both parts and its parse errors name the place
 * (`args[1]`, `kwargs.name`).
 */
import * as Effect from "effect/Effect"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import * as SchemaAST from "effect/SchemaAST"
import type { Dict, List } from "../Message.js"
import * as WampError from "../WampError.js"
import { isDict } from "./messageElements.js"

// ---------------------------------------------------------------------------------------------
// Schema shapes
// ---------------------------------------------------------------------------------------------

/** Contract schemas need no services: they run on the dispatcher's behalf, where there are none. */

export type AnySchema = Schema.Schema<any, any, never>
/** A schema of the positional list: its encoded side is a list (a `Schema.Tuple`, `Schema.Array`). */
export type ArgsSchema = AnySchema & { readonly Encoded: ReadonlyArray<unknown> }
/** A schema of the keyword dict: its encoded side is a dict (a `Schema.Struct`, `Schema.Record`, a Class). */
export type KwargsSchema = AnySchema & { readonly Encoded: { readonly [key: string]: unknown } }

/**
 * An application error bound to an error URI: a `Schema.TaggedError` class with a static `uri`.
 *
 * ```ts
 * class DivisionByZero extends Schema.TaggedError<DivisionByZero>()("DivisionByZero", {
 *   dividend: Schema.Number
 * }) {
 *   static readonly uri = "com.example.division_by_zero"
 * }
 * ```
 */
export type ErrorClass = AnySchema & {
  readonly uri: string
  readonly _tag: string

  new(...args: ReadonlyArray<any>): unknown
}

/** Where a value travels in RESULT / YIELD / progressive chunks. */
export type Placement =
  /** The single positional argument (`args = [value]`): what Autobahn|JS and most clients do. */
  | "args[0]"
  /** The whole positional list (the encoded value must be a list). */
  | "args"
  /** The keyword dict (the encoded value must be a dict). */
  | "kwargs"

/** The default placement: a schema whose encoded side is a struct or record goes to kwargs, anything else to args[0]. */
export const defaultPlacement = (schema: AnySchema): Placement =>
  SchemaAST.encodedAST(schema.ast)._tag === "TypeLiteral" ? "kwargs" : "args[0]"

/** The payload part of a contract (`args`, `kwargs`, both, or neither). */
export interface PayloadSpec {
  readonly args?: ArgsSchema | undefined
  readonly kwargs?: KwargsSchema | undefined
}

/**
 * The decoded payload of a contract: the args' type alone, the kwargs' type alone,
 * `{ args, kwargs }` when it has both, `void` when it has neither.
 */
export type Payload<S> = S extends { readonly args: infer A extends AnySchema } ?
  S extends { readonly kwargs: infer K extends AnySchema } ?
    { readonly args: Schema.Schema.Type<A>; readonly kwargs: Schema.Schema.Type<K> }
  : Schema.Schema.Type<A>
  : S extends { readonly kwargs: infer K extends AnySchema } ? Schema.Schema.Type<K>
  : void

/** The decoded type of an optional schema field; `void` when absent. */
export type ValueOf<S, K extends string> = S extends { readonly [k in K]: infer X extends AnySchema } ?
  Schema.Schema.Type<X>
  : void

/** The instances of a contract's error classes. */
export type ErrorsOf<S> = S extends { readonly error: ReadonlyArray<infer C extends AnySchema> } ? Schema.Schema.Type<C>
  : never

// ---------------------------------------------------------------------------------------------
// The typed error
// ---------------------------------------------------------------------------------------------

// ---------------------------------------------------------------------------------------------
// Messages
// ---------------------------------------------------------------------------------------------

const formatPath = (path: ReadonlyArray<PropertyKey>): string => {
  let out = ""
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`
    else if (typeof key === "string" && /^[A-Za-z_$][\w$]*$/.test(key)) out += out === "" ? key : `.${key}`
    else out += `[${JSON.stringify(String(key))}]`
  }
  return out
}

/** One line per issue, each naming where it is: `args[1]: Expected number, actual "x"`. */
export const describe = (error: ParseResult.ParseError): string =>
  ParseResult.ArrayFormatter.formatErrorSync(error)
    .map((issue) => issue.path.length === 0 ? issue.message : `${formatPath(issue.path)}: ${issue.message}`)
    .join("; ")

// ---------------------------------------------------------------------------------------------
// Codecs
// ---------------------------------------------------------------------------------------------

/** Arguments and ArgumentsKw, each present only when the codec produces it. */
export interface Wire {
  readonly args?: List
  readonly kwargs?: Dict
}

/** Untyped inside: the contract modules give it its types. */
export interface Codec {
  readonly encode: (value: unknown) => Effect.Effect<Wire, ParseResult.ParseError>
  readonly decode: (args: List, kwargs: Dict) => Effect.Effect<unknown, ParseResult.ParseError>
}

type Envelope = { readonly args?: unknown; readonly kwargs?: unknown }

const notA = (what: string, where: string, actual: unknown) =>
  new ParseResult.ParseError({
    issue: new ParseResult.Type(SchemaAST.unknownKeyword, actual, `${where}: the encoded value is not a ${what}`)
  })

/** The encoded envelope as message fields; a list that is not a list (or a dict that is not a dict) fails. */
const toWire = (envelope: Envelope): Effect.Effect<Wire, ParseResult.ParseError> => {
  const { args, kwargs } = envelope
  if (args !== undefined && !Array.isArray(args)) return Effect.fail(notA("list", "args", args))
  if (kwargs !== undefined && !isDict(kwargs)) return Effect.fail(notA("dict", "kwargs", kwargs))
  const wire: { args?: List; kwargs?: Dict } = {}
  if (args !== undefined) wire.args = args as List
  if (kwargs !== undefined) wire.kwargs = kwargs
  return Effect.succeed(wire)
}

const VOID_WIRE: Wire = {}

const makeCodec = (
  fields: Schema.Struct.Fields,
  fromEnvelope: (envelope: Envelope) => unknown,
  toEnvelope: (value: unknown) => Envelope
): Codec => {
  if (Object.keys(fields).length === 0) {
    return { encode: () => Effect.succeed(VOID_WIRE), decode: () => Effect.void }
  }
  const envelope = Schema.Struct(fields) as unknown as Schema.Schema<Envelope, Envelope>
  const decode = Schema.decodeUnknown(envelope)
  const encode = Schema.encode(envelope)
  return {
    decode: (args, kwargs) => Effect.map(decode({ args, kwargs }), fromEnvelope),
    encode: (value) => Effect.flatMap(encode(toEnvelope(value)), toWire)
  }
}

/** The codec of a payload spec (procedure input, topic payload); see `Payload<S>` for the value's shape. */
export const payloadCodec = (spec: PayloadSpec): Codec => {
  const { args, kwargs } = spec
  if (args !== undefined && kwargs !== undefined) {
    return makeCodec({ args, kwargs }, (e) => e, (value) => value as Envelope)
  }
  if (args !== undefined) return makeCodec({ args }, (e) => e.args, (value) => ({ args: value }))
  if (kwargs !== undefined) return makeCodec({ kwargs }, (e) => e.kwargs, (value) => ({ kwargs: value }))
  return makeCodec({}, () => undefined, () => ({}))
}

/** The codec of one value (result, progress chunk) at a placement; no schema = nothing travels. */
export const valueCodec = (schema: AnySchema | undefined, placement: Placement): Codec => {
  if (schema === undefined) return makeCodec({}, () => undefined, () => ({}))
  switch (placement) {
    case "args[0]":
      // Extra positional values are tolerated: the value is the first one.
      return makeCodec(
        { args: Schema.Tuple([schema], Schema.Unknown) },
        (e) => (e.args as ReadonlyArray<unknown>)[0],
        (value) => ({ args: [value] })
      )
    case "args":
      return makeCodec({ args: schema }, (e) => e.args, (value) => ({ args: value }))
    case "kwargs":
      return makeCodec({ kwargs: schema }, (e) => e.kwargs, (value) => ({ kwargs: value }))
  }
}

// ---------------------------------------------------------------------------------------------
// Errors bound to URIs
// ---------------------------------------------------------------------------------------------

export interface ErrorCodec {
  /** The ERROR to send for a contract error instance; `undefined` when it is not one (or is a WampError). */
  readonly encode: (error: unknown) => Effect.Effect<WampError.WampError, ParseResult.ParseError> | undefined
  /** A received ERROR as the contract's error when its URI is bound; the WampError itself otherwise. */
  readonly decode: (error: WampError.WampError) => Effect.Effect<unknown, ParseResult.ParseError>
}

/**
 * ERROR mapping of a contract error: `kwargs` = its encoded fields without `_tag`, `args` = `[message]`
 * when the error has a non-empty message (so other clients show something readable).
 * On receipt the class is decoded from `{ ...kwargs, _tag }`; `args` is not read.
 */
export const errorCodec = (classes: ReadonlyArray<ErrorClass> | undefined): ErrorCodec => {
  const list = classes ?? []
  const byUri = new Map(
    list.map((cls) => [cls.uri, { tag: cls._tag, decode: Schema.decodeUnknown(cls) }] as const)
  )
  const encoders = list.map((cls) => ({ cls, encode: Schema.encodeUnknown(cls) }))
  return {
    encode: (error) => {
      if (error instanceof WampError.WampError) return undefined
      const match = encoders.find(({ cls }) => error instanceof cls)
      if (match === undefined) return undefined
      return Effect.flatMap(match.encode(error), (encoded) => {
        const kwargs: Record<string, unknown> = isDict(encoded) ? { ...encoded } : {}
        delete kwargs["_tag"]
        const message = error instanceof Error ? error.message : ""
        return toWire({ kwargs }).pipe(
          Effect.map((wire) =>
            WampError.make(match.cls.uri, { args: message === "" ? [] : [message], kwargs: wire.kwargs })
          )
        )
      })
    },
    decode: (error) => {
      const bound = byUri.get(error.error)
      return bound === undefined ? Effect.succeed(error) : bound.decode({ ...error.kwargs, _tag: bound.tag })
    }
  }
}
