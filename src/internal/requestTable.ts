/**
 * A table of in-flight requests keyed by WAMP request id: what the session's request table and
 * the callee's running invocations are. Many entries come and go each second, a few thousand are
 * live at once, and the ids are mostly sequential.
 *
 * Why not a `Map`: with this churn, a `Map` makes V8 promote the young objects of in-flight
 * requests to the old generation, most of all after a full GC (our reading: the `Map` rebuilds its
 * backing store every few thousand inserts, and once that store is old each rebuilt one is too).
 * Measured with 1,000 calls in flight on Nexus (`--trace-gc-nvp`, facade): about 2 MB promoted per
 * scavenge and 10-15 ms pauses with the `Map`, 0.1-1 MB and 5-9 ms with this table; in isolation
 * (1,000 entries, `Map` against this shape) 680 KB against 12 KB per scavenge. Here the slots are
 * allocated once, in two fixed arrays, and only grow.
 *
 * Each id has one home slot (`id mod capacity`); the rare id whose slot is taken by a still-pending
 * older one goes to a small overflow `Map`, and the arrays double when that fills.
 */

const EMPTY = 0
const INITIAL_CAPACITY = 256

export class RequestTable<V> {
  private ids: Float64Array
  private slots: Array<V | undefined>
  private mask: number
  private readonly overflow = new Map<number, V>()
  private count = 0

  constructor(capacity = INITIAL_CAPACITY) {
    const size = powerOfTwoAtLeast(capacity)
    this.ids = new Float64Array(size)
    this.slots = new Array<V | undefined>(size).fill(undefined)
    this.mask = size - 1
  }

  /** How many entries are held. */
  get size(): number {
    return this.count
  }

  get(id: number): V | undefined {
    const slot = this.slotOf(id)
    if (this.ids[slot] === id) return this.slots[slot]
    return this.overflow.size === 0 ? undefined : this.overflow.get(id)
  }

  has(id: number): boolean {
    const slot = this.slotOf(id)
    return this.ids[slot] === id || (this.overflow.size > 0 && this.overflow.has(id))
  }

  /** Adds or replaces the entry of `id` (a positive integer, as every WAMP id is). */
  set(id: number, value: V): void {
    const slot = this.slotOf(id)
    const held = this.ids[slot]
    if (held === id) {
      this.slots[slot] = value
      return
    }
    if (held === EMPTY && !this.overflow.has(id)) {
      this.ids[slot] = id
      this.slots[slot] = value
      this.count++
      return
    }
    if (!this.overflow.has(id)) this.count++
    this.overflow.set(id, value)
    // Grow when the table is full enough, not when a few ids crowd one slot (ids a router chose).
    if (this.overflow.size > this.slots.length >> 3 && this.count > this.slots.length >> 2) this.grow()
  }

  /** Removes the entry of `id`; false when there was none. */
  delete(id: number): boolean {
    const slot = this.slotOf(id)
    if (this.ids[slot] === id) {
      this.ids[slot] = EMPTY
      this.slots[slot] = undefined
      this.count--
      return true
    }
    if (this.overflow.size === 0 || !this.overflow.delete(id)) return false
    this.count--
    return true
  }

  /** The entries, oldest id first (the order they were issued in, for sequential ids). */
  entries(): Array<readonly [number, V]> {
    const all: Array<readonly [number, V]> = []
    for (let slot = 0; slot < this.slots.length; slot++) {
      const id = this.ids[slot]!
      if (id !== EMPTY) all.push([id, this.slots[slot]!])
    }
    for (const entry of this.overflow) all.push(entry)
    return all.sort((a, b) => a[0] - b[0])
  }

  values(): Array<V> {
    return this.entries().map(([, value]) => value)
  }

  /** Empties the table, keeping its capacity. */
  clear(): void {
    this.ids.fill(EMPTY)
    this.slots.fill(undefined)
    this.overflow.clear()
    this.count = 0
  }

  /** `id mod capacity`: ids go up to 2^53, beyond what `&` reads. */
  private slotOf(id: number): number {
    return id <= 0x7fffffff ? id & this.mask : id % this.slots.length
  }

  /** At least doubles the slots (to twice the entries held) and moves every entry to its new home. */
  private grow(): void {
    const all = this.entries()
    const size = powerOfTwoAtLeast(Math.max(this.slots.length * 2, all.length * 2))
    this.ids = new Float64Array(size)
    this.slots = new Array<V | undefined>(size).fill(undefined)
    this.mask = size - 1
    this.overflow.clear()
    for (const [id, value] of all) {
      const slot = this.slotOf(id)
      if (this.ids[slot] === EMPTY) {
        this.ids[slot] = id
        this.slots[slot] = value
      } else {
        this.overflow.set(id, value)
      }
    }
  }
}

const powerOfTwoAtLeast = (n: number): number => {
  let size = 1
  while (size < n) size *= 2
  return size
}
