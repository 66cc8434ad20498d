/** The measured effect-wamp Autobahn facade (`effect-wamp/autobahn`), driven exactly like Autobahn|JS. */
import autobahn from "../../../src/node/autobahn/index.js"
import { type AutobahnModule, connectWith } from "./autobahn.js"
import type { Driver } from "./driver.js"
import type { SerializerName } from "./protocol.js"

export const connect = (url: string, serializer: SerializerName): Promise<Driver> =>
  connectWith(autobahn as unknown as AutobahnModule, url, serializer)
