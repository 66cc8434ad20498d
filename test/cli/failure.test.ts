import { describe, expect, it } from "@effect/vitest"
import { fromOperation } from "../../src/cli/failure.js"
import { EncodeError, SessionClosedError } from "../../src/Errors.js"
import * as WampError from "../../src/WampError.js"

describe("wamp command failures", () => {
  it("a payload that cannot be serialized is bad input (exit 2), not a lost session", () => {
    const failure = fromOperation("call com.example.p")(
      new EncodeError({ message: "cannot serialize to JSON: a bigint has no JSON form" })
    )
    expect(failure.exitCode).toBe(2)
    expect(failure.message).toBe("call com.example.p: cannot serialize to JSON: a bigint has no JSON form")
  })

  it("a WAMP error exits 1, a lost session 4", () => {
    expect(fromOperation("call x")(WampError.make("com.example.oops")).exitCode).toBe(1)
    const lost = new SessionClosedError({ reason: "wamp.close.transport_lost", message: "gone", wasClean: false })
    expect(fromOperation("call x")(lost).exitCode).toBe(4)
  })
})
