/** Everything the facade exports, with the Node Connection in place of the browser one. */
export * from "../../autobahn/api.js"
// A local export shadows the star export's `Connection`.
export { Connection } from "./Connection.js"
