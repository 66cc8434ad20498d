/**
 * Topic: a typed PubSub contract, declared once with Schema and shared by publishers and subscribers.
 *
 * ```ts
 * const Tick = Topic.make("com.example.tick", {
 *   kwargs: Schema.Struct({ seq: Schema.Number, at: Schema.Date })
 * })
 * yield* Topic.publish(Tick, { seq: 1, at: new Date() })
 * const ticks = Topic.stream(Tick) // Stream<{ seq: number; at: Date }, ...>
 * ```
 *
 * Wire mapping: `args` is the schema of the positional list (EVENT Arguments), `kwargs` of the
 * keyword dict (ArgumentsKw). The payload is the args' type alone, the kwargs' type alone, or
 * `{ args, kwargs }` when the contract has both; with neither, events carry nothing.
 *
 * A payload that does not encode fails `publish` with `PayloadError` "EncodeEvent" (nothing is sent).
 * An event that does not decode is handled per `onInvalid` (contract default, overridable per
 * subscription):
 * - `"skip"` (the default): the event is dropped and logged at Warning level with the parse failure.
 *   PubSub is open to any publisher allowed on the topic, so one stray publisher should not end
 *   every subscriber's stream.
 * - `"fail"`: the stream fails with `PayloadError` "DecodeEvent" carrying the parse failure.
 *
 * Schemas must need no services (`R = never`). Contract options (`publish`, `subscribe`) are
 * defaults; options given per use are merged over them.
 */
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import { identity } from "effect/Function"
import * as Option from "effect/Option"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import { type EncodeError, PayloadError as PayloadErrorClass } from "./Errors.js"
import * as Contract from "./internal/contract.js"
import { mergeOptions } from "./internal/values.js"
import {
  type Event,
  type EventDetails,
  type PublishOptions,
  Session,
  type SessionError,
  type SessionService,
  type SubscribeOptions,
  type Subscription,
  type SubscriptionStreamError
} from "./Session.js"
import type * as WampError from "./WampError.js"

/** @deprecated Use `Errors.PayloadError`, its one home. */
export const PayloadError = PayloadErrorClass
/** @deprecated Use `Errors.PayloadError`, its one home. */
export type PayloadError = PayloadErrorClass

/** What a subscriber does with an event whose payload does not match the contract. */
export type InvalidEventPolicy = "skip" | "fail"

export interface TopicSpec extends Contract.PayloadSpec {
  /** Default PUBLISH options of every publication of this contract. */
  readonly publish?: PublishOptions | undefined
  /** Default SUBSCRIBE options of every subscription of this contract. */
  readonly subscribe?: SubscribeOptions | undefined
  /** Default handling of events that do not decode: `"skip"` unless given. */
  readonly onInvalid?: InvalidEventPolicy | undefined
}

export interface Topic<S extends TopicSpec = TopicSpec> {
  readonly _tag: "Topic"
  readonly uri: string
  readonly spec: S
  /** Compiled once per contract. */
  readonly codec: Contract.Codec
}

/** The decoded payload of a topic contract (see the module doc for its shape). */
export type Payload<T> = T extends Topic<infer S> ? Contract.Payload<S> : never

export interface TopicEvent<T> {
  readonly payload: Payload<T>
  readonly details: EventDetails
}

export interface TopicSubscribeOptions extends SubscribeOptions {
  /** Overrides the contract's `onInvalid`. Not sent as an option. */
  readonly onInvalid?: InvalidEventPolicy | undefined
}

export type EventStreamError = SubscriptionStreamError | PayloadErrorClass

export interface TopicSubscription<T> {
  readonly id: number
  readonly topic: string
  readonly options: SubscribeOptions
  /** The decoded events; single consumer, ends and fails as `Subscription.events` does (plus "fail" policy). */
  readonly events: Stream.Stream<TopicEvent<T>, EventStreamError>
  /**
   * The pull form of `events` (see `Subscription.takeAll`): the decoded events received so far,
   * waiting while there are none (events the "skip" policy drops do not count). Under "fail", an
   * event that does not decode fails the take, after a take with the events before it; the ones
   * after it are dropped, as the stream ends there. The same single consumer as `events`.
   */
  readonly takeAll: Effect.Effect<readonly [events: Chunk.Chunk<TopicEvent<T>>, done: boolean], EventStreamError>
  readonly unsubscribe: Effect.Effect<void, WampError.WampError | SessionError>
  /** The untyped subscription. */
  readonly raw: Subscription
}

/** Declares a topic contract: plain data, used by publishers and subscribers. */
export const make = <const S extends TopicSpec>(uri: string, spec: S): Topic<S> => ({
  _tag: "Topic",
  uri,
  spec,
  codec: Contract.payloadCodec(spec)
})

const publishOn = <T extends Topic>(
  session: SessionService,
  topic: T,
  payload: Payload<T>,
  options?: PublishOptions
): Effect.Effect<number | undefined, WampError.WampError | SessionError | PayloadErrorClass | EncodeError> =>
  topic.codec.encode(payload).pipe(
    Effect.mapError((cause) =>
      new PayloadErrorClass({
        reason: "EncodeEvent",
        uri: topic.uri,
        message: `the payload of ${topic.uri}: ${Contract.describe(cause)}`,
        cause
      })
    ),
    Effect.flatMap((wire) =>
      session.publish(topic.uri, wire.args, wire.kwargs, mergeOptions(topic.spec.publish, options))
    )
  )

const subscribeOn = <T extends Topic>(
  session: SessionService,
  topic: T,
  options?: TopicSubscribeOptions
): Effect.Effect<TopicSubscription<T>, WampError.WampError | SessionError | EncodeError, Scope.Scope> => {
  const { onInvalid, ...rest } = mergeOptions<TopicSubscribeOptions>(topic.spec.subscribe, options) ?? {}
  const policy = onInvalid ?? topic.spec.onInvalid ?? "skip"
  /** An event decoded, or `None` when the "skip" policy drops it (with a warning). */
  const decodeEvent = (event: Event): Effect.Effect<Option.Option<TopicEvent<T>>, PayloadErrorClass> =>
    topic.codec.decode(event.args, event.kwargs).pipe(
      Effect.map((payload) => Option.some<TopicEvent<T>>({ payload: payload as Payload<T>, details: event.details })),
      Effect.catchAll((cause) => {
        const message = `an event of ${event.details.topic} (publication ${event.details.publication}): ${
          Contract.describe(cause)
        }`
        return policy === "fail"
          ? Effect.fail(new PayloadErrorClass({ reason: "DecodeEvent", uri: topic.uri, message, cause }))
          : Effect.as(Effect.logWarning(`skipped ${message}`), Option.none())
      })
    )
  return Effect.map(session.subscribe(topic.uri, rest), (subscription) => {
    type Taken = readonly [Chunk.Chunk<TopicEvent<T>>, boolean]
    /** Under "fail", an event that did not decode after some that did: reported by the next take. */
    let failure: PayloadErrorClass | undefined
    const decodeBatch = (events: Chunk.Chunk<Event>, done: boolean): Effect.Effect<Taken, EventStreamError> => {
      const kept: Array<TopicEvent<T>> = []
      const iterator = events[Symbol.iterator]()
      const step = (): Effect.Effect<Taken, EventStreamError> => {
        const next = iterator.next()
        if (next.done) return kept.length === 0 && !done ? takeAll : Effect.succeed([Chunk.unsafeFromArray(kept), done])
        return Effect.matchEffect(decodeEvent(next.value), {
          // As the stream does: the events before it first, then the failure (the ones after it are dropped).
          onFailure: (error) => {
            if (kept.length === 0) return Effect.fail(error)
            failure = error
            return Effect.succeed([Chunk.unsafeFromArray(kept), false] as const)
          },
          onSuccess: (decoded) => {
            if (Option.isSome(decoded)) kept.push(decoded.value)
            return step()
          }
        })
      }
      return step()
    }
    // A batch the "skip" policy drops entirely is not handed over: the next one is waited for.
    const takeAll: Effect.Effect<Taken, EventStreamError> = Effect.suspend(() => {
      if (failure !== undefined) {
        const error = failure
        failure = undefined
        return Effect.fail(error)
      }
      return Effect.flatMap(subscription.takeAll, ([events, done]) => decodeBatch(events, done))
    })
    return {
      id: subscription.id,
      topic: subscription.topic,
      options: subscription.options,
      unsubscribe: subscription.unsubscribe,
      raw: subscription,
      events: Stream.mapEffect(subscription.events, decodeEvent).pipe(Stream.filterMap(identity)),
      takeAll
    }
  })
}

// ---------------------------------------------------------------------------------------------
// Operations
// ---------------------------------------------------------------------------------------------

/** Publishes an encoded payload with the current `Session` (see `Session.publish` for the result). */
export const publish = <T extends Topic>(
  topic: T,
  payload: Payload<T>,
  options?: PublishOptions
): Effect.Effect<
  number | undefined,
  WampError.WampError | SessionError | PayloadErrorClass | EncodeError,
  Session
> => Effect.flatMap(Session, (session) => publishOn(session, topic, payload, options))

/** Subscribes for the lifetime of the scope; `events` is a stream of decoded events. */
export const subscribe = <T extends Topic>(
  topic: T,
  options?: TopicSubscribeOptions
): Effect.Effect<TopicSubscription<T>, WampError.WampError | SessionError | EncodeError, Session | Scope.Scope> =>
  Effect.flatMap(Session, (session) => subscribeOn(session, topic, options))

/**
 * The decoded payloads as a stream that subscribes when run and unsubscribes when it ends
 * (details dropped: use `subscribe` for publisher identity and the like).
 */
export const stream = <T extends Topic>(
  topic: T,
  options?: TopicSubscribeOptions
): Stream.Stream<Payload<T>, WampError.WampError | EncodeError | EventStreamError, Session> =>
  Stream.unwrapScoped(
    Effect.map(subscribe(topic, options), (subscription) => Stream.map(subscription.events, (event) => event.payload))
  )

/** The same operations on a given session (no `Session` in context needed). */
export const forSession = (session: SessionService) => ({
  publish: <T extends Topic>(topic: T, payload: Payload<T>, options?: PublishOptions) =>
    publishOn(session, topic, payload, options),
  subscribe: <T extends Topic>(topic: T, options?: TopicSubscribeOptions) => subscribeOn(session, topic, options),
  stream: <T extends Topic>(topic: T, options?: TopicSubscribeOptions) =>
    Stream.unwrapScoped(
      Effect.map(subscribeOn(session, topic, options), (s) => Stream.map(s.events, (event) => event.payload))
    )
})
