import { describe, expect } from "@effect/vitest"
import { Effect, Either, Exit, Fiber, Layer, Logger, Option, Redacted, Scope, TestClock } from "effect"
import * as Authenticator from "../src/Authenticator.js"
import * as Session from "../src/Session.js"
import * as FakePeer from "../src/testing/FakePeer.js"
import * as WampError from "../src/WampError.js"
import { dropAtEnd, join, scoped } from "./support/session.js"

const roleFeatures = (hello: { details: Record<string, unknown> }, role: string) =>
  ((hello.details["roles"] as any)[role] as { features: Record<string, boolean> }).features

describe("Session lifecycle", () => {
  scoped(
    "HELLO announces realm, agent, roles with the features we implement, authmethods",
    () =>
      Effect.gen(function*() {
        const { hello, session } = yield* join()
        expect(hello.realm).toBe("realm1")
        expect(hello.details["agent"]).toMatch(/^effect-wamp\//)
        expect(hello.details["authmethods"]).toEqual(["anonymous"])
        expect(roleFeatures(hello, "caller")["call_canceling"]).toBe(true)
        expect(roleFeatures(hello, "callee")["progressive_call_results"]).toBe(true)
        // A callee announcing progressive results must announce call_canceling too.
        expect(roleFeatures(hello, "callee")["call_canceling"]).toBe(true)
        expect(roleFeatures(hello, "subscriber")["pattern_based_subscription"]).toBe(true)
        expect(roleFeatures(hello, "publisher")["publisher_exclusion"]).toBe(true)
        expect(roleFeatures(hello, "caller")["payload_passthru_mode"]).toBe(true)
        expect(session.info.id).toBe(1)
        expect(session.info.authrole).toBe("anonymous")
        expect(session.info.supports("dealer", "call_canceling")).toBe(true)
        expect(session.info.supports("broker", "no_such_feature")).toBe(false)
        expect(yield* session.isOpen).toBe(true)
      })
  )

  scoped(
    "closing the scope sends GOODBYE wamp.close.normal and ends cleanly on the reply",
    () =>
      Effect.gen(function*() {
        const scope = yield* Scope.make()
        const { peer, session } = yield* join().pipe(Scope.extend(scope))
        const closing = yield* Effect.fork(Scope.close(scope, Exit.void))
        const goodbye = yield* peer.expect("Goodbye")
        expect(goodbye.reason).toBe("wamp.close.normal")
        yield* peer.send({ _tag: "Goodbye", details: {}, reason: "wamp.close.goodbye_and_out" })
        yield* Fiber.join(closing)
        const reason = yield* session.closed
        expect(reason).toEqual({ reason: "wamp.close.normal", message: "", by: "local", wasClean: true })
        expect(yield* session.isOpen).toBe(false)
        // Operations after the end fail typed, at once.
        const error = yield* Effect.flip(session.call("com.example.add"))
        expect(error._tag).toBe("SessionClosedError")
      })
  )

  scoped("leave without a GOODBYE reply closes the link after the timeout", () =>
    Effect.gen(function*() {
      const { peer, session } = yield* join({ session: { goodbyeTimeout: "100 millis" } })
      const leaving = yield* Effect.fork(session.leave("wamp.close.system_shutdown", "bye"))
      const goodbye = yield* peer.expect("Goodbye")
      expect(goodbye.reason).toBe("wamp.close.system_shutdown")
      expect(goodbye.details).toEqual({ message: "bye" })
      // Virtual time: the link stays open until the timeout has passed.
      yield* TestClock.adjust("99 millis")
      expect(yield* Fiber.poll(leaving)).toEqual(Option.none())
      yield* TestClock.adjust("1 millis")
      yield* Fiber.join(leaving)
      const closed = yield* peer.closed
      expect(closed.code).toBe(1000)
      expect((yield* session.closed).wasClean).toBe(false)
    }))

  scoped(
    "a pending call fails at once when we leave, and nothing but GOODBYE is processed after",
    () =>
      Effect.gen(function*() {
        const { peer, session } = yield* join()
        const call = yield* Effect.fork(session.call("com.example.slow"))
        const sent = yield* peer.expect("Call")
        const leaving = yield* Effect.fork(session.leave())
        yield* peer.expect("Goodbye")
        const error = yield* Effect.flip(Fiber.join(call))
        expect(error).toMatchObject({ _tag: "SessionClosedError", reason: "wamp.close.normal" })
        // A RESULT while shutting down is ignored (no protocol violation, no ABORT).
        yield* peer.send({ _tag: "Result", request: sent.request, details: {}, args: [1] })
        yield* peer.send({ _tag: "Goodbye", details: {}, reason: "wamp.close.goodbye_and_out" })
        yield* Fiber.join(leaving)
        expect((yield* session.closed).by).toBe("local")
      })
  )

  scoped("router GOODBYE: reply once, fail pending with SessionClosedError", () =>
    Effect.gen(function*() {
      const { peer, session } = yield* join()
      const call = yield* Effect.fork(session.call("com.example.slow"))
      yield* peer.expect("Call")
      yield* peer.send({ _tag: "Goodbye", details: { message: "maintenance" }, reason: "wamp.close.system_shutdown" })
      const reply = yield* peer.expect("Goodbye")
      expect(reply.reason).toBe("wamp.close.goodbye_and_out")
      const error = yield* Effect.flip(Fiber.join(call))
      expect(error).toMatchObject({ _tag: "SessionClosedError", reason: "wamp.close.system_shutdown", wasClean: true })
      expect(yield* session.closed).toEqual({
        reason: "wamp.close.system_shutdown",
        message: "maintenance",
        by: "router",
        wasClean: true
      })
      yield* peer.expectNothing()
    }))

  scoped("ABORT after WELCOME ends the session without a reply", () =>
    Effect.gen(function*() {
      const { peer, session } = yield* join()
      const call = yield* Effect.fork(session.call("com.example.slow"))
      yield* peer.expect("Call")
      yield* peer.send({ _tag: "Abort", details: { message: "go away" }, reason: "wamp.error.not_authorized" })
      const error = yield* Effect.flip(Fiber.join(call))
      expect(error).toMatchObject({ _tag: "SessionClosedError", reason: "wamp.error.not_authorized" })
      expect((yield* session.closed).by).toBe("router")
      yield* peer.expectNothing()
    }))

  scoped("a dropped link fails everything pending with transport_lost", () =>
    Effect.gen(function*() {
      const { peer, session } = yield* join()
      const calls = yield* Effect.forEach(
        [1, 2, 3],
        (n) => Effect.fork(session.call("com.example.slow", [n])),
        { concurrency: "unbounded" }
      )
      for (let i = 0; i < 3; i++) yield* peer.expect("Call")
      yield* peer.drop
      for (const call of calls) {
        const error = yield* Effect.flip(Fiber.join(call))
        expect(error).toMatchObject({
          _tag: "SessionClosedError",
          reason: "wamp.close.transport_lost",
          wasClean: false
        })
      }
      expect((yield* session.closed).by).toBe("transport")
    }))

  scoped("router denial during join is a typed WampError carrying the URI and message", () =>
    Effect.gen(function*() {
      const fake = yield* FakePeer.make()
      const fiber = yield* Effect.fork(
        Session.make({ realm: "nope" }).pipe(
          Effect.provide(Layer.merge(fake.layer, Authenticator.layerAnonymous()))
        )
      )
      const peer = yield* fake.accept
      yield* peer.expect("Hello")
      yield* peer.send({
        _tag: "Abort",
        details: { message: "The realm does not exist." },
        reason: "wamp.error.no_such_realm"
      })
      const error = yield* Effect.flip(Fiber.join(fiber))
      expect(WampError.isNoSuchRealm(error)).toBe(true)
      expect((error as WampError.WampError).details["message"]).toBe("The realm does not exist.")
      yield* peer.closed
    }))

  scoped("ticket: CHALLENGE is answered with AUTHENTICATE, then WELCOME", () =>
    Effect.gen(function*() {
      const fake = yield* FakePeer.make()
      const auth = Authenticator.ticket({ authid: "joe", ticket: Redacted.make("secret!!!") })
      const fiber = yield* Effect.fork(
        Session.make({ realm: "realm1" }).pipe(
          Effect.provide(Layer.merge(fake.layer, Layer.succeed(Authenticator.Authenticator, auth)))
        )
      )
      const peer = yield* fake.accept
      yield* dropAtEnd(peer)
      const hello = yield* peer.expect("Hello")
      expect(hello.details["authmethods"]).toEqual(["ticket"])
      expect(hello.details["authid"]).toBe("joe")
      yield* peer.send({ _tag: "Challenge", authMethod: "ticket", extra: {} })
      const authenticate = yield* peer.expect("Authenticate")
      expect(authenticate.signature).toBe("secret!!!")
      yield* peer.send({
        _tag: "Welcome",
        session: 7,
        details: { roles: FakePeer.routerRoles, authid: "joe", authrole: "user", authmethod: "ticket" }
      })
      const session = yield* Fiber.join(fiber)
      expect(session.info).toMatchObject({ id: 7, authid: "joe", authrole: "user", authmethod: "ticket" })
    }))

  scoped(
    "a CHALLENGE for a method we did not offer: ABORT cannot_authenticate and AuthenticationError",
    () =>
      Effect.gen(function*() {
        const fake = yield* FakePeer.make()
        const fiber = yield* Effect.fork(
          Session.make({ realm: "realm1" }).pipe(
            Effect.provide(Layer.merge(fake.layer, Authenticator.layerAnonymous()))
          )
        )
        const peer = yield* fake.accept
        yield* peer.expect("Hello")
        yield* peer.send({ _tag: "Challenge", authMethod: "wampcra", extra: { challenge: "{}" } })
        const abort = yield* peer.expect("Abort")
        expect(abort.reason).toBe("wamp.error.cannot_authenticate")
        const error = yield* Effect.flip(Fiber.join(fiber))
        expect(error._tag).toBe("AuthenticationError")
      })
  )

  scoped(
    "a defect inside the dispatcher (a buggy authenticator) ends the session instead of hanging",
    () =>
      Effect.gen(function*() {
        const fake = yield* FakePeer.make()
        const buggy: Authenticator.AuthenticatorService = {
          authmethods: ["ticket"],
          authid: "joe",
          challenge: () => Effect.die(new Error("bug"))
        }
        const fiber = yield* Effect.fork(
          Session.make({ realm: "realm1" }).pipe(
            Effect.provide(Layer.merge(fake.layer, Layer.succeed(Authenticator.Authenticator, buggy)))
          )
        )
        const peer = yield* fake.accept
        yield* peer.expect("Hello")
        yield* peer.send({ _tag: "Challenge", authMethod: "ticket", extra: {} })
        const error = yield* Effect.flip(Fiber.join(fiber))
        expect(error._tag).toBe("SessionClosedError")
        yield* peer.closed
      }).pipe(Effect.withLogSpan("quiet"), Effect.provide(Logger.remove(Logger.defaultLogger)))
  )

  scoped(
    "request ids: one counter over all request kinds, unacknowledged PUBLISH included",
    () =>
      Effect.gen(function*() {
        const { peer, session } = yield* join()
        yield* session.publish("com.example.topic", [1])
        expect((yield* peer.expect("Publish")).request).toBe(1)
        const call = yield* Effect.fork(session.call("com.example.proc"))
        const sent = yield* peer.expect("Call")
        expect(sent.request).toBe(2)
        yield* peer.send({ _tag: "Result", request: 2, details: {} })
        yield* Fiber.join(call)
        const sub = yield* Effect.fork(session.subscribe("com.example.topic"))
        expect((yield* peer.expect("Subscribe")).request).toBe(3)
        yield* peer.send({ _tag: "Subscribed", request: 3, subscription: 100 })
        yield* Fiber.join(sub)
      })
  )

  scoped("an unserializable payload fails locally and does not consume a request id", () =>
    Effect.gen(function*() {
      const { peer, session } = yield* join()
      const cyclic: Record<string, unknown> = {}
      cyclic["self"] = cyclic
      const error = yield* Effect.flip(session.call("com.example.proc", [cyclic]))
      expect(error._tag).toBe("EncodeError")
      const call = yield* Effect.fork(session.call("com.example.proc"))
      expect((yield* peer.expect("Call")).request).toBe(1)
      yield* Fiber.interrupt(call)
    }))

  scoped("a bad URI is rejected locally with wamp.error.invalid_uri", () =>
    Effect.gen(function*() {
      const { peer, session } = yield* join()
      const error = yield* Effect.flip(session.call("com.example..bad"))
      expect(error).toMatchObject({ _tag: "WampError", error: "wamp.error.invalid_uri" })
      const registered = yield* Effect.either(session.register("com.example. spaced", () => Effect.void))
      expect(Either.isLeft(registered)).toBe(true)
      yield* peer.expectNothing()
    }))
})
