import { describe, expect, it } from "@effect/vitest"
import { errorText, optionalString } from "../../src/internal/values.js"

describe("errorText: the one text of a thrown value or failure", () => {
  it("an Error's message, any object's message, a string as it is", () => {
    expect(errorText(new TypeError("bad"))).toBe("bad")
    expect(errorText({ _tag: "Custom", message: "custom failure" })).toBe("custom failure")
    expect(errorText("plain")).toBe("plain")
  })

  it("anything else as JSON, never [object Object]; String when JSON cannot", () => {
    expect(errorText({ code: 7 })).toBe(`{"code":7}`)
    expect(errorText(42)).toBe("42")
    expect(errorText(undefined)).toBe("undefined")
    expect(errorText({ n: 1n })).toBe("[object Object]")
    const cyclic: Record<string, unknown> = {}
    cyclic["self"] = cyclic
    expect(errorText(cyclic)).toBe("[object Object]")
  })

  it("optionalString keeps strings only", () => {
    expect(optionalString("a")).toBe("a")
    expect(optionalString(1)).toBeUndefined()
  })
})
