/** The typed meta API against the test-kit router served on WebSocket, for json, msgpack and cbor. */
import { describe } from "@effect/vitest"
import { connectors, serializers } from "./e2e/harness.js"
import { metaSuite } from "./meta/suite.js"
import { testKitTarget } from "./meta/target.js"

const [, connector] = connectors.find(([name]) => name === "WebSocket")!
for (const serializer of serializers) {
  describe(`Meta over WebSocket / ${serializer.name}`, () => metaSuite(testKitTarget(connector, serializer)))
}
