/**
 * Checklist section 7 ("Session state" and "Correlation"): each bad input ends in the specified
 * reaction — ABORT wamp.error.protocol_violation, everything pending failed with ProtocolError,
 * the link closed — or is ignored where the checklist says so.
 */
import { describe, expect } from "@effect/vitest"
import { Effect, Fiber, Layer } from "effect"
import * as Authenticator from "../src/Authenticator.js"
import type * as Message from "../src/Message.js"
import * as Session from "../src/Session.js"
import * as FakePeer from "../src/testing/FakePeer.js"
import { counters, join, scoped } from "./support/session.js"

type Bad =
  | { readonly message: Message.Message }
  | { readonly raw: ReadonlyArray<unknown> }
  | { readonly frame: string | Uint8Array }

const send = (peer: FakePeer.FakePeer, bad: Bad) =>
  "message" in bad ? peer.send(bad.message) : "raw" in bad ? peer.sendRaw(bad.raw) : peer.sendFrame(bad.frame)

const violations: ReadonlyArray<readonly [string, Bad]> = [
  ["undecodable JSON", { frame: "[1, 2" }],
  ["binary frame on a JSON session", { frame: new Uint8Array([0x93, 1, 2, 3]) }],
  ["top level not a list", { frame: "{\"a\": 1}" }],
  ["empty list", { raw: [] }],
  ["unknown message code", { raw: [7, 1, {}] }],
  ["extension message code", { raw: [300, 1] }],
  ["wrong arity", { raw: [36, 1, 2] }],
  ["id out of range", { raw: [50, 2 ** 53 + 2, {}] }],
  ["boolean option carrying an integer", { raw: [50, 1, { progress: 1 }] }],
  ["second WELCOME", { message: { _tag: "Welcome", session: 2, details: { roles: { broker: {} } } } }],
  ["CHALLENGE after WELCOME", { message: { _tag: "Challenge", authMethod: "ticket", extra: {} } }],
  ["RESULT for a request never issued", { message: { _tag: "Result", request: 99, details: {} } }],
  ["SUBSCRIBED answering a CALL", { message: { _tag: "Subscribed", request: 1, subscription: 5 } }],
  ["ERROR with an invalid request type", {
    message: { _tag: "Error", requestType: 68, request: 1, details: {}, error: "wamp.error.x" }
  }],
  ["EVENT for a subscription never held", { message: { _tag: "Event", subscription: 5, publication: 1, details: {} } }],
  ["INVOCATION for a registration never held", {
    message: { _tag: "Invocation", request: 1, registration: 5, details: {} }
  }],
  ["a message only clients send", { message: { _tag: "Call", request: 1, options: {}, procedure: "a.b" } }]
]

describe("Session protocol violations", () => {
  for (const [name, bad] of violations) {
    scoped(`${name} → ABORT protocol_violation, pending fails with ProtocolError`, () =>
      Effect.gen(function*() {
        const { peer, session } = yield* join()
        const call = yield* Effect.fork(session.call("com.example.pending"))
        const sent = yield* peer.expect("Call")
        expect(sent.request).toBe(1)
        yield* send(peer, bad)
        const abort = yield* peer.expect("Abort")
        expect(abort.reason).toBe("wamp.error.protocol_violation")
        expect(typeof abort.details["message"]).toBe("string")
        const error = yield* Effect.flip(Fiber.join(call))
        expect(error._tag).toBe("ProtocolError")
        const closed = yield* session.closed
        expect(closed.by).toBe("violation")
        yield* peer.closed
        expect(counters(session).pending).toBe(0)
      }))
  }

  scoped(
    "a message other than WELCOME/ABORT/CHALLENGE while establishing fails the join",
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
        yield* peer.send({ _tag: "Result", request: 1, details: {} })
        expect((yield* peer.expect("Abort")).reason).toBe("wamp.error.protocol_violation")
        const error = yield* Effect.flip(Fiber.join(fiber))
        expect(error._tag).toBe("ProtocolError")
        yield* peer.closed
      })
  )

  scoped("a WELCOME without broker or dealer role is a protocol violation", () =>
    Effect.gen(function*() {
      const fake = yield* FakePeer.make()
      const fiber = yield* Effect.fork(
        Session.make({ realm: "realm1" }).pipe(Effect.provide(Layer.merge(fake.layer, Authenticator.layerAnonymous())))
      )
      const peer = yield* fake.accept
      yield* peer.welcome({ roles: {} })
      const error = yield* Effect.flip(Fiber.join(fiber))
      expect(error._tag).toBe("ProtocolError")
    }))

  scoped("unknown Details keys and unknown WELCOME features are ignored", () =>
    Effect.gen(function*() {
      const { peer, session } = yield* join({
        welcome: { roles: { dealer: { features: { future_feature: true } } }, details: { x_cb_node: "n1" } }
      })
      const call = yield* Effect.fork(session.call("com.example.p"))
      yield* peer.expect("Call")
      yield* peer.send({ _tag: "Result", request: 1, details: { x_future: [1], _impl_key: true } })
      yield* Fiber.join(call)
      expect(yield* session.isOpen).toBe(true)
    }))

  scoped("fox-wamp style trailing null payload is accepted as absent", () =>
    Effect.gen(function*() {
      const { peer, session } = yield* join()
      const call = yield* Effect.fork(session.call("com.example.p"))
      yield* peer.expect("Call")
      yield* peer.sendRaw([50, 1, {}, [3], null])
      expect(yield* Fiber.join(call)).toEqual({ args: [3], kwargs: {}, details: {} })
    }))

  scoped(
    "INTERRUPT with an unknown mode is a protocol violation; for an unknown invocation it is ignored",
    () =>
      Effect.gen(function*() {
        const { peer, session } = yield* join()
        yield* peer.send({ _tag: "Interrupt", request: 77, options: { mode: "kill" } })
        yield* peer.expectNothing()
        const fiber = yield* Effect.fork(session.register("com.example.p", () => Effect.never))
        const register = yield* peer.expect("Register")
        yield* peer.send({ _tag: "Registered", request: register.request, registration: 1 })
        yield* Fiber.join(fiber)
        yield* peer.send({ _tag: "Invocation", request: 1, registration: 1, details: {} })
        yield* peer.send({ _tag: "Interrupt", request: 1, options: { mode: "explode" } })
        expect((yield* peer.expect("Abort")).reason).toBe("wamp.error.protocol_violation")
      })
  )

  scoped("a second non-progressive INVOCATION with an active id is a protocol violation", () =>
    Effect.gen(function*() {
      const { peer, session } = yield* join()
      const fiber = yield* Effect.fork(session.register("com.example.p", () => Effect.never))
      const register = yield* peer.expect("Register")
      yield* peer.send({ _tag: "Registered", request: register.request, registration: 1 })
      yield* Fiber.join(fiber)
      yield* peer.send({ _tag: "Invocation", request: 4, registration: 1, details: {} })
      yield* peer.send({ _tag: "Invocation", request: 4, registration: 1, details: {} })
      expect((yield* peer.expect("Abort")).reason).toBe("wamp.error.protocol_violation")
    }))

  scoped(
    "REGISTERED with a registration id this session already holds is a protocol violation",
    () =>
      Effect.gen(function*() {
        const { peer, session } = yield* join()
        for (const procedure of ["com.example.a", "com.example.b"]) {
          const fiber = yield* Effect.fork(Effect.either(session.register(procedure, () => Effect.void)))
          const register = yield* peer.expect("Register")
          yield* peer.send({ _tag: "Registered", request: register.request, registration: 1 })
          yield* Fiber.join(fiber)
        }
        expect((yield* peer.expect("Abort")).reason).toBe("wamp.error.protocol_violation")
      })
  )
})
