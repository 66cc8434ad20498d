/**
 * Test helpers: a session joined through a FakePeer.
 */
import { Effect, Fiber, Layer } from "effect"
import * as Authenticator from "../../src/Authenticator.js"
import type * as Serializer from "../../src/Serializer.js"
import * as Session from "../../src/Session.js"
import * as FakePeer from "../../src/testing/FakePeer.js"

export interface Joined {
  readonly session: Session.SessionService
  readonly peer: FakePeer.FakePeer
  readonly hello: import("../../src/Message.js").Hello
  readonly fake: FakePeer.FakeRouter
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
      Session.make({ realm: "realm1", goodbyeTimeout: "200 millis", ...options?.session }).pipe(Effect.provide(layer))
    )
    const peer = yield* fake.accept
    const hello = yield* peer.welcome(options?.welcome)
    const session = yield* Fiber.join(fiber)
    return { session, peer, hello, fake } satisfies Joined
  })
