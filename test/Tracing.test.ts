/**
 * Tracing across the wire, in one process through the in-memory test-kit router: the caller's
 * span context travels in `_traceparent` and the callee's / subscriber's span continues it; nothing
 * is sent with Effect's built-in tracer or with `tracing: false`.
 */
import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Layer, Option, Stream, Tracer } from "effect"
import * as Authenticator from "../src/Authenticator.js"
import * as Serializer from "../src/Serializer.js"
import * as Session from "../src/Session.js"
import * as Router from "../src/testing/Router.js"
import * as SpanRecorder from "../src/testing/SpanRecorder.js"
import * as Tracing from "../src/Tracing.js"
import { Transport } from "../src/Transport.js"

const client = (router: Router.RouterService) =>
  Layer.mergeAll(Layer.succeed(Transport, router.transport), Serializer.layerJson, Authenticator.layerAnonymous())

/** A callee recording what its invocations carried, and a caller calling it. */
const exchange = (router: Router.RouterService, options: Partial<Session.SessionOptions> = {}) =>
  Effect.gen(function*() {
    const join = Session.make({ realm: "realm1", ...options }).pipe(Effect.provide(client(router)))
    const callee = yield* join
    const caller = yield* join
    const seen: Array<unknown> = []
    yield* callee.register("com.example.traced", ({ details }) =>
      Effect.sync(() => {
        seen.push(details.raw[Tracing.traceKey])
      }))
    const callOptions = { disclose_me: false }
    yield* caller.call("com.example.traced", [], {}, callOptions)
    expect(callOptions).toEqual({ disclose_me: false })
    return seen
  })

describe("Tracing", () => {
  it("traceparent: format and parse, malformed input refused", () => {
    const span = Tracer.externalSpan({ traceId: "4bf92f3577b34da6a3ce929d0e0e4736", spanId: "00f067aa0ba902b7" })
    const text = Tracing.format(span)
    expect(text).toBe("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
    expect(Tracing.parse(text)).toMatchObject({ traceId: span.traceId, spanId: span.spanId, sampled: true })
    expect(Tracing.parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00")?.sampled).toBe(false)
    for (
      const bad of [
        undefined,
        42,
        "",
        "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
        "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
        "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra"
      ]
    ) expect(Tracing.parse(bad)).toBeUndefined()
    // Ids a tracer shapes otherwise are not sent at all.
    expect(Tracing.format(Tracer.externalSpan({ traceId: "abc", spanId: "def" }))).toBeUndefined()
  })

  it.scoped("with Effect's built-in tracer and tracing unset: nothing is added to CALL", () =>
    Effect.gen(function*() {
      const router = yield* Router.make({ realms: ["realm1"] })
      expect(yield* exchange(router)).toEqual([undefined])
    }))

  it.scoped("tracing: false under a real tracer: nothing is traced or sent", () =>
    Effect.gen(function*() {
      const router = yield* Router.make({ realms: ["realm1"] })
      const recorder = SpanRecorder.make()
      const seen = yield* Effect.withTracer(exchange(router, { tracing: false }), recorder.tracer)
      expect(seen).toEqual([undefined])
      expect(recorder.spans).toEqual([])
    }))

  it.scoped("under a tracer: the callee's invocation span continues the caller's call span", () =>
    Effect.gen(function*() {
      const router = yield* Router.make({ realms: ["realm1"] })
      const recorder = SpanRecorder.make()
      const seen = yield* Effect.withTracer(
        Effect.withSpan(exchange(router), "test.root"),
        recorder.tracer
      )
      const call = recorder.spans.find((span) => span.name === "wamp.call")!
      const invocation = recorder.spans.find((span) => span.name === "wamp.invocation")!
      const root = recorder.spans.find((span) => span.name === "test.root")!
      expect(seen).toEqual([`00-${call.traceId}-${call.spanId}-01`])
      expect(call).toMatchObject({ kind: "client", traceId: root.traceId, parentSpanId: root.spanId, ok: true })
      expect(call.attributes).toEqual({ "wamp.uri": "com.example.traced", "wamp.realm": "realm1" })
      expect(invocation).toMatchObject({ kind: "server", traceId: call.traceId, parentSpanId: call.spanId })
      // register is traced too, but the invocation is not its child.
      const register = recorder.spans.find((span) => span.name === "wamp.register")!
      expect(register.traceId).toBe(root.traceId)
    }))

  it.scoped("an invocation without trace context gets a root span, not the registering span as parent", () =>
    Effect.gen(function*() {
      const router = yield* Router.make({ realms: ["realm1"] })
      const recorder = SpanRecorder.make()
      yield* Effect.withTracer(
        Effect.gen(function*() {
          const callee = yield* Session.make({ realm: "realm1" }).pipe(Effect.provide(client(router)))
          yield* Effect.withSpan(callee.register("com.example.plain", () => Effect.void), "test.setup")
        }),
        recorder.tracer
      )
      // An untraced caller (built-in tracer).
      const caller = yield* Session.make({ realm: "realm1" }).pipe(Effect.provide(client(router)))
      yield* caller.call("com.example.plain")
      const invocation = recorder.spans.find((span) => span.name === "wamp.invocation")!
      expect(invocation.parentSpanId).toBeUndefined()
    }))

  it.scoped("publish → withEventSpan: the subscriber's event span continues the publisher's span", () =>
    Effect.gen(function*() {
      const router = yield* Router.make({ realms: ["realm1"] })
      const recorder = SpanRecorder.make()
      const handled = yield* Deferred.make<Option.Option<Tracer.AnySpan>>()
      yield* Effect.withTracer(
        Effect.gen(function*() {
          const join = Session.make({ realm: "realm1" }).pipe(Effect.provide(client(router)))
          const subscriber = yield* join
          const publisher = yield* join
          const subscription = yield* subscriber.subscribe("com.example.topic")
          yield* publisher.publish("com.example.topic", [1], undefined, { acknowledge: true })
          const event = yield* Stream.runHead(subscription.events)
          yield* Tracing.withEventSpan(Option.getOrThrow(event))(
            Effect.flatMap(Effect.option(Effect.currentSpan), (span) => Deferred.succeed(handled, span))
          )
        }),
        recorder.tracer
      )
      const publish = recorder.spans.find((span) => span.name === "wamp.publish")!
      const event = recorder.spans.find((span) => span.name === "wamp.event")!
      expect(publish.kind).toBe("producer")
      expect(event).toMatchObject({ kind: "consumer", traceId: publish.traceId, parentSpanId: publish.spanId })
      expect(Option.map(yield* Deferred.await(handled), (span) => span.spanId)).toEqual(Option.some(event.spanId))
    }))
})
