/**
 * The connection's state as data, the one place it is kept: a `SubscriptionRef`, so readers see
 * every transition in order and the current value.
 */
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as SubscriptionRef from "effect/SubscriptionRef"
import type { ConnectionFailure as Failure, ConnectionState as State } from "../../Connection.js"

export const ConnectionFailure = Data.taggedEnum<Failure>()

export const ConnectionState = Data.taggedEnum<State>()

/** Waiting to retry, or re-joining after a failure. */
export const isRetrying = (state: State): boolean =>
  state._tag === "Retrying" || (state._tag === "Connecting" && state.attempt > 0)

export const makeStateRef: Effect.Effect<SubscriptionRef.SubscriptionRef<State>> = Effect.suspend(() =>
  SubscriptionRef.make<State>(ConnectionState.Connecting({ attempt: 0 }))
)
