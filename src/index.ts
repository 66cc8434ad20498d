/**
 * effect-wamp: a WAMP v2 client runtime for TypeScript, built on Effect.
 * Namespace re-exports only; each module documents itself.
 */
export * as Authenticator from "./Authenticator.js"
export * as Connection from "./Connection.js"
export * as Cryptobox from "./Cryptobox.js"
export * as Errors from "./Errors.js"
export * as Message from "./Message.js"
export * as Meta from "./Meta.js"
export * as Metrics from "./Metrics.js"
export * as Passthru from "./Passthru.js"
export * as Procedure from "./Procedure.js"
export * as Serializer from "./Serializer.js"
export * as Session from "./Session.js"
export * as SharedScheduler from "./SharedScheduler.js"
export * as Testament from "./Testament.js"
export * as Topic from "./Topic.js"
export * as Tracing from "./Tracing.js"
export * as Transport from "./Transport.js"
export * as Uri from "./Uri.js"
export * as WampError from "./WampError.js"
export * as WebSocketTransport from "./WebSocketTransport.js"
