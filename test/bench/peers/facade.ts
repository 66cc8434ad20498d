/** The measured effect-wamp Autobahn facade (`effect-wamp/autobahn`), driven exactly like Autobahn|JS. */
import { type AutobahnModule, connectWith } from "./autobahn.js"
import type { Driver } from "./driver.js"
import { loadFacade } from "./library.js"
import type { SerializerName } from "./protocol.js"

export const connect = async (url: string, serializer: SerializerName): Promise<Driver> =>
  connectWith((await loadFacade()) as unknown as AutobahnModule, url, serializer)
