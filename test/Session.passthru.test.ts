/**
 * Payload passthru on the client side against a scripted router: what HELLO announces, refusal
 * when the router does not announce the feature (nothing sent), and the exact wire of both forms.
 */
import { describe, expect } from "@effect/vitest"
import { Effect, Fiber } from "effect"
import * as FakePeer from "../src/testing/FakePeer.js"
import * as WampError from "../src/WampError.js"
import { join, scoped } from "./support/session.js"

const bytes = new Uint8Array([9, 8, 7])

describe("Session in payload passthru mode", () => {
  scoped("HELLO announces both forms for every client role", () =>
    Effect.gen(function*() {
      const { hello } = yield* join()
      const roles = hello.details["roles"] as Record<string, { features: Record<string, unknown> }>
      for (const role of ["caller", "callee", "publisher", "subscriber"]) {
        expect(roles[role]!.features["payload_passthru_mode"]).toBe(true)
        expect(roles[role]!.features["payload_transparency"]).toBe(true)
      }
    }))

  scoped(
    "refused locally with feature_not_supported when the router does not announce it",
    () =>
      Effect.gen(function*() {
        const { peer, session } = yield* join({ welcome: { roles: FakePeer.routerRoles } })
        const error = yield* Effect.flip(
          session.call("com.p", undefined, undefined, { passthru: { scheme: "mqtt", bytes } })
        )
        expect(error).toBeInstanceOf(WampError.WampError)
        expect((error as WampError.WampError).error).toBe(WampError.Uri.FeatureNotSupported)
        expect((error as WampError.WampError).args[0]).toMatch(/payload_passthru_mode/)
        const published = yield* Effect.flip(
          session.publish("com.t", undefined, undefined, { passthru: { form: "transparent", scheme: "mqtt", bytes } })
        )
        expect((published as WampError.WampError).args[0]).toMatch(/payload_transparency/)
        yield* peer.expectNothing("50 millis")
      })
  )

  scoped("the wire of both forms, and a RESULT in each read back", () =>
    Effect.gen(function*() {
      const roles = {
        dealer: { features: { payload_passthru_mode: true, payload_transparency: true } },
        broker: { features: {} }
      }
      const { peer, session } = yield* join({ welcome: { roles } })
      const ppt = yield* Effect.fork(
        session.call("com.p", undefined, undefined, { passthru: { scheme: "x_a", keyid: "k", bytes }, timeout: 9 })
      )
      const call = yield* peer.expect("Call")
      expect(call.options).toEqual({ timeout: 9, ppt_scheme: "x_a", ppt_keyid: "k" })
      expect(call.args).toEqual([bytes])
      yield* peer.send({ _tag: "Result", request: call.request, details: { enc_algo: "mqtt" }, payload: bytes })
      const result = yield* Fiber.join(ppt)
      expect(result.args).toEqual([bytes])
      expect(result.passthru).toEqual({
        form: "transparent",
        scheme: "mqtt",
        serializer: undefined,
        keyid: undefined,
        bytes
      })

      const transparent = yield* Effect.fork(
        session.call("com.p", undefined, undefined, {
          passthru: { form: "transparent", scheme: "cryptobox", serializer: "json", bytes }
        })
      )
      const second = yield* peer.expect("Call")
      expect(second.options).toEqual({ enc_algo: "cryptobox", enc_serializer: "json" })
      expect(second.payload).toEqual(bytes)
      expect(second.args).toBeUndefined()
      yield* peer.send({ _tag: "Result", request: second.request, details: {}, args: ["plain"] })
      expect((yield* Fiber.join(transparent)).passthru).toBeUndefined()
    }))
})
