/**
 * Test helpers: a connection whose tables a test can inspect afterwards (leak checks).
 */
import { Effect, Option, Stream, TestClock } from "effect"
import type * as Duration from "effect/Duration"
import type * as Connection from "../../src/Connection.js"
import { type ConnectionHandle, makeHandle } from "../../src/internal/connection/make.js"
import * as FakePeer from "../../src/testing/FakePeer.js"
import { inRealTime } from "./realTime.js"
import { dropAtEnd } from "./session.js"

const handles = new WeakMap<Connection.ConnectionService, ConnectionHandle>()

/** `Connection.make`, remembering the handle for `counters`. */
export const make = (options: Connection.ConnectionOptions) =>
  Effect.map(makeHandle(options), (handle) => {
    handles.set(handle.service, handle)
    return handle.service
  })

/** The table sizes of a connection made by `make`. */
export const counters = (connection: Connection.ConnectionService): ReturnType<ConnectionHandle["counters"]> => {
  const handle = handles.get(connection)
  if (handle === undefined) throw new Error("counters: not a connection made by support/connection make()")
  return handle.counters()
}

/**
 * A FakePeer router for connection tests on TestClock (inside `scoped` of support/session): every
 * peer it accepts drops when the test body ends, so closing the connection at scope end does not
 * wait for a GOODBYE reply on virtual time.
 */
export const fakeRouter = (options?: { readonly timeout?: Duration.DurationInput }) =>
  Effect.map(FakePeer.make(options), (fake): FakePeer.FakeRouter => ({
    ...fake,
    accept: Effect.tap(fake.accept, dropAtEnd)
  }))

/** The next state with this tag (the current one included); fails after 2 s of real time. */
export const waitFor = (connection: Connection.ConnectionService, tag: Connection.ConnectionState["_tag"]) =>
  connection.changes.pipe(
    Stream.filter((state) => state._tag === tag),
    Stream.runHead,
    Effect.map(Option.getOrThrow),
    Effect.timeout("2 seconds"),
    inRealTime
  )

/** On TestClock: waits for Retrying and moves virtual time by its delay, so the next attempt starts. */
export const retryNow = (connection: Connection.ConnectionService) =>
  Effect.flatMap(
    waitFor(connection, "Retrying"),
    (state) => state._tag === "Retrying" ? TestClock.adjust(state.delay) : Effect.die("not Retrying")
  )
