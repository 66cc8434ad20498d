/**
 * `effect-wamp/autobahn`: the Autobahn|JS-compatible Promise API, a thin facade over the Effect core.
 *
 * ```ts
 * import autobahn from "effect-wamp/autobahn" // was: import autobahn from "autobahn"
 * const connection = new autobahn.Connection({ url: "ws://127.0.0.1:8080/ws", realm: "realm1" })
 * connection.onopen = (session) => session.call("com.example.add2", [2, 3]).then(console.log)
 * connection.open()
 * ```
 */
import * as autobahn from "./api.js"

export * from "./api.js"

// The default export is the namespace, so `autobahn.Session` works as a value and as a type.
export default autobahn
