/**
 * Bundles a page of `pages/` for a browser, as an app's bundler would: esbuild, platform
 * "browser", minified ESM, and no shims, polyfills, aliases or defines. A Node built-in anywhere
 * in the graph fails the build.
 */
import * as esbuild from "esbuild"
import { fileURLToPath } from "node:url"
import { gzipSync } from "node:zlib"

export type PageName = "effect" | "effectBarrel" | "facade" | "autobahn" | "wampy" | "floor" | "runtime"

export interface Bundle {
  /** The entry file's code. */
  readonly code: string
  /** Every output file by name (`<page>.js`, `chunk-*.js`), lazy chunks included, for serving. */
  readonly files: ReadonlyMap<string, string>
  /** What the page loads before it runs: the entry and the chunks it imports statically. */
  readonly bytes: number
  /** The same, each file gzipped on its own as it would be served (sum). */
  readonly gzipBytes: number
  /** Chunks only reached through `import()` (code a page fetches only if it takes that path). */
  readonly lazyBytes: number
  readonly lazyGzipBytes: number
  /** The metafile with only the eagerly loaded outputs, so package sizes count what a page loads. */
  readonly metafile: esbuild.Metafile
  /** The lazily loaded outputs' part of the metafile. */
  readonly lazyMetafile: esbuild.Metafile
}

export const pagePath = (name: PageName): string => fileURLToPath(new URL(`./pages/${name}.ts`, import.meta.url))

export interface BundleOptions {
  /** Packages left out of the bundle (to measure what remains on its own). */
  readonly external?: ReadonlyArray<string> | undefined
  /**
   * Node built-ins replaced by empty modules. Only for the Autobahn|JS comparison page, which
   * does not build for a browser without that (and would need a Buffer polyfill to run).
   */
  readonly emptyNodeBuiltins?: boolean | undefined
}

const nodeBuiltins = new Set([
  "fs",
  "stream",
  "crypto",
  "util",
  "buffer",
  "events",
  "net",
  "tls",
  "http",
  "https",
  "url",
  "zlib",
  "os",
  "path",
  "assert",
  "string_decoder",
  "process"
])

const emptyNodeBuiltins: esbuild.Plugin = {
  name: "empty-node-builtins",
  setup(build) {
    build.onResolve(
      { filter: /^(node:)?[a-z]+$/ },
      (args) => nodeBuiltins.has(args.path.replace(/^node:/, "")) ? { path: args.path, namespace: "empty" } : undefined
    )
    build.onLoad({ filter: /.*/, namespace: "empty" }, () => ({ contents: "export default {}", loader: "js" }))
  }
}

export const bundle = async (name: PageName, options: BundleOptions = {}): Promise<Bundle> => {
  // Code splitting on, as an app's bundler (Vite, Rollup, esbuild) does it: `import()` targets become
  // chunks fetched on demand, so a page's size is what it loads, not what it could load.
  const result = await esbuild.build({
    external: [...(options.external ?? [])],
    plugins: options.emptyNodeBuiltins === true ? [emptyNodeBuiltins] : [],
    entryPoints: { [name]: pagePath(name) },
    bundle: true,
    write: false,
    splitting: true,
    minify: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    metafile: true,
    logLevel: "silent",
    outdir: "out"
  })
  const outputName = (path: string): string => path.replace(/^.*\//, "")
  const contents = new Map(result.outputFiles.map((file) => [outputName(file.path), file.contents]))
  const outputs = new Map(Object.entries(result.metafile.outputs).map(([path, output]) => [outputName(path), output]))
  // The entry and, transitively, the chunks it imports statically.
  const eager = new Set<string>()
  const visit = (file: string): void => {
    if (eager.has(file)) return
    eager.add(file)
    for (const imported of outputs.get(file)?.imports ?? []) {
      if (imported.kind === "import-statement" && !imported.external) visit(outputName(imported.path))
    }
  }
  visit(`${name}.js`)
  const sizes = (files: ReadonlyArray<string>) => ({
    bytes: files.reduce((sum, file) => sum + contents.get(file)!.byteLength, 0),
    gzipBytes: files.reduce((sum, file) => sum + gzipSync(contents.get(file)!, { level: 9 }).byteLength, 0)
  })
  const part = (files: ReadonlyArray<string>): esbuild.Metafile => ({
    inputs: result.metafile.inputs,
    outputs: Object.fromEntries(files.map((file) => [file, outputs.get(file)!]))
  })
  const js = [...contents.keys()].filter((file) => file.endsWith(".js"))
  const eagerFiles = js.filter((file) => eager.has(file))
  const lazyFiles = js.filter((file) => !eager.has(file))
  const eagerSizes = sizes(eagerFiles)
  const lazySizes = sizes(lazyFiles)
  return {
    code: new TextDecoder().decode(contents.get(`${name}.js`)!),
    files: new Map(js.map((file) => [file, new TextDecoder().decode(contents.get(file)!)])),
    bytes: eagerSizes.bytes,
    gzipBytes: eagerSizes.gzipBytes,
    lazyBytes: lazySizes.bytes,
    lazyGzipBytes: lazySizes.gzipBytes,
    metafile: part(eagerFiles),
    lazyMetafile: part(lazyFiles)
  }
}

/** Bytes in the output per package (`effect-wamp` for our own sources). */
export const bytesByPackage = (metafile: esbuild.Metafile): ReadonlyMap<string, number> => {
  const totals = new Map<string, number>()
  for (const output of Object.values(metafile.outputs)) {
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input)
      const name = match === null ? input.startsWith("src/") ? "effect-wamp" : "(page)" : match[1]!
      totals.set(name, (totals.get(name) ?? 0) + bytesInOutput)
    }
  }
  return new Map([...totals].sort((a, b) => b[1] - a[1]))
}
