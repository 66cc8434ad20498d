/** The test kit: an in-memory router (also served on loopback sockets). */
export * as Router from "./Router.js"
