/** The end-to-end Session suite over the memory transport, for json, msgpack and cbor, on TestClock. */
import { connectors } from "./harness.js"
import { sessionSuite } from "./suite.js"

const [name, connector] = connectors.find(([name]) => name === "memory")!
sessionSuite(name, connector, { virtualTime: true })
