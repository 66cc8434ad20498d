import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Scope } from "effect"
import { leave, type Member, ScopeGroups } from "../../src/internal/scopeGroup.js"

const member = (name: string, log: Array<string>): Member => ({
  group: undefined,
  finalize: () => Effect.sync(() => log.push(name))
})

describe("ScopeGroups", () => {
  it.effect("closing the scope finalizes the members still in its group, newest first; one that left is not", () =>
    Effect.gen(function*() {
      const groups = new ScopeGroups()
      const log: Array<string> = []
      const scope = yield* Scope.make()
      const [a, b, c] = [member("a", log), member("b", log), member("c", log)]
      for (const m of [a, b, c]) yield* groups.join(scope, m)
      expect(a.group).toBe(b.group)
      leave(b)
      expect(b.group).toBeUndefined()
      expect(a.group!.has(b)).toBe(false)
      yield* Scope.close(scope, Exit.void)
      expect(log).toEqual(["c", "a"])
      expect(a.group).toBeUndefined()
    }))

  it.effect("its place in the scope's order is its first member's", () =>
    Effect.gen(function*() {
      const groups = new ScopeGroups()
      const log: Array<string> = []
      const scope = yield* Scope.make()
      yield* groups.join(scope, member("first", log))
      yield* Scope.addFinalizer(scope, Effect.sync(() => log.push("other")))
      yield* groups.join(scope, member("second", log))
      yield* Scope.close(scope, Exit.void)
      expect(log).toEqual(["other", "second", "first"])
    }))

  it.effect("scopes are apart; a scope already closed finalizes a member at once", () =>
    Effect.gen(function*() {
      const groups = new ScopeGroups()
      const log: Array<string> = []
      const one = yield* Scope.make()
      const two = yield* Scope.make()
      yield* groups.join(one, member("one", log))
      yield* groups.join(two, member("two", log))
      yield* Scope.close(one, Exit.void)
      expect(log).toEqual(["one"])
      yield* groups.join(one, member("late", log))
      expect(log).toEqual(["one", "late"])
      yield* Scope.close(two, Exit.void)
      expect(log).toEqual(["one", "late", "two"])
    }))
})
