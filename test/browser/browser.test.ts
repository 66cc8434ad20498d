/**
 * The library in a real browser: Debian's Chromium, headless, driven by playwright-core. Each page
 * (bundled by esbuild for the browser, no shims) joins the test-kit router over WebSocket, calls a
 * procedure of a Node-side callee, subscribes, and receives the event that a second call makes the
 * callee publish. Chromium missing is a failure, not a skip: CI installs it (.ci/run).
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import * as fs from "node:fs"
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import { chromium } from "playwright-core"
import * as Authenticator from "../../src/Authenticator.js"
import * as Serializer from "../../src/Serializer.js"
import * as Session from "../../src/Session.js"
import { Router } from "../../src/testing/index.js"
import { Transport } from "../../src/Transport.js"
import { bundle, bytesByPackage, type PageName } from "./bundle.js"
import type { Outcome } from "./pages/report.js"

const chromiumPath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium"
// The flags that work on this kind of machine (closed network, root, no GPU).
const chromiumArgs = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync"
]

/** Serves `/<page>.html` and the bundles' files (`/<page>.js`, `/chunk-*.js`) on 127.0.0.1, ephemeral port. */
const servePages = (files: ReadonlyMap<string, string>) =>
  Effect.acquireRelease(
    Effect.async<http.Server>((resume) => {
      const server = http.createServer((request, response) => {
        const match = /^\/([\w-]+)\.(html|js)(?:\?|$)/.exec(request.url ?? "")
        const code = match === null ? undefined : files.get(`${match[1]!}.js`)
        if (match === null || code === undefined) {
          // 204 for /favicon.ico and the like: a 404 would show up as a console error.
          response.writeHead(204).end()
          return
        }
        if (match[2] === "html") {
          response.writeHead(200, { "content-type": "text/html" })
          response.end(`<!doctype html><title>${match[1]}</title><script type="module" src="/${match[1]}.js"></script>`)
        } else {
          response.writeHead(200, { "content-type": "text/javascript" })
          response.end(code)
        }
      })
      server.listen(0, "127.0.0.1", () => {
        resume(Effect.succeed(server))
      })
    }),
    (server) =>
      Effect.async<void>((resume) => {
        server.closeAllConnections()
        server.close(() => resume(Effect.void))
      })
  ).pipe(Effect.map((server) => (server.address() as AddressInfo).port))

/** A callee on the router's in-memory transport: `add2`, and `tick_me`, which publishes an event. */
const callee = (router: Router.RouterService) =>
  Effect.gen(function*() {
    const session = yield* Session.make({ realm: "realm1" })
    yield* session.register("com.example.add2", ({ args }) =>
      Effect.succeed({ args: [(args[0] as number) + (args[1] as number)] }))
    yield* session.register("com.example.tick_me", ({ args }) =>
      session.publish("com.example.tick", [`tick for ${String(args[0])}`]).pipe(
        Effect.as({ args: [] }),
        Effect.orDie
      ))
  }).pipe(
    Effect.provide(Layer.mergeAll(
      Layer.succeed(Transport, router.transport),
      Serializer.layerJson,
      Authenticator.layerAnonymous()
    ))
  )

const pages: ReadonlyArray<PageName> = ["effect", "facade"]

describe("in Chromium", () => {
  it.scopedLive(
    "the Effect API and the Autobahn|JS facade join, call and receive an event",
    () =>
      Effect.gen(function*() {
        if (!fs.existsSync(chromiumPath)) {
          return yield* Effect.die(
            new Error(`Chromium not found at ${chromiumPath}: apt-get install -y chromium, or set CHROMIUM_PATH`)
          )
        }
        const bundles = yield* Effect.promise(() => Promise.all(pages.map((name) => bundle(name))))
        // A JSON-only program carries neither binary codec.
        const effectPackages = bytesByPackage(bundles[0]!.metafile)
        expect(effectPackages.has("msgpackr")).toBe(false)
        expect(effectPackages.has("cbor-x")).toBe(false)
        // The facade's are in chunks it fetches only when a connection offers them.
        const facadePackages = bytesByPackage(bundles[1]!.metafile)
        expect(facadePackages.has("msgpackr")).toBe(false)
        expect(facadePackages.has("cbor-x")).toBe(false)
        expect(bytesByPackage(bundles[1]!.lazyMetafile).has("msgpackr")).toBe(true)

        const router = yield* Router.make({ realms: ["realm1"] })
        const { port: routerPort } = yield* router.serve({ host: "127.0.0.1", port: 0 })
        yield* callee(router)
        const httpPort = yield* servePages(new Map(bundles.flatMap((result) => [...result.files])))

        const browser = yield* Effect.acquireRelease(
          Effect.promise(() => chromium.launch({ executablePath: chromiumPath, headless: true, args: chromiumArgs })),
          (browser) => Effect.promise(() => browser.close())
        )
        for (const name of pages) {
          const page = yield* Effect.promise(() => browser.newPage())
          const errors: Array<string> = []
          page.on("pageerror", (error) => errors.push(`pageerror: ${error.message}`))
          page.on("console", (message) => {
            if (message.type() === "error") errors.push(`console: ${message.text()}`)
          })
          const router = encodeURIComponent(`ws://127.0.0.1:${routerPort}/ws`)
          const outcome = yield* Effect.promise(async () => {
            await page.goto(`http://127.0.0.1:${httpPort}/${name}.html?router=${router}`)
            // On timeout the outcome says so, and the expectation below shows the page's errors too.
            const settled = await page.waitForFunction(
              () => (globalThis as { __outcome?: unknown }).__outcome !== undefined,
              undefined,
              { timeout: 30_000 }
            ).then(() => true, () => false)
            if (!settled) return { ok: false, error: "no outcome within 30 s" }
            return page.evaluate(() => (globalThis as unknown as { __outcome: Outcome }).__outcome)
          })
          expect({ name, outcome, errors }).toEqual({
            name,
            outcome: { ok: true, sum: 5, event: [`tick for ${name}`] },
            errors: []
          })
          yield* Effect.promise(() => page.close())
        }
      }),
    120_000
  )
})
