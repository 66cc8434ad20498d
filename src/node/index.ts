/**
 * `effect-wamp/node`: the Node-only parts. The WebSocket transport over `ws` (headers, TLS,
 * `tls-unique`, socket corking) and RawSocket over `node:net`. Namespace re-exports only.
 */
export * as NodeWebSocketTransport from "./NodeWebSocketTransport.js"
export * as RawSocketTransport from "./RawSocketTransport.js"
