/**
 * Every WAMP message round-trips through every serializer: encode → serialize → frame →
 * deserialize → decode gives back the same message.
 */
import { describe, expect, it } from "@effect/vitest"
import { Either } from "effect"
import * as Message from "../src/Message.js"
import * as Serializer from "../src/Serializer.js"
import { arbitraryMessage } from "./support/arbitraries.js"

describe("every message through every serializer", () => {
  for (const serializer of Serializer.all) {
    it.prop(`${serializer.name}: decode(deserialize(serialize(encode(m)))) = m`, [arbitraryMessage], ([message]) => {
      const frame = serializer.encode(Message.encode(message))
      expect(Either.isRight(frame)).toBe(true)
      if (Either.isLeft(frame)) return
      expect(typeof frame.right === "string").toBe(!serializer.binary)
      const raw = serializer.decode(frame.right)
      if (Either.isLeft(raw)) throw raw.left
      const decoded = Message.decode(raw.right)
      if (Either.isLeft(decoded)) throw decoded.left
      expect(decoded.right).toEqual(message)
    }, { fastCheck: { numRuns: 300 } })

    it(`${serializer.name}: bytes and ids up to 2^53 survive inside a message`, () => {
      const message: Message.Message = {
        _tag: "Event",
        subscription: 2 ** 53,
        publication: 2 ** 32 + 1,
        details: { publisher: 2 ** 53 - 1 },
        args: [new Uint8Array([0, 255, 16]), { nested: [new Uint8Array([])] }],
        kwargs: { big: 2 ** 53, neg: -(2 ** 40) }
      }
      const frame = serializer.encode(Message.encode(message))
      if (Either.isLeft(frame)) throw frame.left
      const raw = serializer.decode(frame.right)
      if (Either.isLeft(raw)) throw raw.left
      expect(Message.decode(raw.right)).toEqual(Either.right(message))
    })
  }
})
