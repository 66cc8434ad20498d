/**
 * Meta: the router's session, registration and subscription meta API as typed Effects and Streams.
 *
 * ```ts
 * const count = yield* Meta.sessionCount()                 // Effect<number, ...>
 * const details = yield* Meta.sessionGet(id)               // Effect<SessionDetails, NoSuchSession | ...>
 * const joins = Meta.onJoin                                // Stream<SessionDetails, ...>
 * const sub = yield* Topic.subscribe(Meta.OnRegister)      // subscribed now; sub.events decoded
 * ```
 *
 * Every procedure and topic is a `Procedure` / `Topic` contract (exported, so `Procedure.call` and
 * `Topic.subscribe` work on them too); results and events are Schema-decoded, and a reply that does
 * not match fails with `PayloadError` (events: the stream fails, since only the router publishes on
 * `wamp.*`). The "not found" errors are typed (`NoSuchSession`, `NoSuchRegistration`,
 * `NoSuchSubscription`); every other ERROR stays a `WampError`.
 *
 * Tolerated deviations of real routers (decoded, never sent):
 * - `match: ""` for exact and `invoke: ""` for single (Nexus) decode as `"exact"` / `"single"`;
 * - `lookup` / `match` answering `0` for "none" (Nexus) decodes as `Option.none()`, like `null`;
 * - an id list sent as `null` (Go's empty slice) decodes as `[]`;
 * - `wamp.session.kill_by_authid` answering a count instead of the killed ids (Nexus): `sessions`
 *   is then `undefined`;
 * - a router without `wamp.subscription.count_subscribers` (Nexus registers it misspelt): the count
 *   is taken from `wamp.subscription.list_subscribers`.
 */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import type { EncodeError } from "./Errors.js"
import { maxId } from "./internal/messageElements.js"
import * as Procedure from "./Procedure.js"
import { Session, type SessionError, type SessionService } from "./Session.js"
import * as Topic from "./Topic.js"
import * as WampError from "./WampError.js"

// ---------------------------------------------------------------------------------------------
// Schemas
// ---------------------------------------------------------------------------------------------

/** A WAMP id (session, registration, subscription): an integer in [1, 2^53]. */
export const Id = Schema.Number.pipe(Schema.int(), Schema.between(1, maxId))

/** A match policy; Nexus sends `""` for exact. */
export const MatchPolicy = Schema.Union(
  Schema.Literal("exact", "prefix", "wildcard"),
  Schema.transformLiteral("", "exact")
)
export type MatchPolicy = typeof MatchPolicy.Type

/** An invocation policy; Nexus sends `""` for single. */
export const InvokePolicy = Schema.Union(
  Schema.Literal("single", "roundrobin", "random", "first", "last"),
  Schema.transformLiteral("", "single")
)
export type InvokePolicy = typeof InvokePolicy.Type

/** An id or none: `null` per the spec, `0` from Nexus. */
export const OptionalId = Schema.transform(
  Schema.NullOr(Schema.Union(Id, Schema.Literal(0))),
  Schema.OptionFromSelf(Schema.typeSchema(Id)),
  {
    strict: true,
    decode: (id) => id === null || id === 0 ? Option.none() : Option.some(id),
    encode: Option.getOrNull
  }
)

/** A list of ids; `null` (an empty Go slice) is the empty list. */
export const IdList = Schema.transform(
  Schema.NullOr(Schema.Array(Id)),
  Schema.Array(Schema.typeSchema(Id)),
  { strict: true, decode: (ids) => ids ?? [], encode: (ids) => ids }
)

const Dict = Schema.Record({ key: Schema.String, value: Schema.Unknown })

/** `wamp.session.get` and `wamp.session.on_join`. Extra keys a router adds are dropped. */
export const SessionDetails = Schema.Struct({
  session: Id,
  authid: Schema.String,
  authrole: Schema.String,
  authmethod: Schema.optional(Schema.String),
  authprovider: Schema.optional(Schema.String),
  transport: Schema.optional(Dict)
})
export type SessionDetails = typeof SessionDetails.Type

/** `wamp.registration.get` and `wamp.registration.on_create`. */
export const RegistrationDetails = Schema.Struct({
  id: Id,
  /** ISO 8601, as the router wrote it. */
  created: Schema.String,
  uri: Schema.String,
  match: MatchPolicy,
  invoke: Schema.optional(InvokePolicy)
})
export type RegistrationDetails = typeof RegistrationDetails.Type

/** `wamp.subscription.get` and `wamp.subscription.on_create`. */
export const SubscriptionDetails = Schema.Struct({
  id: Id,
  created: Schema.String,
  uri: Schema.String,
  match: MatchPolicy
})
export type SubscriptionDetails = typeof SubscriptionDetails.Type

const idList = Schema.optionalWith(IdList, { default: () => [] })

/** `wamp.registration.list` / `wamp.subscription.list`: ids by match policy. */
export const IdsByMatch = Schema.Struct({ exact: idList, prefix: idList, wildcard: idList })
export type IdsByMatch = typeof IdsByMatch.Type

/** `wamp.session.kill_by_authid`: the killed sessions (`undefined` when the router sent only a count). */
export interface KilledSessions {
  readonly count: number
  readonly sessions: ReadonlyArray<number> | undefined
}

const KilledSessionsFromWire = Schema.transform(
  Schema.Union(Schema.Array(Id), Schema.NonNegativeInt),
  Schema.Struct({ count: Schema.Number, sessions: Schema.UndefinedOr(Schema.Array(Schema.Number)) }),
  {
    strict: true,
    decode: (value) =>
      typeof value === "number" ? { count: value, sessions: undefined } : { count: value.length, sessions: value },
    encode: (killed) => killed.sessions ?? killed.count
  }
)

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

export class NoSuchSession extends Schema.TaggedError<NoSuchSession>()("NoSuchSession", {}) {
  static readonly uri = WampError.StandardUri.NoSuchSession
}
export class NoSuchRegistration extends Schema.TaggedError<NoSuchRegistration>()("NoSuchRegistration", {}) {
  static readonly uri = WampError.StandardUri.NoSuchRegistration
}
export class NoSuchSubscription extends Schema.TaggedError<NoSuchSubscription>()("NoSuchSubscription", {}) {
  static readonly uri = WampError.StandardUri.NoSuchSubscription
}

// ---------------------------------------------------------------------------------------------
// Procedure contracts
// ---------------------------------------------------------------------------------------------

const Roles = Schema.Tuple(Schema.optionalElement(Schema.Array(Schema.String)))
const OneId = Schema.Tuple(Id)
const UriAndOptions = Schema.Tuple(Schema.String, Schema.optionalElement(Schema.Struct({ match: MatchPolicy })))
const KillReason = Schema.Struct({ reason: Schema.optional(Schema.String), message: Schema.optional(Schema.String) })

export const SessionCount = Procedure.make("wamp.session.count", { args: Roles, result: Schema.NonNegativeInt })
export const SessionList = Procedure.make("wamp.session.list", { args: Roles, result: IdList })
export const SessionGet = Procedure.make("wamp.session.get", {
  args: OneId,
  result: SessionDetails,
  resultIn: "args[0]",
  error: [NoSuchSession]
})
export const SessionKill = Procedure.make("wamp.session.kill", {
  args: OneId,
  kwargs: KillReason,
  error: [NoSuchSession]
})
export const SessionKillByAuthid = Procedure.make("wamp.session.kill_by_authid", {
  args: Schema.Tuple(Schema.String),
  kwargs: KillReason,
  result: KilledSessionsFromWire,
  resultIn: "args[0]"
})
export const SessionKillByAuthrole = Procedure.make("wamp.session.kill_by_authrole", {
  args: Schema.Tuple(Schema.String),
  kwargs: KillReason,
  result: Schema.NonNegativeInt
})
export const SessionKillAll = Procedure.make("wamp.session.kill_all", {
  kwargs: KillReason,
  result: Schema.NonNegativeInt
})

export const RegistrationList = Procedure.make("wamp.registration.list", { result: IdsByMatch, resultIn: "args[0]" })
export const RegistrationLookup = Procedure.make("wamp.registration.lookup", {
  args: UriAndOptions,
  result: OptionalId
})
export const RegistrationMatch = Procedure.make("wamp.registration.match", {
  args: Schema.Tuple(Schema.String),
  result: OptionalId
})
export const RegistrationGet = Procedure.make("wamp.registration.get", {
  args: OneId,
  result: RegistrationDetails,
  resultIn: "args[0]",
  error: [NoSuchRegistration]
})
export const RegistrationListCallees = Procedure.make("wamp.registration.list_callees", {
  args: OneId,
  result: IdList,
  error: [NoSuchRegistration]
})
export const RegistrationCountCallees = Procedure.make("wamp.registration.count_callees", {
  args: OneId,
  result: Schema.NonNegativeInt,
  error: [NoSuchRegistration]
})

export const SubscriptionList = Procedure.make("wamp.subscription.list", { result: IdsByMatch, resultIn: "args[0]" })
export const SubscriptionLookup = Procedure.make("wamp.subscription.lookup", {
  args: UriAndOptions,
  result: OptionalId
})
export const SubscriptionMatch = Procedure.make("wamp.subscription.match", {
  args: Schema.Tuple(Schema.String),
  result: IdList
})
export const SubscriptionGet = Procedure.make("wamp.subscription.get", {
  args: OneId,
  result: SubscriptionDetails,
  resultIn: "args[0]",
  error: [NoSuchSubscription]
})
export const SubscriptionListSubscribers = Procedure.make("wamp.subscription.list_subscribers", {
  args: OneId,
  result: IdList,
  error: [NoSuchSubscription]
})
export const SubscriptionCountSubscribers = Procedure.make("wamp.subscription.count_subscribers", {
  args: OneId,
  result: Schema.NonNegativeInt,
  error: [NoSuchSubscription]
})

// ---------------------------------------------------------------------------------------------
// Topic contracts (meta events)
// ---------------------------------------------------------------------------------------------

/** Positional event arguments decoded into a struct; extra trailing arguments are tolerated. */
const positional = <const F extends Schema.Struct.Fields>(
  elements: ReadonlyArray<Schema.Schema.AnyNoContext>,
  fields: F
) => {
  const keys = Object.keys(fields)
  return Schema.transform(
    Schema.Tuple(elements, Schema.Unknown) as unknown as Schema.Schema<ReadonlyArray<any>, ReadonlyArray<unknown>>,
    Schema.Struct(fields) as unknown as Schema.Schema<Schema.Struct.Type<F>, Schema.Struct.Type<F>>,
    {
      strict: false,
      decode: (list) => Object.fromEntries(keys.map((key, i) => [key, list[i]])),
      encode: (value) => keys.map((key) => (value as Record<string, unknown>)[key])
    }
  )
}

const fromRouter = { onInvalid: "fail" } as const

export interface SessionLeft {
  readonly session: number
  readonly authid: string | undefined
  readonly authrole: string | undefined
}
export interface SessionAndId {
  /** The session that caused the event. */
  readonly session: number
  /** The registration or subscription. */
  readonly id: number
}

const MaybeString = Schema.transform(Schema.NullishOr(Schema.String), Schema.UndefinedOr(Schema.String), {
  strict: true,
  decode: (s) => s ?? undefined,
  encode: (s) => s
})
const ById = positional([Id, Id], { session: Schema.Number, id: Schema.Number })

export const OnJoin = Topic.make("wamp.session.on_join", {
  args: positional([SessionDetails], { details: Schema.typeSchema(SessionDetails) }),
  ...fromRouter
})
export const OnLeave = Topic.make("wamp.session.on_leave", {
  args: positional([Id, Schema.optionalElement(MaybeString), Schema.optionalElement(MaybeString)] as never, {
    session: Schema.Number,
    authid: Schema.UndefinedOr(Schema.String),
    authrole: Schema.UndefinedOr(Schema.String)
  }),
  ...fromRouter
})
export const OnRegistrationCreate = Topic.make("wamp.registration.on_create", {
  args: positional([Id, RegistrationDetails], {
    session: Schema.Number,
    details: Schema.typeSchema(RegistrationDetails)
  }),
  ...fromRouter
})
export const OnRegister = Topic.make("wamp.registration.on_register", { args: ById, ...fromRouter })
export const OnUnregister = Topic.make("wamp.registration.on_unregister", { args: ById, ...fromRouter })
export const OnRegistrationDelete = Topic.make("wamp.registration.on_delete", { args: ById, ...fromRouter })
export const OnSubscriptionCreate = Topic.make("wamp.subscription.on_create", {
  args: positional([Id, SubscriptionDetails], {
    session: Schema.Number,
    details: Schema.typeSchema(SubscriptionDetails)
  }),
  ...fromRouter
})
export const OnSubscribe = Topic.make("wamp.subscription.on_subscribe", { args: ById, ...fromRouter })
export const OnUnsubscribe = Topic.make("wamp.subscription.on_unsubscribe", { args: ById, ...fromRouter })
export const OnSubscriptionDelete = Topic.make("wamp.subscription.on_delete", { args: ById, ...fromRouter })

// ---------------------------------------------------------------------------------------------
// Operations on a given session
// ---------------------------------------------------------------------------------------------

export interface KillOptions {
  /** GOODBYE.Reason sent to the killed sessions (default `wamp.close.killed`). */
  readonly reason?: string | undefined
  /** GOODBYE.Details.message. */
  readonly message?: string | undefined
}

export interface LookupOptions {
  readonly match?: MatchPolicy | undefined
}

/** What a meta call can fail with besides its typed "not found" error. */
export type MetaError = WampError.WampError | Procedure.PayloadError | SessionError | EncodeError

const killReason = (options: KillOptions | undefined) => ({
  ...(options?.reason === undefined ? {} : { reason: options.reason }),
  ...(options?.message === undefined ? {} : { message: options.message })
})

const lookupArgs = (uri: string, options: LookupOptions | undefined) =>
  (options?.match === undefined ? [uri] : [uri, { match: options.match }]) as
    | readonly [string]
    | readonly [string, { readonly match: MatchPolicy }]

const roles = (filterAuthroles: ReadonlyArray<string> | undefined) =>
  (filterAuthroles === undefined ? [] : [filterAuthroles]) as readonly [] | readonly [ReadonlyArray<string>]

const onlyMissing = (error: unknown) => WampError.isNoSuchProcedure(error)

/** The meta API on a given session (no `Session` in context needed). */
export const forSession = (session: SessionService) => {
  const { call } = Procedure.forSession(session)
  const { subscribe } = Topic.forSession(session)
  const events = <T extends Topic.Topic, A>(topic: T, pick: (payload: Topic.Payload<T>) => A) =>
    Stream.unwrapScoped(
      Effect.map(subscribe(topic), (subscription) => Stream.map(subscription.events, (event) => pick(event.payload)))
    )
  return {
    // Sessions
    sessionCount: (filterAuthroles?: ReadonlyArray<string>): Effect.Effect<number, MetaError> =>
      call(SessionCount, roles(filterAuthroles)),
    sessionList: (filterAuthroles?: ReadonlyArray<string>): Effect.Effect<ReadonlyArray<number>, MetaError> =>
      call(SessionList, roles(filterAuthroles)),
    sessionGet: (id: number): Effect.Effect<SessionDetails, NoSuchSession | MetaError> => call(SessionGet, [id]),
    killSession: (id: number, options?: KillOptions): Effect.Effect<void, NoSuchSession | MetaError> =>
      call(SessionKill, { args: [id], kwargs: killReason(options) }),
    killByAuthid: (authid: string, options?: KillOptions): Effect.Effect<KilledSessions, MetaError> =>
      call(SessionKillByAuthid, { args: [authid], kwargs: killReason(options) }),
    killByAuthrole: (authrole: string, options?: KillOptions): Effect.Effect<number, MetaError> =>
      call(SessionKillByAuthrole, { args: [authrole], kwargs: killReason(options) }),
    killAll: (options?: KillOptions): Effect.Effect<number, MetaError> => call(SessionKillAll, killReason(options)),

    // Registrations
    registrationList: (): Effect.Effect<IdsByMatch, MetaError> => call(RegistrationList),
    registrationLookup: (procedure: string, options?: LookupOptions): Effect.Effect<Option.Option<number>, MetaError> =>
      call(RegistrationLookup, lookupArgs(procedure, options)),
    registrationMatch: (procedure: string): Effect.Effect<Option.Option<number>, MetaError> =>
      call(RegistrationMatch, [procedure]),
    registrationGet: (id: number): Effect.Effect<RegistrationDetails, NoSuchRegistration | MetaError> =>
      call(RegistrationGet, [id]),
    listCallees: (id: number): Effect.Effect<ReadonlyArray<number>, NoSuchRegistration | MetaError> =>
      call(RegistrationListCallees, [id]),
    countCallees: (id: number): Effect.Effect<number, NoSuchRegistration | MetaError> =>
      call(RegistrationCountCallees, [id]),

    // Subscriptions
    subscriptionList: (): Effect.Effect<IdsByMatch, MetaError> => call(SubscriptionList),
    subscriptionLookup: (topic: string, options?: LookupOptions): Effect.Effect<Option.Option<number>, MetaError> =>
      call(SubscriptionLookup, lookupArgs(topic, options)),
    subscriptionMatch: (topic: string): Effect.Effect<ReadonlyArray<number>, MetaError> =>
      call(SubscriptionMatch, [topic]),
    subscriptionGet: (id: number): Effect.Effect<SubscriptionDetails, NoSuchSubscription | MetaError> =>
      call(SubscriptionGet, [id]),
    listSubscribers: (id: number): Effect.Effect<ReadonlyArray<number>, NoSuchSubscription | MetaError> =>
      call(SubscriptionListSubscribers, [id]),
    countSubscribers: (id: number): Effect.Effect<number, NoSuchSubscription | MetaError> =>
      call(SubscriptionCountSubscribers, [id]).pipe(
        Effect.catchIf(onlyMissing, () => Effect.map(call(SubscriptionListSubscribers, [id]), (ids) => ids.length))
      ),

    // Events: each stream subscribes when run and unsubscribes when it ends.
    onJoin: events(OnJoin, (p) => p.details) as Stream.Stream<SessionDetails, MetaEventError>,
    onLeave: events(OnLeave, (p) => p as SessionLeft) as Stream.Stream<SessionLeft, MetaEventError>,
    onRegistrationCreate: events(OnRegistrationCreate, (p) => p) as Stream.Stream<
      { readonly session: number; readonly details: RegistrationDetails },
      MetaEventError
    >,
    onRegister: events(OnRegister, (p) => p as SessionAndId) as Stream.Stream<SessionAndId, MetaEventError>,
    onUnregister: events(OnUnregister, (p) => p as SessionAndId) as Stream.Stream<SessionAndId, MetaEventError>,
    onRegistrationDelete: events(OnRegistrationDelete, (p) => p as SessionAndId) as Stream.Stream<
      SessionAndId,
      MetaEventError
    >,
    onSubscriptionCreate: events(OnSubscriptionCreate, (p) => p) as Stream.Stream<
      { readonly session: number; readonly details: SubscriptionDetails },
      MetaEventError
    >,
    onSubscribe: events(OnSubscribe, (p) => p as SessionAndId) as Stream.Stream<SessionAndId, MetaEventError>,
    onUnsubscribe: events(OnUnsubscribe, (p) => p as SessionAndId) as Stream.Stream<SessionAndId, MetaEventError>,
    onSubscriptionDelete: events(OnSubscriptionDelete, (p) => p as SessionAndId) as Stream.Stream<
      SessionAndId,
      MetaEventError
    >
  }
}

/** What a meta event stream can fail with. */
export type MetaEventError = WampError.WampError | Topic.EventStreamError

export type MetaService = ReturnType<typeof forSession>

// ---------------------------------------------------------------------------------------------
// Operations with the current `Session`
// ---------------------------------------------------------------------------------------------

const use = <A, E>(f: (meta: MetaService) => Effect.Effect<A, E>): Effect.Effect<A, E, Session> =>
  Effect.flatMap(Session, (session) => f(forSession(session)))
const useStream = <A, E>(f: (meta: MetaService) => Stream.Stream<A, E>): Stream.Stream<A, E, Session> =>
  Stream.unwrap(Effect.map(Session, (session) => f(forSession(session))))

/** `wamp.session.count`, optionally only sessions with one of `filterAuthroles`. */
export const sessionCount = (filterAuthroles?: ReadonlyArray<string>) => use((m) => m.sessionCount(filterAuthroles))
/** `wamp.session.list`: session ids (order undefined). */
export const sessionList = (filterAuthroles?: ReadonlyArray<string>) => use((m) => m.sessionList(filterAuthroles))
export const sessionGet = (id: number) => use((m) => m.sessionGet(id))
/** `wamp.session.kill`: GOODBYE to another session (our own is `NoSuchSession`). */
export const killSession = (id: number, options?: KillOptions) => use((m) => m.killSession(id, options))
export const killByAuthid = (authid: string, options?: KillOptions) => use((m) => m.killByAuthid(authid, options))
/** `wamp.session.kill_by_authrole`: the number killed. */
export const killByAuthrole = (authrole: string, options?: KillOptions) =>
  use((m) => m.killByAuthrole(authrole, options))
/** `wamp.session.kill_all`: every other session of the realm; the number killed. */
export const killAll = (options?: KillOptions) => use((m) => m.killAll(options))

export const registrationList = () => use((m) => m.registrationList())
export const registrationLookup = (procedure: string, options?: LookupOptions) =>
  use((m) => m.registrationLookup(procedure, options))
/** `wamp.registration.match`: the registration an INVOCATION of `procedure` would go to. */
export const registrationMatch = (procedure: string) => use((m) => m.registrationMatch(procedure))
export const registrationGet = (id: number) => use((m) => m.registrationGet(id))
export const listCallees = (id: number) => use((m) => m.listCallees(id))
export const countCallees = (id: number) => use((m) => m.countCallees(id))

export const subscriptionList = () => use((m) => m.subscriptionList())
export const subscriptionLookup = (topic: string, options?: LookupOptions) =>
  use((m) => m.subscriptionLookup(topic, options))
/** `wamp.subscription.match`: every subscription an EVENT on `topic` goes to. */
export const subscriptionMatch = (topic: string) => use((m) => m.subscriptionMatch(topic))
export const subscriptionGet = (id: number) => use((m) => m.subscriptionGet(id))
export const listSubscribers = (id: number) => use((m) => m.listSubscribers(id))
export const countSubscribers = (id: number) => use((m) => m.countSubscribers(id))

export const onJoin = useStream((m) => m.onJoin)
export const onLeave = useStream((m) => m.onLeave)
export const onRegistrationCreate = useStream((m) => m.onRegistrationCreate)
export const onRegister = useStream((m) => m.onRegister)
export const onUnregister = useStream((m) => m.onUnregister)
export const onRegistrationDelete = useStream((m) => m.onRegistrationDelete)
export const onSubscriptionCreate = useStream((m) => m.onSubscriptionCreate)
export const onSubscribe = useStream((m) => m.onSubscribe)
export const onUnsubscribe = useStream((m) => m.onUnsubscribe)
export const onSubscriptionDelete = useStream((m) => m.onSubscriptionDelete)

/** Subscribes to a meta topic now (for the scope), so no event after this point is missed. */
export const subscribe = <T extends Topic.Topic>(
  topic: T
): Effect.Effect<Topic.TopicSubscription<T>, WampError.WampError | SessionError | EncodeError, Session | Scope.Scope> =>
  Topic.subscribe(topic)
