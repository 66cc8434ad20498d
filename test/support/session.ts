/**
 * Test helpers: a session joined through a FakePeer.
 */
import { Effect, Fiber, Layer } from "effect"
import * as Authenticator from "../../src/Authenticator.js"
import type * as Serializer from "../../src/Serializer.js"
import * as Session from "../../src/Session.js"
import * as FakePeer from "../../src/testing/FakePeer.js"

import { Either } from "effect"
import { DecodeError, EncodeError } from "../../src/Errors.js"
const tmpJson: Serializer.SerializerService = {
  name: "json",
  subprotocol: "wamp.2.json",
  rawSocketId: 1,
  binary: false,
  encode: (m) => {
    try {
      return Either.right(JSON.stringify(m))
    } catch (e) {
      return Either.left(new EncodeError({ message: String(e) }))
    }
  },
  decode: (f) => {
    if (typeof f !== "string") return Either.left(new DecodeError({ reason: "FrameKind", message: "binary" }))
    try {
      const v = JSON.parse(f)
      return Array.isArray(v)
        ? Either.right(v)
        : Either.left(new DecodeError({ reason: "Syntax", message: "not a list" }))
    } catch (e) {
      return Either.left(new DecodeError({ reason: "Syntax", message: String(e) }))
    }
  }
}
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
    const fake = yield* FakePeer.make({ serializer: options?.serializer ?? tmpJson })
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
