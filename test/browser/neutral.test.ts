/**
 * The package root and the facade are platform-neutral in their types as in their code: type-checked
 * with the DOM library and no Node types, nothing may need `node:*`, `Buffer` or `ws`, and no file
 * of @types/node may come into the program through them. Their code bundles for a browser with no
 * shims (the barrel page imports the root as `effect-wamp`).
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import ts from "typescript"
import { describe, expect, it } from "vitest"
import { bundle, bytesByPackage } from "./bundle.js"

const root = fileURLToPath(new URL("../..", import.meta.url))

describe("platform-neutral", () => {
  it("the root and the facade type-check without Node's types", () => {
    const program = ts.createProgram({
      // src/types/, when present, declares untyped dependencies, as the project's tsconfig does.
      rootNames: [
        path.join(root, "src/index.ts"),
        path.join(root, "src/autobahn/index.ts"),
        ...(fs.existsSync(path.join(root, "src/types"))
          ? fs.readdirSync(path.join(root, "src/types")).map((file) => path.join(root, "src/types", file))
          : [])
      ],
      options: {
        target: ts.ScriptTarget.ES2022,
        module: ts.ModuleKind.NodeNext,
        moduleResolution: ts.ModuleResolutionKind.NodeNext,
        lib: ["lib.es2022.d.ts", "lib.dom.d.ts"],
        types: [],
        strict: true,
        exactOptionalPropertyTypes: true,
        noEmit: true,
        skipLibCheck: true
      }
    })
    const diagnostics = ts.getPreEmitDiagnostics(program).map((diagnostic) =>
      `${diagnostic.file?.fileName ?? ""}: ${ts.flattenDiagnosticMessageText(diagnostic.messageText, "\n")}`
    )
    const nodeTypes = program.getSourceFiles().map((file) => file.fileName).filter((name) =>
      /node_modules\/@types\/(node|ws)\//.test(name)
    )
    expect({ diagnostics, nodeTypes }).toEqual({ diagnostics: [], nodeTypes: [] })
  }, 180_000) // A full type-check of effect's types: ~25 s alone, over 60 s on a loaded machine.

  it("the root, imported as a barrel, bundles for a browser", async () => {
    const result = await bundle("effectBarrel")
    const packages = bytesByPackage(result.metafile)
    expect(packages.has("ws")).toBe(false)
    expect(packages.get("effect-wamp")).toBeGreaterThan(0)
  }, 60_000)
})
