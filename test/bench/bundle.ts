/**
 * Bundle size of the browser pages (test/browser/pages/): the same program (one call, one
 * subscription, one event, JSON) on the Effect API, on the Autobahn|JS facade, on Autobahn|JS and
 * on wampy, each bundled by esbuild for the browser and minified. Sizes do not vary between runs,
 * so one build each. "own" is effect-wamp's code alone: the page rebuilt with effect, when.js,
 * @effect/platform and the noble libraries left out, so its gzip is measured, not apportioned.
 * Code splitting is on, as in an app's bundler: sizes are what a page loads before it runs (each
 * file gzipped on its own, summed); "lazy" is what it fetches only on demand (`import()`), e.g.
 * the facade's MessagePack and CBOR codecs.
 */
import * as os from "node:os"
import { type Bundle, bundle, bytesByPackage, type PageName } from "../browser/bundle.js"

const kb = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KB`.padStart(9)

const dependencies = ["effect", "@effect/platform", "@noble/hashes", "@noble/curves", "msgpackr", "cbor-x", "when"]

const pages: ReadonlyArray<readonly [PageName, string, number | undefined]> = [
  ["effect", "effect-wamp, Effect API (modules by path)", 80],
  ["effectBarrel", "effect-wamp, Effect API (barrel imports)", undefined],
  ["facade", "effect-wamp, Autobahn|JS facade", 100],
  ["autobahn", "Autobahn|JS 26.3.1 (Node built-ins stubbed)", undefined],
  ["wampy", "wampy 8.0.2", undefined],
  ["floor", "no WAMP: Layer+Stream+Socket(+Schema) only", undefined],
  ["runtime", "no WAMP: Effect.runPromise(Effect.succeed(1))", undefined]
]

const breakdown = (result: Bundle): string =>
  [...bytesByPackage(result.metafile)]
    .filter(([, bytes]) => bytes >= 512)
    .map(([name, bytes]) => `${name} ${kb(bytes).trim()}`)
    .join(", ")

export const run = async (): Promise<void> => {
  console.log(`load average ${os.loadavg().map((n) => n.toFixed(2)).join(" ")}`)
  console.log(
    `${"page".padEnd(46)} ${"minified".padStart(9)} ${"gzip".padStart(9)} ${"own gzip".padStart(9)} ${
      "lazy gzip".padStart(9)
    }  target`
  )
  const results = new Map<PageName, Bundle>()
  for (const [name, label, target] of pages) {
    const result = await bundle(name, { emptyNodeBuiltins: name === "autobahn" })
    results.set(name, result)
    const ours = name === "effect" || name === "effectBarrel" || name === "facade"
    const own = ours ? await bundle(name, { external: dependencies }) : undefined
    const verdict = target === undefined
      ? ""
      : result.gzipBytes <= target * 1024
      ? `<= ${target} KB: met`
      : `<= ${target} KB: NOT met`
    console.log(
      `${label.padEnd(46)} ${kb(result.bytes)} ${kb(result.gzipBytes)} ${
        own === undefined ? "".padStart(9) : kb(own.gzipBytes)
      } ${result.lazyBytes === 0 ? "".padStart(9) : kb(result.lazyGzipBytes)}  ${verdict}`
    )
  }
  const wampy = results.get("wampy")!.gzipBytes
  const autobahn = results.get("autobahn")!.gzipBytes
  for (const name of ["effect", "facade"] as const) {
    const gzip = results.get(name)!.gzipBytes
    console.log(`${name}: ${(gzip / autobahn).toFixed(2)}x Autobahn|JS, ${(gzip / wampy).toFixed(1)}x wampy (gzip)`)
  }
  console.log(`own share target: <= 20 KB gzip`)
  const floor = results.get("floor")!.gzipBytes
  console.log(
    `Effect page over its no-WAMP floor: ${kb(results.get("effect")!.gzipBytes - floor).trim()} gzip ` +
      `(the 80 KB target leaves ${kb(80 * 1024 - floor).trim()} for a WAMP client)`
  )
  console.log("\nwhere the minified bytes go (esbuild metafile, packages over 0.5 KB):")
  for (const [name] of pages) console.log(`  ${name}: ${breakdown(results.get(name)!)}`)
}
