/**
 * `ConnectionState.Open` carries its own session, unrouted: what the Autobahn|JS facade builds its
 * per-session objects on. Its registrations are not durable and it fails once it has ended.
 */
import { describe, expect } from "@effect/vitest"
import { Effect, Exit, Fiber, Layer, Option, Schedule, Scope, Stream } from "effect"
import * as Authenticator from "../src/Authenticator.js"
import * as Connection from "../src/Connection.js"
import { SessionClosedError } from "../src/Errors.js"
import { fakeRouter, retryNow } from "./support/connection.js"
import { inRealTime } from "./support/realTime.js"
import { scoped } from "./support/session.js"

const openAs = (connection: Connection.ConnectionService, id: number) =>
  connection.changes.pipe(
    Stream.filter((state) => state._tag === "Open" && state.info.id === id),
    Stream.runHead,
    Effect.map(Option.getOrThrow),
    Effect.timeout("2 seconds"),
    inRealTime
  )

describe("Connection: the Open state's own session", () => {
  scoped("is the joined session, not re-applied on the next one, failing once ended", () =>
    Effect.gen(function*() {
      const fake = yield* fakeRouter({ timeout: "1 second" })
      const connection = yield* Connection.make({
        realm: "realm1",
        goodbyeTimeout: "200 millis",
        retry: Schedule.spaced("5 millis").pipe(Schedule.intersect(Schedule.recurs(3)))
      }).pipe(
        Effect.provide(Layer.merge(fake.layer, Layer.succeed(Authenticator.Authenticator, Authenticator.anonymous())))
      )

      const firstOpen = yield* Effect.fork(openAs(connection, 1))
      const peer1 = yield* fake.accept
      yield* peer1.welcome({ session: 1 })
      const first = yield* Fiber.join(firstOpen)
      if (first._tag !== "Open") throw new Error("not open")
      expect(first.session.info.id).toBe(1)

      const scope = yield* Scope.make()
      const registering = yield* Effect.fork(
        first.session.register("com.example.once", () => Effect.succeed({ args: [1] })).pipe(Scope.extend(scope))
      )
      const register = yield* peer1.expect("Register")
      yield* peer1.send({ _tag: "Registered", request: register.request, registration: 7 })
      yield* Fiber.join(registering)

      const secondOpen = yield* Effect.fork(openAs(connection, 2))
      yield* peer1.drop
      yield* retryNow(connection)
      const peer2 = yield* fake.accept
      yield* peer2.welcome({ session: 2 })
      const second = yield* Fiber.join(secondOpen)
      if (second._tag !== "Open") throw new Error("not open")
      expect(second.session.info.id).toBe(2)

      // The old session fails instead of being routed to the new one.
      const stale = yield* Effect.flip(first.session.call("com.example.once"))
      expect(stale).toBeInstanceOf(SessionClosedError)

      // The first thing the new session sees is our call: the registration was not re-applied.
      const calling = yield* Effect.fork(second.session.call("com.example.other"))
      const call = yield* peer2.receive
      expect(call._tag).toBe("Call")
      if (call._tag !== "Call") return
      yield* peer2.send({ _tag: "Result", request: call.request, details: {}, args: [2] })
      expect((yield* Fiber.join(calling)).args).toEqual([2])
      yield* Scope.close(scope, Exit.void)
    }))
})
