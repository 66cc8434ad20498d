/**
 * Payload passthru mode end to end: effect-wamp sessions through the test-kit router, over
 * WebSocket and RawSocket, for every serializer (JSON carries the bytes as "\0" + base64).
 */
import { expect, layer } from "@effect/vitest"
import { Chunk, Deferred, Effect, Stream } from "effect"
import type * as Passthru from "../../src/Passthru.js"
import type * as Session from "../../src/Session.js"
import * as WampError from "../../src/WampError.js"
import { connectors, Harness, layer as harnessLayer, serializers } from "./harness.js"

const bytes = new Uint8Array([0, 1, 2, 127, 128, 254, 255])
const mqtt: Passthru.Passthru = { scheme: "mqtt", serializer: "native", bytes }
const custom: Passthru.Passthru = {
  scheme: "x_custom",
  serializer: "x_ser",
  cipher: "x_cipher",
  keyid: "key-1",
  bytes: bytes.slice(3)
}
/** The error as a WampError (any other error fails the test). */
const wamp = (error: unknown): WampError.WampError => {
  if (error instanceof WampError.WampError) return error
  throw new Error(`expected a WampError, got ${String(error)}`)
}

const transparent: Passthru.Passthru = {
  form: "transparent",
  scheme: "x_app",
  serializer: "json",
  bytes: bytes.slice(1)
}

for (const [transportName, connector] of connectors.filter(([name]) => name !== "memory")) {
  for (const serializer of serializers) {
    layer(harnessLayer(connector, serializer), { excludeTestServices: true, timeout: "10 seconds" })(
      `Payload passthru over ${transportName} / ${serializer.name}`,
      (it) => {
        it.scoped("call and result in the spec form: bytes and ppt_* labels arrive untouched", () =>
          Effect.gen(function*() {
            const { join, uri } = yield* Harness
            const [callee, caller] = yield* Effect.all([join(), join()])
            expect(caller.info.supports("dealer", "payload_passthru_mode")).toBe(true)
            const procedure = uri("ppt")
            const seen = yield* Deferred.make<Session.Invocation>()
            yield* callee.register(
              procedure,
              (invocation) => Effect.as(Deferred.succeed(seen, invocation), { passthru: custom })
            )
            const result = yield* caller.call(procedure, undefined, undefined, { passthru: mqtt })
            const invocation = yield* Deferred.await(seen)
            expect(invocation.passthru).toEqual({ form: "ppt", scheme: "mqtt", serializer: "native", bytes })
            expect(invocation.args).toEqual([bytes])
            expect(invocation.details.raw).toMatchObject({ ppt_scheme: "mqtt", ppt_serializer: "native" })
            expect(result.passthru).toEqual({ form: "ppt", ...custom })
            expect(result.args).toEqual([custom.bytes])
            expect(result.details).toEqual({
              ppt_scheme: "x_custom",
              ppt_serializer: "x_ser",
              ppt_cipher: "x_cipher",
              ppt_keyid: "key-1"
            })
          }))

        it.scoped("call and result in the transparent form (Autobahn|Python's enc_* and a bare binary)", () =>
          Effect.gen(function*() {
            const { join, uri } = yield* Harness
            const [callee, caller] = yield* Effect.all([join(), join()])
            const procedure = uri("transparent")
            yield* callee.register(procedure, (invocation) =>
              Effect.succeed({
                passthru: { ...transparent, bytes: Uint8Array.from(invocation.passthru!.bytes).reverse() }
              }))
            const result = yield* caller.call(procedure, undefined, undefined, { passthru: transparent })
            expect(result.passthru).toEqual({
              form: "transparent",
              scheme: "x_app",
              serializer: "json",
              keyid: undefined,
              bytes: Uint8Array.from(transparent.bytes).reverse()
            })
            expect(result.details).toEqual({ enc_algo: "x_app", enc_serializer: "json" })
          }))

        it.scoped("publish and event in both forms; ordinary events in between stay ordinary", () =>
          Effect.gen(function*() {
            const { join, uri } = yield* Harness
            const [subscriber, publisher] = yield* Effect.all([join(), join()])
            const topic = uri("topic")
            const subscription = yield* subscriber.subscribe(topic)
            const events = yield* Effect.fork(Stream.runCollect(Stream.take(subscription.events, 3)))
            yield* publisher.publish(topic, undefined, undefined, { passthru: custom, acknowledge: true })
            yield* publisher.publish(topic, ["plain"])
            yield* publisher.publish(topic, undefined, undefined, { passthru: transparent, acknowledge: true })
            const [first, second, third] = Chunk.toReadonlyArray(yield* events)
            expect(first!.passthru).toEqual({ form: "ppt", ...custom })
            expect(first!.args).toEqual([custom.bytes])
            expect(second!.passthru).toBeUndefined()
            expect(second!.args).toEqual(["plain"])
            expect(third!.passthru).toMatchObject({ form: "transparent", scheme: "x_app", bytes: transparent.bytes })
          }))

        it.scoped("refused locally, nothing sent: invalid labels, args next to a passthru payload", () =>
          Effect.gen(function*() {
            const { join, uri } = yield* Harness
            const caller = yield* join()
            const procedure = uri("never")
            const invalid = (passthru: Passthru.Passthru, args?: Session.List) =>
              Effect.map(Effect.flip(caller.call(procedure, args, undefined, { passthru })), wamp)
            const wrongSerializer = yield* invalid({ scheme: "wamp", serializer: "json", bytes })
            expect(wrongSerializer.error).toBe(WampError.StandardUri.InvalidArgument)
            expect(wrongSerializer.args[0]).toMatch(/ppt_serializer of scheme wamp/)
            expect((yield* invalid({ scheme: "wamp", serializer: "cbor", cipher: "rot13", bytes })).args[0]).toMatch(
              /ppt_cipher/
            )
            expect((yield* invalid({ scheme: "mqtt", cipher: "xsalsa20poly1305", bytes })).args[0]).toMatch(/mqtt/)
            expect((yield* invalid({ scheme: "nope", bytes })).args[0]).toMatch(/custom x_/)
            expect((yield* invalid({ scheme: "", bytes })).args[0]).toMatch(/non-empty/)
            expect((yield* invalid(mqtt, [1])).args[0]).toMatch(/replaces args/)
            const published = yield* Effect.flip(
              caller.publish(uri("t"), undefined, undefined, {
                passthru: { form: "transparent", scheme: "zip", bytes }
              })
            )
            expect(wamp(published).args[0]).toMatch(/enc_algo/)
            // The session is still fine.
            expect(yield* caller.isOpen).toBe(true)
          }))

        it.scoped("a handler's invalid passthru result becomes an ERROR for the caller", () =>
          Effect.gen(function*() {
            const { join, uri } = yield* Harness
            const [callee, caller] = yield* Effect.all([join(), join()])
            const procedure = uri("bad-result")
            yield* callee.register(procedure, () => Effect.succeed({ passthru: { scheme: "wamp", bytes } }))
            const error = wamp(yield* Effect.flip(caller.call(procedure)))
            expect(error.error).toBe(WampError.StandardUri.InvalidArgument)
            expect(yield* callee.isOpen).toBe(true)
          }))
      }
    )
  }
}
