/**
 * The meta suite against a running Nexus (not part of `npm test`: the committed suite needs no
 * third-party router). Run with `npm run test:nexus`, NEXUS_WS and NEXUS_RAW pointing at it:
 *
 *   NEXUS_WS=ws://127.0.0.1:18080/ NEXUS_RAW=tcp://127.0.0.1:18081 npm run test:nexus
 */
import { describe } from "@effect/vitest"
import { serializers } from "../e2e/harness.js"
import { metaSuite } from "./suite.js"
import { nexusTarget } from "./target.js"

const urls = [process.env["NEXUS_WS"], process.env["NEXUS_RAW"]].filter((u): u is string => u !== undefined)
if (urls.length === 0) throw new Error("set NEXUS_WS and/or NEXUS_RAW to a running Nexus")
for (const url of urls) {
  for (const serializer of serializers) {
    describe(`Meta against Nexus at ${url} / ${serializer.name}`, () => metaSuite(nexusTarget(url, serializer)))
  }
}
