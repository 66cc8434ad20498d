/**
 * Testaments (`wamp.session.add_testament` / `flush_testaments`): publications a session leaves
 * with the router, published when it leaves the realm, however that happens (GOODBYE, kill, lost
 * transport). This router has no session resumption, so a session is detached and destroyed at
 * once: the `detached` bucket is published first, then `destroyed` (the spec's order), each in the
 * order added.
 */
import type * as Message from "../../Message.js"

export type TestamentScope = "detached" | "destroyed"

export interface Testament {
  readonly topic: string
  readonly args: Message.List
  readonly kwargs: Message.Dict
  readonly options: Message.Dict
}

/** Per session and scope: enough for any sane use, and a misbehaving client cannot grow the router without bound. */
export const MAX_PER_SCOPE = 256

export const parseScope = (value: unknown): TestamentScope | undefined =>
  value === undefined ? "destroyed" : value === "detached" || value === "destroyed" ? value : undefined

interface Buckets {
  readonly detached: Array<Testament>
  readonly destroyed: Array<Testament>
}

export class Testaments {
  private readonly bySession = new Map<number, Buckets>()

  /** False when the scope's bucket is full. */
  add(session: number, scope: TestamentScope, testament: Testament): boolean {
    let buckets = this.bySession.get(session)
    if (buckets === undefined) {
      buckets = { detached: [], destroyed: [] }
      this.bySession.set(session, buckets)
    }
    if (buckets[scope].length >= MAX_PER_SCOPE) return false
    buckets[scope].push(testament)
    return true
  }

  flush(session: number, scope: TestamentScope): void {
    const buckets = this.bySession.get(session)
    if (buckets !== undefined) buckets[scope].length = 0
  }

  /** Removes and returns a leaving session's testaments in publication order. */
  take(session: number): ReadonlyArray<Testament> {
    const buckets = this.bySession.get(session)
    if (buckets === undefined) return []
    this.bySession.delete(session)
    return [...buckets.detached, ...buckets.destroyed]
  }
}
