/**
 * `effect-wamp/autobahn`: the Autobahn|JS-compatible Promise API.
 *
 * Not implemented yet: this entry point exists so the package layout is final. Importing it gives
 * only the version; the facade (Connection, Session, Error, auth_cra, serializer.*) is issue 7.
 */
export const version = "0.1.0"

export default { version }
