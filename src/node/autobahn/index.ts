/**
 * `effect-wamp/autobahn` as Node resolves it (the `node` export condition): the same facade, with
 * WebSocket over `ws` and RawSocket transports. Browsers and bundlers get `src/autobahn/index.ts`.
 */
import * as autobahn from "./api.js"

export * from "./api.js"

// The default export is the namespace, so `autobahn.Session` works as a value and as a type.
export default autobahn
