import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import type * as Message from "../../src/Message.js"
import * as Router from "../../src/testing/Router.js"
import { call, join, type RawClient, register } from "./support/rawClient.js"

const setup = Effect.flatMap(
  Router.make({ realms: ["realm1"] }),
  (router) => Effect.map(Effect.all([join(router), join(router)]), ([caller, callee]) => ({ router, caller, callee }))
)

const sendCall = (client: RawClient, procedure: string, options: Message.Dict = {}, args?: Message.List) =>
  Effect.gen(function*() {
    const request = client.nextId()
    yield* client.send({ _tag: "Call", request, options, procedure, ...(args === undefined ? {} : { args }) })
    return request
  })

/** Answers the next INVOCATION with its args echoed back, returning the INVOCATION. */
const answerOne = (callee: RawClient, result?: Message.List) =>
  Effect.gen(function*() {
    const invocation = yield* callee.expect("Invocation")
    yield* callee.send({
      _tag: "Yield",
      request: invocation.request,
      options: {},
      args: result ?? invocation.args ?? []
    })
    return invocation
  })

describe("Router dealer", () => {
  it.scoped("register, call, result with args and kwargs; no_such_procedure otherwise", () =>
    Effect.gen(function*() {
      const { callee, caller } = yield* setup
      const registration = yield* register(callee, "com.app.add")
      const request = caller.nextId()
      yield* caller.send({
        _tag: "Call",
        request,
        options: {},
        procedure: "com.app.add",
        args: [2, 3],
        kwargs: { k: 1 }
      })
      const invocation = yield* callee.expect("Invocation")
      assert.strictEqual(invocation.registration, registration)
      assert.deepStrictEqual(invocation.args, [2, 3])
      assert.deepStrictEqual(invocation.kwargs, { k: 1 })
      assert.isUndefined(invocation.details["procedure"])
      assert.isUndefined(invocation.details["caller"])
      yield* callee.send({ _tag: "Yield", request: invocation.request, options: {}, args: [5], kwargs: { ok: true } })
      const result = yield* caller.expect("Result", (r) => r.request === request)
      assert.deepStrictEqual(result.args, [5])
      assert.deepStrictEqual(result.kwargs, { ok: true })

      const missing = yield* call(caller, "com.app.missing")
      assert.strictEqual(missing._tag, "Error")
      if (missing._tag === "Error") assert.strictEqual(missing.error, "wamp.error.no_such_procedure")
    }))

  it.scoped("callee errors are forwarded with args and kwargs", () =>
    Effect.gen(function*() {
      const { callee, caller } = yield* setup
      yield* register(callee, "com.app.fail")
      const request = yield* sendCall(caller, "com.app.fail")
      const invocation = yield* callee.expect("Invocation")
      yield* callee.send({
        _tag: "Error",
        requestType: 68,
        request: invocation.request,
        details: {},
        error: "com.app.oops",
        args: ["bad"],
        kwargs: { code: 7 }
      })
      const error = yield* caller.expect("Error", (e) => e.request === request)
      assert.strictEqual(error.requestType, 48)
      assert.strictEqual(error.error, "com.app.oops")
      assert.deepStrictEqual(error.args, ["bad"])
      assert.deepStrictEqual(error.kwargs, { code: 7 })
    }))

  it.scoped("pattern priority: exact > longest prefix > wildcard (longest first portions)", () =>
    Effect.gen(function*() {
      const { router, caller } = yield* setup
      const patterns: ReadonlyArray<readonly [string, string]> = [
        ["a1.b2.c3.d4.e55", "exact"],
        ["a1.b2.c3", "prefix"],
        ["a1.b2.c3.d4", "prefix"],
        ["a1.b2..d4.e5", "wildcard"],
        ["a1.b2.c33..e5", "wildcard"],
        ["a1.b2..d4.e5..g7", "wildcard"],
        ["a1.b2..d4..f6.g7", "wildcard"]
      ]
      const ids = new Map<number, number>()
      const callees: Array<RawClient> = []
      for (const [index, [uri, match]] of patterns.entries()) {
        const callee = yield* join(router)
        callees.push(callee)
        ids.set(yield* register(callee, uri, { match }), index)
      }
      // The spec's own table (rpc_pattern_based_registration.md), but for one row: prefixes are
      // plain string prefixes (as Crossbar.io and Nexus route), so `a1.b2.c3` covers
      // `a1.b2.c33.d4.e5` and wins over the wildcards; the spec's table would pick RPC 5.
      const expectations: ReadonlyArray<readonly [string, number]> = [
        ["a1.b2.c3.d4.e55", 0],
        ["a1.b2.c3.d98.e74", 1],
        ["a1.b2.c3.d4.e325", 2],
        ["a1.b2.c55.d4.e5", 3],
        ["a1.b2.c33.d4.e5", 1],
        ["a1.b2.c3x", 1],
        ["a1.b2.c3.d4x.e1", 2],
        ["a1.b2.c88.d4.e5.f6.g7", 5]
      ]
      for (const [uri, expected] of expectations) {
        const request = yield* sendCall(caller, uri)
        const invocation = yield* callees[expected]!.expect("Invocation")
        assert.strictEqual(ids.get(invocation.registration), expected, uri)
        if (expected === 0) assert.isUndefined(invocation.details["procedure"])
        else assert.strictEqual(invocation.details["procedure"], uri)
        yield* callees[expected]!.send({ _tag: "Yield", request: invocation.request, options: {} })
        yield* caller.expect("Result", (r) => r.request === request)
      }
      const none = yield* call(caller, "a2.b2.c2.d2.e2")
      assert.strictEqual(none._tag === "Error" && none.error, "wamp.error.no_such_procedure")
    }))

  it.scoped("invoke policies: roundrobin cycles, first/last pick by registration order, random stays inside", () =>
    Effect.gen(function*() {
      const { router, caller } = yield* setup
      for (const policy of ["roundrobin", "first", "last", "random"] as const) {
        const callees = [yield* join(router), yield* join(router), yield* join(router)]
        for (const callee of callees) yield* register(callee, `com.app.${policy}`, { invoke: policy })
        const served: Array<number> = []
        for (let i = 0; i < 6; i++) {
          const request = yield* sendCall(caller, `com.app.${policy}`)
          const index = yield* Effect.raceAll(callees.map((callee, n) => Effect.as(answerOne(callee, [n]), n)))
          served.push(index)
          yield* caller.expect("Result", (r) => r.request === request)
        }
        const expected = { roundrobin: [0, 1, 2, 0, 1, 2], first: [0, 0, 0, 0, 0, 0], last: [2, 2, 2, 2, 2, 2] }
        if (policy === "random") assert.isTrue(served.every((n) => n >= 0 && n < 3))
        else assert.deepStrictEqual(served, expected[policy], policy)
      }
    }))

  it.scoped("policy mismatch and a second single registration are refused", () =>
    Effect.gen(function*() {
      const { router, callee } = yield* setup
      yield* register(callee, "com.app.shared", { invoke: "roundrobin" })
      yield* register(callee, "com.app.single")
      const other = yield* join(router)
      const refuse = (procedure: string, options: Message.Dict) =>
        Effect.gen(function*() {
          const request = other.nextId()
          yield* other.send({ _tag: "Register", request, options, procedure })
          return (yield* other.expect("Error", (e) => e.request === request)).error
        })
      assert.strictEqual(
        yield* refuse("com.app.shared", { invoke: "random" }),
        "wamp.error.procedure_exists_with_different_invocation_policy"
      )
      assert.strictEqual(yield* refuse("com.app.single", {}), "wamp.error.procedure_already_exists")
      assert.strictEqual(yield* refuse("wamp.session.count", {}), "wamp.error.invalid_uri")
      // Same policy joins the shared registration.
      yield* register(other, "com.app.shared", { invoke: "roundrobin" })
    }))

  it.scoped("caller disclosure: disclose_me or disclose_caller put caller, authid, authrole in INVOCATION", () =>
    Effect.gen(function*() {
      const { callee, caller, router } = yield* setup
      yield* register(callee, "com.app.who")
      yield* sendCall(caller, "com.app.who", { disclose_me: true })
      const disclosed = yield* answerOne(callee)
      assert.strictEqual(disclosed.details["caller"], caller.session)
      assert.strictEqual(disclosed.details["caller_authrole"], "anonymous")
      assert.isString(disclosed.details["caller_authid"])

      const other = yield* join(router)
      yield* register(other, "com.app.always", { disclose_caller: true })
      yield* sendCall(caller, "com.app.always")
      assert.strictEqual((yield* answerOne(other)).details["caller"], caller.session)
    }))

  it.scoped("progressive results reach the caller, then the final result", () =>
    Effect.gen(function*() {
      const { callee, caller } = yield* setup
      yield* register(callee, "com.app.stream")
      const request = yield* sendCall(caller, "com.app.stream", { receive_progress: true })
      const invocation = yield* callee.expect("Invocation")
      assert.strictEqual(invocation.details["receive_progress"], true)
      for (const n of [1, 2]) {
        yield* callee.send({ _tag: "Yield", request: invocation.request, options: { progress: true }, args: [n] })
      }
      yield* callee.send({ _tag: "Yield", request: invocation.request, options: {}, args: ["done"] })
      const first = yield* caller.expect("Result", (r) => r.request === request)
      const second = yield* caller.expect("Result", (r) => r.request === request)
      const last = yield* caller.expect("Result", (r) => r.request === request)
      assert.deepStrictEqual([first.details, first.args], [{ progress: true }, [1]])
      assert.deepStrictEqual([second.details, second.args], [{ progress: true }, [2]])
      assert.deepStrictEqual([last.details, last.args], [{}, ["done"]])
    }))

  it.scoped("progressive invocations: CALL chunks with one request id become INVOCATIONs with one id", () =>
    Effect.gen(function*() {
      const { callee, caller } = yield* setup
      yield* register(callee, "com.app.upload")
      const request = caller.nextId()
      yield* caller.send({ _tag: "Call", request, options: { progress: true }, procedure: "com.app.upload", args: [1] })
      yield* caller.send({ _tag: "Call", request, options: { progress: true }, procedure: "com.app.upload", args: [2] })
      yield* caller.send({ _tag: "Call", request, options: {}, procedure: "com.app.upload", args: [3] })
      const chunks = [
        yield* callee.expect("Invocation"),
        yield* callee.expect("Invocation"),
        yield* callee.expect("Invocation")
      ]
      assert.deepStrictEqual(chunks.map((c) => c.args), [[1], [2], [3]])
      assert.deepStrictEqual(chunks.map((c) => c.details["progress"] === true), [true, true, false])
      assert.strictEqual(new Set(chunks.map((c) => c.request)).size, 1)
      yield* callee.send({ _tag: "Yield", request: chunks[0]!.request, options: {}, args: [6] })
      assert.deepStrictEqual((yield* caller.expect("Result", (r) => r.request === request)).args, [6])
    }))

  it.scoped("cancel skip: ERROR canceled at once, no INTERRUPT, the late YIELD is dropped", () =>
    Effect.gen(function*() {
      const { callee, caller } = yield* setup
      yield* register(callee, "com.app.slow")
      const request = yield* sendCall(caller, "com.app.slow")
      const invocation = yield* callee.expect("Invocation")
      yield* caller.send({ _tag: "Cancel", request, options: { mode: "skip" } })
      assert.strictEqual((yield* caller.expect("Error", (e) => e.request === request)).error, "wamp.error.canceled")
      yield* callee.send({ _tag: "Yield", request: invocation.request, options: {}, args: ["late"] })
      yield* callee.barrier
      yield* caller.barrier
      assert.isFalse((yield* callee.pending).some((m) => m._tag === "Interrupt"))
      assert.isFalse((yield* caller.pending).some((m) => m._tag === "Result" && m.request === request))
    }))

  it.scoped("cancel kill: INTERRUPT kill, the caller gets the callee's answer", () =>
    Effect.gen(function*() {
      const { callee, caller } = yield* setup
      yield* register(callee, "com.app.slow")
      const request = yield* sendCall(caller, "com.app.slow")
      const invocation = yield* callee.expect("Invocation")
      yield* caller.send({ _tag: "Cancel", request, options: { mode: "kill" } })
      const interrupt = yield* callee.expect("Interrupt")
      assert.strictEqual(interrupt.request, invocation.request)
      assert.strictEqual(interrupt.options["mode"], "kill")
      yield* caller.barrier
      assert.isFalse((yield* caller.pending).some((m) => m._tag === "Error"))
      yield* callee.send({
        _tag: "Error",
        requestType: 68,
        request: invocation.request,
        details: {},
        error: "wamp.error.canceled"
      })
      assert.strictEqual((yield* caller.expect("Error", (e) => e.request === request)).error, "wamp.error.canceled")
    }))

  it.scoped("cancel killnowait: ERROR at once and INTERRUPT killnowait", () =>
    Effect.gen(function*() {
      const { callee, caller } = yield* setup
      yield* register(callee, "com.app.slow")
      const request = yield* sendCall(caller, "com.app.slow")
      const invocation = yield* callee.expect("Invocation")
      yield* caller.send({ _tag: "Cancel", request, options: { mode: "killnowait" } })
      assert.strictEqual((yield* caller.expect("Error", (e) => e.request === request)).error, "wamp.error.canceled")
      const interrupt = yield* callee.expect("Interrupt")
      assert.deepStrictEqual([interrupt.request, interrupt.options["mode"]], [invocation.request, "killnowait"])
    }))

  it.scoped("call timeout: ERROR wamp.error.timeout to the caller, INTERRUPT to the callee", () =>
    Effect.gen(function*() {
      const { callee, caller } = yield* setup
      yield* register(callee, "com.app.never")
      const request = yield* sendCall(caller, "com.app.never", { timeout: 20 })
      const invocation = yield* callee.expect("Invocation")
      assert.strictEqual((yield* caller.expect("Error", (e) => e.request === request)).error, "wamp.error.timeout")
      assert.strictEqual((yield* callee.expect("Interrupt")).request, invocation.request)
    }))

  it.scoped("callee leaving mid-call: the caller gets wamp.error.canceled", () =>
    Effect.gen(function*() {
      const { callee, caller } = yield* setup
      yield* register(callee, "com.app.slow")
      const request = yield* sendCall(caller, "com.app.slow")
      yield* callee.expect("Invocation")
      yield* callee.link.close(1006, "dropped")
      assert.strictEqual((yield* caller.expect("Error", (e) => e.request === request)).error, "wamp.error.canceled")
      const after = yield* call(caller, "com.app.slow")
      assert.strictEqual(after._tag === "Error" && after.error, "wamp.error.no_such_procedure")
    }))

  it.scoped("caller leaving mid-call: INTERRUPT killnowait to the callee", () =>
    Effect.gen(function*() {
      const { callee, caller } = yield* setup
      yield* register(callee, "com.app.slow")
      yield* sendCall(caller, "com.app.slow")
      const invocation = yield* callee.expect("Invocation")
      yield* caller.send({ _tag: "Goodbye", details: {}, reason: "wamp.close.normal" })
      const interrupt = yield* callee.expect("Interrupt")
      assert.deepStrictEqual([interrupt.request, interrupt.options["mode"]], [invocation.request, "killnowait"])
    }))

  it.scoped("revokeRegistration: UNREGISTERED [67, 0, {registration, reason}] and the procedure is gone", () =>
    Effect.gen(function*() {
      const { callee, caller, router } = yield* setup
      const registration = yield* register(callee, "com.app.revoked")
      assert.isTrue(yield* router.revokeRegistration(registration, "maintenance"))
      const revoked = yield* callee.expect("Unregistered")
      assert.deepStrictEqual([revoked.request, revoked.details], [0, { registration, reason: "maintenance" }])
      const after = yield* call(caller, "com.app.revoked")
      assert.strictEqual(after._tag === "Error" && after.error, "wamp.error.no_such_procedure")
      assert.isFalse(yield* router.revokeRegistration(registration))
    }))

  it.scoped("permissions: a role denied call/register gets not_authorized", () =>
    Effect.gen(function*() {
      const router = yield* Router.make({
        realms: [{
          name: "realm1",
          anonymous: { authrole: "guest" },
          roles: { guest: { register: false, call: (uri) => uri.startsWith("com.public.") } }
        }]
      })
      const guest = yield* join(router)
      const request = guest.nextId()
      yield* guest.send({ _tag: "Register", request, options: {}, procedure: "com.public.x" })
      assert.strictEqual(
        (yield* guest.expect("Error", (e) => e.request === request)).error,
        "wamp.error.not_authorized"
      )
      const denied = yield* call(guest, "com.private.x")
      assert.strictEqual(denied._tag === "Error" && denied.error, "wamp.error.not_authorized")
      const allowed = yield* call(guest, "com.public.x")
      assert.strictEqual(allowed._tag === "Error" && allowed.error, "wamp.error.no_such_procedure")
    }))
})
