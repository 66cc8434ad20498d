/**
 * The inbound side of every link in push mode (the session's hot path): frames go to the handler in
 * place and in order, even when the handler's own work makes more frames arrive (a reentrant send on
 * an in-memory link); a paused handler hands over to the pulling consumer without losing or
 * reordering anything; the end is reported after every frame that came before it.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Option } from "effect"
import * as Inbox from "../src/internal/transport/inbox.js"

const clean = { code: 1000, reason: "", clean: true }

describe("Inbox push mode", () => {
  it.effect("frames go to the handler in place, in order; nothing is buffered for pull", () =>
    Effect.sync(() => {
      const inbox = Inbox.unsafeMake()
      const seen: Array<string> = []
      expect(inbox.push((frame) => (seen.push(frame as string), true))).toBe(true)
      inbox.offer("a")
      inbox.offer("b")
      expect(seen).toEqual(["a", "b"])
    }))

  it.effect("frames buffered before push are pulled first: push returns false until they are taken", () =>
    Effect.gen(function*() {
      const inbox = Inbox.unsafeMake()
      inbox.offer("early")
      const seen: Array<string> = []
      const handler = (frame: unknown) => (seen.push(frame as string), true)
      expect(inbox.push(handler)).toBe(false)
      inbox.offer("later")
      expect(seen).toEqual([])
      expect(yield* inbox.pull).toEqual(["early", "later"])
      expect(inbox.push(handler)).toBe(true)
      inbox.offer("live")
      expect(seen).toEqual(["live"])
    }))

  it.effect("a reentrant offer is delivered after the current frame, not inside it", () =>
    Effect.sync(() => {
      const inbox = Inbox.unsafeMake()
      const log: Array<string> = []
      inbox.push((frame) => {
        log.push(`start ${frame}`)
        if (frame === "a") inbox.offer("b")
        log.push(`end ${frame}`)
        return true
      })
      inbox.offer("a")
      expect(log).toEqual(["start a", "end a", "start b", "end b"])
    }))

  it.effect("pausing: later frames buffer, pull returns at once, push resumes once they are taken", () =>
    Effect.gen(function*() {
      const inbox = Inbox.unsafeMake()
      const seen: Array<string> = []
      const handler = (frame: unknown) => {
        seen.push(frame as string)
        return frame !== "pause"
      }
      inbox.push(handler)
      const consumer = yield* Effect.fork(inbox.pull)
      inbox.offer("x")
      inbox.offer("pause")
      inbox.offer("y")
      inbox.offer("z")
      expect(seen).toEqual(["x", "pause"])
      // The consumer was woken by the pause and takes what arrived after it.
      expect(yield* consumer.await).toEqual(Exit.succeed(["y", "z"]))
      expect(inbox.push(handler)).toBe(true)
      inbox.offer("w")
      expect(seen).toEqual(["x", "pause", "w"])
    }))

  it.effect("a pause with nothing buffered: pull returns no frames at once", () =>
    Effect.gen(function*() {
      const inbox = Inbox.unsafeMake()
      inbox.push(() => false)
      inbox.offer("only")
      expect(yield* inbox.pull).toEqual([])
    }))

  it.effect("the end is reported after the frames before it, also when it comes during delivery", () =>
    Effect.gen(function*() {
      const inbox = Inbox.unsafeMake()
      const seen: Array<string> = []
      inbox.push((frame) => {
        seen.push(frame as string)
        if (frame === "a") {
          inbox.offer("b")
          inbox.end(clean)
          inbox.offer("after the end")
        }
        return true
      })
      const consumer = yield* Effect.fork(inbox.pull)
      inbox.offer("a")
      expect(seen).toEqual(["a", "b"])
      expect(yield* consumer.await).toEqual(Exit.fail(Option.none()))
    }))

  it.effect("without push, pull keeps its batch semantics", () =>
    Effect.gen(function*() {
      const inbox = Inbox.unsafeMake()
      inbox.offer("a")
      inbox.offer("b")
      expect(yield* inbox.pull).toEqual(["a", "b"])
      inbox.end({ code: 1006, reason: "gone", clean: false })
      const end = yield* Effect.exit(inbox.pull)
      expect(Exit.isFailure(end)).toBe(true)
    }))
})
