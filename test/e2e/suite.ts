/**
 * The end-to-end suite of the Session API, written once and run by each `*.test.ts` of this folder
 * over its transport, for every serializer: real effect-wamp sessions talking through the test-kit
 * router, every RPC and PubSub feature, and each authentication method.
 *
 * `layer(...)` shares one router per combination. Over real sockets the tests run on the live clock
 * (`excludeTestServices`, the equivalent of `it.scopedLive`): socket timeouts must not be frozen by
 * TestClock. In memory (`virtualTime`) they run on TestClock: nothing in them waits on a client timer.
 */
import { expect, layer } from "@effect/vitest"
import { Chunk, Deferred, Effect, Fiber, Redacted, Stream } from "effect"
import * as Authenticator from "../../src/Authenticator.js"
import type * as Session from "../../src/Session.js"
import * as WampError from "../../src/WampError.js"
import { authRealm, type Connector, credentials, Harness, layer as harnessLayer, serializers } from "./harness.js"

const bytes = new Uint8Array([0, 1, 2, 250, 255])
/** A payload exercising what every serializer must carry: unicode, 2^53, floats, bytes, nesting. */
const payload = {
  args: ["héllo ✓", 2 ** 53, -1.5, true, null, bytes, [1, [2, { deep: "x" }]]],
  kwargs: { n: 42, s: "str", list: [1, 2, 3], nested: { a: { b: [bytes] } } }
} as const

/** The first `n` events of a subscription, collected in a background fiber started now. */
const collect = (subscription: Session.Subscription, n: number) =>
  Effect.fork(Effect.map(Stream.runCollect(Stream.take(subscription.events, n)), Chunk.toReadonlyArray))

const echo = (invocation: Session.Invocation) => Effect.succeed({ args: invocation.args, kwargs: invocation.kwargs })

/** Registers the whole suite for one transport, over every serializer. */
export const sessionSuite = (
  transportName: string,
  connector: Connector,
  options?: { readonly virtualTime?: boolean }
): void => {
  for (const serializer of serializers) {
    layer(harnessLayer(connector, serializer), {
      excludeTestServices: options?.virtualTime !== true,
      timeout: "10 seconds"
    })(
      `Session end to end over ${transportName} / ${serializer.name}`,
      (it) => {
        // -----------------------------------------------------------------------------------------
        // RPC
        // -----------------------------------------------------------------------------------------

        it.scoped("call with args, kwargs and options; callee sees caller disclosure and the timeout", () =>
          Effect.gen(function*() {
            const { join, uri } = yield* Harness
            const [callee, caller] = yield* Effect.all([join(), join()])
            const procedure = uri("echo")
            const seen = yield* Deferred.make<Session.InvocationDetails>()
            yield* callee.register(
              procedure,
              (invocation) => Effect.zipRight(Deferred.succeed(seen, invocation.details), echo(invocation)),
              // forward_timeout: the router passes CALL.Options.timeout on to this callee.
              { disclose_caller: true, forward_timeout: true }
            )
            const result = yield* caller.call(procedure, payload.args, payload.kwargs, { timeout: 5000 })
            expect(result.args).toEqual(payload.args)
            expect(result.kwargs).toEqual(payload.kwargs)
            const details = yield* Deferred.await(seen)
            expect(details.caller).toBe(caller.info.id)
            expect(details.procedure).toBe(procedure)
            expect(details.timeout).toBe(5000)
          }))

        it.scoped("disclose_me on the call discloses the caller to a callee that did not ask", () =>
          Effect.gen(function*() {
            const { join, uri } = yield* Harness
            const [callee, caller] = yield* Effect.all([join(), join()])
            const procedure = uri("who")
            yield* callee.register(
              procedure,
              (invocation) => Effect.succeed({ args: [invocation.details.caller ?? null] })
            )
            expect((yield* caller.call(procedure)).args).toEqual([null])
            expect((yield* caller.call(procedure, [], {}, { disclose_me: true })).args).toEqual([caller.info.id])
          }))

        it.scoped("errors: application errors keep args and kwargs; other failures are runtime_error", () =>
          Effect.gen(function*() {
            const { join, uri } = yield* Harness
            const [callee, caller] = yield* Effect.all([join(), join()])
            const failing = uri("fail")
            const crashing = uri("crash")
            yield* callee.register(failing, () =>
              Effect.fail(
                WampError.make("com.e2e.error.oops", { args: ["bad", 7, bytes], kwargs: { code: 7, why: ["x"] } })
              ))
            yield* callee.register(crashing, () => Effect.fail(new Error("handler broke")))
            const oops = yield* Effect.flip(caller.call(failing))
            expect(oops).toBeInstanceOf(WampError.WampError)
            expect(oops).toMatchObject({ error: "com.e2e.error.oops", args: ["bad", 7, bytes], kwargs: { code: 7 } })
            const crash = yield* Effect.flip(caller.call(crashing))
            expect(WampError.isRuntimeError(crash)).toBe(true)
            const missing = yield* Effect.flip(caller.call(uri("nobody")))
            expect(WampError.isNoSuchProcedure(missing)).toBe(true)
          }))

        for (const mode of ["killnowait", "kill"] as const) {
          it.scoped(`cancel (${mode}): interrupting the caller cancels the call and interrupts the callee`, () =>
            Effect.gen(function*() {
              const { join, uri } = yield* Harness
              const [callee, caller] = yield* Effect.all([join(), join()])
              const procedure = uri("forever")
              const started = yield* Deferred.make<void>()
              const interrupted = yield* Deferred.make<void>()
              yield* callee.register(procedure, () =>
                Deferred.succeed(started, undefined).pipe(
                  Effect.zipRight(Effect.never),
                  Effect.onInterrupt(() => Deferred.succeed(interrupted, undefined))
                ))
              const call = yield* Effect.fork(caller.call(procedure, [], {}, { cancelMode: mode }))
              yield* Deferred.await(started)
              yield* Fiber.interrupt(call)
              yield* Deferred.await(interrupted)
              // The callee is still usable and nothing is left pending on the caller.
              const after = uri("after")
              yield* callee.register(after, () => Effect.succeed({ args: ["ok"] }))
              expect((yield* caller.call(after)).args).toEqual(["ok"])
            }))
        }

        it.scoped("call timeout: the router answers wamp.error.timeout and interrupts the callee", () =>
          Effect.gen(function*() {
            const { join, uri } = yield* Harness
            const [callee, caller] = yield* Effect.all([join(), join()])
            const procedure = uri("slow")
            const interrupted = yield* Deferred.make<void>()
            yield* callee.register(
              procedure,
              () => Effect.never.pipe(Effect.onInterrupt(() => Deferred.succeed(interrupted, undefined)))
            )
            const error = yield* Effect.flip(caller.call(procedure, [], {}, { timeout: 30 }))
            expect(WampError.isTimeout(error)).toBe(true)
            yield* Deferred.await(interrupted)
          }))

        it.scoped("progressive results: every chunk in order, then the final result", () =>
          Effect.gen(function*() {
            const { join, uri } = yield* Harness
            const [callee, caller] = yield* Effect.all([join(), join()])
            const procedure = uri("countdown")
            yield* callee.register(procedure, (invocation) =>
              Effect.gen(function*() {
                for (let n = invocation.args[0] as number; n > 0; n--) yield* invocation.progress([n], { n })
                return { args: ["done"], kwargs: { receive_progress: invocation.details.receive_progress } }
              }))
            const results = Chunk.toReadonlyArray(yield* Stream.runCollect(caller.callProgressive(procedure, [3])))
            expect(results.map((r) => r.args)).toEqual([[3], [2], [1], ["done"]])
            expect(results.map((r) => r.details["progress"] === true)).toEqual([true, true, true, false])
            expect(results[0]!.kwargs).toEqual({ n: 3 })
            expect(results[3]!.kwargs).toEqual({ receive_progress: true })
            // A plain call of the same procedure gets only the final result (progress is a no-op).
            expect(yield* caller.call(procedure, [2])).toMatchObject({
              args: ["done"],
              kwargs: { receive_progress: false }
            })
          }))

        it.scoped("progressive invocations: the callee reads the caller's chunks; duplex streaming", () =>
          Effect.gen(function*() {
            const { join, uri } = yield* Harness
            const [callee, caller] = yield* Effect.all([join(), join()])
            const sum = uri("sum")
            const double = uri("double")
            yield* callee.register(sum, (invocation) =>
              Effect.map(
                Stream.runFold(invocation.input, 0, (total, chunk) => total + ((chunk.args?.[0] as number) ?? 0)),
                (total) => ({ args: [total] })
              ))
            yield* callee.register(double, (invocation) =>
              Effect.as(
                Stream.runForEach(invocation.input, (chunk) => invocation.progress([(chunk.args?.[0] as number) * 2])),
                { args: ["end"] }
              ))
            const input = Stream.fromIterable([1, 2, 3, 4].map((n) => ({ args: [n] })))
            expect((yield* caller.callWithInput(sum, input)).args).toEqual([10])
            const duplex = yield* Stream.runCollect(caller.callStreaming(double, input, { receive_progress: true }))
            expect(Chunk.toReadonlyArray(duplex).map((r) => r.args[0])).toEqual([2, 4, 6, 8, "end"])
          }))

        it.scoped("register with match: exact beats prefix beats wildcard; details.procedure is the URI called", () =>
          Effect.gen(function*() {
            const { join, uri } = yield* Harness
            const [callee, caller] = yield* Effect.all([join(), join()])
            const base = uri("svc")
            const who = (name: string) => (invocation: Session.Invocation) =>
              Effect.succeed({ args: [name, invocation.details.procedure] })
            yield* callee.register(`${base}.exact`, who("exact"))
            yield* callee.register(base, who("prefix"), { match: "prefix" })
            yield* callee.register(`${base}..get`, who("wildcard"), { match: "wildcard" })
            expect((yield* caller.call(`${base}.exact`)).args).toEqual(["exact", `${base}.exact`])
            expect((yield* caller.call(`${base}.a.get`)).args).toEqual(["prefix", `${base}.a.get`])
            const other = uri("svc")
            yield* callee.register(`${other}..get`, who("wildcard"), { match: "wildcard" })
            expect((yield* caller.call(`${other}.x.get`)).args).toEqual(["wildcard", `${other}.x.get`])
          }))

        it.scoped("invoke policies: roundrobin, first, last; mismatch and duplicate are refused", () =>
          Effect.gen(function*() {
            const { join, uri } = yield* Harness
            const [a, b, caller] = yield* Effect.all([join(), join(), join()])
            const named = (name: string) => () => Effect.succeed({ args: [name] })
            const callTimes = (procedure: string, n: number) =>
              Effect.forEach(Array.from({ length: n }), () => Effect.map(caller.call(procedure), (r) => r.args[0]))

            const rr = uri("rr")
            yield* a.register(rr, named("a"), { invoke: "roundrobin" })
            yield* b.register(rr, named("b"), { invoke: "roundrobin" })
            const seen = yield* callTimes(rr, 4)
            expect(new Set(seen)).toEqual(new Set(["a", "b"]))
            expect(seen[0]).not.toBe(seen[1])
            expect(seen[2]).toBe(seen[0])

            const first = uri("first")
            yield* a.register(first, named("a"), { invoke: "first" })
            yield* b.register(first, named("b"), { invoke: "first" })
            expect(yield* callTimes(first, 2)).toEqual(["a", "a"])

            const last = uri("last")
            yield* a.register(last, named("a"), { invoke: "last" })
            yield* b.register(last, named("b"), { invoke: "last" })
            expect(yield* callTimes(last, 2)).toEqual(["b", "b"])

            const random = uri("random")
            yield* a.register(random, named("a"), { invoke: "random" })
            yield* b.register(random, named("b"), { invoke: "random" })
            const randomly = yield* callTimes(random, 4)
            for (const name of randomly) expect(["a", "b"]).toContain(name)

            const mismatch = yield* Effect.flip(caller.register(rr, named("c"), { invoke: "first" }))
            expect(mismatch).toMatchObject({
              error: WampError.StandardUri.ProcedureExistsWithDifferentInvocationPolicy
            })
            const single = uri("single")
            yield* a.register(single, named("a"))
            const duplicate = yield* Effect.flip(b.register(single, named("b")))
            expect(duplicate).toMatchObject({ error: WampError.StandardUri.ProcedureAlreadyExists })
          }))

        it.scoped("unregister: calls fail with no_such_procedure and the registration reports why it ended", () =>
          Effect.gen(function*() {
            const { join, uri } = yield* Harness
            const [callee, caller] = yield* Effect.all([join(), join()])
            const procedure = uri("temp")
            const registration = yield* callee.register(procedure, () => Effect.succeed({ args: [1] }))
            expect((yield* caller.call(procedure)).args).toEqual([1])
            yield* registration.unregister
            expect((yield* registration.ended).reason).toBe("unregistered")
            expect(WampError.isNoSuchProcedure(yield* Effect.flip(caller.call(procedure)))).toBe(true)
            // The URI is free again.
            yield* callee.register(procedure, () => Effect.succeed({ args: [2] }))
            expect((yield* caller.call(procedure)).args).toEqual([2])
          }))

        it.scoped("registration revocation: the router revokes, the callee learns it, calls stop", () =>
          Effect.gen(function*() {
            const { join, router, uri } = yield* Harness
            const [callee, caller] = yield* Effect.all([join(), join()])
            const procedure = uri("revoked")
            const registration = yield* callee.register(procedure, () => Effect.succeed({ args: [1] }))
            expect(yield* router.revokeRegistration(registration.id, "wamp.reason.test")).toBe(true)
            const ended = yield* registration.ended
            expect(ended.reason).toBe("revoked")
            expect(ended.message).toBe("wamp.reason.test")
            expect(WampError.isNoSuchProcedure(yield* Effect.flip(caller.call(procedure)))).toBe(true)
          }))

        // -----------------------------------------------------------------------------------------
        // PubSub
        // -----------------------------------------------------------------------------------------

        it.scoped("publish with acknowledge: the event carries args, kwargs and the publication id", () =>
          Effect.gen(function*() {
            const { join, uri } = yield* Harness
            const [subscriber, publisher] = yield* Effect.all([join(), join()])
            const topic = uri("news")
            const subscription = yield* subscriber.subscribe(topic)
            const received = yield* collect(subscription, 2)
            const publication = yield* publisher.publish(topic, payload.args, payload.kwargs, { acknowledge: true })
            expect(typeof publication).toBe("number")
            // Without acknowledge nothing comes back, and the event still arrives.
            expect(yield* publisher.publish(topic, ["second"])).toBeUndefined()
            const [first, second] = yield* Fiber.join(received)
            expect(first!.args).toEqual(payload.args)
            expect(first!.kwargs).toEqual(payload.kwargs)
            expect(first!.details.publication).toBe(publication)
            expect(first!.details.topic).toBe(topic)
            expect(first!.details.publisher).toBeUndefined()
            expect(second!.args).toEqual(["second"])
          }))

        it.scoped("disclose_me: the subscriber sees the publisher's session, authid and authrole", () =>
          Effect.gen(function*() {
            const { join, uri } = yield* Harness
            const [subscriber, publisher] = yield* Effect.all([join(), join()])
            const topic = uri("disclosed")
            const received = yield* collect(yield* subscriber.subscribe(topic), 1)
            yield* publisher.publish(topic, [], {}, { disclose_me: true, acknowledge: true })
            const [event] = yield* Fiber.join(received)
            expect(event!.details.publisher).toBe(publisher.info.id)
            expect(event!.details.publisher_authid).toBe(publisher.info.authid)
            expect(event!.details.publisher_authrole).toBe(publisher.info.authrole)
          }))

        it.scoped("exclude_me: by default a publisher does not receive its own event; exclude_me false does", () =>
          Effect.gen(function*() {
            const { join, uri } = yield* Harness
            const session = yield* join()
            const topic = uri("self")
            const received = yield* collect(yield* session.subscribe(topic), 1)
            yield* session.publish(topic, ["excluded"], {}, { acknowledge: true })
            yield* session.publish(topic, ["included"], {}, { acknowledge: true, exclude_me: false })
            const [event] = yield* Fiber.join(received)
            expect(event!.args).toEqual(["included"])
          }))

        it.scoped("exclude and eligible by session id, authid and authrole", () =>
          Effect.gen(function*() {
            const { join, uri } = yield* Harness
            const [x, y, publisher] = yield* Effect.all([join(), join(), join()])
            const topic = uri("filtered")
            const onX = yield* collect(yield* x.subscribe(topic), 4)
            const onY = yield* collect(yield* y.subscribe(topic), 5)
            const send = (label: string, options: Session.PublishOptions) =>
              publisher.publish(topic, [label], {}, { acknowledge: true, ...options })
            yield* send("not-x", { exclude: [x.info.id] })
            yield* send("only-x", { eligible: [x.info.id] })
            yield* send("not-x-authid", { exclude_authid: [x.info.authid!] })
            yield* send("only-x-authid", { eligible_authid: [x.info.authid!] })
            yield* send("nobody-by-role", { exclude_authrole: [x.info.authrole!] })
            yield* send("all-by-role", { eligible_authrole: [x.info.authrole!] })
            yield* send("only-y", { eligible: [y.info.id], exclude: [x.info.id] })
            yield* send("end", {})
            const labels = (events: ReadonlyArray<Session.Event>) => events.map((e) => e.args[0])
            expect(labels(yield* Fiber.join(onX))).toEqual(["only-x", "only-x-authid", "all-by-role", "end"])
            expect(labels(yield* Fiber.join(onY))).toEqual(["not-x", "not-x-authid", "all-by-role", "only-y", "end"])
          }))

        it.scoped("subscribe with match: prefix and wildcard subscriptions get details.topic", () =>
          Effect.gen(function*() {
            const { join, uri } = yield* Harness
            const [subscriber, publisher] = yield* Effect.all([join(), join()])
            const base = uri("sensors")
            const byPrefix = yield* collect(yield* subscriber.subscribe(base, { match: "prefix" }), 2)
            const byWildcard = yield* collect(yield* subscriber.subscribe(`${base}..temp`, { match: "wildcard" }), 1)
            yield* publisher.publish(`${base}.kitchen.temp`, [21], {}, { acknowledge: true })
            yield* publisher.publish(`${base}.hall.humidity`, [40], {}, { acknowledge: true })
            const prefixed = yield* Fiber.join(byPrefix)
            expect(prefixed.map((e) => [e.details.topic, e.args[0]])).toEqual([
              [`${base}.kitchen.temp`, 21],
              [`${base}.hall.humidity`, 40]
            ])
            const [wild] = yield* Fiber.join(byWildcard)
            expect([wild!.details.topic, wild!.args[0]]).toEqual([`${base}.kitchen.temp`, 21])
          }))

        it.scoped("shared subscriptions: subscribers of one topic+match share the id and each gets every event", () =>
          Effect.gen(function*() {
            const { join, uri } = yield* Harness
            const [subscriber, other, publisher] = yield* Effect.all([join(), join(), join()])
            const topic = uri("shared")
            const one = yield* subscriber.subscribe(topic)
            const two = yield* subscriber.subscribe(topic)
            const three = yield* other.subscribe(topic)
            expect(two.id).toBe(one.id)
            expect(three.id).toBe(one.id)
            const untilEnd = yield* Effect.fork(Stream.runCollect(one.events))
            const fibers = yield* Effect.all([collect(two, 2), collect(three, 2)])
            yield* publisher.publish(topic, [1], {}, { acknowledge: true })
            // One unsubscribes: its stream ends after the event it had; the others keep receiving.
            yield* one.unsubscribe
            yield* publisher.publish(topic, [2], {}, { acknowledge: true })
            expect(Chunk.toReadonlyArray(yield* Fiber.join(untilEnd)).map((e) => e.args[0])).toEqual([1])
            for (const fiber of fibers) expect((yield* Fiber.join(fiber)).map((e) => e.args[0])).toEqual([1, 2])
          }))

        it.scoped("retain and get_retained: a late subscriber gets the last retained event first", () =>
          Effect.gen(function*() {
            const { join, uri } = yield* Harness
            const [publisher, late] = yield* Effect.all([join(), join()])
            const topic = uri("state")
            yield* publisher.publish(topic, ["old"], {}, { retain: true, acknowledge: true })
            yield* publisher.publish(topic, ["latest"], { v: 2 }, { retain: true, acknowledge: true })
            const received = yield* collect(yield* late.subscribe(topic, { get_retained: true }), 2)
            yield* publisher.publish(topic, ["live"], {}, { acknowledge: true })
            const [retained, live] = yield* Fiber.join(received)
            expect(retained!.args).toEqual(["latest"])
            expect(retained!.kwargs).toEqual({ v: 2 })
            expect(retained!.details.retained).toBe(true)
            expect(live!.args).toEqual(["live"])
            expect(live!.details.retained).toBe(false)
          }))

        it.scoped("subscription revocation: the events stream fails with SubscriptionRevokedError", () =>
          Effect.gen(function*() {
            const { join, router, uri } = yield* Harness
            const subscriber = yield* join()
            const subscription = yield* subscriber.subscribe(uri("revoked"))
            const drained = yield* Effect.fork(Stream.runDrain(subscription.events))
            expect(yield* router.revokeSubscription(subscription.id, "wamp.reason.test")).toBe(true)
            const error = yield* Effect.flip(Fiber.join(drained))
            expect(error).toMatchObject({ _tag: "SubscriptionRevokedError", subscription: subscription.id })
          }))

        it.scoped("unsubscribe ends the events stream after the events already received; the router drops the subscription", () =>
          Effect.gen(function*() {
            const { join, uri } = yield* Harness
            const [subscriber, publisher] = yield* Effect.all([join(), join()])
            const topic = uri("gone")
            const subscription = yield* subscriber.subscribe(topic)
            const received = yield* Effect.fork(Stream.runCollect(subscription.events))
            yield* publisher.publish(topic, [1], {}, { acknowledge: true })
            // EVENT [1] precedes UNSUBSCRIBED on the subscriber's ordered link, so it is delivered.
            const lookup = Effect.map(publisher.call("wamp.subscription.lookup", [topic]), (r) => r.args[0])
            expect(yield* lookup).toBe(subscription.id)
            yield* subscription.unsubscribe
            // The router dropped the subscription: nothing is routed to the session any more.
            expect(yield* lookup).toBeNull()
            yield* publisher.publish(topic, [2], {}, { acknowledge: true })
            const events = Chunk.toReadonlyArray(yield* Fiber.join(received))
            expect(events.map((e) => e.args)).toEqual([[1]])
          }))

        it.scoped("takeAll reads a burst in order; after unsubscribe it says done", () =>
          Effect.gen(function*() {
            const { join, uri } = yield* Harness
            const [subscriber, publisher] = yield* Effect.all([join(), join()])
            const topic = uri("batches")
            const subscription = yield* subscriber.subscribe(topic)
            const burst = 200
            yield* Effect.forEach(
              Array.from({ length: burst }, (_, n) => n),
              (n) => publisher.publish(topic, [n]),
              { discard: true }
            )
            yield* publisher.publish(topic, ["last"], {}, { acknowledge: true })
            const seen: Array<unknown> = []
            while (seen.length < burst + 1) {
              const [events, done] = yield* subscription.takeAll
              expect(done).toBe(false)
              seen.push(...Chunk.toReadonlyArray(events).map((event) => event.args[0]))
            }
            expect(seen).toEqual([...Array.from({ length: burst }, (_, n) => n), "last"])
            yield* subscription.unsubscribe
            expect(yield* subscription.takeAll).toEqual([Chunk.empty(), true])
          }))

        // -----------------------------------------------------------------------------------------
        // Authentication
        // -----------------------------------------------------------------------------------------

        const logins: ReadonlyArray<
          readonly [
            method: string,
            authenticator: () => Authenticator.AuthenticatorService,
            authid: string,
            role: string
          ]
        > = [
          [
            "ticket",
            () =>
              Authenticator.ticket({
                authid: credentials.ticket.authid,
                ticket: Redacted.make(credentials.ticket.ticket)
              }),
            credentials.ticket.authid,
            credentials.ticket.authrole
          ],
          [
            "wampcra",
            () =>
              Authenticator.wampCra({
                authid: credentials.wampcra.authid,
                secret: Redacted.make<string | Uint8Array>(credentials.wampcra.secret)
              }),
            credentials.wampcra.authid,
            credentials.wampcra.authrole
          ],
          [
            "wampcra",
            () =>
              Authenticator.wampCra({
                authid: credentials.wampcraSalted.authid,
                secret: Redacted.make<string | Uint8Array>(credentials.wampcraSalted.secret)
              }),
            credentials.wampcraSalted.authid,
            credentials.wampcraSalted.authrole
          ],
          [
            "cryptosign",
            () =>
              Authenticator.unsafeCryptosign({
                authid: credentials.cryptosign.authid,
                privateKey: Redacted.make<string | Uint8Array>(credentials.cryptosign.seed)
              }),
            credentials.cryptosign.authid,
            credentials.cryptosign.authrole
          ]
        ]

        for (const [method, authenticator, authid, authrole] of logins) {
          it.scoped(`login with ${method} as ${authid}; the session works`, () =>
            Effect.gen(function*() {
              const { join, uri } = yield* Harness
              const session = yield* join({ realm: authRealm, auth: authenticator() })
              expect(session.info).toMatchObject({ realm: authRealm, authid, authrole, authmethod: method })
              const procedure = uri("whoami")
              yield* session.register(procedure, (invocation) =>
                Effect.succeed({ args: [invocation.details.caller_authid ?? null] }), { disclose_caller: true })
              expect((yield* session.call(procedure)).args).toEqual([authid])
            }))
        }

        it.scoped("denied logins: wrong ticket, wrong wampcra secret, unknown cryptosign key, anonymous", () =>
          Effect.gen(function*() {
            const { join } = yield* Harness
            const attempts: ReadonlyArray<Authenticator.AuthenticatorService> = [
              Authenticator.ticket({ authid: credentials.ticket.authid, ticket: Redacted.make("wrong") }),
              Authenticator.wampCra({
                authid: credentials.wampcra.authid,
                secret: Redacted.make<string | Uint8Array>("x")
              }),
              Authenticator.unsafeCryptosign({
                authid: credentials.cryptosign.authid,
                privateKey: Redacted.make<string | Uint8Array>("5c".repeat(32))
              }),
              Authenticator.anonymous()
            ]
            for (const auth of attempts) {
              const error = yield* Effect.flip(Effect.scoped(join({ realm: authRealm, auth })))
              expect(error).toBeInstanceOf(WampError.WampError)
              expect((error as WampError.WampError).error).toMatch(/^wamp\.error\./)
            }
            const noRealm = yield* Effect.flip(Effect.scoped(join({ realm: "no.such.realm" })))
            expect(WampError.isNoSuchRealm(noRealm)).toBe(true)
          }))
      }
    )
  }
}
