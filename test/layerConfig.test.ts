/**
 * `layerConfig` for the transports, Session and Connection: options read from a ConfigProvider
 * (as an app reads them from the environment), joined against the test-kit router on loopback.
 */
import { describe, expect, it } from "@effect/vitest"
import { Config, ConfigProvider, Deferred, Effect, Exit, Layer, Schedule } from "effect"
import type { AddressInfo } from "node:net"
import { WebSocketServer } from "ws"
import * as Authenticator from "../src/Authenticator.js"
import * as Connection from "../src/Connection.js"
import * as NodeWebSocketTransport from "../src/node/NodeWebSocketTransport.js"
import * as RawSocketTransport from "../src/node/RawSocketTransport.js"
import * as Serializer from "../src/Serializer.js"
import * as Session from "../src/Session.js"
import * as Router from "../src/testing/Router.js"
import { Transport } from "../src/Transport.js"
import * as WebSocketTransport from "../src/WebSocketTransport.js"

const serveRouter = Effect.gen(function*() {
  const router = yield* Router.make({ realms: ["realm1"] })
  return yield* router.serve({ host: "127.0.0.1", port: 0, rawSocketPort: 0 })
})

const withProvider = (map: Record<string, string>) =>
  Layer.setConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(map))))

const joinAndCall = Effect.gen(function*() {
  const session = yield* Session.Session
  yield* session.register("com.example.double", ({ args }) => Effect.succeed({ args: [(args[0] as number) * 2] }))
  const result = yield* session.call("com.example.double", [21])
  return { result: result.args[0], realm: session.info.realm }
})

const common = Layer.mergeAll(Serializer.layerJson, Authenticator.layerAnonymous())

describe("layerConfig", () => {
  it.scopedLive("WebSocketTransport + Session from a ConfigProvider", () =>
    Effect.gen(function*() {
      const bound = yield* serveRouter
      const live = Session.layerConfig({ realm: Config.string("WAMP_REALM"), agent: Config.string("WAMP_AGENT") })
        .pipe(
          Layer.provide(Layer.merge(NodeWebSocketTransport.layerConfig({ url: Config.string("WAMP_URL") }), common)),
          Layer.provide(withProvider({
            WAMP_URL: `ws://127.0.0.1:${bound.port}/ws`,
            WAMP_REALM: "realm1",
            WAMP_AGENT: "config-test"
          }))
        )
      const out = yield* Effect.scoped(joinAndCall).pipe(Effect.provide(live))
      expect(out).toEqual({ result: 42, realm: "realm1" })
    }))

  it.scopedLive("RawSocketTransport from a ConfigProvider (host and port)", () =>
    Effect.gen(function*() {
      const bound = yield* serveRouter
      const live = Session.layerConfig({ realm: Config.string("WAMP_REALM") }).pipe(
        Layer.provide(Layer.merge(
          RawSocketTransport.layerConfig({ host: Config.string("WAMP_HOST"), port: Config.port("WAMP_PORT") }),
          common
        )),
        Layer.provide(
          withProvider({ WAMP_HOST: "127.0.0.1", WAMP_PORT: String(bound.rawSocketPort), WAMP_REALM: "realm1" })
        )
      )
      const out = yield* Effect.scoped(joinAndCall).pipe(Effect.provide(live))
      expect(out.result).toBe(42)
    }))

  it.scopedLive("Connection from a ConfigProvider, with a Schedule given as Config.succeed", () =>
    Effect.gen(function*() {
      const bound = yield* serveRouter
      const live = Connection.layerConfig({
        realm: Config.string("WAMP_REALM"),
        retry: Config.succeed(Schedule.recurs(2)),
        goodbyeTimeout: Config.duration("WAMP_GOODBYE_TIMEOUT")
      }).pipe(
        Layer.provide(Layer.merge(NodeWebSocketTransport.layerConfig({ url: Config.string("WAMP_URL") }), common)),
        Layer.provide(withProvider({
          WAMP_URL: `ws://127.0.0.1:${bound.port}/ws`,
          WAMP_REALM: "realm1",
          WAMP_GOODBYE_TIMEOUT: "2 seconds"
        }))
      )
      const out = yield* Effect.scoped(Effect.gen(function*() {
        const connection = yield* Connection.Connection
        const info = yield* connection.awaitOpen
        const value = yield* joinAndCall
        return { ...value, id: info.id }
      })).pipe(Effect.provide(live))
      expect(out.result).toBe(42)
      expect(out.id).toBeGreaterThan(0)
    }))

  it.effect("a missing key fails the layer with a ConfigError naming it, before any socket opens", () =>
    Effect.gen(function*() {
      const live = Session.layerConfig({ realm: Config.string("WAMP_REALM") }).pipe(
        Layer.provide(Layer.merge(NodeWebSocketTransport.layerConfig({ url: Config.string("WAMP_URL") }), common)),
        Layer.provide(withProvider({ WAMP_REALM: "realm1" }))
      )
      const exit = yield* Effect.exit(Effect.scoped(Layer.build(live)))
      expect(Exit.isFailure(exit)).toBe(true)
      expect(String(exit)).toContain("WAMP_URL")
    }))

  it.scopedLive("the platform-neutral WebSocketTransport.layerConfig over a Socket.WebSocketConstructor layer", () =>
    Effect.gen(function*() {
      const bound = yield* serveRouter
      const live = Session.layerConfig({ realm: Config.succeed("realm1") }).pipe(
        Layer.provide(Layer.merge(WebSocketTransport.layerConfig({ url: Config.string("WAMP_URL") }), common)),
        Layer.provide(NodeWebSocketTransport.layerWebSocketConstructor()),
        Layer.provide(withProvider({ WAMP_URL: `ws://127.0.0.1:${bound.port}/ws` }))
      )
      const out = yield* Effect.scoped(joinAndCall).pipe(Effect.provide(live))
      expect(out.result).toBe(42)
    }))

  it.scopedLive("a header read with Config.redacted reaches the server in clear; the options never show it", () =>
    Effect.gen(function*() {
      const seen = yield* Deferred.make<string | undefined>()
      const server = yield* Effect.acquireRelease(
        Effect.async<WebSocketServer>((resume) => {
          const wss = new WebSocketServer({ host: "127.0.0.1", port: 0, handleProtocols: () => "wamp.2.json" })
          wss.on(
            "connection",
            (_socket, request) => Deferred.unsafeDone(seen, Exit.succeed(request.headers.authorization))
          )
          wss.on("listening", () => resume(Effect.succeed(wss)))
        }),
        (wss) => Effect.async<void>((resume) => wss.close(() => resume(Effect.void)))
      )
      const port = (server.address() as AddressInfo).port
      const provider = withProvider({ WAMP_TOKEN: "Bearer s3cret" })
      const options = yield* Config.unwrap({ token: Config.redacted("WAMP_TOKEN") }).pipe(
        Effect.provide(provider)
      )
      expect(String(options.token)).not.toContain("s3cret")
      expect(JSON.stringify(options)).not.toContain("s3cret")
      const layer = NodeWebSocketTransport.layerConfig({
        url: Config.succeed(`ws://127.0.0.1:${port}/ws`),
        headers: { authorization: Config.redacted("WAMP_TOKEN") }
      }).pipe(Layer.provide(provider))
      yield* Effect.flatMap(Transport, (transport) => transport.open([Serializer.json])).pipe(
        Effect.scoped,
        Effect.provide(layer)
      )
      expect(yield* Deferred.await(seen)).toBe("Bearer s3cret")
    }))
})
