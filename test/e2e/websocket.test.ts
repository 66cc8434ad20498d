/** The end-to-end Session suite over the WebSocket transport, for json, msgpack and cbor. */
import { connectors } from "./harness.js"
import { sessionSuite } from "./suite.js"

const [name, connector] = connectors.find(([name]) => name === "WebSocket")!
sessionSuite(name, connector)
