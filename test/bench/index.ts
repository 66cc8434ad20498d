/**
 * `npm run bench`: prints figures; asserts nothing. Each section is bounded in time.
 * Sections live next to this file and export `run(): Promise<void>`.
 */
// `--router URL` (peers and setup only): run against a third-party router instead of the test kit's.
const args = process.argv.slice(2)
const routerFlag = args.indexOf("--router")
if (routerFlag >= 0) {
  process.env.BENCH_ROUTER = args[routerFlag + 1]
  args.splice(routerFlag, 2)
}
const sections = args
const all: ReadonlyArray<readonly [string, () => Promise<{ run: () => Promise<void> }>]> = [
  ["message", () => import("./message.js")],
  ["serializer", () => import("./serializer.js")],
  ["session", () => import("./session.js")],
  ["peers", () => import("./peers.js")],
  ["setup", () => import("./setup.js")],
  ["bundle", () => import("./bundle.js")],
  ["tracing", () => import("./tracing.js")],
  ["floor", () => import("./floor.js")]
]
for (const [name, load] of all) {
  if (sections.length > 0 && !sections.includes(name)) continue
  console.log(`\n## ${name}`)
  const section = await load()
  await section.run()
}
