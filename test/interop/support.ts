/**
 * Interop plumbing: the test-kit router served on 127.0.0.1 (the same realms and users as the
 * end-to-end suite), effect-wamp sessions dialing it over WebSocket, and each foreign client
 * (Autobahn|JS, wampy) opened and closed as a scoped resource so that no socket outlives its test.
 */
import { Context, Effect, Layer, type Scope } from "effect"
import { createRequire } from "node:module"
import * as Authenticator from "../../src/Authenticator.js"
import type { TransportError } from "../../src/Errors.js"
import * as NodeWebSocketTransport from "../../src/node/NodeWebSocketTransport.js"
import * as Serializer from "../../src/Serializer.js"
import * as Session from "../../src/Session.js"
import * as Router from "../../src/testing/Router.js"
import * as Transport from "../../src/Transport.js"
import { routerConfig } from "../e2e/harness.js"

export { authRealm, credentials, openRealm } from "../e2e/harness.js"

/** The serializers both foreign clients speak and we test with. */
export type PeerSerializer = "json" | "msgpack"
export const peerSerializers: ReadonlyArray<PeerSerializer> = ["json", "msgpack"]

export interface ServedService {
  readonly router: Router.RouterService
  readonly url: string
  /** The same router's RawSocket port. */
  readonly rawSocketPort: number
  /** A fresh URI under `com.interop.<n>.`, so tests sharing the router never see each other. */
  readonly uri: (name: string) => string
  /** An effect-wamp session on the served router, for the lifetime of the scope. */
  readonly join: (
    serializer: PeerSerializer,
    options?: { readonly realm?: string; readonly auth?: Authenticator.AuthenticatorService }
  ) => Effect.Effect<Session.SessionService, Session.JoinError, Scope.Scope>
}

export class Served extends Context.Tag("interop/Served")<Served, ServedService>() {}

export const layer: Layer.Layer<Served, TransportError> = Layer.scoped(
  Served,
  Effect.gen(function*() {
    const router = yield* Router.make(routerConfig)
    const { port, rawSocketPort } = yield* router.serve({ host: "127.0.0.1", port: 0, rawSocketPort: 0 })
    const url = `ws://127.0.0.1:${port}/ws`
    const transport = NodeWebSocketTransport.make({ url })
    let next = 0
    return {
      router,
      url,
      rawSocketPort: rawSocketPort!,
      uri: (name) => `com.interop.${++next}.${name}`,
      join: (serializer, options) =>
        Session.make({ realm: options?.realm ?? "realm1", goodbyeTimeout: "1 second" }).pipe(
          Effect.provideService(Transport.Transport, transport),
          Effect.provideService(Serializer.Serializers, [serializer === "json" ? Serializer.json : Serializer.msgpack]),
          Effect.provideService(Authenticator.Authenticator, options?.auth ?? Authenticator.anonymous())
        )
    } satisfies ServedService
  })
)

/** Loads a CommonJS package that ships no types (Autobahn|JS) from this ESM test. */
export const requireCjs = createRequire(import.meta.url)

/** Hex string of bytes. */
export const toHex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex")
export const fromHex = (hex: string): Uint8Array => new Uint8Array(Buffer.from(hex, "hex"))
