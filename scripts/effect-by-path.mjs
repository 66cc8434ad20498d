#!/usr/bin/env node
/**
 * Codemod: rewrites imports from the `effect` and `@effect/platform` barrels into by-path imports,
 * because a bundler keeps every namespace a barrel import reaches (issue 12: bundle size).
 *
 *   import { Effect, type Scope, identity } from "effect"
 * becomes
 *   import * as Effect from "effect/Effect"
 *   import type * as Scope from "effect/Scope"
 *   import { identity } from "effect/Function"
 *
 * The barrel's own index (node_modules/<package>/dist/esm/index.js) says which module each name
 * comes from, so the mapping follows the installed version. Type-only imports stay type-only,
 * aliases (`{ Effect as E }`) keep their local name, and an existing by-path import of the same
 * module under the same name is merged rather than duplicated. Re-running on a converted tree
 * changes nothing. Forms it cannot rewrite faithfully (`import * as X from "effect"`, re-exports
 * from the barrel) stop it with an error naming the file.
 *
 * Usage: node scripts/effect-by-path.mjs [--check] [--no-format] [dir-or-file ...]   (default: src)
 *   --check      rewrite nothing; exit 1 if some file still imports a barrel
 *   --no-format  skip the `eslint --fix` pass over the rewritten files
 */
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import ts from "typescript"

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..")
const barrels = ["effect", "@effect/platform"]

/** name exported by the barrel -> { module: "effect/X", namespace: true } or a named export of a module. */
const exportsOf = (pkg) => {
  const index = path.join(root, "node_modules", pkg, "dist", "esm", "index.js")
  const source = ts.createSourceFile(index, fs.readFileSync(index, "utf8"), ts.ScriptTarget.Latest, false)
  const map = new Map()
  for (const statement of source.statements) {
    if (!ts.isExportDeclaration(statement) || statement.moduleSpecifier === undefined) continue
    const file = statement.moduleSpecifier.text.replace(/^\.\//, "").replace(/\.js$/, "")
    const module = `${pkg}/${file}`
    const clause = statement.exportClause
    if (clause === undefined) throw new Error(`${index}: "export *" from ${file} is not handled`)
    if (ts.isNamespaceExport(clause)) map.set(clause.name.text, { module, namespace: true })
    else {
      for (const element of clause.elements) {
        map.set(element.name.text, { module, namespace: false, imported: (element.propertyName ?? element.name).text })
      }
    }
  }
  return map
}

const args = process.argv.slice(2)
const checkOnly = args.includes("--check")
const format = !args.includes("--no-format")
const targets = args.filter((arg) => !arg.startsWith("--"))
if (targets.length === 0) targets.push("src")

const tsFiles = (target) => {
  const full = path.resolve(root, target)
  if (fs.statSync(full).isFile()) return [full]
  return fs.readdirSync(full, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && /\.(m|c)?tsx?$/.test(entry.name) && !entry.name.endsWith(".d.ts"))
    .map((entry) => path.join(entry.parentPath ?? entry.path, entry.name))
    .sort()
}

const exportMaps = new Map(barrels.map((pkg) => [pkg, exportsOf(pkg)]))

/** The rewritten import lines for one file, or undefined when it has no barrel import. */
const rewrite = (file, text) => {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS)
  const barrelImports = []
  // Existing `import [type] * as X from "pkg/Mod"`, keyed by `X|pkg/Mod`, to merge into.
  const namespaceImports = new Map()
  for (const statement of source.statements) {
    if (ts.isExportDeclaration(statement) && statement.moduleSpecifier !== undefined) {
      if (barrels.includes(statement.moduleSpecifier.text)) {
        throw new Error(`${file}: re-export from the "${statement.moduleSpecifier.text}" barrel; rewrite it by hand`)
      }
    }
    if (!ts.isImportDeclaration(statement)) continue
    const specifier = statement.moduleSpecifier.text
    const clause = statement.importClause
    if (barrels.includes(specifier)) {
      if (clause === undefined || clause.name !== undefined || clause.namedBindings === undefined) {
        throw new Error(`${file}: unsupported import form from "${specifier}": ${statement.getText(source)}`)
      }
      if (ts.isNamespaceImport(clause.namedBindings)) {
        throw new Error(`${file}: namespace import of the "${specifier}" barrel; rewrite it by hand`)
      }
      barrelImports.push(statement)
    } else if (
      clause !== undefined && clause.name === undefined && clause.namedBindings !== undefined &&
      ts.isNamespaceImport(clause.namedBindings)
    ) {
      namespaceImports.set(`${clause.namedBindings.name.text}|${specifier}`, { statement, typeOnly: clause.isTypeOnly })
    }
  }
  if (barrelImports.length === 0) return undefined

  // Collect what the barrel imports bind: namespaces by local name, named exports by module.
  const namespaces = new Map() // local -> { module, typeOnly }
  const named = new Map() // module -> Map(local -> { imported, typeOnly })
  for (const statement of barrelImports) {
    const clause = statement.importClause
    const pkg = statement.moduleSpecifier.text
    const map = exportMaps.get(pkg)
    for (const element of clause.namedBindings.elements) {
      const imported = (element.propertyName ?? element.name).text
      const local = element.name.text
      const typeOnly = clause.isTypeOnly || element.isTypeOnly
      const target = map.get(imported)
      if (target === undefined) throw new Error(`${file}: "${imported}" is not exported by the "${pkg}" barrel`)
      if (target.namespace) {
        const previous = namespaces.get(local)
        if (previous !== undefined && previous.module !== target.module) {
          throw new Error(`${file}: "${local}" bound to both ${previous.module} and ${target.module}`)
        }
        namespaces.set(local, { module: target.module, typeOnly: typeOnly && (previous?.typeOnly ?? true) })
      } else {
        const bindings = named.get(target.module) ?? new Map()
        const previous = bindings.get(local)
        bindings.set(local, { imported: target.imported, typeOnly: typeOnly && (previous?.typeOnly ?? true) })
        named.set(target.module, bindings)
      }
    }
  }

  // A namespace import has a value and a namespace meaning: a local value of the same name clashes
  // with it, and so does an exported type (TypeScript: "merged declaration must be all exported or
  // all local"), where a named import of the barrel did not. Stop rather than write a broken tree.
  for (const statement of source.statements) {
    const exported = (statement.modifiers ?? []).some((m) => m.kind === ts.SyntaxKind.ExportKeyword)
    const typeOnly = ts.isInterfaceDeclaration(statement) || ts.isTypeAliasDeclaration(statement)
    const declared = ts.isVariableStatement(statement)
      ? statement.declarationList.declarations.map((declaration) => declaration.name.getText(source))
      : statement.name !== undefined && !ts.isImportDeclaration(statement) && (exported || !typeOnly)
      ? [statement.name.getText(source)]
      : []
    for (const name of declared) {
      if (namespaces.has(name)) {
        throw new Error(
          `${file}: declares "${name}", which clashes with a by-path import of ${namespaces.get(name).module}; ` +
            `import what it needs from that module by name instead`
        )
      }
    }
  }

  const edits = [] // [start, end, replacement]
  const lines = []
  for (const [local, { module, typeOnly }] of namespaces) {
    const existing = namespaceImports.get(`${local}|${module}`)
    const merged = typeOnly && (existing?.typeOnly ?? true)
    if (existing !== undefined) edits.push([existing.statement.getStart(source), existing.statement.getEnd(), null])
    lines.push(`import ${merged ? "type " : ""}* as ${local} from "${module}"`)
  }
  for (const [module, bindings] of named) {
    const entries = [...bindings].sort(([a], [b]) => a.localeCompare(b))
    const allTypes = entries.every(([, binding]) => binding.typeOnly)
    const parts = entries.map(([local, { imported, typeOnly }]) =>
      `${!allTypes && typeOnly ? "type " : ""}${imported === local ? local : `${imported} as ${local}`}`
    )
    lines.push(`import ${allTypes ? "type " : ""}{ ${parts.join(", ")} } from "${module}"`)
  }
  lines.sort((a, b) => a.replace(/^import (type )?/, "").localeCompare(b.replace(/^import (type )?/, "")))

  // The first barrel import is replaced by all the new lines, the others are removed.
  barrelImports.forEach((statement, i) =>
    edits.push([statement.getStart(source), statement.getEnd(), i === 0 ? lines.join("\n") : null])
  )
  edits.sort((a, b) => b[0] - a[0])
  let out = text
  for (const [start, end, replacement] of edits) {
    if (replacement !== null) out = out.slice(0, start) + replacement + out.slice(end)
    else {
      // Drop the statement with its line break so no blank line is left behind.
      const lineEnd = out[end] === "\n" ? end + 1 : out.slice(end, end + 2) === "\r\n" ? end + 2 : end
      out = out.slice(0, start) + out.slice(lineEnd)
    }
  }
  return out
}

// Every file is rewritten in memory first, so an error leaves the tree untouched.
const rewritten = []
for (const target of targets) {
  for (const file of tsFiles(target)) {
    const text = fs.readFileSync(file, "utf8")
    const out = rewrite(file, text)
    if (out !== undefined && out !== text) rewritten.push([file, out])
  }
}
const changed = rewritten.map(([file]) => path.relative(root, file))
if (!checkOnly) { for (const [file, out] of rewritten) fs.writeFileSync(file, out) }

if (checkOnly) {
  for (const file of changed) console.log(`barrel import: ${file}`)
  process.exit(changed.length === 0 ? 0 : 1)
}
console.log(`rewrote ${changed.length} file(s)`)
if (format && changed.length > 0) {
  // The project's dprint rule orders and wraps the new import lines.
  execFileSync(path.join(root, "node_modules", ".bin", "eslint"), ["--fix", ...changed], {
    cwd: root,
    stdio: "inherit"
  })
}
