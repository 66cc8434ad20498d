/**
 * The caller side of RPC: plain calls, progressive results, progressive call invocations.
 */
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as FiberId from "effect/FiberId"
import * as Mailbox from "effect/Mailbox"
import * as Stream from "effect/Stream"
import type * as Tracer from "effect/Tracer"
import * as Message from "../../Message.js"
import * as Passthru from "../../Passthru.js"
import type { CallOptions, CallResult, CancelMode, Chunk, Dict, List } from "../../Session.js"
import * as WampError from "../../WampError.js"
import { abandonable } from "../abandonable.js"
import * as Metrics from "../metrics.js"
import * as CallHooks from "./callHooks.js"
import { type Core, type EndObserver, type OperationError, type Resume, type SessionError, settle } from "./core.js"
import { argsOf, checkUri, errorFromMessage, kwargsOf, outgoing, payload } from "./payload.js"

type CallError = OperationError

const LOCAL_OPTIONS = ["cancelMode", "passthru"]

const resultOf = (message: Message.Result): CallResult => {
  const passthru = Passthru.fromMessage(message)
  const result = { args: argsOf(message), kwargs: kwargsOf(message), details: message.details }
  return passthru === undefined ? result : { ...result, passthru }
}

const isProgress = (message: Message.Result): boolean => message.details["progress"] === true

/** A call's metrics alone (the default): its start time, and its end counted and timed. */
class CallTimer implements EndObserver {
  private readonly started = Metrics.callStarted()
  end(exit: Exit.Exit<unknown, unknown>): void {
    Metrics.callEnded(this.started, exit)
  }
}

/** What an abandoned call's metrics and span end with: interrupted, which is not a failure. */
const interrupted = Exit.interrupt(FiberId.none)

export const makeCaller = (core: Core, hooks: CallHooks.CallHooks = CallHooks.none) => {
  const dealerSupports = (feature: string) => core.info?.supports("dealer", feature) === true
  const outgoingCall = (args: List | undefined, kwargs: Dict | undefined, options: CallOptions | undefined) =>
    outgoing(options, LOCAL_OPTIONS, args, kwargs, options?.passthru, dealerSupports)

  /** CANCEL on abandon, when the dealer can cancel; otherwise the late reply is just ignored. */
  const cancelWith = (mode: CancelMode | (() => CancelMode)) => (id: number): void => {
    if (!core.info?.supports("dealer", "call_canceling")) return
    core.sendQuietly({ _tag: "Cancel", request: id, options: { mode: typeof mode === "function" ? mode() : mode } })
  }

  const replyOfCall = (message: Message.Message): Exit.Exit<CallResult, WampError.WampError> | undefined => {
    if (message._tag === "Error") return Exit.fail(errorFromMessage(message))
    // A progressive RESULT we did not ask for is ignored; it never completes the call.
    if (message._tag !== "Result" || isProgress(message)) return undefined
    return Exit.succeed(resultOf(message))
  }

  /**
   * A call at callback level (the facade's hot path, and the Effect API's under one `Effect.async`):
   * `resume` gets the outcome exactly once. Returns the function that abandons the call (sending
   * CANCEL when the dealer can cancel), or undefined when the call already failed without being
   * sent. Counted and traced here (see `callHooks.ts`), so both APIs are; `span` is the Effect API's,
   * made in the caller's fiber.
   */
  const startCall = (
    procedure: string,
    args: List | undefined,
    kwargs: Dict | undefined,
    options: CallOptions | undefined,
    resume: Resume<CallResult>,
    span?: Tracer.Span
  ): ((mode?: CancelMode) => void) | undefined => {
    // Metrics alone (the default) cost one small object; a span (tracing on) goes through `observe`.
    const observed = hooks.tracer !== undefined || span !== undefined
      ? CallHooks.observe(hooks, procedure, options, span)
      : undefined
    const observer: EndObserver | undefined = observed ?? (hooks.metrics ? new CallTimer() : undefined)
    const invalid = checkUri(procedure, "exact")
    if (invalid) {
      settle(observer, resume, Exit.fail(invalid))
      return undefined
    }
    const out = outgoingCall(
      args,
      kwargs,
      observed === undefined ? options : observed.options
    )
    if (out instanceof WampError.WampError) {
      settle(observer, resume, Exit.fail(out))
      return undefined
    }
    const { fields, options: wire } = out
    const id = core.start(
      Message.Code.Call,
      (request) => ({ _tag: "Call", request, options: wire, procedure, ...fields }),
      replyOfCall,
      resume,
      observer
    )
    if (id === 0) return undefined
    return (mode) => {
      if (core.abandon(id, cancelWith(mode ?? options?.cancelMode ?? "killnowait"))) observer?.end(interrupted)
    }
  }

  const callWith = (
    procedure: string,
    args: List | undefined,
    kwargs: Dict | undefined,
    options: CallOptions | undefined,
    span: Tracer.Span | undefined
  ): Effect.Effect<CallResult, CallError> =>
    abandonable<CallResult, CallError>((resume) => startCall(procedure, args, kwargs, options, resume, span))

  /** One abandonable wait per call (`abandonable.ts`); with tracing on, first the span, in the caller's fiber. */
  const call = (
    procedure: string,
    args?: List,
    kwargs?: Dict,
    options?: CallOptions
  ): Effect.Effect<CallResult, CallError> =>
    hooks.tracer === undefined
      ? callWith(procedure, args, kwargs, options, undefined)
      : Effect.flatMap(
        Effect.makeSpan("wamp.call", {
          kind: "client",
          attributes: CallHooks.attributes(hooks, procedure),
          captureStackTrace: false
        }),
        (span) => callWith(procedure, args, kwargs, options, span)
      )

  /**
   * The general form: optional progressive input, results as a stream (progress chunks when asked
   * for, then the final result). Closing the stream before the end cancels the call.
   */
  const stream = (
    procedure: string,
    first: Chunk,
    input: Stream.Stream<Chunk> | undefined,
    options: CallOptions | undefined,
    receiveProgress: boolean
  ): Stream.Stream<CallResult, CallError> =>
    Stream.unwrapScoped(Effect.gen(function*() {
      const invalid = checkUri(procedure, "exact")
      if (invalid) return yield* Effect.fail(invalid)
      if (input !== undefined && !core.info?.supports("dealer", "progressive_call_invocations")) {
        return yield* Effect.fail(
          WampError.make(WampError.StandardUri.FeatureNotSupported, {
            args: ["the router does not announce progressive_call_invocations"]
          })
        )
      }
      if (input !== undefined && options?.passthru !== undefined) {
        return yield* Effect.fail(
          WampError.make(WampError.StandardUri.InvalidArgument, {
            args: ["a passthru payload cannot go with progressive input"]
          })
        )
      }
      const out = outgoingCall(first.args, first.kwargs, options)
      if (out instanceof WampError.WampError) return yield* Effect.fail(out)
      const results = yield* Mailbox.make<CallResult, CallError>()
      let done = false
      const wire = out.options
      if (receiveProgress) wire["receive_progress"] = true
      const onReply = (message: Message.Message): boolean => {
        if (message._tag === "Error") {
          done = true
          results.unsafeDone(Exit.fail(errorFromMessage(message)))
          return true
        }
        if (message._tag !== "Result") return false
        if (isProgress(message)) {
          if (receiveProgress) results.unsafeOffer(resultOf(message))
          return false
        }
        done = true
        results.unsafeOffer(resultOf(message))
        results.unsafeDone(Exit.void)
        return true
      }
      const onClose = (error: SessionError) => {
        done = true
        results.unsafeDone(Exit.fail(error))
      }
      const cancel = cancelWith(options?.cancelMode ?? "killnowait")

      if (input === undefined) {
        const id = core.open(
          Message.Code.Call,
          (request) => ({ _tag: "Call", request, options: wire, procedure, ...out.fields }),
          onReply,
          onClose
        )
        if (typeof id !== "number") return yield* Effect.fail(id)
        yield* Effect.addFinalizer(() => done ? Effect.void : core.abandonEffect(id, cancel))
        return Mailbox.toStream(results)
      }

      // Progressive invocations: every chunk goes out as soon as the next one shows it is not the
      // last; the last goes out as the final CALL when the input ends. All share one request id.
      let sentAny = false
      let previous: Chunk | undefined
      const sendChunk = (request: number, chunk: Chunk, progress: boolean) =>
        Effect.suspend(() => {
          const opts: Record<string, unknown> = sentAny ? {} : { ...wire }
          if (progress) opts["progress"] = true
          const error = core.send({
            _tag: "Call",
            request,
            options: opts,
            procedure,
            ...payload(chunk.args, chunk.kwargs)
          })
          if (error !== undefined) return Effect.fail(error)
          sentAny = true
          return Effect.void
        })
      const id = core.reserve(Message.Code.Call, onReply, onClose)
      if (typeof id !== "number") return yield* Effect.fail(id)
      // No CANCEL for a call the router never saw (its first chunk could not be sent).
      const cancelSent = (request: number) => {
        if (sentAny) cancel(request)
      }
      yield* Effect.addFinalizer(() => done ? Effect.void : core.abandonEffect(id, cancelSent))
      const pump = Effect.gen(function*() {
        yield* Stream.runForEach(input, (chunk) =>
          Effect.suspend(() => {
            const ready = previous
            previous = chunk
            // After the final result, the dealer discards continuations: stop sending.
            return ready === undefined || done ? Effect.void : sendChunk(id, ready, true)
          }))
        if (!done) yield* sendChunk(id, previous ?? {}, false)
      })
      yield* pump.pipe(
        Effect.catchAll((error) =>
          Effect.zipRight(
            Effect.sync(() => {
              done = true
              results.unsafeDone(Exit.fail(error))
            }),
            core.abandonEffect(id, cancelSent)
          )
        ),
        Effect.forkScoped
      )
      return Mailbox.toStream(results)
    }))

  const lastOf = (results: Stream.Stream<CallResult, CallError>) =>
    Effect.flatMap(Stream.runLast(results), (last) =>
      last._tag === "Some"
        ? Effect.succeed(last.value)
        : Effect.die(new Error("a call ended without a final result")))

  return {
    call,
    startCall,
    callProgressive: (procedure: string, args?: List, kwargs?: Dict, options?: CallOptions) =>
      stream(procedure, payload(args, kwargs), undefined, options, true),
    callWithInput: (procedure: string, input: Stream.Stream<Chunk>, options?: CallOptions) =>
      lastOf(stream(procedure, {}, input, options, false)),
    callStreaming: (procedure: string, input: Stream.Stream<Chunk>, options?: CallOptions) =>
      stream(procedure, {}, input, options, options?.["receive_progress"] !== false)
  }
}

export type Caller = ReturnType<typeof makeCaller>
