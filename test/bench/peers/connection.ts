/** The measured effect-wamp client over `Connection.layer` (the routed session: durable registrations and subscriptions). */
import type { Driver } from "./driver.js"
import { connect as connectEffectWamp } from "./effectWamp.js"
import type { SerializerName } from "./protocol.js"

export const connect = (url: string, serializer: SerializerName): Promise<Driver> =>
  connectEffectWamp(url, serializer, true)
