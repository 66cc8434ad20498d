/**
 * The meta API procedures (`wamp.session.*`, `wamp.registration.*`, `wamp.subscription.*`),
 * installed into a realm's dealer. The meta events are published by the realm, dealer and broker
 * where the change happens.
 */
import { isDict } from "../../internal/messageElements.js"
import type * as Message from "../../Message.js"
import * as Uri from "../../Uri.js"
import { StandardUri as ErrorUri } from "../../WampError.js"
import type { Broker } from "./broker.js"
import { subscriptionDetails } from "./broker.js"
import type { Action } from "./config.js"
import type { Dealer, Procedure } from "./dealer.js"
import { registrationDetails } from "./dealer.js"
import { parseMatch } from "./patterns.js"
import type { RouterSession } from "./session.js"
import { MAX_PER_SCOPE, parseScope, type Testaments } from "./testament.js"

export interface MetaHost {
  readonly sessions: ReadonlyMap<number, RouterSession>
  readonly dealer: Dealer
  readonly broker: Broker
  readonly testaments: Testaments
  readonly authorize: (session: RouterSession, action: Action, uri: string) => boolean
  /** Sends GOODBYE to a session and detaches it; false when it is not in the realm. */
  readonly kill: (session: number, reason: string, message: string | undefined) => boolean
}

const ok = (...args: Message.List) => ({ args })
const fail = (error: string, message?: string) => message === undefined ? { error } : { error, args: [message] }

const roleFilter = (args: Message.List): (session: RouterSession) => boolean => {
  const roles = args[0]
  return Array.isArray(roles) ? (session) => roles.includes(session.auth.authrole) : () => true
}

const killOptions = (kwargs: Message.Dict): { reason: string; message: string | undefined } | undefined => {
  const reason = kwargs["reason"] ?? ErrorUri.Killed
  const message = kwargs["message"]
  if (typeof reason !== "string" || !Uri.isLoose(reason)) return undefined
  return { reason, message: typeof message === "string" ? message : undefined }
}

export const install = (host: MetaHost): void => {
  const procedures = host.dealer.procedures
  const define = (uri: string, procedure: Procedure) => procedures.set(uri, procedure)

  // Sessions
  define("wamp.session.count", (_caller, args) => {
    const keep = roleFilter(args)
    let count = 0
    for (const session of host.sessions.values()) if (keep(session)) count++
    return ok(count)
  })
  define("wamp.session.list", (_caller, args) => {
    const keep = roleFilter(args)
    return ok([...host.sessions.values()].filter(keep).map((session) => session.id))
  })
  define("wamp.session.get", (_caller, args) => {
    const session = typeof args[0] === "number" ? host.sessions.get(args[0]) : undefined
    return session === undefined ? fail(ErrorUri.NoSuchSession) : ok(session.details())
  })
  define("wamp.session.kill", (caller, args, kwargs) => {
    const target = args[0]
    const options = killOptions(kwargs)
    if (options === undefined) return fail(ErrorUri.InvalidUri, "reason must be a URI")
    if (typeof target !== "number" || target === caller.id) return fail(ErrorUri.NoSuchSession)
    return host.kill(target, options.reason, options.message) ? ok() : fail(ErrorUri.NoSuchSession)
  })
  const killWhere = (caller: RouterSession, kwargs: Message.Dict, keep: (session: RouterSession) => boolean) => {
    const options = killOptions(kwargs)
    if (options === undefined) return undefined
    const killed: Array<number> = []
    for (const session of [...host.sessions.values()]) {
      if (session !== caller && keep(session) && host.kill(session.id, options.reason, options.message)) {
        killed.push(session.id)
      }
    }
    return killed
  }
  define("wamp.session.kill_by_authid", (caller, args, kwargs) => {
    const killed = killWhere(caller, kwargs, (session) => session.auth.authid === args[0])
    return killed === undefined ? fail(ErrorUri.InvalidUri, "reason must be a URI") : ok(killed)
  })
  define("wamp.session.kill_by_authrole", (caller, args, kwargs) => {
    const killed = killWhere(caller, kwargs, (session) => session.auth.authrole === args[0])
    return killed === undefined ? fail(ErrorUri.InvalidUri, "reason must be a URI") : ok(killed.length)
  })
  define("wamp.session.kill_all", (caller, _args, kwargs) => {
    const killed = killWhere(caller, kwargs, () => true)
    return killed === undefined ? fail(ErrorUri.InvalidUri, "reason must be a URI") : ok(killed.length)
  })

  // Testaments: checked when added (URI, permission), so a leaving session's publish cannot fail unseen.
  define("wamp.session.add_testament", (caller, args, kwargs) => {
    const [topic, eventArgs, eventKwargs] = args
    const scope = parseScope(kwargs["scope"])
    const options = kwargs["publish_options"] ?? {}
    if (typeof topic !== "string" || !Uri.isValid(topic) || Uri.isReserved(topic)) {
      return fail(ErrorUri.InvalidUri, "invalid topic URI")
    }
    if (eventArgs !== undefined && eventArgs !== null && !Array.isArray(eventArgs)) {
      return fail(ErrorUri.InvalidArgument, "args must be a list")
    }
    if (eventKwargs !== undefined && eventKwargs !== null && !isDict(eventKwargs)) {
      return fail(ErrorUri.InvalidArgument, "kwargs must be a dict")
    }
    if (scope === undefined) return fail(ErrorUri.InvalidArgument, "scope must be \"detached\" or \"destroyed\"")
    if (!isDict(options)) return fail(ErrorUri.InvalidArgument, "publish_options must be a dict")
    if (!host.authorize(caller, "publish", topic)) return fail(ErrorUri.NotAuthorized)
    const added = host.testaments.add(caller.id, scope, {
      topic,
      args: (eventArgs ?? []) as Message.List,
      kwargs: (eventKwargs ?? {}) as Message.Dict,
      options
    })
    return added ? ok() : fail(ErrorUri.InvalidArgument, `at most ${MAX_PER_SCOPE} testaments per scope`)
  })
  define("wamp.session.flush_testaments", (caller, _args, kwargs) => {
    const scope = parseScope(kwargs["scope"])
    if (scope === undefined) return fail(ErrorUri.InvalidArgument, "scope must be \"detached\" or \"destroyed\"")
    host.testaments.flush(caller.id, scope)
    return ok()
  })

  // Registrations
  const registrations = host.dealer.registrations
  const registration = (args: Message.List) => typeof args[0] === "number" ? registrations.byId.get(args[0]) : undefined
  define("wamp.registration.list", () => ok(registrations.list()))
  define("wamp.registration.lookup", (_caller, args) => {
    const options = args[1]
    const match = parseMatch(
      typeof options === "object" && options !== null ? (options as Message.Dict)["match"] : undefined
    )
    if (typeof args[0] !== "string" || match === undefined) return fail(ErrorUri.InvalidArgument)
    return ok(registrations.get(args[0], match)?.id ?? null)
  })
  define(
    "wamp.registration.match",
    (_caller, args) =>
      typeof args[0] === "string" ? ok(registrations.best(args[0])?.id ?? null) : fail(ErrorUri.InvalidArgument)
  )
  define("wamp.registration.get", (_caller, args) => {
    const found = registration(args)
    return found === undefined ? fail(ErrorUri.NoSuchRegistration) : ok(registrationDetails(found))
  })
  define("wamp.registration.list_callees", (_caller, args) => {
    const found = registration(args)
    return found === undefined
      ? fail(ErrorUri.NoSuchRegistration)
      : ok(found.callees.map((callee) => callee.session.id))
  })
  define("wamp.registration.count_callees", (_caller, args) => {
    const found = registration(args)
    return found === undefined ? fail(ErrorUri.NoSuchRegistration) : ok(found.callees.length)
  })

  // Subscriptions
  const subscriptions = host.broker.subscriptions
  const subscription = (args: Message.List) => typeof args[0] === "number" ? subscriptions.byId.get(args[0]) : undefined
  define("wamp.subscription.list", () => ok(subscriptions.list()))
  define("wamp.subscription.lookup", (_caller, args) => {
    const options = args[1]
    const match = parseMatch(
      typeof options === "object" && options !== null ? (options as Message.Dict)["match"] : undefined
    )
    if (typeof args[0] !== "string" || match === undefined) return fail(ErrorUri.InvalidArgument)
    return ok(subscriptions.get(args[0], match)?.id ?? null)
  })
  define("wamp.subscription.match", (_caller, args) => {
    if (typeof args[0] !== "string") return fail(ErrorUri.InvalidArgument)
    const ids: Array<number> = []
    subscriptions.forEachMatch(args[0], (found) => ids.push(found.id))
    return ok(ids.length === 0 ? null : ids)
  })
  define("wamp.subscription.get", (_caller, args) => {
    const found = subscription(args)
    return found === undefined ? fail(ErrorUri.NoSuchSubscription) : ok(subscriptionDetails(found))
  })
  define("wamp.subscription.list_subscribers", (_caller, args) => {
    const found = subscription(args)
    return found === undefined ? fail(ErrorUri.NoSuchSubscription) : ok([...found.subscribers.keys()])
  })
  define("wamp.subscription.count_subscribers", (_caller, args) => {
    const found = subscription(args)
    return found === undefined ? fail(ErrorUri.NoSuchSubscription) : ok(found.subscribers.size)
  })
}
