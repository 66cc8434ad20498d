/**
 * An in-memory WAMP router (broker + dealer) for tests, demos and single-process apps.
 *
 * Scope: it runs inside your process with no external service, speaks the Basic Profile plus the
 * Advanced features listed in its WELCOME (pattern-based and shared registrations, progressive
 * results and invocations, cancelation, call timeout, caller/publisher disclosure, blackwhite
 * listing, publisher exclusion, event retention, revocation, session/registration/subscription
 * meta API, testaments) and authenticates with anonymous, ticket, WAMP-CRA and WAMP-Cryptosign.
 * It is NOT a production router: no clustering, no persistence, no flow control, no TLS. For
 * production use Crossbar.io, Bondy or Nexus.
 *
 * ```ts
 * const router = yield* Router.make({ realms: ["realm1"] })
 * // in memory: provide `Router.layerTransport` to a client session
 * // or over loopback sockets:
 * const { port } = yield* router.serve({ host: "127.0.0.1", port: 0 })
 * ```
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as FiberSet from "effect/FiberSet"
import * as Layer from "effect/Layer"
import * as Runtime from "effect/Runtime"
import type * as Scope from "effect/Scope"
import { TransportError } from "../Errors.js"
import type * as Message from "../Message.js"
import type { SerializerService } from "../Serializer.js"
import * as Serializer from "../Serializer.js"
import * as Transport from "../Transport.js"
import { StandardUri as ErrorUri } from "../WampError.js"
import { type Config, DEFAULT_FRAME_TIMEOUT } from "./internal/config.js"
import { RouterCore, type Undelivered } from "./internal/core.js"

export type { Action, Config, Permissions, RealmConfig, Rule, Secret, User } from "./internal/config.js"
export type { Undelivered } from "./internal/core.js"

export interface ServeOptions {
  /** Interface to bind (e.g. "127.0.0.1"). */
  readonly host: string
  /** WebSocket port; 0 picks an ephemeral one. */
  readonly port: number
  /** RawSocket port; 0 picks an ephemeral one; absent = no RawSocket listener. */
  readonly rawSocketPort?: number
  /** The serializers offered (default JSON, MessagePack and CBOR). */
  readonly serializers?: ReadonlyArray<SerializerService>
}

export interface Bound {
  readonly host: string
  /** The WebSocket port actually bound. */
  readonly port: number
  /** The RawSocket port actually bound, when one was asked for. */
  readonly rawSocketPort?: number
}

/** One established session, as tests see it. */
export interface SessionSummary {
  readonly session: number
  readonly realm: string
  readonly authid: string
  readonly authrole: string
  readonly authmethod: string
}

export interface RouterService {
  /** Serves one link (a new client connection) until it ends; returns at once. */
  readonly attach: (link: Transport.Link, transport?: Message.Dict) => Effect.Effect<void>
  /** A Transport whose links go to this router in memory (each `open` is a new connection). */
  readonly transport: Transport.TransportService
  /** Listens on WebSocket (and RawSocket) for this router; the scope closes the listeners. */
  readonly serve: (options: ServeOptions) => Effect.Effect<Bound, TransportError, Scope.Scope>
  readonly sessions: {
    readonly count: Effect.Effect<number>
    readonly list: Effect.Effect<ReadonlyArray<SessionSummary>>
  }
  /** GOODBYE (default reason `wamp.close.killed`, optional `Details.message`); false if no such session. */
  readonly killSession: (session: number, reason?: string, message?: string) => Effect.Effect<boolean>
  /** UNREGISTERED `[67, 0, {registration, reason}]` to callees that announced revocation; false if unknown. */
  readonly revokeRegistration: (registration: number, reason?: string) => Effect.Effect<boolean>
  /** UNSUBSCRIBED `[35, 0, {subscription, reason}]` to subscribers that announced revocation; false if unknown. */
  readonly revokeSubscription: (subscription: number, reason?: string) => Effect.Effect<boolean>
  /**
   * Messages the router could not encode for their recipient (a bigint for a JSON session, say):
   * how many, and the last 100. Each is also logged at Warning level. A call whose INVOCATION,
   * RESULT or ERROR cannot be encoded ends with ERROR `wamp.error.invalid_payload` to the caller;
   * an EVENT is dropped for that subscriber only, and an acknowledged publication still gets
   * PUBLISHED: WAMP acknowledges that the broker accepted and dispatched the publication, never the
   * delivery to each subscriber (a subscriber whose link just died is not reported either).
   */
  readonly undelivered: Effect.Effect<{ readonly count: number; readonly recent: ReadonlyArray<Undelivered> }>
}

export class Router extends Context.Tag("effect-wamp/testing/Router")<Router, RouterService>() {}

/**
 * Starts a router; closing the scope sends GOODBYE `wamp.close.system_shutdown` to every session,
 * gives them `goodbyeTimeout` to answer, then ends every link.
 */
export const make = (config: Config): Effect.Effect<RouterService, never, Scope.Scope> =>
  Effect.gen(function*() {
    const runFork = Runtime.runFork(yield* Effect.runtime<never>())
    // Routing code is synchronous: a warning is logged by a fiber of its own (rare, one per message).
    const core = new RouterCore(config, (text) => runFork(Effect.logWarning(text)))
    const connections = yield* FiberSet.make<void, never>()
    yield* Effect.addFinalizer(() =>
      Effect.zipRight(
        Effect.sync(() => core.shutdown()),
        Effect.timeout(FiberSet.awaitEmpty(connections), core.goodbyeTimeout + 500).pipe(Effect.ignore)
      )
    )

    const attach = (link: Transport.Link, transport: Message.Dict = { type: "memory" }) =>
      Effect.asVoid(FiberSet.run(connections, core.serve(link, { serializer: link.serializer.name, ...transport })))

    const transport = Transport.make((serializers) =>
      Effect.gen(function*() {
        const serializer = serializers[0]
        if (serializer === undefined) {
          return yield* Effect.fail(new TransportError({ reason: "Open", message: "no serializer offered" }))
        }
        const [client, peer] = yield* Transport.memoryPair(serializer)
        yield* attach(peer)
        yield* Effect.addFinalizer(() => client.close(1000, ""))
        return client
      })
    )

    const service: RouterService = {
      attach,
      transport,
      serve: (options) =>
        Effect.flatMap(
          Effect.promise(() => import("./internal/serve.js")),
          (Serve) =>
            Serve.listen(
              {
                ...options,
                helloTimeout: core.helloTimeout,
                frameTimeout: config.frameTimeout ?? DEFAULT_FRAME_TIMEOUT
              },
              options.serializers ?? Serializer.all,
              attach,
              (links) => core.drain(links)
            )
        ),
      sessions: {
        count: Effect.sync(() => core.sessions.size),
        list: Effect.sync(() =>
          Array.from(core.sessions.values(), ({ realm, session }) => ({
            session: session.id,
            realm: realm.name,
            authid: session.auth.authid,
            authrole: session.auth.authrole,
            authmethod: session.auth.authmethod
          }))
        )
      },
      killSession: (session, reason = ErrorUri.Killed, message) =>
        Effect.sync(() => {
          const entry = core.sessions.get(session)
          return entry !== undefined && core.kill(entry.session, reason, message)
        }),
      revokeRegistration: (registration, reason) =>
        Effect.sync(() => {
          for (const realm of core.realms.values()) if (realm.dealer.revoke(registration, reason)) return true
          return false
        }),
      revokeSubscription: (subscription, reason) =>
        Effect.sync(() => {
          for (const realm of core.realms.values()) if (realm.broker.revoke(subscription, reason)) return true
          return false
        }),
      undelivered: Effect.sync(() => ({ count: core.undeliveredCount, recent: [...core.undelivered] }))
    }
    return service
  })

/** The router as a service. */
export const layer = (config: Config): Layer.Layer<Router> => Layer.scoped(Router, make(config))

/** A `Transport` to the router in context, in memory. */
export const layerTransport: Layer.Layer<Transport.Transport, never, Router> = Layer.effect(
  Transport.Transport,
  Effect.map(Router, (router) => router.transport)
)

/** A router and a memory `Transport` to it, in one layer. */
export const layerWithTransport = (config: Config): Layer.Layer<Router | Transport.Transport> =>
  Layer.provideMerge(layerTransport, layer(config))

/** Serves the router in context over WebSocket / RawSocket (see `RouterService.serve`). */
export const serve = (options: ServeOptions): Effect.Effect<Bound, TransportError, Router | Scope.Scope> =>
  Effect.flatMap(Router, (router) => router.serve(options))
