/**
 * The subscriptions or registrations made in one scope, released by one finalizer of that scope.
 *
 * A finalizer per item (`Scope.addFinalizerExit`) stays in the scope until it closes, and with it
 * the item, even one that ended long before (unsubscribed, revoked): a long-lived scope in which
 * subscriptions come and go kept about 350 bytes per subscription ever made. Here an item leaves its
 * group when it ends, so the scope holds one finalizer per group and one Set entry per live item.
 * When the scope closes, the items still in the group are finalized newest first, at the place of
 * the group's first item in the scope's finalizer order.
 */
import * as Effect from "effect/Effect"
import * as Scope from "effect/Scope"

export interface Member {
  /** The group the item is in, until it ends or its scope closes. */
  group: Set<Member> | undefined
  /** Releases the item (bounded in time, never failing). */
  finalize(): Effect.Effect<void>
}

/** The groups of one owner (a session's pubsub or callee, a connection's durables), by scope. */
export class ScopeGroups {
  private readonly groups = new WeakMap<Scope.Scope, Set<Member>>()

  /** Puts `member` in the group of `scope`; the first member of a scope adds the group's finalizer. */
  join(scope: Scope.Scope, member: Member): Effect.Effect<void> {
    const group = this.groups.get(scope)
    if (group !== undefined) {
      group.add(member)
      member.group = group
      return Effect.void
    }
    const created = new Set<Member>([member])
    member.group = created
    this.groups.set(scope, created)
    // Added after the member: a scope already closed runs the finalizer at once, releasing it.
    return Scope.addFinalizerExit(scope, () => this.close(scope, created))
  }

  private close(scope: Scope.Scope, group: Set<Member>): Effect.Effect<void> {
    if (this.groups.get(scope) === group) this.groups.delete(scope)
    const members = Array.from(group).reverse()
    group.clear()
    return Effect.forEach(members, (member) => {
      member.group = undefined
      return member.finalize()
    }, { discard: true })
  }
}

/** The item ended: its scope no longer holds it. */
export const leave = (member: Member): void => {
  member.group?.delete(member)
  member.group = undefined
}
