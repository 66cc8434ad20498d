/**
 * The callee side of RPC: registrations, one handler fiber per invocation, progressive results,
 * progressive invocations, INTERRUPT, revocation.
 */
import { Deferred, Duration, Effect, Exit, Fiber, Mailbox, type Scope, Stream } from "effect"
import * as Message from "../../Message.js"
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
import type { Core, SessionError } from "./core.js"
import { argsOf, checkUri, errorForCause, errorFromMessage, kwargsOf, payload, wireOptions } from "./payload.js"

interface RegistrationEntry {
  readonly id: number
  readonly procedure: string
  readonly run: (invocation: Invocation) => Effect.Effect<HandlerResult, unknown>
  readonly ended: Deferred.Deferred<RegistrationEnd>
}

interface ActiveInvocation {
  finished: boolean
  fiber: Fiber.RuntimeFiber<void> | undefined
  /** Open while a progressive invocation still sends chunks. */
  input: Mailbox.Mailbox<Chunk> | undefined
}

const optionalString = (u: unknown): string | undefined => typeof u === "string" ? u : undefined

export const makeCallee = (core: Core, scope: Scope.Scope) => {
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
  ): Effect.Effect<Registration, WampError.WampError | SessionError, Scope.Scope | R> =>
    Effect.gen(function*() {
      const invalid = checkUri(procedure, options?.match)
      if (invalid) return yield* Effect.fail(invalid)
      const context = yield* Effect.context<R>()
      const ended = yield* Deferred.make<RegistrationEnd>()
      const wire = wireOptions(options, [])
      const run = (invocation: Invocation) => Effect.provide(handler(invocation), context)
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
          const entry: RegistrationEntry = { id: message.registration, procedure, run, ended }
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
      return core.request(
        Message.Code.Unregister,
        (request) => ({ _tag: "Unregister", request, registration: entry.id }),
        (message) => {
          if (message._tag === "Error") return Exit.fail(errorFromMessage(message))
          return message._tag === "Unregistered" ? Exit.void : undefined
        }
      )
    })

  /** Sends the final answer once: YIELD or ERROR. An unsendable result becomes an ERROR. */
  const answer = (id: number, state: ActiveInvocation, outcome: Exit.Exit<HandlerResult, unknown>) =>
    Effect.suspend(() => {
      if (state.finished) return Effect.void
      state.finished = true
      active.delete(id)
      finished.add(id)
      if (core.state !== "established") return Effect.void
      if (Exit.isSuccess(outcome)) {
        const result = outcome.value ?? {}
        return core.send({ _tag: "Yield", request: id, options: {}, ...payload(result.args, result.kwargs) }).pipe(
          Effect.catchAll((error) => error instanceof WampError.WampError ? sendError(id, error) : Effect.void)
        )
      }
      return sendError(id, errorForCause(outcome.cause))
    })

  const sendError = (id: number, error: WampError.WampError) =>
    core.send({
      _tag: "Error",
      requestType: Message.Code.Invocation,
      request: id,
      details: {},
      error: error.error,
      ...payload(
        error.args.length > 0 ? error.args : undefined,
        Object.keys(error.kwargs).length > 0 ? error.kwargs : undefined
      )
    }).pipe(
      // An error payload that cannot be sent is replaced by one that can.
      Effect.catchAll(() =>
        core.sendQuietly({
          _tag: "Error",
          requestType: Message.Code.Invocation,
          request: id,
          details: {},
          error: WampError.Uri.InvalidPayload
        })
      )
    )

  const invocation = (message: Message.Invocation): Effect.Effect<void> | undefined => {
    const current = active.get(message.request)
    if (current !== undefined) {
      if (current.input === undefined) {
        return core.violation(`INVOCATION ${message.request} while that invocation is still running`)
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
        return core.sendQuietly({
          _tag: "Error",
          requestType: Message.Code.Invocation,
          request: message.request,
          details: {},
          error: WampError.Uri.NoSuchRegistration
        })
      }
      return core.violation(`INVOCATION for registration ${message.registration}, which this session never held`)
    }
    return start(message, registration)
  }

  const start = (message: Message.Invocation, registration: RegistrationEntry): Effect.Effect<void> =>
    Effect.gen(function*() {
      const id = message.request
      const chunk: Chunk = { args: argsOf(message), kwargs: kwargsOf(message) }
      const state: ActiveInvocation = { finished: false, fiber: undefined, input: undefined }
      let input: Stream.Stream<Chunk> = Stream.make(chunk)
      if (message.details["progress"] === true) {
        const mailbox = yield* Mailbox.make<Chunk>()
        mailbox.unsafeOffer(chunk)
        state.input = mailbox
        input = Mailbox.toStream(mailbox)
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
      const invocation: Invocation = {
        args: chunk.args ?? [],
        kwargs: chunk.kwargs ?? {},
        details,
        input,
        progress: (args, kwargs) =>
          Effect.suspend(() =>
            receiveProgress && !state.finished && core.state === "established"
              ? core.sendQuietly({ _tag: "Yield", request: id, options: { progress: true }, ...payload(args, kwargs) })
              : Effect.void
          )
      }
      state.fiber = yield* withCallTimeout(registration.run(invocation), details.timeout).pipe(
        Effect.exit,
        Effect.flatMap((exit) => answer(id, state, exit)),
        Effect.forkIn(scope)
      )
    })

  const interrupt = (message: Message.Interrupt): Effect.Effect<void> | undefined => {
    const state = active.get(message.request)
    if (state === undefined) return undefined
    const mode = message.options["mode"]
    if (mode !== undefined && mode !== "kill" && mode !== "killnowait") {
      return core.violation(`INTERRUPT with unknown mode ${JSON.stringify(mode)}`)
    }
    // Answer first, so the interrupted handler has nothing left to send.
    const reply = answer(message.request, state, Exit.fail(WampError.make(WampError.Uri.Canceled)))
    const fiber = state.fiber
    return fiber === undefined ? reply : Effect.zipRight(reply, Fiber.interruptFork(fiber))
  }

  const revoke = (details: Message.Dict) => {
    const id = details["registration"]
    const entry = typeof id === "number" ? registrations.get(id) : undefined
    if (entry === undefined) return // raced with our own UNREGISTER: nothing to do
    end(entry, { reason: "revoked", message: optionalString(details["reason"]) })
  }

  const terminate = () => {
    for (const entry of [...registrations.values()]) end(entry, { reason: "session-closed", message: undefined })
    for (const state of active.values()) {
      state.finished = true
      state.input?.unsafeDone(Exit.void)
      // The session scope interrupts handler fibers; do it now so none outlives the session.
      state.fiber?.unsafeInterruptAsFork(state.fiber.id())
    }
    active.clear()
  }

  return {
    register,
    invocation,
    interrupt,
    revoke,
    terminate,
    /** For tests and leak checks. */
    counters: () => ({ registrations: registrations.size, activeInvocations: active.size })
  }
}

export type Callee = ReturnType<typeof makeCallee>

/**
 * call_timeout on the callee side: a timeout the dealer forwarded (to registrations with
 * `forward_timeout: true`) interrupts the handler and answers `wamp.error.timeout`, as the spec asks.
 */
const withCallTimeout = <A, E, R>(handler: Effect.Effect<A, E, R>, timeout: number) =>
  timeout > 0
    ? Effect.timeoutFail(handler, {
      duration: Duration.millis(timeout),
      onTimeout: () =>
        WampError.make(WampError.Uri.Timeout, { args: [`the handler did not finish within ${timeout} ms`] })
    })
    : handler
