/**
 * Connection logs its transitions through Effect's Logger, at levels the default logger shows
 * (Info and above): joined, retrying in X because Y, closed for good.
 */
import { describe, expect } from "@effect/vitest"
import { Effect, Layer, Logger, LogLevel, Schedule } from "effect"
import * as Authenticator from "../src/Authenticator.js"
import * as Connection from "../src/Connection.js"
import * as WampError from "../src/WampError.js"
import { fakeRouter, retryNow } from "./support/connection.js"
import { scoped } from "./support/session.js"

describe("Connection logging", () => {
  scoped("joined / retrying in X because Y / closed, at Info and Warning", () =>
    Effect.gen(function*() {
      const lines: Array<{ level: LogLevel.LogLevel; text: string }> = []
      const capture = Logger.make(({ logLevel, message }) => {
        const parts = Array.isArray(message) ? message : [message]
        lines.push({ level: logLevel, text: parts.map(String).join(" ") })
      })
      const fake = yield* fakeRouter({ timeout: "2 seconds" })
      const connection = yield* Connection.make({
        realm: "realm1",
        goodbyeTimeout: "100 millis",
        retry: Schedule.spaced("20 millis").pipe(Schedule.intersect(Schedule.recurs(1)))
      }).pipe(
        Effect.provide(
          Layer.mergeAll(
            fake.layer,
            Authenticator.layerAnonymous(),
            Logger.replace(Logger.defaultLogger, capture)
          )
        )
      )
      const first = yield* fake.accept
      yield* first.welcome({ session: 7 })
      yield* connection.awaitOpen
      yield* first.drop
      yield* retryNow(connection)
      const second = yield* fake.accept
      yield* second.expect("Hello")
      yield* second.send({
        _tag: "Abort",
        details: { message: "no realm realm1" },
        reason: WampError.StandardUri.NoSuchRealm
      })
      yield* connection.closed
      const texts = lines.map((line) => line.text)
      expect(texts[0]).toBe("effect-wamp: session 7 joined realm realm1")
      expect(texts[1]).toMatch(
        /^effect-wamp: retrying in 20ms \(retry 1\) because the session was lost: wamp\.close\.transport_lost: /
      )
      expect(texts[2]).toBe(
        "effect-wamp: connection closed, not retrying: joining failed: wamp.error.no_such_realm: no realm realm1"
      )
      expect(lines.map((line) => line.level.label)).toEqual(["INFO", "INFO", "WARN"])
      // Every line is at a level the default logger prints (its minimum is Info).
      for (const line of lines) expect(LogLevel.greaterThanEqual(line.level, LogLevel.Info)).toBe(true)
    }))
})
