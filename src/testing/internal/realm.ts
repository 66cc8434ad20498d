/**
 * A realm: its sessions, dealer, broker, meta API and permissions.
 */
import type * as Message from "../../Message.js"
import { Broker } from "./broker.js"
import type { Action, RealmConfig } from "./config.js"
import type { RealmContext } from "./context.js"
import { Dealer } from "./dealer.js"
import * as Meta from "./meta.js"
import type { RouterSession } from "./session.js"
import { Testaments } from "./testament.js"

export class Realm implements RealmContext {
  readonly name: string
  readonly sessions = new Map<number, RouterSession>()
  readonly dealer: Dealer
  readonly broker: Broker
  readonly testaments = new Testaments()

  constructor(
    readonly config: RealmConfig,
    readonly nextId: () => number,
    /** Sends GOODBYE to a session of this realm and detaches it (owned by the connection layer). */
    private readonly killSession: (session: RouterSession, reason: string, message: string | undefined) => void
  ) {
    this.name = config.name
    this.dealer = new Dealer(this)
    this.broker = new Broker(this)
    Meta.install({
      sessions: this.sessions,
      dealer: this.dealer,
      broker: this.broker,
      testaments: this.testaments,
      authorize: (session, action, uri) => this.authorize(session, action, uri),
      kill: (id, reason, message) => {
        const session = this.sessions.get(id)
        if (session === undefined) return false
        this.killSession(session, reason, message)
        return true
      }
    })
  }

  authorize(session: RouterSession, action: Action, uri: string): boolean {
    const permissions = this.config.roles?.[session.auth.authrole]
    if (permissions === undefined) return true
    const rule = permissions[action]
    return rule === undefined ? true : typeof rule === "boolean" ? rule : rule(uri)
  }

  publishMeta(topic: string, args: Message.List): void {
    this.broker.publishInternal(topic, args)
  }

  join(session: RouterSession): void {
    this.sessions.set(session.id, session)
    this.publishMeta("wamp.session.on_join", [session.details()])
  }

  /**
   * Detaches a session: pending calls resolved, registrations and subscriptions dropped, its
   * testaments published (as its own publications, so the publish options and permissions apply;
   * it no longer receives them), then on_leave.
   */
  leave(session: RouterSession): void {
    if (!this.sessions.delete(session.id)) return
    this.dealer.leave(session)
    this.broker.leave(session)
    for (const testament of this.testaments.take(session.id)) {
      this.broker.publish(session, {
        _tag: "Publish",
        request: 0,
        // Never acknowledged: there is nobody left to acknowledge to.
        options: { ...testament.options, acknowledge: false },
        topic: testament.topic,
        args: testament.args,
        kwargs: testament.kwargs
      })
    }
    this.publishMeta("wamp.session.on_leave", [session.id, session.auth.authid, session.auth.authrole])
  }
}
