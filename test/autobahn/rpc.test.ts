/**
 * The reference's RPC section, against the test-kit router on loopback, over WebSocket and
 * RawSocket: call result unwrapping, endpoints (values, Result, Promise, errors), details,
 * progressive results in both when.js and native forms, cancel, unregister.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import autobahn from "../../src/node/autobahn/index.js"
import { deferred, serve, type Served, until, within } from "./support/router.js"

let served: Served
beforeAll(async () => {
  served = await serve()
})
afterAll(() => served.close())

const transports = {
  websocket: (): autobahn.ConnectionOptions => ({ url: served.url, realm: "realm1" }),
  rawsocket: (): autobahn.ConnectionOptions => ({
    realm: "realm1",
    transports: [{ type: "rawsocket", host: served.host, port: served.rawSocketPort }],
    serializers: [new autobahn.serializer.MsgpackSerializer()]
  })
}

const connect = async (options: autobahn.ConnectionOptions) => {
  const connection = new autobahn.Connection({ max_retries: 0, on_user_error: () => {}, ...options })
  const opened = deferred<autobahn.Session>()
  connection.onopen = (session) => opened.resolve(session)
  connection.onclose = (reason, details) => {
    opened.reject(new Error(`closed: ${reason} ${details.reason}`))
  }
  connection.open()
  return { connection, session: await within(opened.promise, 5000, "onopen") }
}

for (const [name, optionsOf] of Object.entries(transports)) {
  describe(`RPC over ${name}`, () => {
    let callee: { connection: autobahn.Connection; session: autobahn.Session }
    let caller: { connection: autobahn.Connection; session: autobahn.Session }
    beforeAll(async () => {
      callee = await connect(optionsOf())
      caller = await connect(optionsOf())
    })
    afterAll(async () => {
      await callee.connection.close()
      await caller.connection.close()
    })

    it("a registration's options are its own object, as Autobahn|JS gives them", async () => {
      const p = `${name}.own-options`
      const bare = [await callee.session.register(`${p}.a`, () => 1), await callee.session.register(`${p}.b`, () => 2)]
      // Made without options: a mutable object of each registration's own (ESM code is strict mode,
      // so writing to a shared frozen object would throw).
      bare[0]!.options["note"] = "mine"
      expect(bare[0]!.options).toEqual({ note: "mine" })
      expect(bare[1]!.options).toEqual({})
      const given = { invoke: "roundrobin" as const }
      const withOptions = await callee.session.register(`${p}.c`, () => 3, given)
      expect(withOptions.options).toBe(given)
      for (const registration of [...bare, withOptions]) await registration.unregister()
    })

    it("unwraps results as Autobahn|JS does", async () => {
      const p = `${name}.shapes`
      await callee.session.register(`${p}.one`, () => 42)
      await callee.session.register(`${p}.many`, () => new autobahn.Result([1, 2]))
      await callee.session.register(`${p}.kw`, () => new autobahn.Result([], { a: 1 }))
      await callee.session.register(`${p}.none`, () => new autobahn.Result())
      await callee.session.register(`${p}.undefined`, () => undefined)
      await callee.session.register(`${p}.async`, async (args) => ((args[0] as number) * 2))
      await callee.session.register(`${p}.echo`, (args, kwargs) => new autobahn.Result(args, kwargs))

      expect(await caller.session.call(`${p}.one`)).toBe(42)
      const many = await caller.session.call(`${p}.many`)
      expect(many).toBeInstanceOf(autobahn.Result)
      expect(many.args).toEqual([1, 2])
      expect(many.kwargs).toEqual({})
      const kw = await caller.session.call(`${p}.kw`)
      expect(kw).toBeInstanceOf(autobahn.Result)
      expect(kw.args).toEqual([])
      expect(kw.kwargs).toEqual({ a: 1 })
      expect(await caller.session.call(`${p}.none`)).toBeNull()
      expect(await caller.session.call(`${p}.undefined`)).toBeNull()
      expect(await caller.session.call(`${p}.async`, [21])).toBe(42)
      const echoed = await caller.session.call(`${p}.echo`, ["x", 2 ** 53], { k: [true] })
      expect(echoed.args).toEqual(["x", 2 ** 53])
      expect(echoed.kwargs).toEqual({ k: [true] })
      // kwargs without args travel too.
      expect((await caller.session.call(`${p}.echo`, null, { only: 1 })).kwargs).toEqual({ only: 1 })
    })

    it("endpoint errors: autobahn.Error as sent, anything else as runtime_error with its message", async () => {
      const p = `${name}.errors`
      await callee.session.register(`${p}.app`, () => {
        throw new autobahn.Error("com.example.error.bad", ["why", 1], { field: "x" })
      })
      await callee.session.register(`${p}.plain`, () => {
        throw new TypeError("boom")
      })
      await callee.session.register(`${p}.rejects`, () => Promise.reject(new autobahn.Error("com.example.error.later")))

      const app = await caller.session.call(`${p}.app`).catch((e: unknown) => e)
      expect(app).toBeInstanceOf(autobahn.Error)
      expect(app).toBeInstanceOf(Error)
      expect(app).toMatchObject({ error: "com.example.error.bad", args: ["why", 1], kwargs: { field: "x" } })
      expect((app as Error).message).toBe("com.example.error.bad: why")
      expect((app as Error).stack).toBeTypeOf("string")

      const plain = await caller.session.call(`${p}.plain`).catch((e: unknown) => e)
      expect(plain).toMatchObject({ error: "wamp.error.runtime_error", args: ["boom"] })
      expect(await caller.session.call(`${p}.rejects`).catch((e: autobahn.Error) => e.error)).toBe(
        "com.example.error.later"
      )
      const missing = await caller.session.call(`${p}.missing`).catch((e: unknown) => e)
      expect(missing).toMatchObject({ error: "wamp.error.no_such_procedure" })
    })

    it("invocation details: procedure, caller identity when disclosed, progress only when asked", async () => {
      const p = `${name}.details`
      const seen: Array<autobahn.Invocation> = []
      await callee.session.register(`${p}.`, (_args, _kwargs, details) => {
        seen.push(details)
        return details.procedure
      }, { match: "prefix" })
      expect(await caller.session.call(`${p}.concrete`)).toBe(`${p}.concrete`)
      expect(seen[0]).toBeInstanceOf(autobahn.Invocation)
      expect(seen[0]!.progress).toBeNull()
      expect(seen[0]!.caller).toBeUndefined()

      await caller.session.call(`${p}.disclosed`, [], {}, { disclose_me: true })
      expect(seen[1]!.caller).toBe(caller.session.id)
      expect(seen[1]!.caller_authrole).toBeTypeOf("string")

      caller.session.caller_disclose_me = true
      await caller.session.call(`${p}.default`)
      caller.session.caller_disclose_me = false
      expect(seen[2]!.caller).toBe(caller.session.id)
    })

    it("progressive results reach then(ok, err, onProgress), progress(cb) and on_progress", async () => {
      const p = `${name}.progress`
      await callee.session.register(p, (args, _kwargs, details) => {
        expect(details.progress).toBeTypeOf("function")
        for (let i = 0; i < (args[0] as number); i++) details.progress!([i])
        details.progress!([1, 2], { more: true })
        return "done"
      })
      const viaThen: Array<unknown> = []
      const viaProgress: Array<unknown> = []
      const viaOption: Array<unknown> = []
      const promise = caller.session.call(p, [3], {}, {
        receive_progress: true,
        on_progress: (value) => viaOption.push(value)
      })
      promise.progress((value) => viaProgress.push(value))
      const final = await promise.then((value) => value, undefined, (value) => viaThen.push(value))
      expect(final).toBe("done")
      for (const seen of [viaThen, viaProgress, viaOption]) {
        expect(seen.slice(0, 3)).toEqual([0, 1, 2])
        expect(seen[3]).toBeInstanceOf(autobahn.Result)
        expect((seen[3] as autobahn.Result).kwargs).toEqual({ more: true })
      }
    })

    it("cancel() on a derived promise cancels on the router and the endpoint sees it (INTERRUPT)", async () => {
      const p = `${name}.slow`
      const started = deferred<AbortSignal>()
      await callee.session.register(p, (_args, _kwargs, details) => {
        started.resolve(details.signal!)
        return new Promise(() => {})
      })
      const derived = caller.session.call(p).then((value) => value)
      const signal = await within(started.promise)
      derived.cancel()
      const error = await within(derived.catch((e: unknown) => e))
      expect(error).toMatchObject({ error: "wamp.error.canceled" })
      await until(() => signal.aborted, "endpoint signal aborted")
    })

    it("an aborted AbortSignal cancels the call", async () => {
      const p = `${name}.slow2`
      const started = deferred<AbortSignal>()
      await callee.session.register(p, (_args, _kwargs, details) => {
        started.resolve(details.signal!)
        return new Promise(() => {})
      })
      const controller = new AbortController()
      const call = caller.session.call(p, [], {}, { signal: controller.signal })
      const signal = await within(started.promise)
      controller.abort()
      expect(await within(call.catch((e: autobahn.Error) => e.error))).toBe("wamp.error.canceled")
      await until(() => signal.aborted, "endpoint signal aborted")
    })

    it("unregister: promise, active, on_unregister; revocation settles on_unregister with the reason", async () => {
      const p = `${name}.unreg`
      const registration = await callee.session.register(p, () => 1)
      expect(registration).toBeInstanceOf(autobahn.Registration)
      expect(registration.procedure).toBe(p)
      expect(registration.id).toBeTypeOf("number")
      expect(callee.session.registrations).toContain(registration)
      await registration.unregister()
      expect(registration.active).toBe(false)
      expect(await within(registration.on_unregister)).toBeUndefined()
      expect(callee.session.registrations).not.toContain(registration)
      expect(await caller.session.call(p).catch((e: autobahn.Error) => e.error)).toBe("wamp.error.no_such_procedure")
      await expect(registration.unregister()).rejects.toBeInstanceOf(autobahn.Error)

      const revoked = await callee.session.register(`${p}.revoked`, () => 1)
      await served.run(served.router.revokeRegistration(revoked.id, "wamp.reason.maintenance"))
      expect(await within(revoked.on_unregister)).toBe("wamp.reason.maintenance")
      expect(revoked.active).toBe(false)
    })

    it("CURIE prefixes", async () => {
      callee.session.prefix("api", `com.${name}.api`)
      caller.session.prefix("api", `com.${name}.api`)
      await callee.session.register("api:add", (args) => (args[0] as number) + (args[1] as number))
      expect(await caller.session.call(`com.${name}.api.add`, [1, 2])).toBe(3)
      expect(await caller.session.call("api:add", [2, 2])).toBe(4)
      expect(caller.session.resolve("api:x")).toBe(`com.${name}.api.x`)
      expect(caller.session.resolve("other:x")).toBe("other:x")
      caller.session.prefix("api", null)
      expect(caller.session.resolve("api:x")).toBe("api:x")
    })

    it("bad arguments reject with invalid_argument instead of throwing", async () => {
      const bad = caller.session.call("com.x", "not a list" as never)
      await expect(bad).rejects.toMatchObject({ error: "wamp.error.invalid_argument" })
      await expect(caller.session.register("com.x", 1 as never)).rejects.toMatchObject({
        error: "wamp.error.invalid_argument"
      })
    })
  })
}
