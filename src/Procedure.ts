/**
 * Procedure: a typed RPC contract, declared once with Schema and shared by caller and callee.
 *
 * ```ts
 * class DivisionByZero extends Schema.TaggedError<DivisionByZero>()("DivisionByZero", {
 *   dividend: Schema.Number
 * }) {
 *   static readonly uri = "com.example.division_by_zero"
 * }
 *
 * const Divide = Procedure.make("com.example.divide", {
 *   args: Schema.Tuple(Schema.Number, Schema.Number),
 *   result: Schema.Number,
 *   error: [DivisionByZero]
 * })
 *
 * // callee
 * yield* Procedure.register(Divide, ([a, b]) =>
 *   b === 0 ? Effect.fail(new DivisionByZero({ dividend: a })) : Effect.succeed(a / b))
 * // caller: Effect<number, DivisionByZero | WampError | PayloadError | SessionError | EncodeError, Session>
 * const q = yield* Procedure.call(Divide, [6, 3])
 * ```
 *
 * Wire mapping (both sides use the same rules, so any two effect-wamp peers agree; other clients
 * follow them by sending the same shapes):
 * - Input: `args` is the schema of the positional list (CALL Arguments), `kwargs` of the keyword dict
 *   (CALL ArgumentsKw). The input value is the args' type alone, the kwargs' type alone, or
 *   `{ args, kwargs }` when the contract has both; with neither, the procedure takes no input.
 * - Result and progress chunks: per `resultIn` / `progressIn` (see `Placement`). Default: a schema
 *   whose encoded side is a struct, record or Class goes to kwargs; anything else (numbers, strings,
 *   lists, unions, ...) is the single positional argument `args[0]`, as Autobahn|JS does. A contract
 *   without `result` answers with an empty RESULT and its callers get `void`.
 * - Errors: each class in `error` carries its URI (static `uri`). A handler failing with one of them
 *   sends ERROR(uri, args = [message], kwargs = encoded fields without `_tag`); a caller receiving
 *   that URI decodes the class from kwargs. Any other ERROR stays a `WampError`.
 *
 * Checks, callee side: input that does not decode is answered with `wamp.error.invalid_argument`
 * (args = [a readable message naming each failing place]) and the handler never runs; a result, a
 * progress chunk or a contract error that does not encode is a defect: logged at Error level with
 * the parse failure, answered with `wamp.error.runtime_error`. Caller side: an input that does not
 * encode fails with `PayloadError` "EncodeInput" (nothing is sent); a RESULT, progress chunk or bound
 * ERROR that does not decode fails with `PayloadError` "DecodeResult" / "DecodeProgress" /
 * "DecodeError" carrying the parse failure.
 *
 * Schemas must need no services (`R = never`). Contract options (`call`, `register`) are defaults;
 * options given per use are merged over them.
 */
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import type * as ParseResult from "effect/ParseResult"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import { type EncodeError, PayloadError as PayloadErrorClass } from "./Errors.js"
import * as Contract from "./internal/contract.js"
import { mergeOptions } from "./internal/values.js"
import {
  type CallOptions,
  type CallResult,
  type HandlerResult,
  type Invocation,
  type InvocationDetails,
  type RegisterOptions,
  type Registration,
  Session,
  type SessionError,
  type SessionService
} from "./Session.js"
import * as WampError from "./WampError.js"

export { type ErrorClass, type Placement } from "./internal/contract.js"

/** @deprecated Use `Errors.PayloadError`, its one home. */
export const PayloadError = PayloadErrorClass
/** @deprecated Use `Errors.PayloadError`, its one home. */
export type PayloadError = PayloadErrorClass

// ---------------------------------------------------------------------------------------------
// The contract
// ---------------------------------------------------------------------------------------------

export interface ProcedureSpec extends Contract.PayloadSpec {
  /** The returned value (see `resultIn`). */
  readonly result?: Contract.AnySchema | undefined
  /** Each progressive result chunk (see `progressIn`). */
  readonly progress?: Contract.AnySchema | undefined
  /** Application errors, each a `Schema.TaggedError` class with a static `uri`. */
  readonly error?: ReadonlyArray<Contract.ErrorClass> | undefined
  /** Where the result travels; default from the schema (struct-like → kwargs, else args[0]). */
  readonly resultIn?: Contract.Placement | undefined
  /** Where progress chunks travel; default from the schema, as for the result. */
  readonly progressIn?: Contract.Placement | undefined
  /** Default CALL options of every call of this contract. */
  readonly call?: CallOptions | undefined
  /** Default REGISTER options of every registration of this contract. */
  readonly register?: RegisterOptions | undefined
}

export interface Procedure<S extends ProcedureSpec = ProcedureSpec> {
  readonly _tag: "Procedure"
  readonly uri: string
  readonly spec: S
  readonly resultIn: Contract.Placement
  readonly progressIn: Contract.Placement
  /** Compiled once per contract. */
  readonly codecs: {
    readonly input: Contract.Codec
    readonly result: Contract.Codec
    readonly progress: Contract.Codec
    readonly error: Contract.ErrorCodec
  }
}

/** The decoded input of a contract (see the module doc for its shape). */
export type Input<P> = P extends Procedure<infer S> ? Contract.Payload<S> : never
/** The decoded result; `void` without a `result` schema. */
export type Result<P> = P extends Procedure<infer S> ? Contract.ValueOf<S, "result"> : never
/** The decoded progress chunk; `void` without a `progress` schema. */
export type Progress<P> = P extends Procedure<infer S> ? Contract.ValueOf<S, "progress"> : never
/** The contract's application errors. */
export type Errors<P> = P extends Procedure<infer S> ? Contract.ErrorsOf<S> : never

/** What a call of the contract can fail with. */
export type CallError<P> = Errors<P> | WampError.WampError | PayloadErrorClass | SessionError | EncodeError

/** An element of `callProgressive`: progress chunks first, then exactly one final result. */
export type ProgressiveResult<P> =
  | { readonly _tag: "Progress"; readonly value: Progress<P>; readonly details: CallResult["details"] }
  | { readonly _tag: "Result"; readonly value: Result<P>; readonly details: CallResult["details"] }

/** What a contract's handler gets besides its decoded input. */
export interface ContractInvocation<P> {
  readonly details: InvocationDetails
  /**
   * Sends a progressive result (a no-op when the caller did not ask for progress). A chunk that
   * does not encode is a defect of the handler (logged; the caller gets `runtime_error`).
   */
  readonly progress: (chunk: Progress<P>) => Effect.Effect<void>
  /** The untyped invocation, as `Session.register` gives it. */
  readonly raw: Invocation
}

/**
 * A contract's handler: decoded input in, the result out; it may fail with the contract's errors
 * or a `WampError` (sent as is). Its return type is inferred whole, so branches returning
 * different effects (`Effect.fail(new A())` / `Effect.succeed(x)`) type-check without annotations.
 */
export type Handler<P> = (
  input: Input<P>,
  invocation: ContractInvocation<P>
) => Effect.Effect<Result<P>, Errors<P> | WampError.WampError, any>

/** The services a handler needs. */
export type HandlerContext<H> = H extends
  (...args: ReadonlyArray<never>) => Effect.Effect<infer _A, infer _E, infer R> ? R
  : never

/** `input` (omitted when the contract takes none), then the per-call options. */
export type CallArguments<P> = [Input<P>] extends [void] ?
  [input?: Input<P> | undefined, options?: CallOptions | undefined]
  : [input: Input<P>, options?: CallOptions | undefined]

/** Declares a procedure contract: plain data (like @effect/rpc's `Rpc.make`), used by both sides. */
export const make = <const S extends ProcedureSpec>(uri: string, spec: S): Procedure<S> => {
  const resultIn = spec.resultIn ?? (spec.result ? Contract.defaultPlacement(spec.result) : "args[0]")
  const progressIn = spec.progressIn ?? (spec.progress ? Contract.defaultPlacement(spec.progress) : "args[0]")
  return {
    _tag: "Procedure",
    uri,
    spec,
    resultIn,
    progressIn,
    codecs: {
      input: Contract.payloadCodec(spec),
      result: Contract.valueCodec(spec.result, resultIn),
      progress: Contract.valueCodec(spec.progress, progressIn),
      error: Contract.errorCodec(spec.error)
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Caller side
// ---------------------------------------------------------------------------------------------

const failWith = (reason: PayloadErrorClass["reason"], uri: string, what: string) => (cause: ParseResult.ParseError) =>
  new PayloadErrorClass({ reason, uri, message: `${what} of ${uri}: ${Contract.describe(cause)}`, cause })

/** A WampError as the contract's error when its URI is bound; anything else passes through. */
const decodeFailure = <P extends Procedure>(procedure: P) => <E>(error: E) =>
  error instanceof WampError.WampError
    ? procedure.codecs.error.decode(error).pipe(
      Effect.mapError(failWith("DecodeError", procedure.uri, "an error")),
      Effect.flatMap(Effect.fail)
    )
    : Effect.fail(error)

const encodeInput = <P extends Procedure>(procedure: P, input: Input<P>) =>
  procedure.codecs.input.encode(input).pipe(Effect.mapError(failWith("EncodeInput", procedure.uri, "the input")))

const callOn = <P extends Procedure>(
  session: SessionService,
  procedure: P,
  input: Input<P>,
  options?: CallOptions
): Effect.Effect<Result<P>, CallError<P>> =>
  Effect.gen(function*() {
    const wire = yield* encodeInput(procedure, input)
    const result = yield* session.call(
      procedure.uri,
      wire.args,
      wire.kwargs,
      mergeOptions(procedure.spec.call, options)
    ).pipe(Effect.catchAll(decodeFailure(procedure)))
    return yield* procedure.codecs.result.decode(result.args, result.kwargs).pipe(
      Effect.mapError(failWith("DecodeResult", procedure.uri, "the result"))
    )
  }) as Effect.Effect<Result<P>, CallError<P>>

const callProgressiveOn = <P extends Procedure>(
  session: SessionService,
  procedure: P,
  input: Input<P>,
  options?: CallOptions
): Stream.Stream<ProgressiveResult<P>, CallError<P>> =>
  Stream.unwrap(
    Effect.map(encodeInput(procedure, input), (wire) =>
      session.callProgressive(procedure.uri, wire.args, wire.kwargs, mergeOptions(procedure.spec.call, options)).pipe(
        Stream.catchAll((error) =>
          Stream.fromEffect(decodeFailure(procedure)(error))
        ),
        Stream.mapEffect((result): Effect.Effect<ProgressiveResult<P>, PayloadErrorClass> =>
          result.details["progress"] === true
            ? procedure.codecs.progress.decode(result.args, result.kwargs).pipe(
              Effect.mapBoth({
                onFailure: failWith("DecodeProgress", procedure.uri, "a progress chunk"),
                onSuccess: (value) => ({ _tag: "Progress", value: value as Progress<P>, details: result.details })
              })
            )
            : procedure.codecs.result.decode(result.args, result.kwargs).pipe(
              Effect.mapBoth({
                onFailure: failWith("DecodeResult", procedure.uri, "the result"),
                onSuccess: (value) => ({ _tag: "Result", value: value as Result<P>, details: result.details })
              })
            )
        )
      ))
  ) as Stream.Stream<ProgressiveResult<P>, CallError<P>>

// ---------------------------------------------------------------------------------------------
// Callee side
// ---------------------------------------------------------------------------------------------

/** An output that does not encode is the callee's bug: logged with the parse failure, a defect for the session. */
const outputDefect = (uri: string, what: string) => (cause: ParseResult.ParseError) => {
  const message = `${what} of ${uri} does not match its contract`
  return Effect.zipRight(
    Effect.logError(`${message}: ${Contract.describe(cause)}`, Cause.die(cause)),
    Effect.die(new Error(message))
  )
}

const registerOn = <P extends Procedure, H extends Handler<P>>(
  session: SessionService,
  procedure: P,
  handler: H,
  options?: RegisterOptions
): Effect.Effect<Registration, WampError.WampError | SessionError | EncodeError, Scope.Scope | HandlerContext<H>> => {
  type E = Errors<P> | WampError.WampError
  type R = HandlerContext<H>
  const { codecs, uri } = procedure
  const run = (invocation: Invocation): Effect.Effect<HandlerResult, E | WampError.WampError, R> =>
    Effect.gen(function*() {
      const decoded = yield* Effect.either(codecs.input.decode(invocation.args, invocation.kwargs))
      if (decoded._tag === "Left") {
        return yield* Effect.fail(
          WampError.make(WampError.StandardUri.InvalidArgument, {
            args: [`invalid input for ${uri}: ${Contract.describe(decoded.left)}`]
          })
        )
      }
      const typed: ContractInvocation<P> = {
        details: invocation.details,
        raw: invocation,
        progress: (chunk) =>
          Effect.flatMap(
            Effect.catchAll(codecs.progress.encode(chunk), outputDefect(uri, "a progress chunk")),
            (wire) => invocation.progress(wire.args, wire.kwargs)
          )
      }
      const result = yield* handler(decoded.right as Input<P>, typed).pipe(
        Effect.catchAll((error): Effect.Effect<never, E | WampError.WampError> => {
          const encoded = codecs.error.encode(error)
          if (encoded === undefined) return Effect.fail(error)
          return Effect.flatMap(Effect.catchAll(encoded, outputDefect(uri, "an error")), Effect.fail)
        })
      )
      return yield* Effect.catchAll(codecs.result.encode(result), outputDefect(uri, "the result"))
    })
  return session.register(uri, run, mergeOptions(procedure.spec.register, options))
}

// ---------------------------------------------------------------------------------------------
// Operations
// ---------------------------------------------------------------------------------------------

/** Calls the procedure of a contract with the current `Session`; the result is decoded. */
export const call = <P extends Procedure>(
  procedure: P,
  ...[input, options]: CallArguments<P>
): Effect.Effect<Result<P>, CallError<P>, Session> =>
  Effect.flatMap(Session, (session) => callOn(session, procedure, input as Input<P>, options))

/**
 * Calls with `receive_progress`: decoded progress chunks (`_tag: "Progress"`), then the decoded
 * final result (`_tag: "Result"`). Ending the stream early cancels the call.
 */
export const callProgressive = <P extends Procedure>(
  procedure: P,
  ...[input, options]: CallArguments<P>
): Stream.Stream<ProgressiveResult<P>, CallError<P>, Session> =>
  Stream.unwrap(Effect.map(Session, (session) => callProgressiveOn(session, procedure, input as Input<P>, options)))

/**
 * Registers a handler for a contract for the lifetime of the scope: it gets the decoded input, its
 * result is encoded, and failing with one of the contract's errors sends that error's URI.
 */
export const register = <P extends Procedure, H extends Handler<P>>(
  procedure: P,
  handler: H,
  options?: RegisterOptions
): Effect.Effect<
  Registration,
  WampError.WampError | SessionError | EncodeError,
  Session | Scope.Scope | HandlerContext<H>
> => Effect.flatMap(Session, (session) => registerOn(session, procedure, handler, options))

/** The same operations on a given session (no `Session` in context needed). */
export const forSession = (session: SessionService) => ({
  call: <P extends Procedure>(procedure: P, ...[input, options]: CallArguments<P>) =>
    callOn(session, procedure, input as Input<P>, options),
  callProgressive: <P extends Procedure>(procedure: P, ...[input, options]: CallArguments<P>) =>
    callProgressiveOn(session, procedure, input as Input<P>, options),
  register: <P extends Procedure, H extends Handler<P>>(procedure: P, handler: H, options?: RegisterOptions) =>
    registerOn(session, procedure, handler, options)
})
