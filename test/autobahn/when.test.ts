/**
 * `autobahn.when` is when.js, as Autobahn|JS exports it: deferreds, combinators and the promise
 * extras Autobahn|JS code uses, working together with the facade's native promises.
 */
import { describe, expect, it } from "vitest"
import autobahn from "../../src/node/autobahn/index.js"

const { when } = autobahn

describe("autobahn.when", () => {
  it("defer: resolve, reject, and progress via notify to then's third argument", async () => {
    const d1 = when.defer<number>()
    const d2 = when.defer<number>()
    const both = when.all([d1.promise, d2.promise])
    d1.resolve(23)
    d2.resolve(42)
    expect(await both).toEqual([23, 42])

    const failing = when.defer()
    failing.reject(new Error("no"))
    await expect(failing.promise).rejects.toThrow("no")

    const progressed: Array<unknown> = []
    const withProgress = when.defer<string>()
    const done = withProgress.promise.then((v) => v, undefined, (update) => progressed.push(update))
    withProgress.notify(1)
    withProgress.notify(2)
    withProgress.resolve("end")
    expect(await done).toBe("end")
    expect(progressed).toEqual([1, 2])
  })

  it("when.js promise extras: otherwise, ensure, tap, spread, yield, else, inspect, timeout", async () => {
    expect(await when.reject(new Error("x")).otherwise((e: Error) => e.message)).toBe("x")
    let ensured = false
    expect(
      await when.resolve(1).ensure(() => {
        ensured = true
      })
    ).toBe(1)
    expect(ensured).toBe(true)
    let tapped: unknown
    expect(
      await when.resolve(5).tap((v) => {
        tapped = v
      })
    ).toBe(5)
    expect(tapped).toBe(5)
    expect(await when.resolve([1, 2, 3]).spread((a: number, b: number, c: number) => a + b + c)).toBe(6)
    expect(await when.resolve(1).yield("y")).toBe("y")
    expect(await when.reject(new Error("e")).else("fallback")).toBe("fallback")
    expect(when.resolve(1).inspect().state).toMatch(/pending|fulfilled/)
    const never = when.defer()
    await expect(never.promise.timeout(20)).rejects.toBeInstanceOf(when.TimeoutError)
  })

  it("combinators: map, filter, reduce, settle, any, some, race, join, promise, try, lift, isPromiseLike", async () => {
    expect(await when.map([1, when.resolve(2), Promise.resolve(3)], (x: number) => x * 2)).toEqual([2, 4, 6])
    expect(await when.filter([1, 2, 3, 4], (x: number) => x % 2 === 0)).toEqual([2, 4])
    expect(await when.reduce([1, 2, 3], (acc: number, x: number) => acc + x, 10)).toBe(16)
    const settled = await when.settle([when.resolve(1), when.reject(new Error("bad"))])
    expect(settled.map((s) => s.state)).toEqual(["fulfilled", "rejected"])
    expect(await when.any([when.reject(new Error("a")), when.resolve("b")])).toBe("b")
    expect((await when.some([1, 2, 3], 2)).length).toBe(2)
    expect(await when.race([when.defer().promise, when.resolve("first")])).toBe("first")
    expect(await when.join(1, when.resolve(2))).toEqual([1, 2])
    expect(await when.promise<number>((resolve) => resolve(7))).toBe(7)
    await expect(when.try(() => {
      throw new Error("thrown")
    })).rejects.toThrow("thrown")
    expect(await when.lift((a: number, b: number) => a * b)(when.resolve(6), 7)).toBe(42)
    expect(when.isPromiseLike(Promise.resolve())).toBe(true)
    expect(when.isPromiseLike({})).toBe(false)
    expect(await when(when.resolve(2), (x: number) => x + 1)).toBe(3)
  })

  it("accepts native promises and thenables (the facade's call promises are native)", async () => {
    const thenable = { then: (ok: (v: string) => void) => ok("thenable") } as unknown as PromiseLike<string>
    expect(await when.all([Promise.resolve("native"), thenable, "plain"])).toEqual(["native", "thenable", "plain"])
  })
})
