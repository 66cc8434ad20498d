/**
 * The test-kit router in payload passthru mode: it forwards the bytes and their labels untouched,
 * in both wire forms, and applies the spec's router-side rules (unannounced use is a protocol
 * violation, a peer without the feature gets nothing it cannot read).
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import type * as Message from "../../src/Message.js"
import * as Serializer from "../../src/Serializer.js"
import * as Router from "../../src/testing/Router.js"
import { allRoles, call, connect, join, register, subscribe } from "./support/rawClient.js"

const bytes = new Uint8Array([0, 1, 2, 254, 255])
const ppt = { ppt_scheme: "x_test", ppt_serializer: "native", ppt_cipher: "x_none", ppt_keyid: "k1" }
const enc = { enc_algo: "cryptobox", enc_serializer: "json", enc_key: "k2" }

/** Every client role, minus the passthru features. */
const withoutPassthru: Message.Dict = Object.fromEntries(
  Object.entries(allRoles).map(([role, value]) => {
    const features = { ...(value as { features: Message.Dict }).features }
    delete features["payload_passthru_mode"]
    delete features["payload_transparency"]
    return [role, { features }]
  })
)

describe("Router in payload passthru mode", () => {
  it.scopedLive("announces both forms for broker and dealer", () =>
    Effect.gen(function*() {
      const router = yield* Router.make({ realms: ["realm1"] })
      const client = yield* connect(router)
      yield* client.send({ _tag: "Hello", realm: "realm1", details: { roles: allRoles } })
      const roles = (yield* client.expect("Welcome")).details["roles"] as Record<string, { features: Message.Dict }>
      for (const role of ["broker", "dealer"]) {
        assert.strictEqual(roles[role]!.features["payload_passthru_mode"], true)
        assert.strictEqual(roles[role]!.features["payload_transparency"], true)
      }
    }))

  for (const serializer of Serializer.all) {
    it.scopedLive(`forwards CALL, YIELD, ERROR, PUBLISH untouched in both forms (${serializer.name})`, () =>
      Effect.gen(function*() {
        const router = yield* Router.make({ realms: ["realm1"] })
        const [caller, callee] = yield* Effect.all([
          join(router, "realm1", {}, serializer),
          join(router, "realm1", {}, serializer)
        ])
        yield* register(callee, "com.p")

        // Spec form: CALL -> INVOCATION -> YIELD -> RESULT.
        const request = caller.nextId()
        yield* caller.send({ _tag: "Call", request, options: ppt, procedure: "com.p", args: [bytes] })
        const invocation = yield* callee.expect("Invocation")
        assert.deepStrictEqual(invocation.details, ppt)
        assert.deepStrictEqual(invocation.args, [bytes])
        yield* callee.send({ _tag: "Yield", request: invocation.request, options: ppt, args: [bytes.slice(1)] })
        const result = yield* caller.expect("Result", (r) => r.request === request)
        assert.deepStrictEqual(result.details, ppt)
        assert.deepStrictEqual(result.args, [bytes.slice(1)])

        // Transparent form, answered with an ERROR carrying a bare binary too.
        const second = caller.nextId()
        yield* caller.send({ _tag: "Call", request: second, options: enc, procedure: "com.p", payload: bytes })
        const invocation2 = yield* callee.expect("Invocation")
        assert.deepStrictEqual(invocation2.details, enc)
        assert.deepStrictEqual(invocation2.payload, bytes)
        assert.isUndefined(invocation2.args)
        yield* callee.send({
          _tag: "Error",
          requestType: 68,
          request: invocation2.request,
          details: enc,
          error: "com.failed",
          payload: bytes.slice(2)
        })
        const error = yield* caller.expect("Error", (e) => e.request === second)
        assert.deepStrictEqual(error.details, enc)
        assert.deepStrictEqual(error.payload, bytes.slice(2))

        // PUBLISH -> EVENT, both forms.
        const subscription = yield* subscribe(callee, "com.t")
        yield* caller.send({ _tag: "Publish", request: caller.nextId(), options: ppt, topic: "com.t", args: [bytes] })
        yield* caller.send({ _tag: "Publish", request: caller.nextId(), options: enc, topic: "com.t", payload: bytes })
        const first = yield* callee.expect("Event", (e) => e.subscription === subscription)
        assert.deepStrictEqual(first.details, ppt)
        assert.deepStrictEqual(first.args, [bytes])
        const transparent = yield* callee.expect("Event", (e) => e.subscription === subscription)
        assert.deepStrictEqual(transparent.details, enc)
        assert.deepStrictEqual(transparent.payload, bytes)
      }))
  }

  it.scopedLive("passthru from a peer that did not announce it is a protocol violation", () =>
    Effect.gen(function*() {
      const router = yield* Router.make({ realms: ["realm1"] })
      for (
        const message of [
          { _tag: "Call", request: 1, options: ppt, procedure: "com.p", args: [bytes] },
          { _tag: "Publish", request: 1, options: enc, topic: "com.t", payload: bytes }
        ] satisfies ReadonlyArray<Message.Message>
      ) {
        const client = yield* join(router, "realm1", { roles: withoutPassthru })
        yield* client.send(message)
        const abort = yield* client.expect("Abort")
        assert.strictEqual(abort.reason, "wamp.error.protocol_violation")
        assert.match(String(abort.details["message"]), /payload passthru mode without announcing/)
      }
    }))

  it.scopedLive("a callee or caller without the feature: feature_not_supported; a subscriber without it: no EVENT", () =>
    Effect.gen(function*() {
      const router = yield* Router.make({ realms: ["realm1"] })
      const caller = yield* join(router)
      const plainCallee = yield* join(router, "realm1", { roles: withoutPassthru })
      yield* register(plainCallee, "com.plain")
      const refused = yield* call(caller, "com.plain", [bytes], undefined, ppt)
      assert.strictEqual(refused._tag, "Error")
      if (refused._tag === "Error") assert.strictEqual(refused.error, "wamp.error.feature_not_supported")

      // A YIELD in passthru mode to a caller without the feature ends its call the same way.
      const plainCaller = yield* join(router, "realm1", { roles: withoutPassthru })
      const callee = yield* join(router)
      yield* register(callee, "com.ppt")
      const request = plainCaller.nextId()
      yield* plainCaller.send({ _tag: "Call", request, options: {}, procedure: "com.ppt", args: [1] })
      const invocation = yield* callee.expect("Invocation")
      yield* callee.send({ _tag: "Yield", request: invocation.request, options: ppt, args: [bytes] })
      const error = yield* plainCaller.expect("Error", (e) => e.request === request)
      assert.strictEqual(error.error, "wamp.error.feature_not_supported")
      // And so does a callee's ERROR in passthru mode.
      const second = plainCaller.nextId()
      yield* plainCaller.send({ _tag: "Call", request: second, options: {}, procedure: "com.ppt", args: [2] })
      const again = yield* callee.expect("Invocation")
      yield* callee.send({
        _tag: "Error",
        requestType: 68,
        request: again.request,
        details: ppt,
        error: "com.app.failed",
        args: [bytes]
      })
      const refusedError = yield* plainCaller.expect("Error", (e) => e.request === second)
      assert.strictEqual(refusedError.error, "wamp.error.feature_not_supported")

      // EVENT: only to subscribers that announced the form.
      const plainSubscriber = yield* join(router, "realm1", { roles: withoutPassthru })
      yield* subscribe(plainSubscriber, "com.t")
      const subscriber = yield* join(router)
      yield* subscribe(subscriber, "com.t")
      yield* caller.send({ _tag: "Publish", request: caller.nextId(), options: ppt, topic: "com.t", args: [bytes] })
      yield* caller.send({ _tag: "Publish", request: caller.nextId(), options: {}, topic: "com.t", args: ["plain"] })
      assert.deepStrictEqual((yield* subscriber.expect("Event")).args, [bytes])
      assert.deepStrictEqual((yield* subscriber.expect("Event")).args, ["plain"])
      assert.deepStrictEqual((yield* plainSubscriber.expect("Event")).args, ["plain"])
      yield* plainSubscriber.barrier
      assert.deepStrictEqual(yield* plainSubscriber.pending, [])
    }))
})
