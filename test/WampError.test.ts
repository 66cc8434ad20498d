import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit } from "effect"
import { SessionClosedError } from "../src/Errors.js"
import * as WampError from "../src/WampError.js"

const failWith = (uri: string) => Effect.fail(WampError.make(uri, { args: ["why"] }))

describe("WampError by URI", () => {
  it.effect("catchUri recovers only from the URI given; other URIs and other errors pass through", () =>
    Effect.gen(function*() {
      const recovered = yield* failWith(WampError.StandardUri.NoSuchProcedure).pipe(
        WampError.catchUri(WampError.StandardUri.NoSuchProcedure, (error) => Effect.succeed(`caught ${error.error}`))
      )
      expect(recovered).toBe("caught wamp.error.no_such_procedure")

      const other = yield* Effect.exit(
        failWith("com.example.error.app").pipe(
          WampError.catchUri(WampError.StandardUri.NoSuchProcedure, () => Effect.succeed("wrong"))
        )
      )
      expect(other).toEqual(Exit.fail(WampError.make("com.example.error.app", { args: ["why"] })))

      const closed = new SessionClosedError({
        reason: WampError.StandardUri.TransportLost,
        message: "",
        wasClean: false
      })
      const notWamp = yield* Effect.exit(
        Effect.fail(closed).pipe(WampError.catchUri(WampError.StandardUri.TransportLost, () => Effect.succeed("wrong")))
      )
      expect(notWamp).toEqual(Exit.fail(closed))
    }))

  it.effect("catchUri with several URIs, data-first; the handler's own failure replaces the error", () =>
    Effect.gen(function*() {
      const uris = [WampError.StandardUri.Timeout, WampError.StandardUri.Canceled] as const
      for (const uri of uris) {
        expect(yield* WampError.catchUri(failWith(uri), uris, (error) => Effect.succeed(error.error))).toBe(uri)
      }
      const failed = yield* Effect.flip(
        WampError.catchUri(failWith(WampError.StandardUri.Timeout), uris, () => Effect.fail("handler failed" as const))
      )
      expect(failed).toBe("handler failed")
      // Success passes through untouched.
      expect(yield* WampError.catchUri(Effect.succeed(1), uris, () => Effect.succeed(2))).toBe(1)
    }))

  it("is / isCanceled / the named refinements match exactly their URIs", () => {
    const error = WampError.make(WampError.StandardUri.NoSuchProcedure)
    expect(WampError.is(WampError.StandardUri.NoSuchProcedure)(error)).toBe(true)
    expect(WampError.is([WampError.StandardUri.Timeout, WampError.StandardUri.NoSuchProcedure])(error)).toBe(true)
    expect(WampError.is(WampError.StandardUri.Timeout)(error)).toBe(false)
    expect(WampError.isNoSuchProcedure(error)).toBe(true)
    expect(WampError.isNoSuchProcedure({ _tag: "WampError", error: WampError.StandardUri.NoSuchProcedure })).toBe(false)
    expect(WampError.isCanceled(WampError.make("wamp.error.cancelled"))).toBe(true)
    expect(WampError.isCanceled(WampError.make(WampError.StandardUri.Canceled))).toBe(true)
    expect(WampError.isCanceled(error)).toBe(false)
  })

  it("the deprecated `Uri` is the same table as `StandardUri`, so old code keeps working", () => {
    const old = WampError.Uri
    expect(old).toBe(WampError.StandardUri)
    expect(old.NoSuchProcedure).toBe("wamp.error.no_such_procedure")
  })
})
