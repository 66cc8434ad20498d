import { describe, expect } from "@effect/vitest"
import { Chunk, Deferred, Effect, Fiber, Option, Ref, Scope, Stream, TestClock } from "effect"
import type * as Session from "../src/Session.js"
import * as FakePeer from "../src/testing/FakePeer.js"
import * as WampError from "../src/WampError.js"
import { counters, join, scoped } from "./support/session.js"

describe("Session RPC: caller", () => {
  scoped(
    "call: CALL with payload and options; RESULT resolves with args, kwargs, details",
    () =>
      Effect.gen(function*() {
        const { peer, session } = yield* join()
        const call = yield* Effect.fork(
          session.call("com.example.add", [2, 3], { round: true }, { timeout: 500, disclose_me: true, x_custom: 1 })
        )
        const sent = yield* peer.expect("Call")
        expect(sent).toEqual({
          _tag: "Call",
          request: 1,
          procedure: "com.example.add",
          options: { timeout: 500, disclose_me: true, x_custom: 1 },
          args: [2, 3],
          kwargs: { round: true }
        })
        yield* peer.send({ _tag: "Result", request: 1, details: { x: 1 }, args: [5], kwargs: { exact: true } })
        expect(yield* Fiber.join(call)).toEqual({ args: [5], kwargs: { exact: true }, details: { x: 1 } })
        expect(counters(session).pending).toBe(0)
      })
  )

  scoped("call error: a WampError with the router's URI, args and kwargs", () =>
    Effect.gen(function*() {
      const { peer, session } = yield* join()
      const call = yield* Effect.fork(session.call("com.example.div", [1, 0]))
      yield* peer.expect("Call")
      yield* peer.send({
        _tag: "Error",
        requestType: 48,
        request: 1,
        details: {},
        error: "com.example.error.div_by_zero",
        args: ["division by zero"],
        kwargs: { a: 1 }
      })
      const error = yield* Effect.flip(Fiber.join(call))
      expect(error).toBeInstanceOf(WampError.WampError)
      expect(error).toMatchObject({
        error: "com.example.error.div_by_zero",
        args: ["division by zero"],
        kwargs: { a: 1 }
      })
    }))

  scoped(
    "interrupting a call sends CANCEL (default killnowait) and the late reply is ignored",
    () =>
      Effect.gen(function*() {
        const { peer, session } = yield* join()
        const call = yield* Effect.fork(session.call("com.example.slow"))
        const sent = yield* peer.expect("Call")
        yield* Fiber.interrupt(call)
        const cancel = yield* peer.expect("Cancel")
        expect(cancel).toEqual({ _tag: "Cancel", request: sent.request, options: { mode: "killnowait" } })
        yield* peer.send({
          _tag: "Error",
          requestType: 48,
          request: sent.request,
          details: {},
          error: "wamp.error.canceled"
        })
        // The session is still fine: the next call works.
        const next = yield* Effect.fork(session.call("com.example.fast"))
        const second = yield* peer.expect("Call")
        yield* peer.send({ _tag: "Result", request: second.request, details: {}, args: ["ok"] })
        expect((yield* Fiber.join(next)).args).toEqual(["ok"])
        expect(counters(session).pending).toBe(0)
      })
  )

  scoped(
    "a call interrupted in a fiber that goes on (interruption caught under a mask): CANCEL goes out before its next CALL",
    () =>
      Effect.gen(function*() {
        const { peer, session } = yield* join()
        const release = yield* Deferred.make<void>()
        const caller = yield* Effect.fork(Effect.uninterruptibleMask((restore) =>
          Effect.gen(function*() {
            yield* Effect.exit(restore(session.call("com.example.slow")))
            yield* Deferred.await(release)
            return yield* session.call("com.example.cleanup")
          })
        ))
        const first = yield* peer.expect("Call")
        const interrupting = yield* Effect.fork(Fiber.interrupt(caller))
        yield* Deferred.succeed(release, undefined)
        expect(yield* peer.expect("Cancel")).toEqual({
          _tag: "Cancel",
          request: first.request,
          options: { mode: "killnowait" }
        })
        const second = yield* peer.expect("Call")
        expect(second.procedure).toBe("com.example.cleanup")
        yield* peer.send({ _tag: "Result", request: second.request, details: {}, args: ["cleaned"] })
        yield* Fiber.join(interrupting)
        expect(counters(session).pending).toBe(0)
      })
  )

  scoped("Effect.timeout on a call cancels with the chosen mode", () =>
    Effect.gen(function*() {
      const { peer, session } = yield* join()
      const call = yield* Effect.fork(
        session.call("com.example.slow", [], {}, { cancelMode: "kill" }).pipe(Effect.timeout("30 millis"))
      )
      const sent = yield* peer.expect("Call")
      expect(sent.options).toEqual({})
      // Virtual time: nothing is cancelled a millisecond early.
      yield* TestClock.adjust("29 millis")
      yield* peer.expectNothing()
      yield* TestClock.adjust("1 millis")
      const cancel = yield* peer.expect("Cancel")
      expect(cancel.options).toEqual({ mode: "kill" })
      const error = yield* Effect.flip(Fiber.join(call))
      expect(error._tag).toBe("TimeoutException")
    }))

  scoped("a cancelMode function is read when the call is interrupted", () =>
    Effect.gen(function*() {
      const { peer, session } = yield* join()
      let mode: Session.CancelMode = "skip"
      const call = yield* Effect.fork(session.call("com.example.slow", [], {}, { cancelMode: () => mode }))
      const sent = yield* peer.expect("Call")
      expect(sent.options).toEqual({})
      mode = "kill"
      yield* Fiber.interrupt(call)
      expect((yield* peer.expect("Cancel")).options).toEqual({ mode: "kill" })
    }))

  scoped(
    "without call_canceling at the dealer, no CANCEL is sent; the late RESULT is ignored",
    () =>
      Effect.gen(function*() {
        const { peer, session } = yield* join({ welcome: { roles: { dealer: {}, broker: {} } } })
        const call = yield* Effect.fork(session.call("com.example.slow"))
        const sent = yield* peer.expect("Call")
        yield* Fiber.interrupt(call)
        yield* peer.expectNothing()
        yield* peer.send({ _tag: "Result", request: sent.request, details: {}, args: [1] })
        yield* peer.expectNothing()
        expect(yield* session.isOpen).toBe(true)
      })
  )

  scoped("a progressive RESULT we did not ask for is ignored; the final one resolves", () =>
    Effect.gen(function*() {
      const { peer, session } = yield* join()
      const call = yield* Effect.fork(session.call("com.example.proc"))
      yield* peer.expect("Call")
      yield* peer.send(
        { _tag: "Result", request: 1, details: { progress: true }, args: ["chunk"] },
        { _tag: "Result", request: 1, details: {}, args: ["final"] }
      )
      expect((yield* Fiber.join(call)).args).toEqual(["final"])
    }))

  scoped("callProgressive: a stream of progress chunks ending with the final result", () =>
    Effect.gen(function*() {
      const { peer, session } = yield* join()
      const results = yield* Effect.fork(Stream.runCollect(session.callProgressive("com.example.count", [3])))
      const sent = yield* peer.expect("Call")
      expect(sent.options).toEqual({ receive_progress: true })
      yield* peer.send(
        { _tag: "Result", request: 1, details: { progress: true }, args: [1] },
        { _tag: "Result", request: 1, details: { progress: true }, args: [2] },
        { _tag: "Result", request: 1, details: {}, args: [3] }
      )
      const all = Chunk.toReadonlyArray(yield* Fiber.join(results))
      expect(all.map((r) => r.args[0])).toEqual([1, 2, 3])
      expect(all.map((r) => r.details["progress"] === true)).toEqual([true, true, false])
    }))

  scoped("callProgressive: stopping the stream early cancels the call", () =>
    Effect.gen(function*() {
      const { peer, session } = yield* join()
      const first = yield* Effect.fork(
        Stream.runHead(session.callProgressive("com.example.count", [10], undefined, { cancelMode: "skip" }))
      )
      yield* peer.expect("Call")
      yield* peer.send({ _tag: "Result", request: 1, details: { progress: true }, args: [1] })
      expect(Option.map(yield* Fiber.join(first), (r) => r.args)).toEqual(Option.some([1]))
      expect(yield* peer.expect("Cancel")).toEqual({ _tag: "Cancel", request: 1, options: { mode: "skip" } })
      yield* peer.send({ _tag: "Result", request: 1, details: { progress: true }, args: [2] })
      yield* peer.expectNothing()
      expect(yield* session.isOpen).toBe(true)
    }))

  scoped(
    "callWithInput: progressive CALLs with one request id, options on the first only",
    () =>
      Effect.gen(function*() {
        const { peer, session } = yield* join()
        const input = Stream.make({ args: ["a"] }, { args: ["b"] }, { args: ["c"], kwargs: { last: true } })
        const call = yield* Effect.fork(session.callWithInput("com.example.upload", input, { timeout: 1000 }))
        const first = yield* peer.expect("Call")
        const second = yield* peer.expect("Call")
        const third = yield* peer.expect("Call")
        expect(first).toMatchObject({ request: 1, options: { timeout: 1000, progress: true }, args: ["a"] })
        expect(second).toMatchObject({ request: 1, options: { progress: true }, args: ["b"] })
        expect(third).toMatchObject({ request: 1, options: {}, args: ["c"], kwargs: { last: true } })
        yield* peer.send({ _tag: "Result", request: 1, details: {}, args: ["done"] })
        expect((yield* Fiber.join(call)).args).toEqual(["done"])
      })
  )

  scoped(
    "callWithInput fails locally when the dealer lacks progressive_call_invocations",
    () =>
      Effect.gen(function*() {
        const { peer, session } = yield* join({ welcome: { roles: { dealer: {} } } })
        const error = yield* Effect.flip(session.callWithInput("com.example.upload", Stream.make({ args: [1] })))
        expect(error).toMatchObject({ error: "wamp.error.feature_not_supported" })
        yield* peer.expectNothing()
      })
  )
})

describe("Session RPC: callee", () => {
  const registerVia = (
    joined: { peer: FakePeer.FakePeer; session: Session.SessionService },
    handler: (inv: Session.Invocation) => Effect.Effect<Session.HandlerResult, unknown>,
    options?: Session.RegisterOptions,
    registrationId = 500
  ) =>
    Effect.gen(function*() {
      const fiber = yield* Effect.fork(joined.session.register("com.example.proc", handler, options))
      const register = yield* joined.peer.expect("Register")
      yield* joined.peer.send({ _tag: "Registered", request: register.request, registration: registrationId })
      return { registration: yield* Fiber.join(fiber), register }
    })

  scoped("INVOCATION runs the handler; its result goes back as YIELD", () =>
    Effect.gen(function*() {
      const joined = yield* join()
      const { register } = yield* registerVia(
        joined,
        (inv) => Effect.succeed({ args: [(inv.args[0] as number) + (inv.args[1] as number)] }),
        { match: "prefix", invoke: "roundrobin", disclose_caller: true }
      )
      expect(register.options).toEqual({ match: "prefix", invoke: "roundrobin", disclose_caller: true })
      yield* joined.peer.send({
        _tag: "Invocation",
        request: 9,
        registration: 500,
        details: { caller: 77, procedure: "com.example.proc.add" },
        args: [2, 3]
      })
      expect(yield* joined.peer.expect("Yield")).toEqual({ _tag: "Yield", request: 9, options: {}, args: [5] })
    }))

  scoped("the handler sees caller details and the concrete procedure", () =>
    Effect.gen(function*() {
      const joined = yield* join()
      const seen = yield* Deferred.make<Session.InvocationDetails>()
      yield* registerVia(joined, (inv) => Effect.asVoid(Deferred.succeed(seen, inv.details)))
      yield* joined.peer.send({
        _tag: "Invocation",
        request: 1,
        registration: 500,
        details: {
          caller: 77,
          caller_authid: "alice",
          caller_authrole: "user",
          procedure: "com.example.proc",
          timeout: 100
        }
      })
      const details = yield* Deferred.await(seen)
      expect(details).toMatchObject({
        caller: 77,
        caller_authid: "alice",
        caller_authrole: "user",
        procedure: "com.example.proc",
        receive_progress: false,
        timeout: 100
      })
      expect(yield* joined.peer.expect("Yield")).toEqual({ _tag: "Yield", request: 1, options: {} })
    }))

  scoped("a handler failing with a WampError sends that ERROR with args and kwargs", () =>
    Effect.gen(function*() {
      const joined = yield* join()
      yield* registerVia(
        joined,
        () => Effect.fail(WampError.make("com.example.error.bad", { args: ["nope"], kwargs: { code: 3 } }))
      )
      yield* joined.peer.send({ _tag: "Invocation", request: 4, registration: 500, details: {} })
      expect(yield* joined.peer.expect("Error")).toEqual({
        _tag: "Error",
        requestType: 68,
        request: 4,
        details: {},
        error: "com.example.error.bad",
        args: ["nope"],
        kwargs: { code: 3 }
      })
    }))

  scoped("any other failure or a defect sends wamp.error.runtime_error with the message", () =>
    Effect.gen(function*() {
      const joined = yield* join()
      yield* registerVia(
        joined,
        (inv) => inv.args[0] === "fail" ? Effect.fail(new Error("it failed")) : Effect.die(new TypeError("it broke"))
      )
      yield* joined.peer.send({ _tag: "Invocation", request: 1, registration: 500, details: {}, args: ["fail"] })
      expect(yield* joined.peer.expect("Error")).toMatchObject({
        error: "wamp.error.runtime_error",
        args: ["it failed"]
      })
      yield* joined.peer.send({ _tag: "Invocation", request: 2, registration: 500, details: {}, args: ["die"] })
      expect(yield* joined.peer.expect("Error")).toMatchObject({
        error: "wamp.error.runtime_error",
        args: ["it broke"]
      })
    }))

  scoped("INTERRUPT interrupts the handler and answers wamp.error.canceled once", () =>
    Effect.gen(function*() {
      const joined = yield* join()
      const interrupted = yield* Deferred.make<void>()
      yield* registerVia(
        joined,
        () => Effect.never.pipe(Effect.onInterrupt(() => Deferred.succeed(interrupted, void 0)))
      )
      yield* joined.peer.send({ _tag: "Invocation", request: 3, registration: 500, details: {} })
      yield* joined.peer.send({ _tag: "Interrupt", request: 3, options: { mode: "killnowait" } })
      expect(yield* joined.peer.expect("Error")).toMatchObject({ request: 3, error: "wamp.error.canceled" })
      yield* Deferred.await(interrupted)
      // A second INTERRUPT for the finished invocation is ignored.
      yield* joined.peer.send({ _tag: "Interrupt", request: 3, options: { mode: "kill" } })
      yield* joined.peer.expectNothing()
      expect(counters(joined.session).activeInvocations).toBe(0)
    }))

  scoped(
    "progressive results: invocation.progress sends YIELD progress:true when asked for",
    () =>
      Effect.gen(function*() {
        const joined = yield* join()
        yield* registerVia(joined, (inv) =>
          Effect.gen(function*() {
            yield* inv.progress([1])
            yield* inv.progress([2])
            return { args: [3] }
          }))
        yield* joined.peer.send({
          _tag: "Invocation",
          request: 1,
          registration: 500,
          details: { receive_progress: true }
        })
        expect(yield* joined.peer.expect("Yield")).toEqual({
          _tag: "Yield",
          request: 1,
          options: { progress: true },
          args: [1]
        })
        expect(yield* joined.peer.expect("Yield")).toEqual({
          _tag: "Yield",
          request: 1,
          options: { progress: true },
          args: [2]
        })
        expect(yield* joined.peer.expect("Yield")).toEqual({ _tag: "Yield", request: 1, options: {}, args: [3] })
        // Without receive_progress, progress is a no-op.
        yield* joined.peer.send({ _tag: "Invocation", request: 2, registration: 500, details: {} })
        expect(yield* joined.peer.expect("Yield")).toEqual({ _tag: "Yield", request: 2, options: {}, args: [3] })
      })
  )

  scoped("progressive invocations: the handler reads every chunk from its input stream", () =>
    Effect.gen(function*() {
      const joined = yield* join()
      yield* registerVia(joined, (inv) =>
        Stream.runCollect(inv.input).pipe(
          Effect.map((chunks) => ({ args: Chunk.toReadonlyArray(chunks).map((c) => c.args?.[0]) }))
        ))
      yield* joined.peer.send(
        { _tag: "Invocation", request: 5, registration: 500, details: { progress: true }, args: ["a"] },
        { _tag: "Invocation", request: 5, registration: 500, details: { progress: true }, args: ["b"] },
        { _tag: "Invocation", request: 5, registration: 500, details: {}, args: ["c"] }
      )
      expect(yield* joined.peer.expect("Yield")).toEqual({
        _tag: "Yield",
        request: 5,
        options: {},
        args: ["a", "b", "c"]
      })
      // A continuation after the answer is discarded silently.
      yield* joined.peer.send({ _tag: "Invocation", request: 5, registration: 500, details: { progress: true } })
      yield* joined.peer.expectNothing()
      expect(yield* joined.session.isOpen).toBe(true)
    }))

  scoped(
    "closing the registration's scope sends UNREGISTER; a racing INVOCATION gets no_such_registration",
    () =>
      Effect.gen(function*() {
        const joined = yield* join()
        const scope = yield* Scope.make()
        const fiber = yield* Effect.fork(
          joined.session.register("com.example.proc", () => Effect.void).pipe(Scope.extend(scope))
        )
        const register = yield* joined.peer.expect("Register")
        yield* joined.peer.send({ _tag: "Registered", request: register.request, registration: 500 })
        const registration = yield* Fiber.join(fiber)
        const closing = yield* Effect.fork(Scope.close(scope, { _tag: "Success", value: undefined } as any))
        const unregister = yield* joined.peer.expect("Unregister")
        expect(unregister.registration).toBe(500)
        yield* joined.peer.send({ _tag: "Invocation", request: 8, registration: 500, details: {} })
        expect(yield* joined.peer.expect("Error")).toMatchObject({
          request: 8,
          error: "wamp.error.no_such_registration"
        })
        yield* joined.peer.send({ _tag: "Unregistered", request: unregister.request })
        yield* Fiber.join(closing)
        expect((yield* registration.ended).reason).toBe("unregistered")
        expect(counters(joined.session).registrations).toBe(0)
      })
  )

  scoped("registration revocation ends the registration and tells the owner", () =>
    Effect.gen(function*() {
      const joined = yield* join()
      const { registration } = yield* registerVia(joined, () => Effect.void)
      yield* joined.peer.send({
        _tag: "Unregistered",
        request: 0,
        details: { registration: 500, reason: "wamp.reason.x" }
      })
      expect(yield* registration.ended).toEqual({ reason: "revoked", message: "wamp.reason.x" })
      // Revocation of an id we do not hold is ignored (it may race our own UNREGISTER).
      yield* joined.peer.send({ _tag: "Unregistered", request: 0, details: { registration: 999 } })
      yield* joined.peer.expectNothing()
      expect(yield* joined.session.isOpen).toBe(true)
    }))

  scoped("handler requirements are provided from the register call's context", () =>
    Effect.gen(function*() {
      const joined = yield* join()
      const calls = yield* Ref.make(0)
      yield* registerVia(joined, () => Ref.updateAndGet(calls, (n) => n + 1).pipe(Effect.map((n) => ({ args: [n] }))))
      yield* joined.peer.send({ _tag: "Invocation", request: 1, registration: 500, details: {} })
      expect((yield* joined.peer.expect("Yield")).args).toEqual([1])
    }))
})
