/**
 * Bundles a page of `pages/` for a browser, as an app's bundler would: esbuild, platform
 * "browser", minified ESM, and no shims, polyfills, aliases or defines. A Node built-in anywhere
 * in the graph fails the build.
 */
import * as esbuild from "esbuild"
import { fileURLToPath } from "node:url"
import { gzipSync } from "node:zlib"

export type PageName = "effect" | "effectBarrel" | "facade" | "autobahn" | "wampy"

export interface Bundle {
  readonly code: string
  readonly bytes: number
  readonly gzipBytes: number
  readonly metafile: esbuild.Metafile
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
  const result = await esbuild.build({
    external: [...(options.external ?? [])],
    plugins: options.emptyNodeBuiltins === true ? [emptyNodeBuiltins] : [],
    entryPoints: [pagePath(name)],
    bundle: true,
    write: false,
    minify: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    metafile: true,
    logLevel: "silent",
    outfile: `${name}.js`
  })
  const output = result.outputFiles[0]!
  return {
    code: output.text,
    bytes: output.contents.byteLength,
    gzipBytes: gzipSync(output.contents, { level: 9 }).byteLength,
    metafile: result.metafile
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
