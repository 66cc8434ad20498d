/**
 * PubSub: publishing, and subscriptions shared by every local subscriber of the same topic+match,
 * each subscriber with its own bounded buffer and overflow strategy.
 */
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import * as Scope from "effect/Scope"
import type * as Stream from "effect/Stream"
import { SubscriptionOverflowError, SubscriptionRevokedError } from "../../Errors.js"
import * as Message from "../../Message.js"
import * as Passthru from "../../Passthru.js"
import type {
  Dict,
  Event,
  EventDetails,
  List,
  MatchPolicy,
  PublishOptions,
  SubscribeOptions,
  Subscription,
  SubscriptionBuffer,
  SubscriptionStreamError
} from "../../Session.js"
import * as WampError from "../../WampError.js"
import { EventBuffer } from "../eventBuffer.js"
import * as Metrics from "../metrics.js"
import { leave as leaveGroup, type Member, ScopeGroups } from "../scopeGroup.js"
import { Tombstones } from "../tombstones.js"
import { optionalString } from "../values.js"
import type { Core, OperationError, Resume, SessionError } from "./core.js"
import type { Step } from "./dispatcher.js"
import { argsOf, checkUri, errorFromMessage, kwargsOf, outgoing, wireOptions } from "./payload.js"

export const DEFAULT_BUFFER: SubscriptionBuffer = { capacity: 4096, overflow: "fail" }

/**
 * One local subscriber: a stream's bounded buffer (`StreamSubscriber`), or the facade's handler
 * called in place (`DirectSubscriber`).
 */
interface Subscriber {
  /** Takes one event; returns an Effect only when the dispatcher must wait (a full "suspend" buffer). */
  offer(event: Event): Effect.Effect<void> | undefined
  /** Ends after what is buffered: `None` ends, `Some(error)` fails. */
  end(error: Option.Option<SubscriptionStreamError>): void
  /** Ends now, dropping what is buffered: the reader is gone. */
  shutdown(): void
}

/**
 * Where a subscription made at callback level delivers: one object with two methods rather than two
 * closures, since a session may hold 100,000 subscriptions.
 */
export interface DirectSink {
  /** Each event, in place, from the dispatcher. */
  readonly event: (event: Event) => void
  /** Once, when the subscription ends (revoked, session closed, left): `Some(error)` unless it was left. */
  readonly end: (error: Option.Option<SubscriptionStreamError>) => void
}

/** A subscription without a scope (`subscribeHeld`): `finalize` leaves it, bounded in time, never failing. */
export interface HeldSubscription extends Subscription {
  readonly finalize: () => Effect.Effect<void>
}

/** A subscription made at callback level (the facade's): no stream, no scope. */
export interface DirectSubscription {
  readonly id: number
  /** Leaves: the last local subscriber of the router subscription sends UNSUBSCRIBE. */
  readonly unsubscribe: Effect.Effect<void, WampError.WampError | SessionError>
}

/**
 * One router subscription and the local subscribers sharing it: one subscriber inline (the common
 * case, no collection allocated), an array when several share it.
 */
class Entry {
  subscribers: Subscriber | Array<Subscriber> | undefined
  constructor(readonly id: number, readonly topic: string, readonly match: MatchPolicy, first: Subscriber) {
    this.subscribers = first
  }

  add(subscriber: Subscriber): void {
    const current = this.subscribers
    if (current === undefined) this.subscribers = subscriber
    else if (Array.isArray(current)) current.push(subscriber)
    else this.subscribers = [current, subscriber]
  }

  /** False when `subscriber` was not (or no longer) here. */
  delete(subscriber: Subscriber): boolean {
    const current = this.subscribers
    if (current === subscriber) {
      this.subscribers = undefined
      return true
    }
    if (!Array.isArray(current)) return false
    const index = current.indexOf(subscriber)
    if (index < 0) return false
    current.splice(index, 1)
    if (current.length === 1) this.subscribers = current[0]
    return true
  }

  get isEmpty(): boolean {
    return this.subscribers === undefined
  }

  /** Takes every subscriber out. */
  clear(): ReadonlyArray<Subscriber> {
    const current = this.subscribers
    this.subscribers = undefined
    return current === undefined ? [] : Array.isArray(current) ? current : [current]
  }
}

const noOptions: SubscribeOptions = Object.freeze({})

/**
 * What a subscription at the Effect API is: its buffer, and the public `Subscription` (the stream
 * and `unsubscribe` made when first asked for).
 */
class StreamSubscriber extends EventBuffer<Event, SubscriptionStreamError> implements Subscriber, Subscription, Member {
  entry: Entry | undefined = undefined
  group: Set<Member> | undefined = undefined
  constructor(
    readonly topic: string,
    readonly options: SubscribeOptions,
    policy: SubscriptionBuffer,
    private readonly owner: Owner
  ) {
    super(policy)
  }

  get id(): number {
    return this.entry?.id ?? 0
  }

  protected overflowError(): SubscriptionStreamError {
    return new SubscriptionOverflowError({
      topic: this.topic,
      capacity: this.capacity,
      message: `subscriber buffer of ${this.capacity} events overflowed on ${this.topic}`
    })
  }

  protected override taken(count: number): void {
    if (this.owner.metered) Metrics.countEvents(count)
  }

  get events(): Stream.Stream<Event, SubscriptionStreamError> {
    return this.stream
  }

  get unsubscribe(): Effect.Effect<void, WampError.WampError | SessionError> {
    const entry = this.entry
    return entry === undefined ? Effect.void : this.owner.leave(entry, this)
  }

  /** Run when its scope closes (see `scopeGroup.ts`). */
  finalize(): Effect.Effect<void> {
    return this.owner.bounded(this.unsubscribe)
  }
}

/** What every subscriber of one session shares. */
interface Owner {
  readonly leave: (entry: Entry, subscriber: Subscriber) => Effect.Effect<void, WampError.WampError | SessionError>
  readonly bounded: (effect: Effect.Effect<void, unknown>) => Effect.Effect<void>
  /** Events are counted in the client's metrics (`metrics: false` turns it off). */
  readonly metered: boolean
}

/** The facade's subscriber: its handler called by the dispatcher, in place. */
class DirectSubscriber implements Subscriber, DirectSubscription {
  private ended = false
  entry: Entry | undefined = undefined
  constructor(private readonly sink: DirectSink, private readonly owner: Owner) {}

  get id(): number {
    return this.entry?.id ?? 0
  }

  get unsubscribe(): Effect.Effect<void, WampError.WampError | SessionError> {
    const entry = this.entry
    return entry === undefined ? Effect.void : this.owner.leave(entry, this)
  }

  offer(event: Event): undefined {
    if (!this.ended) this.sink.event(event)
    return undefined
  }

  end(error: Option.Option<SubscriptionStreamError>): void {
    if (this.ended) return
    this.ended = true
    this.sink.end(error)
  }

  shutdown(): void {
    this.end(Option.none())
  }
}

export const makePubSub = (core: Core) => {
  const entries = new Map<number, Entry>()
  /** Router subscriptions by match policy, then topic (no key string made per subscription). */
  const byTopic: Record<MatchPolicy, Map<string, Entry>> = {
    exact: new Map(),
    prefix: new Map(),
    wildcard: new Map()
  }
  /** Subscriptions we left: their late EVENTs are ignored, not violations. */
  const left = new Tombstones(1024)
  const defaultBuffer = core.options.subscriptionBuffer ?? DEFAULT_BUFFER

  /** The subscriptions' scopes: one finalizer per scope, none left behind by one that ended. */
  const groups = new ScopeGroups()

  /**
   * Ends a subscriber's stream after its buffered events. A subscriber leaving is shut down instead:
   * under "suspend" the dispatcher may be waiting for room in its buffer, and its reader is gone.
   * Either way it leaves its scope's group.
   */
  const end = (subscriber: Subscriber, error: Option.Option<SubscriptionStreamError>, leaving = false) => {
    if (subscriber instanceof StreamSubscriber) leaveGroup(subscriber)
    if (leaving) subscriber.shutdown()
    else subscriber.end(error)
  }

  const forget = (entry: Entry) => {
    entries.delete(entry.id)
    const index = byTopic[entry.match]
    if (index.get(entry.topic) === entry) index.delete(entry.topic)
    left.add(entry.id)
  }

  const publish = (
    topic: string,
    args?: List,
    kwargs?: Dict,
    options?: PublishOptions
  ): Effect.Effect<number | undefined, OperationError> => {
    const invalid = checkUri(topic, "exact")
    if (invalid) return Effect.fail(invalid)
    const out = outgoing(
      options,
      ["passthru"],
      args,
      kwargs,
      options?.passthru,
      (feature) => core.info?.supports("broker", feature) === true
    )
    if (out instanceof WampError.WampError) return Effect.fail(out)
    const { fields, options: wire } = out
    if (options?.acknowledge === true) {
      return core.request(
        Message.Code.Publish,
        (request) => ({ _tag: "Publish", request, options: wire, topic, ...fields }),
        (message) => {
          if (message._tag === "Error") return Exit.fail(errorFromMessage(message))
          return message._tag === "Published" ? Exit.succeed(message.publication) : undefined
        }
      )
    }
    // Unacknowledged: the id is consumed, nothing stays pending.
    return Effect.suspend(() => {
      const notOpen = core.ensureOpen()
      if (notOpen) return Effect.fail(notOpen)
      const request = core.nextRequestId()
      const error = core.send({ _tag: "Publish", request, options: wire, topic, ...fields })
      if (error === undefined) return Effect.void as Effect.Effect<undefined>
      // Nothing went out: the id is given back, as for a request that cannot be encoded.
      if (error._tag === "EncodeError") core.releaseRequestId(request)
      return Effect.fail(error)
    })
  }

  /**
   * Adds `subscriber` to the router subscription of topic+match, sending SUBSCRIBE unless a local
   * subscriber already shares it. `resume` gets the entry once; returns the request id while a
   * SUBSCRIBE is pending, else 0.
   */
  const attach = (
    topic: string,
    options: SubscribeOptions | undefined,
    subscriber: Subscriber,
    resume: Resume<Entry>
  ): number => {
    const match: MatchPolicy = options?.match ?? "exact"
    const shared = byTopic[match].get(topic)
    // A second local subscriber shares the router subscription, unless it asks for the retained
    // event, which only a SUBSCRIBE brings.
    if (shared !== undefined && options?.get_retained !== true) {
      shared.add(subscriber)
      resume(Exit.succeed(shared))
      return 0
    }
    const wire = options === undefined ? noOptions : wireOptions(options, ["buffer"])
    return core.start(
      Message.Code.Subscribe,
      (request) => ({ _tag: "Subscribe", request, options: wire, topic }),
      (message) => {
        if (message._tag === "Error") return Exit.fail(errorFromMessage(message))
        if (message._tag !== "Subscribed") return undefined
        // Recorded here, in the dispatcher, so that an EVENT right behind it is delivered.
        let entry = entries.get(message.subscription)
        if (entry === undefined) {
          entry = new Entry(message.subscription, topic, match, subscriber)
          entries.set(entry.id, entry)
          left.delete(entry.id)
        } else {
          entry.add(subscriber)
        }
        byTopic[match].set(topic, entry)
        return Exit.succeed(entry)
      },
      resume
    )
  }

  const owner: Owner = {
    leave: (entry, subscriber) => leave(entry, subscriber),
    bounded: (effect) => core.bounded(effect),
    metered: core.options.metrics !== false
  }

  /** SUBSCRIBE and the subscriber attached: what both forms below share (each makes it uninterruptible). */
  const attachStream = (topic: string, options: SubscribeOptions | undefined) =>
    Effect.async<StreamSubscriber, OperationError>((resume) => {
      const subscriber = new StreamSubscriber(topic, options ?? noOptions, options?.buffer ?? defaultBuffer, owner)
      attach(topic, options, subscriber, (exit) => {
        if (exit._tag === "Failure") return resume(Exit.failCause(exit.cause))
        subscriber.entry = exit.value
        resume(Exit.succeed(subscriber))
      })
    })

  const subscribe = (
    topic: string,
    options?: SubscribeOptions
  ): Effect.Effect<Subscription, OperationError, Scope.Scope> => {
    const invalid = checkUri(topic, options?.match)
    if (invalid) return Effect.fail(invalid)
    // As `Effect.acquireRelease` would, with no finalizer or Effect nodes kept per subscription.
    return Effect.scopeWith((scope) =>
      Effect.uninterruptible(Effect.flatMap(
        attachStream(topic, options),
        (subscriber) => Effect.as(groups.join(scope, subscriber), subscriber)
      ))
    )
  }

  /**
   * A subscription held by its caller instead of a scope (the Connection's durable subscriptions,
   * which may number 100,000 and come and go within one session): `finalize` leaves it, bounded in
   * time; otherwise it ends with the session.
   */
  const subscribeHeld = (
    topic: string,
    options?: SubscribeOptions
  ): Effect.Effect<HeldSubscription, OperationError> => {
    const invalid = checkUri(topic, options?.match)
    // SUBSCRIBE is not interruptible once sent: the subscriber is always attached or refused.
    return invalid ? Effect.fail(invalid) : Effect.uninterruptible(attachStream(topic, options))
  }

  /**
   * A subscription at callback level (the facade's hot path): the dispatcher calls `sink.event` for
   * each event, `sink.end` once when the subscription ends (revoked, session closed, left). No
   * buffer, stream, fiber or scope per subscription.
   */
  const subscribeDirect = (
    topic: string,
    options: SubscribeOptions | undefined,
    sink: DirectSink,
    resume: Resume<DirectSubscription>
  ): void => {
    const invalid = checkUri(topic, options?.match)
    if (invalid) return resume(Exit.fail(invalid))
    const subscriber = new DirectSubscriber(sink, owner)
    attach(topic, options, subscriber, (exit) => {
      if (exit._tag === "Failure") return resume(Exit.failCause(exit.cause))
      subscriber.entry = exit.value
      resume(Exit.succeed(subscriber))
    })
  }

  /** Removes one subscriber; the last one to leave unsubscribes on the router. */
  const leave = (entry: Entry, subscriber: Subscriber): Effect.Effect<void, WampError.WampError | SessionError> =>
    Effect.suspend(() => {
      if (!entry.delete(subscriber)) return Effect.void
      end(subscriber, Option.none(), true)
      if (!entry.isEmpty || entries.get(entry.id) !== entry) return Effect.void
      forget(entry)
      if (core.state !== "established") return Effect.void
      return core.requestByIds(
        Message.Code.Unsubscribe,
        (request) => ({ _tag: "Unsubscribe", request, subscription: entry.id }),
        (message) => {
          if (message._tag === "Error") return Exit.fail(errorFromMessage(message))
          return message._tag === "Unsubscribed" ? Exit.void : undefined
        }
      )
    })

  const event = (message: Message.Event): Step => {
    const entry = entries.get(message.subscription)
    if (entry === undefined) {
      if (left.has(message.subscription)) return undefined
      return `EVENT for subscription ${message.subscription}, which this session never held`
    }
    const details: EventDetails = {
      publication: message.publication,
      publisher: typeof message.details["publisher"] === "number" ? message.details["publisher"] : undefined,
      publisher_authid: optionalString(message.details["publisher_authid"]),
      publisher_authrole: optionalString(message.details["publisher_authrole"]),
      topic: optionalString(message.details["topic"]) ?? entry.topic,
      retained: message.details["retained"] === true,
      raw: message.details
    }
    const passthru = Passthru.fromMessage(message)
    const ev: Event = passthru === undefined
      ? { args: argsOf(message), kwargs: kwargsOf(message), details }
      : { args: argsOf(message), kwargs: kwargsOf(message), details, passthru }
    const subscribers = entry.subscribers
    if (subscribers === undefined) return undefined
    // Only a full buffer under "suspend" makes the dispatcher wait.
    if (!Array.isArray(subscribers)) return subscribers.offer(ev)
    let waits: Array<Effect.Effect<void>> | undefined
    for (const subscriber of subscribers) {
      const wait = subscriber.offer(ev)
      if (wait !== undefined) (waits ??= []).push(wait)
    }
    return waits === undefined ? undefined : Effect.all(waits, { discard: true })
  }

  const revoke = (details: Message.Dict) => {
    const id = details["subscription"]
    const entry = typeof id === "number" ? entries.get(id) : undefined
    if (entry === undefined) return // raced with our own UNSUBSCRIBE
    forget(entry)
    const reason = optionalString(details["reason"])
    const error = new SubscriptionRevokedError({
      subscription: entry.id,
      topic: entry.topic,
      reason,
      message: `the router revoked the subscription to ${entry.topic}${reason ? `: ${reason}` : ""}`
    })
    for (const subscriber of entry.clear()) end(subscriber, Option.some(error))
  }

  const terminate = (error: SessionError, local: boolean) => {
    for (const entry of entries.values()) {
      for (const subscriber of entry.clear()) end(subscriber, local ? Option.none() : Option.some(error))
    }
    entries.clear()
    for (const index of Object.values(byTopic)) index.clear()
  }

  return {
    publish,
    subscribe,
    subscribeHeld,
    subscribeDirect,
    event,
    revoke,
    end: terminate,
    counters: () => ({ subscriptions: entries.size })
  }
}

export type PubSub = ReturnType<typeof makePubSub>
