/**
 * Durable registrations and subscriptions: the user's intent (procedure/topic, handler, options)
 * lives in the connection and is applied to every new session. Each session's registration or
 * subscription is held by the intent, not by a scope (`SessionHandle.registerHeld` /
 * `subscribeHeld`): released by its `finalize`, or ended with its session. A connection may hold
 * 100,000 intents, so each is a few small objects and its Streams/Effects are made when asked for.
 */
import * as Chunk from "effect/Chunk"
import * as Context from "effect/Context"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as FiberId from "effect/FiberId"
import * as Option from "effect/Option"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import type { DurableRegistration, DurableSubscription, Gap, ReapplyFailure } from "../../Connection.js"
import { type EncodeError, SessionClosedError } from "../../Errors.js"
import type {
  CloseReason,
  Event,
  HandlerResult,
  Invocation,
  RegisterOptions,
  RegistrationEnd,
  SessionError,
  SessionService,
  SubscribeOptions,
  Subscription,
  SubscriptionStreamError
} from "../../Session.js"
import type { WampError } from "../../WampError.js"
import { EventBuffer, type Taken } from "../eventBuffer.js"
import { leave as leaveGroup, type Member, ScopeGroups } from "../scopeGroup.js"
import type { DirectCallee, RegistrationEntry } from "../session/callee.js"
import type { SessionHandle } from "../session/make.js"
import type { HeldSubscription } from "../session/pubsub.js"

type ApplyError = WampError | SessionError | EncodeError

/** A joined session as the durables see it. */
export interface Live {
  readonly session: SessionService
  /** The session's callback-level operations (subscriptions held without a scope). */
  readonly handle: SessionHandle
  /** The session's scope: every application lives in a child of it. */
  readonly scope: Scope.Scope
  /** Increases with each session; an intent is applied once per generation. */
  readonly generation: number
  /** How the session before this one ended, if there was one. */
  readonly previous: CloseReason | undefined
}

export interface Host {
  /** The open session, or waits for one per the connection's policy. */
  readonly acquire: Effect.Effect<Live, SessionError>
  readonly reapplyFailed: (failure: ReapplyFailure) => Effect.Effect<void>
}

const isGap = (item: Subscription | Gap): item is Gap => "_tag" in item
const isEvent = (item: Event | Gap): item is Event => !("_tag" in item)

const unbounded = { capacity: Number.POSITIVE_INFINITY, overflow: "fail" } as const

/** What a subscription intent tells when it is released: the connection's set of them. */
interface SubscriptionOwner {
  readonly released: (intent: SubscriptionIntent) => void
}

/**
 * A durable subscription: the user's intent, and the queue of its session-level subscriptions (and
 * gaps, one before each subscription after the first), in one object. The queue is the subscriber
 * buffer, unbounded, so nothing is allocated until the first element and the stream is made when
 * first read (an Effect Mailbox costs about 2 KB; a connection may hold 100,000 of these). The first
 * session's subscription is held back in `current` until the stream is read, a gap follows it or
 * the intent ends: an intent nobody reads keeps no one-element array (about 60 bytes).
 */
class SubscriptionIntent extends EventBuffer<Subscription | Gap, SessionClosedError> implements Member {
  active = true
  generation = 0
  /** On the current (or last) session; left by its `finalize`, or ended with its session. */
  current: HeldSubscription | undefined = undefined
  group: Set<Member> | undefined = undefined

  constructor(
    readonly topic: string,
    readonly options: SubscribeOptions | undefined,
    private readonly owner: SubscriptionOwner
  ) {
    super(unbounded)
  }

  protected overflowError(): never {
    throw new Error("an unbounded buffer cannot overflow")
  }

  /** A session's subscription was made: the first is held back (see above), each later one follows a gap. */
  applied(subscription: HeldSubscription, gap: () => Gap): void {
    if (this.current !== undefined) {
      this.passFirst()
      this.offer(gap())
      this.offer(subscription)
    }
    this.current = subscription
  }

  /** The held-back first subscription goes in the buffer, before whatever follows it. */
  private passFirst(): void {
    if (this.current !== undefined && this.pristine) this.offer(this.current)
  }

  override end(error: Option.Option<SessionClosedError>): void {
    this.passFirst()
    super.end(error)
  }

  override get stream(): Stream.Stream<Subscription | Gap, SessionClosedError> {
    this.passFirst()
    return super.stream
  }

  /** `pull` with the held-back subscription let in first; made once. */
  #pullFirst: Effect.Effect<Chunk.Chunk<Subscription | Gap> | undefined, SessionClosedError> | undefined = undefined

  override get pull(): Effect.Effect<Chunk.Chunk<Subscription | Gap> | undefined, SessionClosedError> {
    // `super.pull` makes the reader, after which the buffer is no longer pristine: pass first.
    return this.#pullFirst ??= Effect.suspend(() => {
      this.passFirst()
      return super.pull
    })
  }

  /** Releases the intent, once, when run (unsubscribe, revoked, overflowed, or refused at first). */
  get release(): Effect.Effect<void> {
    return Effect.suspend(() => this.finalize())
  }

  /** Releases the intent now, once; also what its scope runs when it closes (see `scopeGroup.ts`). */
  finalize(): Effect.Effect<void> {
    if (!this.active) return Effect.void
    this.active = false
    leaveGroup(this)
    this.owner.released(this)
    this.end(Option.none())
    const current = this.current
    this.current = undefined
    return current === undefined ? Effect.void : current.finalize()
  }
}

/**
 * What `subscribe` returns: its streams and `unsubscribe` made when first asked for, so that a
 * subscription nobody reads holds no Stream or Effect nodes.
 */
class DurableSubscriptionHandle implements DurableSubscription {
  #eventsWithGaps: Stream.Stream<Event | Gap, SubscriptionStreamError> | undefined = undefined
  #events: Stream.Stream<Event, SubscriptionStreamError> | undefined = undefined

  constructor(private readonly intent: SubscriptionIntent) {}

  get id(): number {
    return this.intent.current?.id ?? 0
  }

  get topic(): string {
    return this.intent.topic
  }

  get options(): SubscribeOptions {
    return this.intent.options ?? noOptions
  }

  get eventsWithGaps(): Stream.Stream<Event | Gap, SubscriptionStreamError> {
    return this.#eventsWithGaps ??= this.intent.stream.pipe(
      Stream.flatMap((item): Stream.Stream<Event | Gap, SubscriptionStreamError> =>
        isGap(item)
          ? Stream.succeed(item)
          // A lost session ends its part of the stream; the next session's part follows.
          : item.events.pipe(
            Stream.catchTags({ SessionClosedError: () => Stream.empty, ProtocolError: () => Stream.empty })
          )
      ),
      // Revoked or overflowed: the subscription is over, on every session.
      Stream.tapError(() => this.intent.release)
    )
  }

  get events(): Stream.Stream<Event, SubscriptionStreamError> {
    return this.#events ??= Stream.filter(this.eventsWithGaps, isEvent)
  }

  get unsubscribe(): Effect.Effect<void, WampError | SessionError> {
    const current = this.intent.current
    return Effect.zipRight(current === undefined ? Effect.void : current.unsubscribe, this.intent.release)
  }

  // `takeAll`: the events of one session's subscription after another, as `events` reads them.
  #takeAll: Effect.Effect<Taken<Event>, SubscriptionStreamError> | undefined = undefined
  /** The session subscription `takeAll` reads now, and the ones after it not yet reached. */
  #reading: Subscription | undefined = undefined
  #queued: Array<Subscription> | undefined = undefined

  get takeAll(): Effect.Effect<Taken<Event>, SubscriptionStreamError> {
    return this.#takeAll ??= Effect.suspend(() => this.takeNext())
  }

  private takeNext(): Effect.Effect<Taken<Event>, SubscriptionStreamError> {
    const reading = this.#reading ?? this.#queued?.shift()
    if (reading === undefined) {
      return Effect.matchEffect(this.intent.pull, {
        onFailure: (error) => Effect.zipRight(this.intent.release, Effect.fail(error)),
        onSuccess: (items) => {
          if (items === undefined) return Effect.succeed(finished)
          for (const item of items) if (!isGap(item)) (this.#queued ??= []).push(item)
          return this.takeNext()
        }
      })
    }
    this.#reading = reading
    return Effect.matchEffect(reading.takeAll, {
      onFailure: (error) => {
        // Revoked or overflowed: the subscription is over, on every session.
        if (error._tag !== "SessionClosedError" && error._tag !== "ProtocolError") {
          return Effect.zipRight(this.intent.release, Effect.fail(error))
        }
        // A lost session ends its part; the next session's subscription follows.
        this.#reading = undefined
        return this.takeNext()
      },
      onSuccess: (taken) => {
        if (!taken[1]) return Effect.succeed(taken)
        this.#reading = undefined
        return this.takeNext()
      }
    })
  }
}

const finished: Taken<Event> = [Chunk.empty(), true]

const noOptions: SubscribeOptions = Object.freeze({})

/** What every registration intent of one connection reports to. */
interface RegistrationOwner {
  /** One session's registration of `intent` ended (with its session, or revoked). */
  readonly sessionEnded: (intent: RegistrationIntent, end: RegistrationEnd) => void
  /** The intent ended: the connection forgets it. */
  readonly finished: (intent: RegistrationIntent) => void
}

const unregistered: RegistrationEnd = { reason: "unregistered", message: undefined }

/**
 * A durable registration: the user's intent, and the callee the core runs on each session it is
 * applied to (its handler with the user's context, and its end), in one object. Waiting for the end
 * makes a Deferred only when someone waits.
 */
class RegistrationIntent implements DirectCallee, Member {
  active = true
  generation = 0
  /** On the current (or last) session; its `finalize` unregisters, bounded in time. */
  current: RegistrationEntry | undefined = undefined
  /** How the intent ended, once it has. */
  end: RegistrationEnd | undefined = undefined
  #waiting: Deferred.Deferred<RegistrationEnd> | undefined = undefined
  group: Set<Member> | undefined = undefined

  constructor(
    readonly procedure: string,
    readonly options: RegisterOptions | undefined,
    private readonly handler: (invocation: Invocation) => Effect.Effect<HandlerResult, unknown, any>,
    private readonly context: Context.Context<any>,
    private readonly owner: RegistrationOwner
  ) {}

  invoke(invocation: Invocation): Effect.Effect<HandlerResult, unknown> {
    return Effect.provide(this.handler(invocation), this.context) as Effect.Effect<HandlerResult, unknown>
  }

  ended(end: RegistrationEnd): void {
    this.owner.sessionEnded(this, end)
  }

  /** Ends the intent once; false when it had already ended. */
  finish(end: RegistrationEnd): boolean {
    if (!this.active) return false
    this.active = false
    this.end = end
    leaveGroup(this)
    this.owner.finished(this)
    if (this.#waiting !== undefined) Deferred.unsafeDone(this.#waiting, Exit.succeed(end))
    return true
  }

  /** Ends the intent and unregisters it, once, when run (unregister, or refused at first). */
  get release(): Effect.Effect<void> {
    return Effect.suspend(() => this.finalize())
  }

  /** Ends the intent and unregisters it now, once; also what its scope runs when it closes. */
  finalize(): Effect.Effect<void> {
    if (!this.finish(unregistered)) return Effect.void
    const current = this.current
    this.current = undefined
    return current === undefined ? Effect.void : current.finalize()
  }

  get awaitEnd(): Effect.Effect<RegistrationEnd> {
    return Effect.suspend(() => {
      if (this.end !== undefined) return Effect.succeed(this.end)
      return Deferred.await(this.#waiting ??= Deferred.unsafeMake<RegistrationEnd>(FiberId.none))
    })
  }
}

/** What `register` returns: its `unregister` and `ended` made when asked for. */
class DurableRegistrationHandle implements DurableRegistration {
  constructor(private readonly intent: RegistrationIntent) {}

  get id(): number {
    return this.intent.current?.id ?? 0
  }

  get procedure(): string {
    return this.intent.procedure
  }

  get options(): RegisterOptions {
    return this.intent.options ?? noOptions
  }

  get unregister(): Effect.Effect<void, WampError | SessionError> {
    const current = this.intent.current
    return Effect.zipRight(current === undefined ? Effect.void : current.unregister, this.intent.release)
  }

  get ended(): Effect.Effect<RegistrationEnd> {
    return this.intent.awaitEnd
  }
}

export const makeDurables = (host: Host) => {
  const registrations = new Set<RegistrationIntent>()
  const subscriptions = new Set<SubscriptionIntent>()
  /** The intents' scopes: one finalizer per scope, none left behind by an intent released early. */
  const groups = new ScopeGroups()
  /** Watchers of the router revoking a registration (callbacks, or fibers): one per registration per session. */
  let watchers = 0

  const owner: RegistrationOwner = {
    sessionEnded: (intent, end) => {
      watchers--
      // A revocation ends the intent: the router does not want this registration back.
      if (end.reason === "revoked") intent.finish(end)
    },
    finished: (intent) => {
      registrations.delete(intent)
    }
  }

  /** Uninterruptible: a REGISTER sent is either recorded in the intent or unregistered again. */
  const applyRegistration = (intent: RegistrationIntent, live: Live): Effect.Effect<void, ApplyError> =>
    Effect.suspend(() => {
      if (!intent.active || intent.generation === live.generation) return Effect.void
      intent.generation = live.generation
      // Held by the intent, not a scope; the session's entry tells its end to `intent.ended`.
      return Effect.uninterruptible(Effect.flatMap(
        live.handle.registerHeld(intent.procedure, intent, intent.options),
        (entry) => {
          watchers++
          // Unregistered by the user while REGISTER was on its way.
          if (!intent.active) return entry.finalize()
          intent.current = entry
          return Effect.void
        }
      ))
    })

  /** Uninterruptible: a SUBSCRIBE sent is either recorded in the intent or left again. */
  const applySubscription = (intent: SubscriptionIntent, live: Live): Effect.Effect<void, ApplyError> =>
    Effect.suspend(() => {
      if (!intent.active || intent.generation === live.generation) return Effect.void
      intent.generation = live.generation
      // Held by the intent, not a scope: no scope, finalizer or Map per subscription per session.
      return Effect.uninterruptible(
        Effect.flatMap(live.handle.subscribeHeld(intent.topic, intent.options), (subscription) => {
          if (!intent.active) return subscription.finalize()
          intent.applied(subscription, () => ({
            _tag: "Gap",
            reason: live.previous ?? { reason: "", message: "", by: "transport", wasClean: false },
            session: live.session.info.id
          }))
          return Effect.void
        })
      )
    })

  /** Applies every intent to a new session, all at once; refusals are reported, not fatal. */
  const reapply = (live: Live): Effect.Effect<void> => {
    const report = (kind: ReapplyFailure["kind"], uri: string) => (error: unknown) =>
      host.reapplyFailed({ kind, uri, session: live.session.info.id, error })
    return Effect.all(
      [
        Effect.forEach(
          [...registrations],
          (intent) => Effect.catchAll(applyRegistration(intent, live), report("register", intent.procedure)),
          { concurrency: "unbounded", discard: true }
        ),
        Effect.forEach(
          [...subscriptions],
          (intent) => Effect.catchAll(applySubscription(intent, live), report("subscribe", intent.topic)),
          { concurrency: "unbounded", discard: true }
        )
      ],
      { concurrency: "unbounded", discard: true }
    )
  }

  const register = <E, R>(
    procedure: string,
    handler: (invocation: Invocation) => Effect.Effect<HandlerResult, E, R>,
    options?: RegisterOptions
  ): Effect.Effect<DurableRegistration, ApplyError, Scope.Scope | R> =>
    // Combinators rather than Effect.gen: a generator and a step per yield, for each of possibly
    // 100,000 registrations.
    Effect.flatMap(Effect.context<R | Scope.Scope>(), (context) => {
      const intent = new RegistrationIntent(procedure, options, handler, context, owner)
      // In its scope's group (`scopeGroup.ts`), not `Effect.addFinalizer`, which keeps this fiber's FiberRefs.
      return Effect.zipRight(
        groups.join(Context.get(context, Scope.Scope), intent),
        Effect.flatMap(host.acquire, (live) => {
          // Known to the connection before REGISTER goes out, so a session change meanwhile re-applies it.
          registrations.add(intent)
          return Effect.as(
            Effect.tapError(applyRegistration(intent, live), () => intent.release),
            new DurableRegistrationHandle(intent)
          )
        })
      )
    })

  const subscriptionOwner: SubscriptionOwner = {
    released: (intent) => {
      subscriptions.delete(intent)
    }
  }

  const subscribe = (
    topic: string,
    options?: SubscribeOptions
  ): Effect.Effect<DurableSubscription, ApplyError, Scope.Scope> =>
    Effect.scopeWith((scope) => {
      const intent = new SubscriptionIntent(topic, options, subscriptionOwner)
      return Effect.zipRight(
        groups.join(scope, intent),
        Effect.flatMap(host.acquire, (live) => {
          subscriptions.add(intent)
          return Effect.as(
            Effect.tapError(applySubscription(intent, live), () => intent.release),
            new DurableSubscriptionHandle(intent)
          )
        })
      )
    })

  /**
   * The connection closed for good: registrations end, subscription streams end after what they
   * hold (or fail with `error` when the connection gave up rather than being closed by the user).
   */
  const finish = (error: SessionClosedError | undefined) => {
    for (const intent of registrations) {
      intent.finish({ reason: "session-closed", message: error?.message })
    }
    for (const intent of subscriptions) {
      intent.active = false
      leaveGroup(intent)
      intent.end(error === undefined ? Option.none() : Option.some(error))
    }
    subscriptions.clear()
  }

  return {
    register,
    subscribe,
    reapply,
    finish,
    counters: () => ({
      durableRegistrations: registrations.size,
      durableSubscriptions: subscriptions.size,
      watchers
    })
  }
}

export type Durables = ReturnType<typeof makeDurables>
