import { describe, expect, it } from "@effect/vitest"
import { readFileSync } from "node:fs"
import autobahn from "../src/autobahn/index.js"
import { VERSION } from "../src/internal/version.js"

describe("VERSION", () => {
  it("is package.json's version (run `node scripts/write-version.mjs` after changing it)", () => {
    const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }
    expect(VERSION).toBe(pkg.version)
    expect(autobahn.version).toBe(pkg.version)
  })
})
