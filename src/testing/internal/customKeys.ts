/**
 * Implementation-specific keys (`_[a-z0-9_]{3,}`, basic/messages.md) of CALL / PUBLISH options are
 * forwarded into INVOCATION / EVENT details, so peer-to-peer extensions such as effect-wamp's trace
 * context (`_traceparent`) travel through this router. The spec leaves forwarding to the router;
 * Nexus v3, for one, does not forward them.
 */
import type * as Message from "../../Message.js"

const customKey = /^_[a-z0-9_]{3,}$/

export const forwardCustomKeys = (options: Message.Dict, details: Record<string, unknown>): void => {
  for (const key in options) {
    if (customKey.test(key)) details[key] = options[key]
  }
}
