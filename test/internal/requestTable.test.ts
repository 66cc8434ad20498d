import { describe, expect, it } from "@effect/vitest"
import fc from "fast-check"
import { RequestTable } from "../../src/internal/requestTable.js"

type Op =
  | { readonly kind: "set"; readonly id: number; readonly value: number }
  | { readonly kind: "delete"; readonly id: number }
  | { readonly kind: "clear" }

/** Ids as they come: sequential from a base, crowding one slot (multiples of 1,024), or near 2^53. */
const ids = (base: number) =>
  fc.oneof(
    fc.integer({ min: 0, max: 5000 }).map((n) => base + n),
    fc.integer({ min: 1, max: 64 }).map((n) => n * 1024),
    fc.integer({ min: 0, max: 4096 }).map((n) => 2 ** 53 - n)
  )

const ops = (base: number) =>
  fc.array(
    fc.oneof(
      { weight: 6, arbitrary: fc.record({ kind: fc.constant("set" as const), id: ids(base), value: fc.nat() }) },
      { weight: 4, arbitrary: fc.record({ kind: fc.constant("delete" as const), id: ids(base) }) },
      { weight: 1, arbitrary: fc.constant({ kind: "clear" as const }) }
    ),
    { maxLength: 3000 }
  )

describe("RequestTable: the request table the session core and the callee keep", () => {
  it("holds exactly what a Map would, whatever the ids, and lists entries oldest id first", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2 ** 40 }),
        fc.integer({ min: 1, max: 4096 }),
        (base, capacity) =>
          fc.assert(
            fc.property(ops(base), (script: ReadonlyArray<Op>) => {
              const table = new RequestTable<number>(capacity)
              const model = new Map<number, number>()
              for (const op of script) {
                if (op.kind === "set") {
                  table.set(op.id, op.value)
                  model.set(op.id, op.value)
                } else if (op.kind === "delete") {
                  expect(table.delete(op.id)).toBe(model.delete(op.id))
                } else {
                  table.clear()
                  model.clear()
                }
                expect(table.size).toBe(model.size)
              }
              for (const [id, value] of model) {
                expect(table.get(id)).toBe(value)
                expect(table.has(id)).toBe(true)
              }
              expect(table.entries()).toEqual([...model].sort((a, b) => a[0] - b[0]))
            }),
            { numRuns: 5 }
          )
      ),
      { numRuns: 20 }
    )
  })

  it("an id never set is absent, also when its home slot holds another id", () => {
    const table = new RequestTable<string>(16)
    table.set(3, "three")
    expect(table.get(19)).toBeUndefined()
    expect(table.has(19)).toBe(false)
    expect(table.delete(19)).toBe(false)
    table.set(19, "nineteen")
    expect(table.delete(3)).toBe(true)
    expect(table.get(19)).toBe("nineteen")
    expect(table.get(3)).toBeUndefined()
  })

  it("1,000 in flight with ids issued in order: every entry found while the table grows", () => {
    const table = new RequestTable<number>()
    let next = 1
    let oldest = 1
    for (let round = 0; round < 20_000; round++) {
      table.set(next, next)
      next++
      if (table.size > 1000) {
        expect(table.get(oldest)).toBe(oldest)
        expect(table.delete(oldest)).toBe(true)
        oldest++
      }
    }
    expect(table.size).toBe(1000)
    expect(table.values()).toEqual(Array.from({ length: 1000 }, (_, i) => oldest + i))
  })
})
