/**
 * Regression: wampy 8 over MessagePack sends unset option fields as msgpack `undefined`
 * (`[32, 1, { match: "prefix", get_retained: undefined }, "com.x"]`). An `undefined` boolean option is
 * absent, not a protocol violation; a wrong type is still refused.
 */
import { describe, expect, it } from "@effect/vitest"
import { Either } from "effect"
import { pack } from "msgpackr"
import * as Message from "../../src/Message.js"
import * as Serializer from "../../src/Serializer.js"

describe("Options holding undefined", () => {
  it("SUBSCRIBE with get_retained: undefined (as wampy's msgpack sends it) decodes", () => {
    const frame = new Uint8Array(pack([32, 1, { match: "prefix", get_retained: undefined }, "com.x"]))
    const raw = Serializer.msgpack.decode(frame)
    expect(Either.isRight(raw)).toBe(true)
    const decoded = Message.decode(Either.getOrThrow(raw))
    expect(Either.isRight(decoded)).toBe(true)
    expect(Either.getOrThrow(decoded)).toMatchObject({ _tag: "Subscribe", request: 1, topic: "com.x" })
  })

  it("a non-boolean value in a boolean option is still a protocol error", () => {
    const decoded = Message.decode([32, 1, { get_retained: 1 }, "com.x"])
    expect(Either.isLeft(decoded)).toBe(true)
  })
})
