/**
 * A bounded set of ids remembered for a while: requests we abandoned (their late replies are
 * ignored, not protocol violations), registrations we left, invocations we finished.
 * The oldest id is forgotten first.
 */
export class Tombstones {
  private readonly ids = new Set<number>()
  constructor(private readonly capacity: number) {}

  add(id: number): void {
    if (this.ids.has(id)) return
    this.ids.add(id)
    if (this.ids.size > this.capacity) {
      // Sets iterate in insertion order: the first one is the oldest.
      const oldest = this.ids.values().next().value
      if (oldest !== undefined) this.ids.delete(oldest)
    }
  }

  has(id: number): boolean {
    return this.ids.has(id)
  }

  delete(id: number): boolean {
    return this.ids.delete(id)
  }
}
