/**
 * Tracing across the wire, in one process through the in-memory test-kit router: the caller's
 * span context travels in `_traceparent` and the callee's / subscriber's span continues it; nothing
 * is sent with Effect's built-in tracer or with `tracing: false`.
 */
import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Layer, Option, Stream, Tracer } from "effect"
import * as Authenticator from "../src/Authenticator.js"
import autobahn from "../src/node/autobahn/index.js"
import * as Serializer from "../src/Serializer.js"
import * as Session from "../src/Session.js"
import * as Router from "../src/testing/Router.js"
import * as SpanRecorder from "../src/testing/SpanRecorder.js"
import * as Tracing from "../src/Tracing.js"
import { Transport } from "../src/Transport.js"
import * as Tracked from "./support/connection.js"

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

  it.scoped("a Connection's durable registration is traced as Session.register is, and still tells its end", () =>
    Effect.gen(function*() {
      const router = yield* Router.make({ realms: ["realm1"] })
      const recorder = SpanRecorder.make()
      yield* Effect.withTracer(
        Effect.gen(function*() {
          const connection = yield* Tracked.make({ realm: "realm1" }).pipe(Effect.provide(client(router)))
          yield* connection.awaitOpen
          const registration = yield* connection.register("com.example.durable", () => Effect.void)
          const caller = yield* Session.make({ realm: "realm1" }).pipe(Effect.provide(client(router)))
          yield* Effect.withSpan(caller.call("com.example.durable"), "test.root")
          expect(Tracked.counters(connection)).toMatchObject({ durableRegistrations: 1, watchers: 1 })
          yield* registration.unregister
          // The session registration's end went through the tracing callee to the intent.
          expect(Tracked.counters(connection)).toMatchObject({ durableRegistrations: 0, watchers: 0 })
        }),
        recorder.tracer
      )
      const call = recorder.spans.find((span) => span.name === "wamp.call")!
      const invocation = recorder.spans.find((span) => span.name === "wamp.invocation")!
      expect(recorder.spans.some((span) => span.name === "wamp.register")).toBe(true)
      expect(invocation).toMatchObject({ kind: "server", traceId: call.traceId, parentSpanId: call.spanId })
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

/** A facade session on the router served on loopback, with the given extra connection options. */
const facadeSession = (url: string, options: Partial<autobahn.ConnectionOptions> = {}) =>
  Effect.acquireRelease(
    Effect.promise(() =>
      new Promise<{ connection: autobahn.Connection; session: autobahn.Session }>((resolve, reject) => {
        const connection = new autobahn.Connection({ url, realm: "realm1", max_retries: 0, ...options })
        connection.onopen = (session) => resolve({ connection, session })
        connection.onclose = (reason) => {
          reject(new Error(`facade closed: ${reason}`))
          return true
        }
        connection.open()
      })
    ),
    ({ connection }) => Effect.promise(() => connection.close().then(() => {}, () => {}))
  )

describe("Tracing through the Autobahn facade (the callback-level call path)", () => {
  it.scopedLive("with a tracer: a wamp.call client span per call, its context sent to the callee", () =>
    Effect.gen(function*() {
      const router = yield* Router.make({ realms: ["realm1"] })
      const bound = yield* router.serve({ host: "127.0.0.1", port: 0 })
      const callee = yield* Session.make({ realm: "realm1" }).pipe(Effect.provide(client(router)))
      const seen: Array<unknown> = []
      yield* callee.register("com.example.traced", ({ details }) =>
        Effect.sync(() => {
          seen.push(details.raw[Tracing.traceKey])
          return { args: [1] }
        }))
      const recorder = SpanRecorder.make()
      const { session } = yield* facadeSession(`ws://127.0.0.1:${bound.port}/ws`, { tracer: recorder.tracer })
      const options = { disclose_me: false }
      expect(yield* Effect.promise(() => session.call("com.example.traced", [], {}, options))).toBe(1)
      const failed = yield* Effect.promise(() =>
        session.call("com.example.missing").then(() => "resolved", () => "rejected")
      )
      expect(failed).toBe("rejected")
      expect(options).toEqual({ disclose_me: false })
      const calls = recorder.spans.filter((span) => span.name === "wamp.call")
      expect(calls.map((span) => [span.kind, span.ok, span.attributes["wamp.uri"]])).toEqual([
        ["client", true, "com.example.traced"],
        ["client", false, "com.example.missing"]
      ])
      expect(seen).toEqual([`00-${calls[0]!.traceId}-${calls[0]!.spanId}-01`])
    }))

  it.scopedLive("without a tracer: no span, nothing added to CALL", () =>
    Effect.gen(function*() {
      const router = yield* Router.make({ realms: ["realm1"] })
      const bound = yield* router.serve({ host: "127.0.0.1", port: 0 })
      const callee = yield* Session.make({ realm: "realm1" }).pipe(Effect.provide(client(router)))
      const seen: Array<unknown> = []
      yield* callee.register("com.example.plain", ({ details }) =>
        Effect.sync(() => {
          seen.push(details.raw[Tracing.traceKey])
          return { args: [1] }
        }))
      const { session } = yield* facadeSession(`ws://127.0.0.1:${bound.port}/ws`)
      expect(yield* Effect.promise(() => session.call("com.example.plain"))).toBe(1)
      expect(seen).toEqual([undefined])
    }))
})
