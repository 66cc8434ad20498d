/**
 * Type tests of catching by URI: the handler sees `error` narrowed to the URIs it matched, and the
 * error channel keeps `WampError` (other URIs still fail) plus what the handler adds. Checked by
 * `tsc`; the assertions also run under vitest.
 */
import { describe, expect, expectTypeOf, it } from "@effect/vitest"
import { Effect } from "effect"
import type { SessionError } from "../src/Errors.js"
import * as WampError from "../src/WampError.js"

const call: Effect.Effect<number, WampError.WampError | SessionError> = Effect.fail(
  WampError.make(WampError.StandardUri.NoSuchProcedure)
)

describe("WampError by URI: types", () => {
  it("catchUri narrows the handler's error and keeps the rest of the error channel", () => {
    const caught = call.pipe(
      WampError.catchUri(WampError.StandardUri.NoSuchProcedure, (error) => {
        expectTypeOf(error.error).toEqualTypeOf<"wamp.error.no_such_procedure">()
        return Effect.succeed("fallback" as const)
      })
    )
    expectTypeOf(caught).toEqualTypeOf<Effect.Effect<number | "fallback", WampError.WampError | SessionError>>()

    const several = WampError.catchUri(call, ["com.example.a", "com.example.b"], (error) => {
      expectTypeOf(error.error).toEqualTypeOf<"com.example.a" | "com.example.b">()
      return Effect.fail(new Error("mapped"))
    })
    expectTypeOf(several).toEqualTypeOf<Effect.Effect<number, WampError.WampError | SessionError | Error>>()
    expect(typeof WampError.catchUri).toBe("function")
  })

  it("is(uri) narrows unknown to a WampError with that URI", () => {
    const u: unknown = WampError.make(WampError.StandardUri.Timeout)
    if (WampError.is(WampError.StandardUri.Timeout)(u)) {
      expectTypeOf(u.error).toEqualTypeOf<"wamp.error.timeout">()
      expectTypeOf(u).toMatchTypeOf<WampError.WampError>()
    }
    if (WampError.isNoSuchProcedure(u)) expectTypeOf(u.error).toEqualTypeOf<"wamp.error.no_such_procedure">()
    expect(WampError.is(WampError.StandardUri.Timeout)(u)).toBe(true)
  })
})
