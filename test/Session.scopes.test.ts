/**
 * Subscriptions and registrations in a long-lived scope: one that ends early (unsubscribe,
 * unregister) leaves nothing in the scope; closing the scope releases the live ones, newest first.
 */
import { describe, expect } from "@effect/vitest"
import { Effect, Exit, Fiber, Scope } from "effect"
import type { Member } from "../src/internal/scopeGroup.js"
import type * as FakePeer from "../src/testing/FakePeer.js"
import { countingScope } from "./support/countingScope.js"
import { counters, join, scoped } from "./support/session.js"

/** Answers the next `count` UNSUBSCRIBE / UNREGISTER and returns the ids they named, in order. */
const answerLeaves = (peer: FakePeer.FakePeer, kind: "Unsubscribe" | "Unregister", count: number) =>
  Effect.gen(function*() {
    const ids: Array<number> = []
    for (let i = 0; i < count; i++) {
      if (kind === "Unsubscribe") {
        const sent = yield* peer.expect("Unsubscribe")
        ids.push(sent.subscription)
        yield* peer.send({ _tag: "Unsubscribed", request: sent.request })
      } else {
        const sent = yield* peer.expect("Unregister")
        ids.push(sent.registration)
        yield* peer.send({ _tag: "Unregistered", request: sent.request })
      }
    }
    return ids
  })

describe("Session: subscriptions and registrations in a long-lived scope", () => {
  scoped(
    "20 subscribed and unsubscribed, 3 live: one finalizer in the scope; closing it leaves the 3, newest first",
    () =>
      Effect.gen(function*() {
        const { peer, session } = yield* join()
        const counted = yield* countingScope
        const subscribe = (topic: string, id: number) =>
          Effect.gen(function*() {
            const fiber = yield* Effect.fork(Scope.extend(session.subscribe(topic), counted.scope))
            const sent = yield* peer.expect("Subscribe")
            yield* peer.send({ _tag: "Subscribed", request: sent.request, subscription: id })
            return yield* Fiber.join(fiber)
          })
        for (let i = 0; i < 20; i++) {
          const subscription = yield* subscribe(`com.example.gone${i}`, 300 + i)
          expect((subscription as unknown as Member).group).toBeDefined()
          const leaving = yield* Effect.fork(subscription.unsubscribe)
          yield* answerLeaves(peer, "Unsubscribe", 1)
          yield* Fiber.join(leaving)
          // Out of the scope's group: the scope no longer holds it.
          expect((subscription as unknown as Member).group).toBeUndefined()
        }
        for (let i = 0; i < 3; i++) yield* subscribe(`com.example.live${i}`, 400 + i)
        expect(counted.added()).toBe(1)
        expect(counters(session).subscriptions).toBe(3)

        const closing = yield* Effect.fork(Scope.close(counted.scope, Exit.void))
        expect(yield* answerLeaves(peer, "Unsubscribe", 3)).toEqual([402, 401, 400])
        yield* Fiber.join(closing)
        expect(counters(session).subscriptions).toBe(0)
      })
  )

  scoped(
    "20 registered and unregistered, 3 live: one finalizer in the scope; closing it unregisters the 3, newest first",
    () =>
      Effect.gen(function*() {
        const { peer, session } = yield* join()
        const counted = yield* countingScope
        const register = (procedure: string, id: number) =>
          Effect.gen(function*() {
            const fiber = yield* Effect.fork(
              Scope.extend(session.register(procedure, () => Effect.void), counted.scope)
            )
            const sent = yield* peer.expect("Register")
            yield* peer.send({ _tag: "Registered", request: sent.request, registration: id })
            return yield* Fiber.join(fiber)
          })
        for (let i = 0; i < 20; i++) {
          const registration = yield* register(`com.example.gone${i}`, 500 + i)
          expect((registration as unknown as Member).group).toBeDefined()
          const leaving = yield* Effect.fork(registration.unregister)
          yield* answerLeaves(peer, "Unregister", 1)
          yield* Fiber.join(leaving)
          expect((registration as unknown as Member).group).toBeUndefined()
        }
        const live = []
        for (let i = 0; i < 3; i++) live.push(yield* register(`com.example.live${i}`, 600 + i))
        expect(counted.added()).toBe(1)
        expect(counters(session).registrations).toBe(3)

        const closing = yield* Effect.fork(Scope.close(counted.scope, Exit.void))
        expect(yield* answerLeaves(peer, "Unregister", 3)).toEqual([602, 601, 600])
        yield* Fiber.join(closing)
        expect(counters(session).registrations).toBe(0)
        for (const registration of live) expect((yield* registration.ended).reason).toBe("unregistered")
      })
  )

  scoped("a subscription made in a scope that is already closed is left at once", () =>
    Effect.gen(function*() {
      const { peer, session } = yield* join()
      const scope = yield* Scope.make()
      yield* Scope.close(scope, Exit.void)
      const fiber = yield* Effect.fork(Scope.extend(session.subscribe("com.example.late"), scope))
      const sent = yield* peer.expect("Subscribe")
      yield* peer.send({ _tag: "Subscribed", request: sent.request, subscription: 700 })
      expect(yield* answerLeaves(peer, "Unsubscribe", 1)).toEqual([700])
      yield* Fiber.join(fiber)
      expect(counters(session).subscriptions).toBe(0)
    }))
})
