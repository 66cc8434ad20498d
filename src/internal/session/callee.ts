/**
 * The callee side of RPC: registrations, one handler fiber per invocation, progressive results,
 * progressive invocations, INTERRUPT, revocation.
 *
 * Each registration captures the registering fiber's Runtime once; an INVOCATION starts its handler
 * with `Runtime.runFork` on it and answers from the fiber's observer: nothing per invocation beyond
 * the handler's own fiber (no provide, no fork into a scope, no finalizer added and removed).
 */
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Mailbox from "effect/Mailbox"
import * as Runtime from "effect/Runtime"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
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
import { RequestTable } from "../requestTable.js"
import { leave as leaveGroup, type Member, ScopeGroups } from "../scopeGroup.js"
import { Tombstones } from "../tombstones.js"
import { optionalString } from "../values.js"
import type { Core, OperationError, Resume, SessionError } from "./core.js"
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

/** Starts a handler's fiber on a Runtime made once. */
type RunFork = (effect: Effect.Effect<HandlerResult, unknown, any>) => Fiber.RuntimeFiber<HandlerResult, unknown>

/** What every registration of one session shares. */
interface Owner {
  readonly unregister: (registration: RegistrationEntry) => Effect.Effect<void, WampError.WampError | SessionError>
  readonly bounded: (effect: Effect.Effect<void, unknown>) => Effect.Effect<void>
}

const noOptions: RegisterOptions = Object.freeze({})

/**
 * A registration made at callback level (the facade's, and the Connection's durable ones): its
 * handler and its end in one object with two methods rather than closures, since a session may
 * hold 100,000 registrations.
 */
export interface DirectCallee {
  readonly invoke: (invocation: Invocation) => Effect.Effect<HandlerResult, unknown>
  /** Once, when the registration ends (unregistered, revoked, session closed). */
  readonly ended: (end: RegistrationEnd) => void
}

/** The Effect API's handler function, or a `DirectCallee` (facade, durable registrations). */
type Handler = ((invocation: Invocation) => Effect.Effect<HandlerResult, unknown, any>) | DirectCallee

/**
 * One registration: the table entry the dispatcher finds invocations' handlers in, and the public
 * `Registration` (its `unregister` and `ended` made when asked for). Small, because a session may
 * hold 100,000: no Deferred (listeners until it ends), a Runtime shared by every registration made
 * from the same context.
 */
export class RegistrationEntry implements Registration, Member {
  id = 0
  group: Set<Member> | undefined = undefined
  /** How it ended, once it has. */
  end: RegistrationEnd | undefined = undefined
  private listeners: ((end: RegistrationEnd) => void) | Array<(end: RegistrationEnd) => void> | undefined = undefined

  constructor(
    readonly procedure: string,
    readonly options: RegisterOptions,
    private readonly handler: Handler,
    private readonly runFork: RunFork,
    private readonly owner: Owner
  ) {}

  /** Starts the handler's fiber for one invocation. A handler that throws fails its invocation, like a defect. */
  fork(invocation: Invocation): Fiber.RuntimeFiber<HandlerResult, unknown> {
    const handler = this.handler
    const run = typeof handler === "function"
      ? Effect.suspend(() => handler(invocation))
      : Effect.suspend(() => handler.invoke(invocation))
    return this.runFork(withCallTimeout(run, invocation.details.timeout))
  }

  get unregister(): Effect.Effect<void, WampError.WampError | SessionError> {
    return this.owner.unregister(this)
  }

  get ended(): Effect.Effect<RegistrationEnd> {
    return Effect.async<RegistrationEnd>((resume) => {
      if (this.end !== undefined) return resume(Effect.succeed(this.end))
      const listener = (end: RegistrationEnd) => resume(Effect.succeed(end))
      this.onEnd(listener)
      return Effect.sync(() => this.removeListener(listener))
    })
  }

  /** Calls `f` once when the registration ends (at once when it has): no fiber per registration. */
  onEnd(f: (end: RegistrationEnd) => void): void {
    if (this.end !== undefined) return f(this.end)
    const current = this.listeners
    this.listeners = current === undefined ? f : Array.isArray(current) ? [...current, f] : [current, f]
  }

  private removeListener(f: (end: RegistrationEnd) => void): void {
    const current = this.listeners
    if (current === f) this.listeners = undefined
    else if (Array.isArray(current)) this.listeners = current.filter((g) => g !== f)
  }

  /** Records the end once and tells the listeners. */
  finish(end: RegistrationEnd): void {
    if (this.end !== undefined) return
    this.end = end
    leaveGroup(this)
    if (typeof this.handler !== "function") this.handler.ended(end)
    const listeners = this.listeners
    this.listeners = undefined
    if (listeners === undefined) return
    if (Array.isArray(listeners)) { for (const f of listeners) f(end) }
    else listeners(end)
  }

  /** Run when its scope closes (see `scopeGroup.ts`). */
  finalize(): Effect.Effect<void> {
    return this.owner.bounded(this.unregister)
  }
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
  const active = new RequestTable<ActiveInvocation>()
  /** Progressive continuations for invocations we already answered are discarded (spec). */
  const finished = new Tombstones(4096)

  /** The registrations' scopes: one finalizer per scope, none left behind by one that ended. */
  const groups = new ScopeGroups()

  const end = (entry: RegistrationEntry, reason: RegistrationEnd) => {
    if (registrations.get(entry.id) === entry) registrations.delete(entry.id)
    leftRegistrations.add(entry.id)
    entry.finish(reason)
  }

  /** One Runtime per context a registration is made from (usually one for all of them). */
  const runForks = new WeakMap<Context.Context<any>, RunFork>()
  const runForkFor = (context: Context.Context<any>): RunFork => {
    let runFork = runForks.get(context)
    if (runFork === undefined) {
      runFork = Runtime.runFork(
        Runtime.make({ context, fiberRefs: session.fiberRefs, runtimeFlags: session.runtimeFlags })
      ) as RunFork
      runForks.set(context, runFork)
    }
    return runFork
  }

  const owner: Owner = { unregister: (entry) => unregister(entry), bounded: (effect) => core.bounded(effect) }

  /**
   * Sends REGISTER for `entry`; `resume` gets the outcome once. Returns the request id while the
   * REGISTER is pending, else 0.
   */
  const attach = (entry: RegistrationEntry, resume: Resume<RegistrationEntry>): number => {
    const wire = entry.options === noOptions ? noOptions : wireOptions(entry.options, [])
    const procedure = entry.procedure
    return core.start(
      Message.Code.Register,
      (request) => ({ _tag: "Register", request, options: wire, procedure }),
      (message): Exit.Exit<RegistrationEntry, WampError.WampError> | string | undefined => {
        if (message._tag === "Error") return Exit.fail(errorFromMessage(message))
        if (message._tag !== "Registered") return undefined
        if (registrations.has(message.registration)) {
          return `REGISTERED with registration ${message.registration}, which this session already holds`
        }
        // Recorded here, in the dispatcher, so that an INVOCATION right behind it finds it.
        entry.id = message.registration
        registrations.set(entry.id, entry)
        leftRegistrations.delete(entry.id)
        return Exit.succeed(entry)
      },
      resume
    )
  }

  const register = <E, R>(
    procedure: string,
    handler: (invocation: Invocation) => Effect.Effect<HandlerResult, E, R>,
    options?: RegisterOptions
  ): Effect.Effect<Registration, OperationError, Scope.Scope | R> => {
    const invalid = checkUri(procedure, options?.match)
    if (invalid) return Effect.fail(invalid)
    // As `Effect.acquireRelease` would (REGISTER is not interruptible once sent), with one bound
    // finalizer and no Effect nodes kept per registration.
    return Effect.contextWithEffect((context: Context.Context<Scope.Scope | R>) =>
      Effect.uninterruptible(Effect.flatMap(
        Effect.async<RegistrationEntry, OperationError>((resume) => {
          const entry = new RegistrationEntry(procedure, options ?? noOptions, handler, runForkFor(context), owner)
          attach(entry, resume)
        }),
        (entry) => Effect.as(groups.join(Context.get(context, Scope.Scope), entry), entry)
      ))
    )
  }

  /**
   * A registration at callback level (the facade's): no scope; `callee.invoke` runs on the session's
   * runtime. It ends with the session, or by its `unregister`, and then calls `callee.ended`.
   */
  const registerDirect = (
    procedure: string,
    callee: DirectCallee,
    options: RegisterOptions | undefined,
    resume: Resume<RegistrationEntry>
  ): void => {
    const invalid = checkUri(procedure, options?.match)
    if (invalid) return resume(Exit.fail(invalid))
    attach(new RegistrationEntry(procedure, options ?? noOptions, callee, sessionRunFork, owner), resume)
  }
  const sessionRunFork = Runtime.runFork(session) as RunFork

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
    registerDirect,
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
