/**
 * CommonJS users `require("effect-wamp/autobahn")`: Node 20.19+ loads ES modules with `require`
 * as long as their graph has no top-level await. The sources are transpiled (TypeScript, one file
 * at a time, as `tsc` would emit them) into a temporary package, and a .cjs program requires the
 * facade's entry point in a separate Node process.
 */
import { execFile } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import ts from "typescript"
import { afterAll, describe, expect, it } from "vitest"

const root = fileURLToPath(new URL("../..", import.meta.url))
// Inside the project so `effect`, `ws`, ... resolve from its node_modules.
const out = path.join(root, "node_modules", ".cache", `effect-wamp-commonjs-${process.pid}`)
afterAll(() => fs.rmSync(out, { recursive: true, force: true }))

const transpile = (dir: string) => {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const source = path.join(dir, entry.name)
    if (entry.isDirectory()) transpile(source)
    else if (entry.name.endsWith(".ts") && !entry.name.endsWith(".d.ts")) {
      const { outputText } = ts.transpileModule(fs.readFileSync(source, "utf8"), {
        compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: true },
        fileName: source
      })
      const target = path.join(out, path.relative(path.join(root, "src"), source)).replace(/\.ts$/, ".js")
      fs.mkdirSync(path.dirname(target), { recursive: true })
      fs.writeFileSync(target, outputText)
    }
  }
}

// Child processes that transpile and start Node: slow on a loaded 2-core machine, not a hang.
describe("CommonJS", { timeout: 60_000 }, () => {
  it("require() gives the facade, default and named exports alike", async () => {
    transpile(path.join(root, "src"))
    fs.writeFileSync(path.join(out, "package.json"), JSON.stringify({ type: "module" }))
    const program = path.join(out, "program.cjs")
    fs.writeFileSync(
      program,
      [
        "const autobahn = require('./node/autobahn/index.js')",
        "const facade = autobahn.default",
        "const connection = new facade.Connection({ url: 'ws://127.0.0.1:1/ws', realm: 'realm1' })",
        "console.log(JSON.stringify({",
        "  same: autobahn.Connection === facade.Connection,",
        "  version: typeof facade.version,",
        "  isOpen: connection.isOpen,",
        "  error: new autobahn.Error('com.example.e', ['why']).message,",
        "  sign: typeof facade.auth_cra.sign,",
        "  serializer: new facade.serializer.CBORSerializer().SERIALIZER_ID,",
        "  when: typeof facade.when.defer().promise.otherwise,",
        "  util: facade.util.is_object({})",
        "}))"
      ].join("\n")
    )
    const stdout = await new Promise<string>((resolve, reject) =>
      execFile(
        process.execPath,
        ["--no-warnings", program],
        { timeout: 45_000 },
        (error, stdout, stderr) => error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout)
      )
    )
    expect(JSON.parse(stdout)).toEqual({
      same: true,
      version: "string",
      isOpen: false,
      error: "com.example.e: why",
      sign: "function",
      serializer: "cbor",
      when: "function",
      util: true
    })
  })
})
