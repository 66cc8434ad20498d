/**
 * Testament: publications the router makes on a session's behalf when the session goes away
 * (`wamp.session.add_testament` / `wamp.session.flush_testaments`, routers announcing the dealer
 * feature `testament_meta_api`).
 *
 * ```ts
 * // On one session (gone with it):
 * yield* Testament.add(session, { topic: "com.example.gone", args: ["app1"] })
 *
 * // On a Connection: re-applied on every new session after a reconnect.
 * const testaments = yield* Testament.forConnection(connection)
 * yield* testaments.keep({ topic: "com.example.gone", args: ["app1"] })
 * ```
 *
 * A router publishes the `detached` testaments when the session is detached (session resumption)
 * and the `destroyed` ones when it no longer exists; a router without resumption publishes both
 * when the session ends, `detached` first. It publishes them however the session ends, a GOODBYE
 * included: to leave cleanly without them, flush first. `keep` does that for you: closing its scope
 * flushes the testament. So with the usual structure (the Connection a layer, the program's scope
 * inside it) a clean shutdown publishes nothing, while a lost transport or a kill does. Keep them in
 * a scope that closes before the connection's: a session opened later than the `keep` has its scope
 * closed first within one shared scope, and would leave with its testaments.
 */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as PubSub from "effect/PubSub"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import * as SubscriptionRef from "effect/SubscriptionRef"
import type { ConnectionService } from "./Connection.js"
import type { EncodeError } from "./Errors.js"
import type { Dict, List, PublishOptions, SessionError, SessionService } from "./Session.js"
import type { WampError } from "./WampError.js"

export type TestamentScope = "detached" | "destroyed"

export interface Testament {
  readonly topic: string
  readonly args?: List | undefined
  readonly kwargs?: Dict | undefined
  /** PUBLISH.Options of the publication (the router may ignore some, e.g. `acknowledge`). */
  readonly options?: PublishOptions | undefined
  /** Default `destroyed`. */
  readonly scope?: TestamentScope | undefined
}

const ADD = "wamp.session.add_testament"
const FLUSH = "wamp.session.flush_testaments"

/** Adds a testament to this session (`EncodeError`: its payload cannot be serialized, nothing sent). */
export const add = (
  session: SessionService,
  testament: Testament
): Effect.Effect<void, WampError | SessionError | EncodeError> =>
  Effect.asVoid(
    session.call(ADD, [testament.topic, testament.args ?? [], testament.kwargs ?? {}], {
      ...(testament.options === undefined ? {} : { publish_options: testament.options }),
      ...(testament.scope === undefined ? {} : { scope: testament.scope })
    })
  )

/** Removes every testament of one scope (default `destroyed`) from this session. */
export const flush = (
  session: SessionService,
  scope?: TestamentScope
): Effect.Effect<void, WampError | SessionError> =>
  session.call(FLUSH, [], scope === undefined ? {} : { scope }).pipe(
    Effect.asVoid,
    // A scope name always encodes.
    Effect.catchTag("EncodeError", Effect.die)
  )

/** A testament that could not be applied to a new session (the router refused it, ...). */
export interface ReapplyFailure {
  readonly testament: Testament
  readonly session: number
  readonly error: WampError | SessionError | EncodeError
}

export interface ConnectionTestaments {
  /**
   * Keeps a testament on the connection's session for the lifetime of the scope: added now when a
   * session is open (a router refusal, or a payload that cannot be encoded, fails `keep`), and again
   * on every new session. Closing the
   * scope removes it (the router can only flush a whole scope: the others kept in that scope are
   * added again).
   */
  readonly keep: (testament: Testament) => Effect.Effect<void, WampError | EncodeError, Scope.Scope>
  /** Re-application failures on new sessions from the moment it is run (also logged at Warning level). */
  readonly failures: Stream.Stream<ReapplyFailure>
  /**
   * The id of the last session the kept testaments were applied to (each added, or reported in
   * `failures`), then each next one: to know when a new session carries them.
   */
  readonly applied: Stream.Stream<number>
}

const scopeOf = (testament: Testament): TestamentScope => testament.scope ?? "destroyed"

/**
 * The testaments kept on a Connection, for the lifetime of the scope. Use one per connection:
 * the router flushes per session and scope, so two of them would flush each other's testaments.
 */
export const forConnection = (
  connection: ConnectionService
): Effect.Effect<ConnectionTestaments, never, Scope.Scope> =>
  Effect.gen(function*() {
    const kept: Array<Testament> = []
    /** The session each kept testament is on (absent: on none yet). */
    const appliedOn = new Map<Testament, number>()
    // One change at a time to the router-side lists: a new session, a keep, a release.
    const lock = yield* Effect.makeSemaphore(1)
    const failures = yield* Effect.acquireRelease(PubSub.unbounded<ReapplyFailure>(), PubSub.shutdown)
    const applied = yield* SubscriptionRef.make(Option.none<number>())

    const report = (session: SessionService, testament: Testament) => (error: WampError | SessionError | EncodeError) =>
      Effect.zipRight(
        Effect.logWarning(`testament on ${testament.topic} not applied to session ${session.info.id}`, error),
        PubSub.publish(failures, { testament, session: session.info.id, error })
      )

    /** Adds, in order, every kept testament this session does not have yet. */
    const sync = (session: SessionService) =>
      Effect.forEach(
        kept.filter((testament) => appliedOn.get(testament) !== session.info.id),
        (testament) =>
          add(session, testament).pipe(
            Effect.zipRight(Effect.sync(() => appliedOn.set(testament, session.info.id))),
            Effect.catchAll(report(session, testament))
          ),
        { discard: true }
      )

    const openSession = Effect.map(connection.state, (state) => state._tag === "Open" ? state.session : undefined)

    // Every new session gets them; `keep` and `release` also sync the session open at that moment,
    // so whichever comes first applies them and the other finds nothing left to do.
    yield* connection.changes.pipe(
      Stream.runForEach((state) =>
        state._tag === "Open"
          ? lock.withPermits(1)(
            Effect.zipRight(sync(state.session), SubscriptionRef.set(applied, Option.some(state.info.id)))
          )
          : Effect.void
      ),
      Effect.forkScoped
    )

    const release = (testament: Testament) =>
      lock.withPermits(1)(Effect.gen(function*() {
        const index = kept.indexOf(testament)
        if (index !== -1) kept.splice(index, 1)
        const wasOn = appliedOn.get(testament)
        appliedOn.delete(testament)
        const session = yield* openSession
        if (session === undefined || wasOn !== session.info.id) return
        const scope = scopeOf(testament)
        // The router flushes a whole scope: the others kept in it go back on.
        yield* flush(session, scope).pipe(
          Effect.catchAll((error) => Effect.logWarning(`releasing the testament on ${testament.topic}`, error))
        )
        for (const other of kept) if (scopeOf(other) === scope) appliedOn.delete(other)
        yield* sync(session)
      }))

    const keep = (given: Testament): Effect.Effect<void, WampError | EncodeError, Scope.Scope> => {
      // A copy: the identity of this keep, even if the caller keeps the same object twice.
      const testament: Testament = { ...given }
      const acquire = lock.withPermits(1)(Effect.gen(function*() {
        const session = yield* openSession
        if (session !== undefined) {
          // Older ones first, so the order on the router is the order kept.
          yield* sync(session)
          const added = yield* Effect.either(add(session, testament))
          if (added._tag === "Right") appliedOn.set(testament, session.info.id)
          else if (added.left._tag === "WampError" || added.left._tag === "EncodeError") {
            return yield* Effect.fail(added.left)
          }
          // Otherwise the session ended meanwhile: the next one gets it.
        }
        kept.push(testament)
      }))
      return Effect.acquireRelease(acquire, () => release(testament))
    }

    return {
      keep,
      failures: Stream.fromPubSub(failures),
      applied: Stream.filterMap(applied.changes, (id) => id)
    }
  })
