/** The test kit: a scripted fake router (FakePeer) and an in-memory router (also served on loopback sockets),
 * and a span recorder for checking traces. */
export * as FakePeer from "./FakePeer.js"
export * as Router from "./Router.js"
export * as SpanRecorder from "./SpanRecorder.js"
