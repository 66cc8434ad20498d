/**
 * `autobahn.util`: Autobahn|JS's helpers with its behaviour, including `is_object` across `vm`
 * realms (where `instanceof Object` is false).
 */
import * as vm from "node:vm"
import { describe, expect, it } from "vitest"
import autobahn from "../../src/node/autobahn/index.js"

const { util } = autobahn

describe("autobahn.util", () => {
  it("is_object: objects (from any realm) yes; arrays and scalars no; null as in Autobahn|JS", () => {
    expect(util.is_object({ foo: "bar" })).toBe(true)
    expect(util.is_object(new Map())).toBe(true)
    for (const no of [1, [], "string", true, undefined]) expect(util.is_object(no)).toBe(false)
    // Autobahn|JS's definition: typeof null is "object", so it counts.
    expect(util.is_object(null)).toBe(true)
    const context: Record<string, unknown> = { kwargs: { foo: "bar" }, util, check1: null, check2: null, check3: null }
    vm.createContext(context)
    vm.runInContext(
      "check1 = kwargs instanceof Object; check2 = util.is_object(kwargs); check3 = util.is_object([])",
      context
    )
    expect(context["check1"]).toBe(false)
    expect(context["check2"]).toBe(true)
    expect(context["check3"]).toBe(false)
  })

  it("bytes: btoh / htob hex, btoa / atob base64, null for missing input", () => {
    const bytes = Uint8Array.from([0, 1, 0x7f, 0x80, 0xff])
    expect(util.btoh(bytes)).toBe("00017f80ff")
    expect(util.htob("00017f80ff")).toEqual(bytes)
    expect(util.htob("ABcd")).toEqual(Uint8Array.from([0xab, 0xcd]))
    expect(() => util.htob("abc")).toThrow(RangeError)
    expect(() => util.htob(5 as unknown as string)).toThrow(TypeError)
    expect(util.btoa(bytes)).toBe("AAF/gP8=")
    expect(util.atob("AAF/gP8=")).toEqual(bytes)
    expect(util.atob("AAF/gP8")).toEqual(bytes)
    expect(util.btoa([104, 105])).toBe("aGk=")
    for (const f of [util.btoh, util.htob, util.btoa, util.atob] as Array<(x: unknown) => unknown>) {
      expect(f(null)).toBeNull()
      expect(f(undefined)).toBeNull()
    }
  })

  it("assert, defaults, handle_error", () => {
    expect(() => util.assert(true)).not.toThrow()
    expect(() => util.assert(0)).toThrow("Assertion failed!")
    expect(() => util.assert(false, "args must be an array")).toThrow("args must be an array")

    const base = { a: 1, nested: { k1: 1 } }
    expect(util.defaults(base, { a: 2, b: 2 }, null, { b: 3, c: 3 })).toBe(base)
    expect(base).toEqual({ a: 1, b: 2, c: 3, nested: { k1: 1 } })
    expect(util.defaults({ n: { k1: 1 } }, { n: { k2: 2 } })).toEqual({ n: { k1: 1 } })
    expect(util.defaults({ n: { k1: 1 } }, { n: { k2: 2 } }, true)).toEqual({ n: { k1: 1, k2: 2 } })
    expect(util.defaults()).toEqual({})
    expect(() => util.defaults({}, 5)).toThrow("Expected argument at index 1 to be an object")

    const handled: Array<unknown> = []
    util.handle_error((error: unknown, message: unknown) => handled.push(error, message), "boom", "while testing")
    expect(handled).toEqual(["boom", "while testing"])
    const original = console.error
    const logged: Array<unknown> = []
    console.error = (...items: Array<unknown>) => logged.push(...items)
    try {
      util.handle_error(undefined, "boom")
    } finally {
      console.error = original
    }
    expect(logged).toEqual(["Unhandled exception raised: ", "boom"])
  })

  it("ids and randomness: new_global_id in [1, 2^53], rand_normal finite around its mean", () => {
    for (let i = 0; i < 1000; i++) {
      const id = util.new_global_id()
      expect(Number.isSafeInteger(id) && id >= 1 && id <= 2 ** 53).toBe(true)
    }
    const draws = Array.from({ length: 2000 }, () => util.rand_normal(10, 2))
    const mean = draws.reduce((a, b) => a + b, 0) / draws.length
    expect(draws.every(Number.isFinite)).toBe(true)
    expect(Math.abs(mean - 10)).toBeLessThan(0.5)
  })

  it("deferred_factory (when.js by default, native or your own), promise, as_promise, sleep", async () => {
    const whenDeferred = util.deferred_factory()() as ReturnType<typeof autobahn.when.defer>
    whenDeferred.resolve(1)
    expect(typeof whenDeferred.promise.otherwise).toBe("function")
    expect(await util.promise(whenDeferred)).toBe(1)

    const native = util.deferred_factory({ use_es6_promises: true })() as {
      promise: Promise<number>
      resolve: (n: number) => void
    }
    expect(native.promise).toBeInstanceOf(Promise)
    native.resolve(2)
    expect(await util.promise(native)).toBe(2)

    const own = () => ({ mine: true })
    expect(util.deferred_factory({ use_deferred: own })).toBe(own)
    // A deferred that is its own promise (jQuery style) is returned as is.
    const selfPromise = { promise: () => {} }
    expect(util.promise(selfPromise)).toBe(selfPromise)

    expect(await util.as_promise((a: number, b: number) => a + b, 2, 3)).toBe(5)
    await expect(util.as_promise(() => {
      throw new Error("sync throw")
    })).rejects.toThrow("sync throw")
    const started = Date.now()
    await util.sleep(20)
    expect(Date.now() - started).toBeGreaterThanOrEqual(15)
  })
})
