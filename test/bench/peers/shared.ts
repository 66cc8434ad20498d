/** The measured effect-wamp client over `Session.layer`, with its runtime on `SharedScheduler.layer()`. */
import type { Driver } from "./driver.js"
import { connect as connectEffectWamp } from "./effectWamp.js"
import type { SerializerName } from "./protocol.js"

export const connect = (url: string, serializer: SerializerName): Promise<Driver> =>
  connectEffectWamp(url, serializer, false, true)
