import { describe, expect, it } from "@effect/vitest"
import { checkUri } from "../../src/internal/session/payload.js"

const refused = (uri: string, match?: "exact" | "prefix" | "wildcard") => checkUri(uri, match)?.error

describe("checkUri: the local URI check, with its one-entry cache of the last valid exact URI", () => {
  it("a repeated valid URI passes; invalid ones are refused before and after it", () => {
    expect(refused(" ")).toBe("wamp.error.invalid_uri")
    expect(refused("com.example.add")).toBeUndefined()
    expect(refused("com.example.add")).toBeUndefined()
    expect(refused("com..add")).toBe("wamp.error.invalid_uri")
    expect(refused("")).toBe("wamp.error.invalid_uri")
    expect(refused("com.example.add")).toBeUndefined()
  })

  it("a pattern valid for its match policy is not taken for a valid exact URI", () => {
    expect(refused("com.example.", "prefix")).toBeUndefined()
    expect(refused("com.example.")).toBe("wamp.error.invalid_uri")
    expect(refused("com..add", "wildcard")).toBeUndefined()
    expect(refused("com..add", "exact")).toBe("wamp.error.invalid_uri")
    expect(refused("com.example.add", "exact")).toBeUndefined()
    expect(refused("com.example.add", "prefix")).toBeUndefined()
  })
})
