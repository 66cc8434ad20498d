// Writes src/internal/version.ts from package.json's version, so the built package and browser
// bundles carry the version as a plain constant (no JSON import, no file read at run time).
// Runs before `npm run build` and on `npm version`; test/version.test.ts fails when they differ.
import { readFileSync, writeFileSync } from "node:fs"

const root = new URL("../", import.meta.url)
const { version } = JSON.parse(readFileSync(new URL("package.json", root), "utf8"))
const file = new URL("src/internal/version.ts", root)
const text = `/** The package version, written from package.json by scripts/write-version.mjs: do not edit. */\n` +
  `export const VERSION = ${JSON.stringify(version)}\n`
let current = ""
try {
  current = readFileSync(file, "utf8")
} catch {
  // First run: no file yet.
}
if (current !== text) writeFileSync(file, text)
