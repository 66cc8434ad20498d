/**
 * The dealer: registrations (exact / prefix / wildcard, shared with an invocation policy), routing
 * CALL to INVOCATION and YIELD / ERROR back to RESULT / ERROR, with progressive results and
 * invocations, cancelation, timeouts, caller disclosure and revocation.
 *
 * Everything here is synchronous: one Map lookup per CALL on the exact path; timers are plain
 * `setTimeout`s (unref'd) only for calls that asked for a timeout.
 */
import type * as Message from "../../Message.js"
import type { Match } from "../../Uri.js"
import * as Uri from "../../Uri.js"
import { StandardUri as ErrorUri } from "../../WampError.js"
import { isoNow, payload, type RealmContext, sendError } from "./context.js"
import { forwardCustomKeys } from "./customKeys.js"
import * as Passthru from "./passthru.js"
import { parseMatch, PatternIndex } from "./patterns.js"
import type { PendingCall, RouterSession } from "./session.js"

export type { InvokePolicy } from "../../Session.js"
import type { InvokePolicy } from "../../Session.js"

const CALL = 48
const REGISTER = 64
const UNREGISTER = 66

export interface Registration {
  readonly id: number
  readonly uri: string
  readonly match: Match
  readonly invoke: InvokePolicy
  readonly created: string
  /** Attached callees in registration order, with the options they registered with. */
  readonly callees: Array<{ readonly session: RouterSession; readonly options: Message.Dict }>
  roundRobin: number
}

/** A procedure the router implements itself (the meta API). */
export type Procedure = (
  caller: RouterSession,
  args: Message.List,
  kwargs: Message.Dict
) => { readonly args?: Message.List; readonly kwargs?: Message.Dict } | {
  readonly error: string
  readonly args?: Message.List
}

const parseInvoke = (value: unknown): InvokePolicy | undefined =>
  value === undefined
    ? "single"
    : value === "single" || value === "roundrobin" || value === "random" || value === "first" || value === "last"
    ? value
    : undefined

export class Dealer {
  readonly registrations = new PatternIndex<Registration>()
  readonly procedures = new Map<string, Procedure>()

  constructor(private readonly realm: RealmContext) {}

  // -------------------------------------------------------------------------------------------
  // Registrations
  // -------------------------------------------------------------------------------------------

  register(session: RouterSession, message: Message.Register): void {
    const match = parseMatch(message.options["match"])
    const invoke = parseInvoke(message.options["invoke"])
    if (match === undefined || invoke === undefined) {
      return sendError(session, REGISTER, message.request, ErrorUri.InvalidArgument, "unknown match or invoke policy")
    }
    if (!Uri.isValid(message.procedure, match) || Uri.isReserved(message.procedure)) {
      return sendError(session, REGISTER, message.request, ErrorUri.InvalidUri, `invalid procedure URI`)
    }
    if (!this.realm.authorize(session, "register", message.procedure)) {
      return sendError(session, REGISTER, message.request, ErrorUri.NotAuthorized)
    }
    let registration = this.registrations.get(message.procedure, match)
    const created = registration === undefined
    if (registration === undefined) {
      registration = {
        id: this.realm.nextId(),
        uri: message.procedure,
        match,
        invoke,
        created: isoNow(),
        callees: [],
        roundRobin: 0
      }
    } else if (registration.callees.some((callee) => callee.session === session)) {
      return sendError(session, REGISTER, message.request, ErrorUri.ProcedureAlreadyExists)
    } else if (registration.invoke !== invoke) {
      return sendError(session, REGISTER, message.request, ErrorUri.ProcedureExistsWithDifferentInvocationPolicy)
    } else if (invoke === "single") {
      return sendError(session, REGISTER, message.request, ErrorUri.ProcedureAlreadyExists)
    }
    if (created) this.registrations.add(registration)
    registration.callees.push({ session, options: message.options })
    session.registrations.add(registration.id)
    session.send({ _tag: "Registered", request: message.request, registration: registration.id })
    if (created) this.realm.publishMeta("wamp.registration.on_create", [session.id, registrationDetails(registration)])
    this.realm.publishMeta("wamp.registration.on_register", [session.id, registration.id])
  }

  unregister(session: RouterSession, message: Message.Unregister): void {
    const registration = this.registrations.byId.get(message.registration)
    if (registration === undefined || !session.registrations.has(registration.id)) {
      return sendError(session, UNREGISTER, message.request, ErrorUri.NoSuchRegistration)
    }
    session.send({ _tag: "Unregistered", request: message.request })
    this.detach(registration, session)
  }

  /** Removes one callee from a registration (meta events; the registration goes with its last callee). */
  private detach(registration: Registration, session: RouterSession): void {
    const index = registration.callees.findIndex((callee) => callee.session === session)
    if (index === -1) return
    registration.callees.splice(index, 1)
    session.registrations.delete(registration.id)
    this.realm.publishMeta("wamp.registration.on_unregister", [session.id, registration.id])
    if (registration.callees.length === 0) {
      this.registrations.remove(registration)
      this.realm.publishMeta("wamp.registration.on_delete", [session.id, registration.id])
    }
  }

  /** Revokes a registration for all its callees; false when there is no such registration. */
  revoke(id: number, reason: string | undefined): boolean {
    const registration = this.registrations.byId.get(id)
    if (registration === undefined) return false
    for (const { session } of [...registration.callees]) {
      if (session.has("callee", "registration_revocation")) {
        session.send({
          _tag: "Unregistered",
          request: 0,
          details: reason === undefined ? { registration: id } : { registration: id, reason }
        })
      }
      this.detach(registration, session)
    }
    return true
  }

  // -------------------------------------------------------------------------------------------
  // Calls
  // -------------------------------------------------------------------------------------------

  call(caller: RouterSession, message: Message.Call): void {
    const ongoing = caller.calls.get(message.request)
    if (ongoing !== undefined) return this.continueCall(ongoing, message)
    if (caller.endedStreams.has(message.request)) {
      // A late chunk of a progressive call that already ended: dropped silently (spec).
      if (message.options["progress"] !== true) caller.endedStreams.delete(message.request)
      return
    }

    const procedure = this.procedures.get(message.procedure)
    if (procedure !== undefined) return this.callRouterProcedure(caller, message, procedure)

    if (!this.realm.authorize(caller, "call", message.procedure)) {
      return sendError(caller, CALL, message.request, ErrorUri.NotAuthorized)
    }
    const registration = this.registrations.best(message.procedure)
    if (registration === undefined) {
      return sendError(caller, CALL, message.request, ErrorUri.NoSuchProcedure, `no callee for ${message.procedure}`)
    }
    const target = pickCallee(registration)
    if (target === undefined) return sendError(caller, CALL, message.request, ErrorUri.NoAvailableCallee)
    const callee = target.session
    const progress = message.options["progress"] === true
    if (progress && !callee.has("callee", "progressive_call_invocations")) {
      return sendError(
        caller,
        CALL,
        message.request,
        ErrorUri.FeatureNotSupported,
        "callee lacks progressive_call_invocations"
      )
    }

    const passthru = Passthru.featureOf(message.options, message)
    if (passthru !== undefined && !callee.has("callee", passthru)) {
      return sendError(caller, CALL, message.request, ErrorUri.FeatureNotSupported, `callee lacks ${passthru}`)
    }

    const receiveProgress = message.options["receive_progress"] === true
    const timeout = typeof message.options["timeout"] === "number" && message.options["timeout"] > 0
      ? message.options["timeout"]
      : 0
    // As Nexus does: a callee that announced call_timeout and registered with forward_timeout runs
    // the timer itself (the timeout is forwarded); for every other callee the dealer runs it.
    const forwardTimeout = timeout > 0 && callee.has("callee", "call_timeout") &&
      target.options["forward_timeout"] === true
    const pending: PendingCall = {
      caller,
      callRequest: message.request,
      callee,
      invocation: callee.invocationId(),
      registration: registration.id,
      receiveProgress,
      callerStreaming: progress,
      killing: false,
      // The dealer's own timer; none when the callee runs it.
      timeout: forwardTimeout ? 0 : timeout,
      timer: undefined
    }
    caller.calls.set(message.request, pending)
    callee.invocations.set(pending.invocation, pending)
    if (pending.timeout > 0) this.armTimer(pending)

    const details: Record<string, unknown> = {}
    forwardCustomKeys(message.options, details)
    Passthru.forwardLabels(passthru, message.options, details)
    if (registration.match !== "exact") details["procedure"] = message.procedure
    if (receiveProgress) details["receive_progress"] = true
    if (progress) details["progress"] = true
    if (forwardTimeout) details["timeout"] = timeout
    if (message.options["disclose_me"] === true || target.options["disclose_caller"] === true) {
      details["caller"] = caller.id
      details["caller_authid"] = caller.auth.authid
      details["caller_authrole"] = caller.auth.authrole
    }
    const failed = callee.send({
      _tag: "Invocation",
      request: pending.invocation,
      registration: registration.id,
      details,
      ...Passthru.body(message)
    })
    if (failed !== undefined) this.undeliverable(pending, "the call", "the callee", failed.message, false)
  }

  /** A progressive CALL chunk (same request id) for a call still streaming. */
  private continueCall(pending: PendingCall, message: Message.Call): void {
    if (!pending.callerStreaming) return
    const progress = message.options["progress"] === true
    pending.callerStreaming = progress
    const passthru = Passthru.featureOf(message.options, message)
    if (passthru !== undefined && !pending.callee.has("callee", passthru)) return // checked at the first CALL
    const details: Record<string, unknown> = progress ? { progress: true } : {}
    Passthru.forwardLabels(passthru, message.options, details)
    const failed = pending.callee.send({
      _tag: "Invocation",
      request: pending.invocation,
      registration: pending.registration,
      details,
      ...Passthru.body(message)
    })
    // The callee has the first chunks: it is interrupted.
    if (failed !== undefined) this.undeliverable(pending, "a call chunk", "the callee", failed.message, true)
  }

  private callRouterProcedure(caller: RouterSession, message: Message.Call, procedure: Procedure): void {
    if (!this.realm.authorize(caller, "call", message.procedure)) {
      return sendError(caller, CALL, message.request, ErrorUri.NotAuthorized)
    }
    const outcome = procedure(caller, message.args ?? [], message.kwargs ?? {})
    let failed: { readonly message: string } | undefined
    if ("error" in outcome) {
      failed = caller.send({
        _tag: "Error",
        requestType: CALL,
        request: message.request,
        details: {},
        error: outcome.error,
        ...payload(outcome.args, undefined)
      })
    } else {
      failed = caller.send({
        _tag: "Result",
        request: message.request,
        details: {},
        ...payload(outcome.args, outcome.kwargs)
      })
    }
    if (failed !== undefined) answerUndeliverable(caller, message.request, "the answer", failed.message)
  }

  yield_(callee: RouterSession, message: Message.Yield): void {
    const pending = callee.invocations.get(message.request)
    if (pending === undefined) return // answered after a cancel, a timeout or the caller leaving
    const passthru = Passthru.featureOf(message.options, message)
    // The spec has the dealer answer the callee with an ERROR, but no ERROR REQUEST.Type names a
    // YIELD: the call ends for the caller, the callee learns nothing more.
    if (this.refusePassthru(pending, passthru)) return
    const progress = message.options["progress"] === true
    const details: Record<string, unknown> = progress ? { progress: true } : {}
    Passthru.forwardLabels(passthru, message.options, details)
    if (progress) {
      if (!pending.receiveProgress) return
      if (pending.timeout > 0) this.armTimer(pending)
      const failed = pending.caller.send({
        _tag: "Result",
        request: pending.callRequest,
        details,
        ...Passthru.body(message)
      })
      // The caller is answered with the ERROR, which ends the call: the callee is interrupted.
      if (failed !== undefined) this.undeliverable(pending, "a progressive result", "the caller", failed.message, true)
      return
    }
    this.finish(pending)
    const failed = pending.caller.send({
      _tag: "Result",
      request: pending.callRequest,
      details,
      ...Passthru.body(message)
    })
    if (failed !== undefined) answerUndeliverable(pending.caller, pending.callRequest, "the result", failed.message)
  }

  /** ERROR from a callee for an INVOCATION: forwarded to the caller with its payload. */
  invocationError(callee: RouterSession, message: Message.Error): void {
    const pending = callee.invocations.get(message.request)
    if (pending === undefined) return
    if (this.refusePassthru(pending, Passthru.featureOf(message.details, message))) return
    this.finish(pending)
    const failed = pending.caller.send({
      _tag: "Error",
      requestType: CALL,
      request: pending.callRequest,
      details: message.details,
      error: message.error,
      ...Passthru.body(message)
    })
    if (failed !== undefined) {
      answerUndeliverable(pending.caller, pending.callRequest, `the error ${message.error}`, failed.message)
    }
  }

  cancel(caller: RouterSession, message: Message.Cancel): void {
    const pending = caller.calls.get(message.request)
    if (pending === undefined || pending.killing) return
    const requested = message.options["mode"]
    const mode = !pending.callee.has("callee", "call_canceling")
      ? "skip"
      : requested === "skip" || requested === "kill"
      ? requested
      : "killnowait" // absent or unknown mode: what Crossbar does
    if (mode === "kill") {
      pending.killing = true
      pending.callee.send({ _tag: "Interrupt", request: pending.invocation, options: { mode: "kill" } })
      return
    }
    this.finish(pending)
    sendError(caller, CALL, pending.callRequest, ErrorUri.Canceled)
    if (mode === "killnowait") {
      pending.callee.send({ _tag: "Interrupt", request: pending.invocation, options: { mode: "killnowait" } })
    }
  }

  // -------------------------------------------------------------------------------------------
  // Lifecycle
  // -------------------------------------------------------------------------------------------

  /** A session leaves: its callers get `canceled`, its callees an INTERRUPT, its registrations go. */
  leave(session: RouterSession): void {
    for (const pending of [...session.invocations.values()]) {
      this.finish(pending)
      sendError(pending.caller, CALL, pending.callRequest, ErrorUri.Canceled, "callee left")
    }
    for (const pending of [...session.calls.values()]) {
      this.finish(pending)
      if (pending.callee.has("callee", "call_canceling")) {
        pending.callee.send({ _tag: "Interrupt", request: pending.invocation, options: { mode: "killnowait" } })
      }
    }
    for (const id of [...session.registrations]) {
      const registration = this.registrations.byId.get(id)
      if (registration !== undefined) this.detach(registration, session)
    }
  }

  /**
   * A message of a call could not be encoded for one end (a value its serializer cannot carry):
   * the call ends with ERROR `wamp.error.invalid_payload` to the caller, so it does not wait for
   * its own timeout, and an INTERRUPT to a callee that already has the invocation.
   */
  private undeliverable(pending: PendingCall, what: string, to: string, reason: string, interrupt: boolean): void {
    this.finish(pending)
    sendError(
      pending.caller,
      CALL,
      pending.callRequest,
      ErrorUri.InvalidPayload,
      `${what} could not be serialized for ${to}: ${reason}`
    )
    if (interrupt && pending.callee.has("callee", "call_canceling")) {
      pending.callee.send({
        _tag: "Interrupt",
        request: pending.invocation,
        options: { mode: "killnowait", reason: ErrorUri.InvalidPayload }
      })
    }
  }

  /** A passthru answer for a caller that did not announce its form ends the call with feature_not_supported. */
  private refusePassthru(pending: PendingCall, passthru: ReturnType<typeof Passthru.featureOf>): boolean {
    if (passthru === undefined || pending.caller.has("caller", passthru)) return false
    this.finish(pending)
    sendError(pending.caller, CALL, pending.callRequest, ErrorUri.FeatureNotSupported, `caller lacks ${passthru}`)
    return true
  }

  private finish(pending: PendingCall): void {
    pending.caller.calls.delete(pending.callRequest)
    pending.callee.invocations.delete(pending.invocation)
    if (pending.timer !== undefined) clearTimeout(pending.timer)
    if (pending.callerStreaming) pending.caller.rememberEndedStream(pending.callRequest)
  }

  private armTimer(pending: PendingCall): void {
    if (pending.timer !== undefined) clearTimeout(pending.timer)
    pending.timer = setTimeout(() => {
      pending.timer = undefined
      if (pending.caller.calls.get(pending.callRequest) !== pending) return
      this.finish(pending)
      sendError(pending.caller, CALL, pending.callRequest, ErrorUri.Timeout, `no result within ${pending.timeout} ms`)
      if (pending.callee.has("callee", "call_canceling")) {
        pending.callee.send({
          _tag: "Interrupt",
          request: pending.invocation,
          options: { mode: "killnowait", reason: ErrorUri.Timeout }
        })
      }
    }, pending.timeout)
    pending.timer.unref?.()
  }
}

/** The final answer of a call could not be encoded for its caller: it gets `invalid_payload` instead. */
const answerUndeliverable = (caller: RouterSession, request: number, what: string, reason: string): void =>
  sendError(caller, CALL, request, ErrorUri.InvalidPayload, `${what} could not be serialized for the caller: ${reason}`)

const pickCallee = (registration: Registration): Registration["callees"][number] | undefined => {
  const callees = registration.callees
  switch (registration.invoke) {
    case "single":
    case "first":
      return callees[0]
    case "last":
      return callees[callees.length - 1]
    case "random":
      return callees[Math.floor(Math.random() * callees.length)]
    case "roundrobin": {
      const index = registration.roundRobin % callees.length
      registration.roundRobin = index + 1
      return callees[index]
    }
  }
}

export const registrationDetails = (registration: Registration): Message.Dict => ({
  id: registration.id,
  created: registration.created,
  uri: registration.uri,
  match: registration.match,
  invoke: registration.invoke
})
