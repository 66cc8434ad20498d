/**
 * The reference decoder: each message's element table read as a structural Schema (a tuple of the
 * element schemas, the cross-element rule as a filter, transformed into the message) and run through
 * Schema's general parser. This was `Message.decode` before the compiled decoders; it stays as the
 * reference the property test compares them with (same accepted messages, same refusals, same texts),
 * and for the bench. Nothing in the runtime imports it.
 */
import * as Either from "effect/Either"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import type * as AST from "effect/SchemaAST"
import { ProtocolError } from "../../Errors.js"
import type * as Message from "../../Message.js"
import * as E from "../messageElements.js"
import { byCode, type Definition, definitions } from "./definitions.js"

type Wire = ReadonlyArray<unknown>

/** The structural wire schema of one message type. */
export const schemaOf = <M extends Message.Message>(definition: Definition<M>): Schema.Schema<M, Wire> => {
  const { code, elements, optionalFrom, passthru, payload, refine, tag } = definition
  const keys = elements.map(([key]) => key as string)
  const fieldCount = keys.length
  const parts: Array<Schema.Schema.Any | Schema.Element<Schema.Schema.Any, "?">> = [Schema.Literal(code)]
  elements.forEach(([, , schema], i) => parts.push(i >= optionalFrom ? Schema.optionalElement(schema) : schema))
  if (payload) {
    parts.push(Schema.optionalElement(passthru ? E.ListOrBinary : E.List), Schema.optionalElement(E.Dict))
  }
  const tuple = Schema.Tuple(...(parts as [Schema.Schema.Any]))
  const wire = refine === undefined ? tuple : tuple.pipe(Schema.filter((t) => refine(t as Wire)))
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
  const schema = Schema.transform(
    wire as unknown as Schema.Schema<Wire>,
    Schema.declare((u): u is M => typeof u === "object" && u !== null && (u as { _tag?: unknown })._tag === tag, {
      identifier: tag
    }),
    { strict: true, decode: fromWire, encode: definition.encode }
  )
  // The counts the compiled decoder uses must be the tuple's.
  const ast = tuple.ast as AST.TupleType
  if (ast.elements.filter((e) => !e.isOptional).length !== definition.minLength) throw new Error(`${tag}: minLength`)
  if (ast.elements.length !== definition.maxLength) throw new Error(`${tag}: maxLength`)
  return schema
}

/** The structural schema of every message, by tag. */
export const schemas: {
  readonly [T in Message.Message["_tag"]]: Schema.Schema<Extract<Message.Message, { _tag: T }>, Wire>
} = Object.fromEntries(
  Object.values(definitions).map((d) => [d.tag, schemaOf(d as unknown as Definition)])
) as any

type Decoder = (raw: Wire) => Either.Either<Message.Message, ProtocolError>

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

const compile = (definition: Definition): Decoder => {
  const { labels, maxLength, minLength, name, payloadAt } = definition
  const decodeWire = ParseResult.decodeUnknownEither(schemas[definition.tag] as Schema.Schema<Message.Message, Wire>)
  const counts = minLength === maxLength ? `${minLength}` : `${minLength} to ${maxLength}`
  return (raw) => {
    let wire = raw
    if (payloadAt > 0 && wire.length > payloadAt && wire.length <= maxLength && wire[wire.length - 1] === null) {
      let end = wire.length
      while (end > payloadAt && wire[end - 1] === null) end--
      wire = wire.slice(0, end)
    }
    if (wire.length < minLength || wire.length > maxLength) {
      return malformed(`${name}: expected ${counts} elements, got ${raw.length}`)
    }
    const result = decodeWire(wire)
    if (Either.isRight(result)) return result as unknown as Either.Either<Message.Message, never>
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

const decoders: ReadonlyArray<Decoder | undefined> = byCode.map((definition) =>
  definition === undefined ? undefined : compile(definition)
)

/** `Message.decode` through Schema's general parser on the structural schemas. Never throws. */
export const decode = (raw: unknown): Either.Either<Message.Message, ProtocolError> => {
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
