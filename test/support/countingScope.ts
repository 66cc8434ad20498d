/**
 * Test helper: a scope that counts the finalizers added to it (to see what a scope keeps per item).
 * It wraps the scope object's `addFinalizer`, which `Scope.addFinalizer` / `addFinalizerExit` call:
 * not in Effect's public types, so a change there fails these tests rather than passing them.
 */
import * as Effect from "effect/Effect"
import * as Scope from "effect/Scope"

interface WithAddFinalizer {
  addFinalizer(finalizer: Scope.Scope.Finalizer): Effect.Effect<void>
}

export const countingScope = Effect.map(Scope.make(), (inner) => {
  const real = inner as unknown as WithAddFinalizer
  if (typeof real.addFinalizer !== "function") throw new Error("countingScope: Effect's Scope has no addFinalizer")
  let added = 0
  const scope: Scope.CloseableScope = Object.create(inner, {
    addFinalizer: {
      value: (finalizer: Scope.Scope.Finalizer) => {
        added++
        return real.addFinalizer(finalizer)
      }
    }
  })
  return { scope, added: () => added }
})
