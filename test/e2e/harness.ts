/**
 * The "how to connect" half of the end-to-end suite: one router per transport × serializer
 * combination, shared by every test of that combination (built once per `describe`), and a way to
 * join it as a real effect-wamp Session with any authenticator.
 *
 * Tests share the router, so each test uses URIs of its own (`uri(...)`) and never asserts on
 * router-wide state such as the session count.
 */
import { Context, Effect, Layer, Redacted, type Scope } from "effect"
import type { AuthenticatorService } from "../../src/Authenticator.js"
import * as Authenticator from "../../src/Authenticator.js"
import type { TransportError } from "../../src/Errors.js"
import * as NodeWebSocketTransport from "../../src/node/NodeWebSocketTransport.js"
import * as RawSocketTransport from "../../src/node/RawSocketTransport.js"
import * as Serializer from "../../src/Serializer.js"
import * as Session from "../../src/Session.js"
import * as Router from "../../src/testing/Router.js"
import * as Transport from "../../src/Transport.js"

/** Fixed test credentials (fixtures of this file; nothing is read from outside the repository). */
export const credentials = {
  ticket: { authid: "alice", ticket: "alice-t1cket", authrole: "admin" },
  wampcra: { authid: "bob", secret: "bob-s3cret", authrole: "user" },
  wampcraSalted: {
    authid: "carol",
    secret: "carol-pw",
    authrole: "user",
    salt: { salt: "carol-salt", iterations: 50, keylen: 32 }
  },
  cryptosign: { authid: "dave", seed: "a3".repeat(32), authrole: "robot" }
} as const

export const openRealm = "realm1"
export const authRealm = "secured"

export const routerConfig: Router.Config = {
  realms: [
    openRealm,
    {
      name: authRealm,
      users: {
        [credentials.ticket.authid]: { ticket: credentials.ticket.ticket, authrole: credentials.ticket.authrole },
        [credentials.wampcra.authid]: { secret: credentials.wampcra.secret, authrole: credentials.wampcra.authrole },
        [credentials.wampcraSalted.authid]: {
          secret: credentials.wampcraSalted.secret,
          salt: credentials.wampcraSalted.salt,
          authrole: credentials.wampcraSalted.authrole
        },
        [credentials.cryptosign.authid]: {
          cryptosign: [Authenticator.cryptosignPublicKey(credentials.cryptosign.seed)],
          authrole: credentials.cryptosign.authrole
        }
      }
    }
  ],
  // Shared routers are closed between files; sessions answer GOODBYE at once, this only bounds stragglers.
  goodbyeTimeout: 500
}

/** Opens a transport to the router: in memory, or by serving it on loopback and dialing it. */
export type Connector = (
  router: Router.RouterService
) => Effect.Effect<Transport.TransportService, TransportError, Scope.Scope>

export const connectors: ReadonlyArray<readonly [name: string, connector: Connector]> = [
  ["memory", (router) => Effect.succeed(router.transport)],
  [
    "WebSocket",
    (router) =>
      Effect.map(
        router.serve({ host: "127.0.0.1", port: 0 }),
        ({ port }) => NodeWebSocketTransport.make({ url: `ws://127.0.0.1:${port}/ws` })
      )
  ],
  [
    "RawSocket",
    (router) =>
      Effect.map(
        router.serve({ host: "127.0.0.1", port: 0, rawSocketPort: 0 }),
        ({ rawSocketPort }) => RawSocketTransport.make({ host: "127.0.0.1", port: rawSocketPort! })
      )
  ]
]

export const serializers = [Serializer.json, Serializer.msgpack, Serializer.cbor] as const

export interface HarnessService {
  readonly router: Router.RouterService
  readonly serializer: Serializer.SerializerService
  /** Joins a realm (default the open one, anonymously) for the lifetime of the scope. */
  readonly join: (
    options?: { readonly realm?: string; readonly auth?: AuthenticatorService }
  ) => Effect.Effect<Session.SessionService, Session.JoinError, Scope.Scope>
  /** A fresh URI under `com.e2e.<n>.`, so tests sharing one router never see each other. */
  readonly uri: (name: string) => string
}

export class Harness extends Context.Tag("e2e/Harness")<Harness, HarnessService>() {}

export const layer = (
  connector: Connector,
  serializer: Serializer.SerializerService
): Layer.Layer<Harness, TransportError> =>
  Layer.scoped(
    Harness,
    Effect.gen(function*() {
      const router = yield* Router.make(routerConfig)
      const transport = yield* connector(router)
      let next = 0
      return {
        router,
        serializer,
        uri: (name) => `com.e2e.${++next}.${name}`,
        join: (options) =>
          Session.make({ realm: options?.realm ?? openRealm, goodbyeTimeout: "1 second" }).pipe(
            Effect.provideService(Transport.Transport, transport),
            Effect.provideService(Serializer.Serializers, [serializer]),
            Effect.provideService(Authenticator.Authenticator, options?.auth ?? Authenticator.anonymous())
          )
      } satisfies HarnessService
    })
  )

export const secret = Redacted.make
