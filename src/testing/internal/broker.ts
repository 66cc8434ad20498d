/**
 * The broker: subscriptions (exact / prefix / wildcard, one id per topic+match shared by all its
 * subscribers), publications with exclude / eligible lists, publisher exclusion and disclosure,
 * acknowledgement, retained events and revocation.
 *
 * Synchronous: a publication is one Map lookup (plus pattern scans when patterns exist) and one
 * queued EVENT per receiving subscriber.
 */
import type * as Message from "../../Message.js"
import type { Match } from "../../Uri.js"
import * as Uri from "../../Uri.js"
import { StandardUri as ErrorUri } from "../../WampError.js"
import { isoNow, randomId, type RealmContext, sendError } from "./context.js"
import { forwardCustomKeys } from "./customKeys.js"
import * as Passthru from "./passthru.js"
import { parseMatch, PatternIndex } from "./patterns.js"
import type { RouterSession } from "./session.js"

const PUBLISH = 16
const SUBSCRIBE = 32
const UNSUBSCRIBE = 34

export interface Subscription {
  readonly id: number
  readonly uri: string
  readonly match: Match
  readonly created: string
  /** By session id, in subscription order. */
  readonly subscribers: Map<number, RouterSession>
}

interface Retained {
  readonly publication: number
  readonly publisher: RouterSession | undefined
  readonly options: Message.Dict
  readonly body: Body
}

type Body = ReturnType<typeof Passthru.body>

/** Who receives a publication, from the PUBLISH options (blackwhite listing and publisher exclusion). */
interface Audience {
  readonly publisher: number | undefined
  readonly excludeMe: boolean
  readonly exclude: ReadonlyArray<unknown> | undefined
  readonly excludeAuthid: ReadonlyArray<unknown> | undefined
  readonly excludeAuthrole: ReadonlyArray<unknown> | undefined
  readonly eligible: ReadonlyArray<unknown> | undefined
  readonly eligibleAuthid: ReadonlyArray<unknown> | undefined
  readonly eligibleAuthrole: ReadonlyArray<unknown> | undefined
}

const listOption = (options: Message.Dict, key: string): ReadonlyArray<unknown> | undefined => {
  const value = options[key]
  return Array.isArray(value) ? value : undefined
}

const audienceOf = (publisher: RouterSession | undefined, options: Message.Dict): Audience => ({
  publisher: publisher?.id,
  excludeMe: options["exclude_me"] !== false,
  exclude: listOption(options, "exclude"),
  excludeAuthid: listOption(options, "exclude_authid"),
  excludeAuthrole: listOption(options, "exclude_authrole"),
  eligible: listOption(options, "eligible"),
  eligibleAuthid: listOption(options, "eligible_authid"),
  eligibleAuthrole: listOption(options, "eligible_authrole")
})

/** Cheap check first: most publications carry no lists at all. */
const hasLists = (audience: Audience): boolean =>
  audience.exclude !== undefined || audience.excludeAuthid !== undefined || audience.excludeAuthrole !== undefined ||
  audience.eligible !== undefined || audience.eligibleAuthid !== undefined || audience.eligibleAuthrole !== undefined

const receives = (audience: Audience, lists: boolean, session: RouterSession): boolean => {
  if (audience.excludeMe && session.id === audience.publisher) return false
  if (!lists) return true
  const { authid, authrole } = session.auth
  if (audience.exclude?.includes(session.id)) return false
  if (audience.excludeAuthid?.includes(authid)) return false
  if (audience.excludeAuthrole?.includes(authrole)) return false
  if (audience.eligible !== undefined && !audience.eligible.includes(session.id)) return false
  if (audience.eligibleAuthid !== undefined && !audience.eligibleAuthid.includes(authid)) return false
  if (audience.eligibleAuthrole !== undefined && !audience.eligibleAuthrole.includes(authrole)) return false
  return true
}

export class Broker {
  readonly subscriptions = new PatternIndex<Subscription>()
  /** The last retained publication per topic. */
  private readonly retained = new Map<string, Retained>()

  constructor(private readonly realm: RealmContext) {}

  subscribe(session: RouterSession, message: Message.Subscribe): void {
    const match = parseMatch(message.options["match"])
    if (match === undefined) {
      return sendError(session, SUBSCRIBE, message.request, ErrorUri.InvalidArgument, "unknown match policy")
    }
    if (!Uri.isValid(message.topic, match)) {
      return sendError(session, SUBSCRIBE, message.request, ErrorUri.InvalidUri, "invalid topic URI")
    }
    if (!this.realm.authorize(session, "subscribe", message.topic)) {
      return sendError(session, SUBSCRIBE, message.request, ErrorUri.NotAuthorized)
    }
    let subscription = this.subscriptions.get(message.topic, match)
    const created = subscription === undefined
    if (subscription === undefined) {
      subscription = { id: this.realm.nextId(), uri: message.topic, match, created: isoNow(), subscribers: new Map() }
      this.subscriptions.add(subscription)
    }
    const added = !subscription.subscribers.has(session.id)
    subscription.subscribers.set(session.id, session)
    session.subscriptions.add(subscription.id)
    session.send({ _tag: "Subscribed", request: message.request, subscription: subscription.id })
    if (created) this.realm.publishMeta("wamp.subscription.on_create", [session.id, subscriptionDetails(subscription)])
    if (added) this.realm.publishMeta("wamp.subscription.on_subscribe", [session.id, subscription.id])
    if (message.options["get_retained"] === true) this.deliverRetained(session, subscription)
  }

  unsubscribe(session: RouterSession, message: Message.Unsubscribe): void {
    const subscription = this.subscriptions.byId.get(message.subscription)
    if (subscription === undefined || !subscription.subscribers.has(session.id)) {
      return sendError(session, UNSUBSCRIBE, message.request, ErrorUri.NoSuchSubscription)
    }
    session.send({ _tag: "Unsubscribed", request: message.request })
    this.detach(subscription, session)
  }

  private detach(subscription: Subscription, session: RouterSession): void {
    if (!subscription.subscribers.delete(session.id)) return
    session.subscriptions.delete(subscription.id)
    this.realm.publishMeta("wamp.subscription.on_unsubscribe", [session.id, subscription.id])
    if (subscription.subscribers.size === 0) {
      this.subscriptions.remove(subscription)
      this.realm.publishMeta("wamp.subscription.on_delete", [session.id, subscription.id])
    }
  }

  /** Revokes a subscription for all its subscribers; false when there is no such subscription. */
  revoke(id: number, reason: string | undefined): boolean {
    const subscription = this.subscriptions.byId.get(id)
    if (subscription === undefined) return false
    for (const session of [...subscription.subscribers.values()]) {
      if (session.has("subscriber", "subscription_revocation")) {
        session.send({
          _tag: "Unsubscribed",
          request: 0,
          details: reason === undefined ? { subscription: id } : { subscription: id, reason }
        })
      }
      this.detach(subscription, session)
    }
    return true
  }

  leave(session: RouterSession): void {
    for (const id of [...session.subscriptions]) {
      const subscription = this.subscriptions.byId.get(id)
      if (subscription !== undefined) this.detach(subscription, session)
    }
  }

  publish(publisher: RouterSession, message: Message.Publish): void {
    const acknowledge = message.options["acknowledge"] === true
    const refuse = (error: string, text?: string) => {
      if (acknowledge) sendError(publisher, PUBLISH, message.request, error, text)
    }
    if (!Uri.isValid(message.topic) || Uri.isReserved(message.topic)) {
      return refuse(ErrorUri.InvalidUri, "invalid topic URI")
    }
    if (!this.realm.authorize(publisher, "publish", message.topic)) return refuse(ErrorUri.NotAuthorized)
    const publication = randomId()
    const body = Passthru.body(message)
    this.dispatch(publisher, message.topic, publication, message.options, body)
    if (message.options["retain"] === true) {
      this.retained.set(message.topic, { publication, publisher, options: message.options, body })
    }
    if (acknowledge) publisher.send({ _tag: "Published", request: message.request, publication })
  }

  /** A router-originated publication (meta events): no publisher, no options. */
  publishInternal(topic: string, args: Message.List): void {
    this.dispatch(undefined, topic, randomId(), {}, { args })
  }

  private dispatch(
    publisher: RouterSession | undefined,
    topic: string,
    publication: number,
    options: Message.Dict,
    body: Body
  ): void {
    const audience = audienceOf(publisher, options)
    const lists = hasLists(audience)
    const base = eventDetails(publisher, options, body)
    // A subscriber that did not announce the passthru form gets no EVENT: the spec leaves this
    // case to the subscriber side, and one that cannot read the payload is better off without it.
    const passthru = Passthru.featureOf(options, body)
    this.subscriptions.forEachMatch(topic, (subscription) => {
      const details = subscription.match === "exact" ? base : { ...base, topic }
      // One message object for all subscribers of a subscription: the writers encode it once per serializer.
      const event: Message.Event = { _tag: "Event", subscription: subscription.id, publication, details, ...body }
      for (const session of subscription.subscribers.values()) {
        if (!receives(audience, lists, session)) continue
        if (passthru !== undefined && !session.has("subscriber", passthru)) continue
        session.send(event)
      }
    })
  }

  private deliverRetained(session: RouterSession, subscription: Subscription): void {
    const send = (topic: string, event: Retained) => {
      const audience = audienceOf(event.publisher, event.options)
      if (!receives(audience, hasLists(audience), session)) return
      const passthru = Passthru.featureOf(event.options, event.body)
      if (passthru !== undefined && !session.has("subscriber", passthru)) return
      const details: Record<string, unknown> = {
        ...eventDetails(event.publisher, event.options, event.body),
        retained: true
      }
      if (subscription.match !== "exact") details["topic"] = topic
      session.send({
        _tag: "Event",
        subscription: subscription.id,
        publication: event.publication,
        details,
        ...event.body
      })
    }
    if (subscription.match === "exact") {
      const event = this.retained.get(subscription.uri)
      if (event !== undefined) send(subscription.uri, event)
      return
    }
    const probe = new PatternIndex<Subscription>()
    probe.add(subscription)
    for (const [topic, event] of this.retained) probe.forEachMatch(topic, () => send(topic, event))
  }
}

const eventDetails = (
  publisher: RouterSession | undefined,
  options: Message.Dict,
  body: Body
): Record<string, unknown> => {
  const details: Record<string, unknown> = publisher !== undefined && options["disclose_me"] === true
    ? { publisher: publisher.id, publisher_authid: publisher.auth.authid, publisher_authrole: publisher.auth.authrole }
    : {}
  forwardCustomKeys(options, details)
  Passthru.forwardLabels(Passthru.featureOf(options, body), options, details)
  return details
}

export const subscriptionDetails = (subscription: Subscription): Message.Dict => ({
  id: subscription.id,
  created: subscription.created,
  uri: subscription.uri,
  match: subscription.match
})
