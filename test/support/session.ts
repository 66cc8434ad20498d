/**
 * Test helpers: a session joined through a FakePeer.
 */
import { it } from "@effect/vitest"
import { Context, Effect, Fiber, Layer, type Scope } from "effect"
import * as Authenticator from "../../src/Authenticator.js"
import { makeHandle, type SessionCounters, type SessionHandle } from "../../src/internal/session/make.js"
import type * as Serializer from "../../src/Serializer.js"
import type * as Session from "../../src/Session.js"
import * as FakePeer from "../../src/testing/FakePeer.js"

export interface Joined {
  readonly session: Session.SessionService
  readonly peer: FakePeer.FakePeer
  readonly hello: import("../../src/Message.js").Hello
  readonly fake: FakePeer.FakeRouter
}

/** The peers `join` made inside `virtual`, dropped when its body ends. */
class PeersToDrop extends Context.Tag("test/support/PeersToDrop")<PeersToDrop, Array<FakePeer.FakePeer>>() {}

/**
 * Runs a test body so that it can run on `TestClock`: when the body ends, the links of the sessions
 * `join` made in it drop, before the test's scope closes. Otherwise the scope's finalizers (the
 * session's GOODBYE, a registration's UNREGISTER) would wait for replies the FakePeer never sends,
 * bounded by timeouts that virtual time never reaches. The FakePeer's own waits run on real time.
 */
export const virtual = <A, E, R>(body: Effect.Effect<A, E, R>): Effect.Effect<A, E, Exclude<R, PeersToDrop>> =>
  Effect.suspend(() => {
    const peers: Array<FakePeer.FakePeer> = []
    return body.pipe(
      Effect.provideService(PeersToDrop, peers),
      Effect.ensuring(Effect.forEach(peers, (peer) => peer.drop, { discard: true }))
    )
  })

/** Inside `virtual`: drops this peer's link too when the body ends (for sessions made without `join`). */
export const dropAtEnd = (peer: FakePeer.FakePeer): Effect.Effect<void> =>
  Effect.map(Effect.serviceOption(PeersToDrop), (peers) => {
    if (peers._tag === "Some") peers.value.push(peer)
  })

/** `it.scoped` with the body run by `virtual`: an in-memory session test on `TestClock`. */
export const scoped = <A, E>(name: string, body: () => Effect.Effect<A, E, Scope.Scope>, timeout?: number) =>
  it.scoped(name, () => virtual(body()), timeout)

/** Handles of the sessions `join` made, so tests can check the tables are empty afterwards. */
const handles = new WeakMap<Session.SessionService, SessionHandle>()

/** The table sizes of a session made by `join`. */
export const counters = (session: Session.SessionService): SessionCounters => {
  const handle = handles.get(session)
  if (handle === undefined) throw new Error("counters: not a session made by join()")
  return handle.counters()
}

export const join = (options?: {
  readonly session?: Partial<Session.SessionOptions>
  readonly welcome?: FakePeer.WelcomeOptions
  readonly authenticator?: Authenticator.AuthenticatorService
  readonly serializer?: Serializer.SerializerService
}) =>
  Effect.gen(function*() {
    const fake = yield* FakePeer.make(options?.serializer ? { serializer: options.serializer } : undefined)
    const layer = Layer.merge(
      fake.layer,
      Layer.succeed(Authenticator.Authenticator, options?.authenticator ?? Authenticator.anonymous())
    )
    const fiber = yield* Effect.fork(
      makeHandle({ realm: "realm1", goodbyeTimeout: "200 millis", ...options?.session }).pipe(Effect.provide(layer))
    )
    const peer = yield* fake.accept
    const hello = yield* peer.welcome(options?.welcome)
    const handle = yield* Fiber.join(fiber)
    const session = handle.service
    handles.set(session, handle)
    yield* dropAtEnd(peer)
    return { session, peer, hello, fake } satisfies Joined
  })
