/**
 * The callee side of RPC: registrations, one handler fiber per invocation, progressive results,
 * progressive invocations, INTERRUPT, revocation.
 *
 * Each registration captures the registering fiber's Runtime once; an INVOCATION starts its handler
 * with `Runtime.runFork` on it and answers from the fiber's observer: nothing per invocation beyond
 * the handler's own fiber (no provide, no fork into a scope, no finalizer added and removed).
 */
import { Deferred, Duration, Effect, Exit, Fiber, Mailbox, Runtime, type Scope, Stream } from "effect"
import * as Message from "../../Message.js"
import * as Passthru from "../../Passthru.js"
import type {
  Chunk,
  HandlerResult,
  Invocation,
  InvocationDetails,
  RegisterOptions,
  Registration,
  RegistrationEnd
} from "../../Session.js"
import * as WampError from "../../WampError.js"
import { Tombstones } from "../tombstones.js"
import { optionalString } from "../values.js"
import type { Core, OperationError, SessionError } from "./core.js"
import type { Step } from "./dispatcher.js"
import {
  argsOf,
  checkUri,
  errorForCause,
  errorFromMessage,
  kwargsOf,
  outgoing,
  payload,
  wireOptions
} from "./payload.js"

interface RegistrationEntry {
  readonly id: number
  readonly procedure: string
  /** Starts the handler's fiber for one invocation. */
  readonly fork: (invocation: Invocation) => Fiber.RuntimeFiber<HandlerResult, unknown>
  readonly ended: Deferred.Deferred<RegistrationEnd>
}

interface ActiveInvocation {
  finished: boolean
  fiber: Fiber.RuntimeFiber<HandlerResult, unknown> | undefined
  /** Open while a progressive invocation still sends chunks. */
  input: Mailbox.Mailbox<Chunk> | undefined
}

/**
 * `session` is the session's own Runtime: handler fibers inherit its FiberRefs (logger, log level,
 * tracer settings), as fibers forked by the session would, and get the register call's context.
 */
export const makeCallee = (core: Core, session: Runtime.Runtime<never>) => {
  const registrations = new Map<number, RegistrationEntry>()
  /** Registrations we left: an INVOCATION racing our UNREGISTER gets `no_such_registration`. */
  const leftRegistrations = new Tombstones(1024)
  const active = new Map<number, ActiveInvocation>()
  /** Progressive continuations for invocations we already answered are discarded (spec). */
  const finished = new Tombstones(4096)

  const end = (entry: RegistrationEntry, reason: RegistrationEnd) => {
    if (registrations.get(entry.id) === entry) registrations.delete(entry.id)
    leftRegistrations.add(entry.id)
    Deferred.unsafeDone(entry.ended, Exit.succeed(reason))
  }

  const register = <E, R>(
    procedure: string,
    handler: (invocation: Invocation) => Effect.Effect<HandlerResult, E, R>,
    options?: RegisterOptions
  ): Effect.Effect<Registration, OperationError, Scope.Scope | R> =>
    Effect.gen(function*() {
      const invalid = checkUri(procedure, options?.match)
      if (invalid) return yield* Effect.fail(invalid)
      const context = yield* Effect.context<R>()
      const runFork = Runtime.runFork(
        Runtime.make({ context, fiberRefs: session.fiberRefs, runtimeFlags: session.runtimeFlags })
      )
      const ended = yield* Deferred.make<RegistrationEnd>()
      const wire = wireOptions(options, [])
      // A handler that throws instead of returning an Effect fails its invocation, like a defect.
      const fork = (invocation: Invocation) =>
        runFork(withCallTimeout(Effect.suspend(() => handler(invocation)), invocation.details.timeout))
      const acquire = core.request(
        Message.Code.Register,
        (request) => ({ _tag: "Register", request, options: wire, procedure }),
        (message): Exit.Exit<RegistrationEntry, WampError.WampError> | string | undefined => {
          if (message._tag === "Error") return Exit.fail(errorFromMessage(message))
          if (message._tag !== "Registered") return undefined
          if (registrations.has(message.registration)) {
            return `REGISTERED with registration ${message.registration}, which this session already holds`
          }
          // Recorded here, in the dispatcher, so that an INVOCATION right behind it finds it.
          const entry: RegistrationEntry = { id: message.registration, procedure, fork, ended }
          registrations.set(entry.id, entry)
          leftRegistrations.delete(entry.id)
          return Exit.succeed(entry)
        }
      )
      const entry = yield* Effect.acquireRelease(acquire, (entry) => core.bounded(unregister(entry)))
      return {
        id: entry.id,
        procedure,
        options: options ?? {},
        unregister: unregister(entry),
        ended: Deferred.await(ended)
      } satisfies Registration
    })

  const unregister = (entry: RegistrationEntry): Effect.Effect<void, WampError.WampError | SessionError> =>
    Effect.suspend(() => {
      if (registrations.get(entry.id) !== entry) return Effect.void
      end(entry, { reason: "unregistered", message: undefined })
      if (core.state !== "established") return Effect.void
      return core.requestByIds(
        Message.Code.Unregister,
        (request) => ({ _tag: "Unregister", request, registration: entry.id }),
        (message) => {
          if (message._tag === "Error") return Exit.fail(errorFromMessage(message))
          return message._tag === "Unregistered" ? Exit.void : undefined
        }
      )
    })

  /**
   * Sends the final answer once: YIELD or ERROR. A result that cannot be sent becomes an ERROR, so
   * the caller is answered either way: `wamp.error.invalid_payload` with the encoder's text for a
   * result that cannot be encoded, `wamp.error.payload_size_exceeded` for one over the limit.
   */
  const answer = (id: number, state: ActiveInvocation, outcome: Exit.Exit<HandlerResult, unknown>): void => {
    if (state.finished) return
    state.finished = true
    active.delete(id)
    finished.add(id)
    if (core.state !== "established") return
    if (Exit.isSuccess(outcome)) {
      const result = outcome.value ?? {}
      const out = outgoing(
        undefined,
        [],
        result.args,
        result.kwargs,
        result.passthru,
        (feature) => core.info?.supports("dealer", feature) === true
      )
      if (out instanceof WampError.WampError) return sendError(id, out)
      const error = core.send({ _tag: "Yield", request: id, options: out.options, ...out.fields })
      const replacement = error === undefined ? undefined : unsendable(error)
      if (replacement !== undefined) sendError(id, replacement)
      return
    }
    sendError(id, errorForCause(outcome.cause))
  }

  const sendError = (id: number, error: WampError.WampError): void => {
    const failed = core.send({
      _tag: "Error",
      requestType: Message.Code.Invocation,
      request: id,
      details: {},
      error: error.error,
      ...payload(
        error.args.length > 0 ? error.args : undefined,
        Object.keys(error.kwargs).length > 0 ? error.kwargs : undefined
      )
    })
    // An error payload that cannot be sent is replaced by one that can: the URI and why.
    const why = failed === undefined ? undefined : unsendable(failed)
    if (why !== undefined) {
      core.sendQuietly({
        _tag: "Error",
        requestType: Message.Code.Invocation,
        request: id,
        details: {},
        error: WampError.StandardUri.InvalidPayload,
        args: [`the ERROR ${error.error} could not be sent: ${why.message}`]
      })
    }
  }

  const invocation = (message: Message.Invocation): Step => {
    const current = active.get(message.request)
    if (current !== undefined) {
      if (current.input === undefined) {
        return `INVOCATION ${message.request} while that invocation is still running`
      }
      current.input.unsafeOffer({ args: argsOf(message), kwargs: kwargsOf(message) })
      if (message.details["progress"] !== true) {
        current.input.unsafeDone(Exit.void)
        current.input = undefined
      }
      return undefined
    }
    if (finished.has(message.request)) return undefined
    const registration = registrations.get(message.registration)
    if (registration === undefined) {
      if (leftRegistrations.has(message.registration)) {
        core.sendQuietly({
          _tag: "Error",
          requestType: Message.Code.Invocation,
          request: message.request,
          details: {},
          error: WampError.StandardUri.NoSuchRegistration
        })
        return undefined
      }
      return `INVOCATION for registration ${message.registration}, which this session never held`
    }
    start(message, registration)
    return undefined
  }

  const start = (message: Message.Invocation, registration: RegistrationEntry): void => {
    const id = message.request
    const chunk: Chunk = { args: argsOf(message), kwargs: kwargsOf(message) }
    const state: ActiveInvocation = { finished: false, fiber: undefined, input: undefined }
    let input: Stream.Stream<Chunk>
    if (message.details["progress"] === true) {
      const mailbox = Effect.runSync(Mailbox.make<Chunk>())
      mailbox.unsafeOffer(chunk)
      state.input = mailbox
      input = Mailbox.toStream(mailbox)
    } else {
      input = Stream.make(chunk)
    }
    active.set(id, state)
    const receiveProgress = message.details["receive_progress"] === true
    const details: InvocationDetails = {
      caller: typeof message.details["caller"] === "number" ? message.details["caller"] : undefined,
      caller_authid: optionalString(message.details["caller_authid"]),
      caller_authrole: optionalString(message.details["caller_authrole"]),
      procedure: optionalString(message.details["procedure"]) ?? registration.procedure,
      receive_progress: receiveProgress,
      timeout: typeof message.details["timeout"] === "number" ? message.details["timeout"] : 0,
      raw: message.details
    }
    const passthru = Passthru.fromMessage(message)
    const invocation: Invocation = {
      ...(passthru === undefined ? {} : { passthru }),
      args: chunk.args ?? [],
      kwargs: chunk.kwargs ?? {},
      details,
      input,
      progress: (args, kwargs) =>
        Effect.sync(() => {
          if (receiveProgress && !state.finished && core.state === "established") {
            core.sendQuietly({ _tag: "Yield", request: id, options: { progress: true }, ...payload(args, kwargs) })
          }
        })
    }
    const fiber = registration.fork(invocation)
    state.fiber = fiber
    fiber.addObserver((exit) => answer(id, state, exit))
  }

  const interrupt = (message: Message.Interrupt): Step => {
    const state = active.get(message.request)
    if (state === undefined) return undefined
    const mode = message.options["mode"]
    if (mode !== undefined && mode !== "kill" && mode !== "killnowait") {
      return `INTERRUPT with unknown mode ${JSON.stringify(mode)}`
    }
    // Answer first, so the interrupted handler has nothing left to send.
    answer(message.request, state, Exit.fail(WampError.make(WampError.StandardUri.Canceled)))
    state.fiber?.unsafeInterruptAsFork(state.fiber.id())
    return undefined
  }

  const revoke = (details: Message.Dict) => {
    const id = details["registration"]
    const entry = typeof id === "number" ? registrations.get(id) : undefined
    if (entry === undefined) return // raced with our own UNREGISTER: nothing to do
    end(entry, { reason: "revoked", message: optionalString(details["reason"]) })
  }

  /** Fibers interrupted when the session ended, until they are done (see `awaitHandlers`). */
  const stopping = new Set<Fiber.RuntimeFiber<HandlerResult, unknown>>()

  const terminate = () => {
    for (const entry of [...registrations.values()]) end(entry, { reason: "session-closed", message: undefined })
    for (const state of active.values()) {
      state.finished = true
      state.input?.unsafeDone(Exit.void)
      const fiber = state.fiber
      if (fiber !== undefined) {
        stopping.add(fiber)
        fiber.addObserver(() => stopping.delete(fiber))
        // Interrupted now, so none outlives the session.
        fiber.unsafeInterruptAsFork(fiber.id())
      }
    }
    active.clear()
  }

  /**
   * Interrupts the handlers still running and waits until they are done: the session's scope runs
   * it last, so closing the scope leaves no handler fiber behind.
   */
  const awaitHandlers: Effect.Effect<void> = Effect.suspend(() => {
    terminate()
    return stopping.size === 0 ? Effect.void : Fiber.interruptAll([...stopping])
  })

  return {
    register,
    invocation,
    interrupt,
    revoke,
    end: terminate,
    awaitHandlers,
    /** For tests and leak checks. */
    counters: () => ({ registrations: registrations.size, activeInvocations: active.size })
  }
}

export type Callee = ReturnType<typeof makeCallee>

/**
 * The ERROR that answers an invocation whose YIELD (or ERROR) could not be sent, or undefined when
 * the session is gone (nothing can be sent then).
 */
const unsendable = (error: OperationError): WampError.WampError | undefined =>
  error instanceof WampError.WampError
    ? error
    : error._tag === "EncodeError"
    ? WampError.make(WampError.StandardUri.InvalidPayload, { args: [error.message] })
    : undefined

/**
 * call_timeout on the callee side: a timeout the dealer forwarded (to registrations with
 * `forward_timeout: true`) interrupts the handler and answers `wamp.error.timeout`, as the spec asks.
 */
const withCallTimeout = <A, E, R>(handler: Effect.Effect<A, E, R>, timeout: number) =>
  timeout > 0
    ? Effect.timeoutFail(handler, {
      duration: Duration.millis(timeout),
      onTimeout: () =>
        WampError.make(WampError.StandardUri.Timeout, { args: [`the handler did not finish within ${timeout} ms`] })
    })
    : handler
