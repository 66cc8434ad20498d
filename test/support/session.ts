/**
 * Test helpers: a session joined through a FakePeer.
 */
import { Effect, Fiber, Layer } from "effect"
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
    return { session, peer, hello, fake } satisfies Joined
  })
