/**
 * Cryptobox end to end between effect-wamp peers through the test-kit router, over WebSocket and
 * RawSocket, for every serializer: encrypted call, result, error and publish; the router forwards
 * ciphertext only. (Interop with Autobahn|Python: test/interop/cryptobox.test.ts.)
 */
import { expect, layer } from "@effect/vitest"
import { Chunk, Effect, Either, Fiber, Stream } from "effect"
import * as Cryptobox from "../../src/Cryptobox.js"
import * as WampError from "../../src/WampError.js"
import { connectors, Harness, layer as harnessLayer, serializers } from "./harness.js"

const caller = Cryptobox.generateKeyPair()
const callee = Cryptobox.generateKeyPair()
const key = (options: Cryptobox.KeyOptions) => Either.getOrThrow(Cryptobox.makeKey(options))
/** The caller/publisher's ring and the callee/subscriber's, for every URI (default keys). */
const originatorRing = Cryptobox.keyRing(
  {},
  key({ originatorPrivate: caller.privateKey, responderPublic: callee.publicKey })
)
const responderRing = Cryptobox.keyRing(
  {},
  key({ responderPrivate: callee.privateKey, originatorPublic: caller.publicKey })
)
const bytes = new Uint8Array([1, 2, 3, 0, 255])

for (const [transportName, connector] of connectors.filter(([name]) => name !== "memory")) {
  for (const serializer of serializers) {
    layer(harnessLayer(connector, serializer), { excludeTestServices: true, timeout: "10 seconds" })(
      `Cryptobox over ${transportName} / ${serializer.name}`,
      (it) => {
        it.scoped("call, result, application error and event, all encrypted", () =>
          Effect.gen(function*() {
            const { join, uri } = yield* Harness
            const [plainCallee, plainCaller] = yield* Effect.all([join(), join()])
            const responder = Cryptobox.session(plainCallee, responderRing)
            const originator = Cryptobox.session(plainCaller, originatorRing)
            const procedure = uri("secret")
            yield* responder.register(procedure, (invocation) =>
              invocation.args[0] === "fail"
                ? Effect.fail(WampError.make("com.app.refused", { args: ["no"] }))
                : Effect.succeed({ args: [invocation.args, bytes], kwargs: invocation.kwargs }))
            const result = yield* originator.call(procedure, ["a", 1], { k: "v" })
            expect(result.args).toEqual([["a", 1], bytes])
            expect(result.kwargs).toEqual({ k: "v" })
            // A callee without the ring sees what the router forwards: ciphertext; its plain
            // answer reaches the encrypting caller unchanged.
            const probe = uri("probe")
            yield* plainCallee.register(probe, (invocation) =>
              Effect.succeed({
                args: [
                  invocation.passthru?.scheme ?? null,
                  new TextDecoder().decode(invocation.passthru!.bytes).includes("hidden")
                ]
              }))
            expect((yield* originator.call(probe, ["hidden"])).args).toEqual(["cryptobox", false])

            const error = yield* Effect.flip(originator.call(procedure, ["fail"]))
            expect(error).toBeInstanceOf(WampError.WampError)
            expect((error as WampError.WampError).error).toBe("com.app.refused")

            const topic = uri("topic")
            const subscription = yield* responder.subscribe(topic)
            const raw = yield* plainCallee.subscribe(topic)
            const events = yield* Effect.fork(Stream.runCollect(Stream.take(subscription.events, 1)))
            const rawEvents = yield* Effect.fork(Stream.runCollect(Stream.take(raw.events, 1)))
            yield* originator.publish(topic, ["news", bytes], { n: 1 }, { acknowledge: true })
            const [event] = Chunk.toReadonlyArray(yield* Fiber.join(events))
            expect(event!.args).toEqual(["news", bytes])
            expect(event!.kwargs).toEqual({ n: 1 })
            const [rawEvent] = Chunk.toReadonlyArray(yield* Fiber.join(rawEvents))
            expect(rawEvent!.passthru).toMatchObject({ form: "transparent", scheme: "cryptobox", serializer: "json" })
            expect(new TextDecoder().decode(rawEvent!.passthru!.bytes)).not.toContain("news")
          }))

        it.scoped("a payload sealed for another key fails the call with decrypt_error", () =>
          Effect.gen(function*() {
            const { join, uri } = yield* Harness
            const [plainCallee, plainCaller] = yield* Effect.all([join(), join()])
            const stranger = Cryptobox.generateKeyPair()
            const wrongRing = Cryptobox.keyRing(
              {},
              key({ responderPrivate: stranger.privateKey, originatorPublic: caller.publicKey })
            )
            const procedure = uri("wrong-key")
            yield* Cryptobox.session(plainCallee, wrongRing).register(procedure, () => Effect.succeed({ args: [1] }))
            const error = yield* Effect.flip(Cryptobox.session(plainCaller, originatorRing).call(procedure, [1]))
            expect((error as WampError.WampError).error).toBe("wamp.error.encryption.decrypt_error")
          }))
      }
    )
  }
}
