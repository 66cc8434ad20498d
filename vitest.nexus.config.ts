import { defineConfig } from "vitest/config"

// Suites that need a running third-party router (see test/meta/nexus.nexus.ts); not run by `npm test`.
export default defineConfig({
  test: {
    include: ["test/**/*.nexus.ts"],
    testTimeout: 30_000,
    hookTimeout: 20_000,
    fileParallelism: false
  }
})
