/**
 * PubSub: publishing, and subscriptions shared by every local subscriber of the same topic+match,
 * each subscriber with its own bounded buffer and overflow strategy.
 */
import { Effect, Exit, Option, type Scope } from "effect"
import { SubscriptionOverflowError, SubscriptionRevokedError } from "../../Errors.js"
import * as Message from "../../Message.js"
import * as Passthru from "../../Passthru.js"
import type {
  Dict,
  Event,
  EventDetails,
  List,
  PublishOptions,
  SubscribeOptions,
  Subscription,
  SubscriptionBuffer,
  SubscriptionStreamError
} from "../../Session.js"
import * as WampError from "../../WampError.js"
import { EventBuffer } from "../eventBuffer.js"
import { Tombstones } from "../tombstones.js"
import { optionalString } from "../values.js"
import type { Core, OperationError, Resume, SessionError } from "./core.js"
import type { Step } from "./dispatcher.js"
import { argsOf, checkUri, errorFromMessage, kwargsOf, outgoing, wireOptions } from "./payload.js"

export const DEFAULT_BUFFER: SubscriptionBuffer = { capacity: 4096, overflow: "fail" }

/**
 * One local subscriber: a stream's bounded buffer (`EventBuffer`), or the facade's handler called
 * in place (`subscribeDirect`).
 */
interface Subscriber {
  /** Takes one event; returns an Effect only when the dispatcher must wait (a full "suspend" buffer). */
  readonly offer: (event: Event) => Effect.Effect<void> | undefined
  /** Ends after what is buffered: `None` ends, `Some(error)` fails. */
  readonly end: (error: Option.Option<SubscriptionStreamError>) => void
  /** Ends now, dropping what is buffered: the reader is gone. */
  readonly shutdown: () => void
}

/** A subscription made at callback level (the facade's): no stream, no scope. */
export interface DirectSubscription {
  readonly id: number
  /** Leaves: the last local subscriber of the router subscription sends UNSUBSCRIBE. */
  readonly unsubscribe: Effect.Effect<void, WampError.WampError | SessionError>
}

/** One router subscription and the local subscribers sharing it. */
interface Entry {
  readonly id: number
  readonly key: string
  readonly topic: string
  readonly subscribers: Set<Subscriber>
}

const keyOf = (topic: string, match: string | undefined) => `${match ?? "exact"}\u0000${topic}`

export const makePubSub = (core: Core) => {
  const entries = new Map<number, Entry>()
  const byKey = new Map<string, Entry>()
  /** Subscriptions we left: their late EVENTs are ignored, not violations. */
  const left = new Tombstones(1024)
  const defaultBuffer = core.options.subscriptionBuffer ?? DEFAULT_BUFFER

  /**
   * Ends a subscriber's stream after its buffered events. A subscriber leaving is shut down instead:
   * under "suspend" the dispatcher may be waiting for room in its buffer, and its reader is gone.
   */
  const end = (subscriber: Subscriber, error: Option.Option<SubscriptionStreamError>, leaving = false) => {
    if (leaving) subscriber.shutdown()
    else subscriber.end(error)
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
    const key = keyOf(topic, options?.match)
    const shared = byKey.get(key)
    // A second local subscriber shares the router subscription, unless it asks for the retained
    // event, which only a SUBSCRIBE brings.
    if (shared !== undefined && options?.get_retained !== true) {
      shared.subscribers.add(subscriber)
      resume(Exit.succeed(shared))
      return 0
    }
    const wire = wireOptions(options, ["buffer"])
    return core.start(
      Message.Code.Subscribe,
      (request) => ({ _tag: "Subscribe", request, options: wire, topic }),
      (message) => {
        if (message._tag === "Error") return Exit.fail(errorFromMessage(message))
        if (message._tag !== "Subscribed") return undefined
        // Recorded here, in the dispatcher, so that an EVENT right behind it is delivered.
        let entry = entries.get(message.subscription)
        if (entry === undefined) {
          entry = { id: message.subscription, key, topic, subscribers: new Set() }
          entries.set(entry.id, entry)
          left.delete(entry.id)
        }
        entry.subscribers.add(subscriber)
        byKey.set(key, entry)
        return Exit.succeed(entry)
      },
      resume
    )
  }

  const subscribe = (
    topic: string,
    options?: SubscribeOptions
  ): Effect.Effect<Subscription, OperationError, Scope.Scope> =>
    Effect.gen(function*() {
      const invalid = checkUri(topic, options?.match)
      if (invalid) return yield* Effect.fail(invalid)
      const buffer = options?.buffer ?? defaultBuffer
      const events = new EventBuffer<Event, SubscriptionStreamError>(buffer.capacity, buffer.overflow, () =>
        new SubscriptionOverflowError({
          topic,
          capacity: buffer.capacity,
          message: `subscriber buffer of ${buffer.capacity} events overflowed on ${topic}`
        }))
      const acquire = Effect.async<Entry, OperationError>((resume) => {
        const id = attach(topic, options, events, resume)
        if (id !== 0) {
          return Effect.sync(() =>
            core.abandon(id)
          )
        }
      })
      const entry = yield* Effect.acquireRelease(acquire, (entry) =>
        core.bounded(leave(entry, events)))
      return {
        id: entry.id,
        topic,
        options: options ?? {},
        events: events.stream,
        unsubscribe: leave(entry, events)
      } satisfies Subscription
    })

  /**
   * A subscription at callback level (the facade's hot path): `onEvent` is called by the
   * dispatcher for each event, `onEnd` once when the subscription ends (revoked, session closed,
   * left). No buffer, stream, fiber or scope per subscription.
   */
  const subscribeDirect = (
    topic: string,
    options: SubscribeOptions | undefined,
    onEvent: (event: Event) => void,
    onEnd: (error: Option.Option<SubscriptionStreamError>) => void,
    resume: Resume<DirectSubscription>
  ): void => {
    const invalid = checkUri(topic, options?.match)
    if (invalid) return resume(Exit.fail(invalid))
    let ended = false
    const subscriber: Subscriber = {
      offer: (event) => {
        if (!ended) onEvent(event)
        return undefined
      },
      end: (error) => {
        if (ended) return
        ended = true
        onEnd(error)
      },
      shutdown: () => subscriber.end(Option.none())
    }
    attach(
      topic,
      options,
      subscriber,
      (exit) =>
        resume(Exit.map(exit, (entry): DirectSubscription => ({ id: entry.id, unsubscribe: leave(entry, subscriber) })))
    )
  }

  /** Removes one subscriber; the last one to leave unsubscribes on the router. */
  const leave = (entry: Entry, subscriber: Subscriber): Effect.Effect<void, WampError.WampError | SessionError> =>
    Effect.suspend(() => {
      if (!entry.subscribers.delete(subscriber)) return Effect.void
      end(subscriber, Option.none(), true)
      if (entry.subscribers.size > 0 || entries.get(entry.id) !== entry) return Effect.void
      entries.delete(entry.id)
      if (byKey.get(entry.key) === entry) byKey.delete(entry.key)
      left.add(entry.id)
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
    let waits: Array<Effect.Effect<void>> | undefined
    for (const subscriber of entry.subscribers) {
      // Only a full buffer under "suspend" makes the dispatcher wait.
      const wait = subscriber.offer(ev)
      if (wait !== undefined) (waits ??= []).push(wait)
    }
    return waits === undefined ? undefined : Effect.all(waits, { discard: true })
  }

  const revoke = (details: Message.Dict) => {
    const id = details["subscription"]
    const entry = typeof id === "number" ? entries.get(id) : undefined
    if (entry === undefined) return // raced with our own UNSUBSCRIBE
    entries.delete(entry.id)
    if (byKey.get(entry.key) === entry) byKey.delete(entry.key)
    left.add(entry.id)
    const reason = optionalString(details["reason"])
    const error = new SubscriptionRevokedError({
      subscription: entry.id,
      topic: entry.topic,
      reason,
      message: `the router revoked the subscription to ${entry.topic}${reason ? `: ${reason}` : ""}`
    })
    for (const subscriber of entry.subscribers) end(subscriber, Option.some(error))
    entry.subscribers.clear()
  }

  const terminate = (error: SessionError, local: boolean) => {
    for (const entry of entries.values()) {
      for (const subscriber of entry.subscribers) end(subscriber, local ? Option.none() : Option.some(error))
      entry.subscribers.clear()
    }
    entries.clear()
    byKey.clear()
  }

  return {
    publish,
    subscribe,
    subscribeDirect,
    event,
    revoke,
    end: terminate,
    counters: () => ({ subscriptions: entries.size })
  }
}

export type PubSub = ReturnType<typeof makePubSub>
