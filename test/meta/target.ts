/** How the meta suite reaches its router: a fresh test-kit router per test, or a running Nexus. */
import { Effect } from "effect"
import * as Authenticator from "../../src/Authenticator.js"
import * as WebSocketTransport from "../../src/node/NodeWebSocketTransport.js"
import * as RawSocketTransport from "../../src/node/RawSocketTransport.js"
import * as Serializer from "../../src/Serializer.js"
import * as Session from "../../src/Session.js"
import * as Router from "../../src/testing/Router.js"
import * as Transport from "../../src/Transport.js"
import type { Connector } from "../e2e/harness.js"
import type { MetaTarget } from "./suite.js"

const joinWith = (transport: Transport.TransportService, serializer: Serializer.SerializerService) => () =>
  Session.make({ realm: "realm1", goodbyeTimeout: "1 second" }).pipe(
    Effect.provideService(Transport.Transport, transport),
    Effect.provideService(Serializer.Serializers, [serializer]),
    Effect.provideService(Authenticator.Authenticator, Authenticator.anonymous())
  )

/** A fresh router per test (the suite asserts on realm-wide counts), reached through `connector`. */
export const testKitTarget = (connector: Connector, serializer: Serializer.SerializerService) =>
  Effect.gen(function*() {
    const router = yield* Router.make({ realms: ["realm1"], goodbyeTimeout: 500 })
    const transport = yield* connector(router)
    let next = 0
    return { join: joinWith(transport, serializer), uri: (name) => `com.meta.${++next}.${name}` } satisfies MetaTarget
  })

let run = 0
/** A running Nexus at `url` (`ws://…`) or `tcp://host:port` (RawSocket). */
export const nexusTarget = (url: string, serializer: Serializer.SerializerService) =>
  Effect.sync(() => {
    const prefix = `com.meta.${Date.now()}.${++run}`
    let next = 0
    const parsed = new URL(url)
    const transport = parsed.protocol === "tcp:"
      ? RawSocketTransport.make({ host: parsed.hostname, port: Number(parsed.port) })
      : WebSocketTransport.make({ url })
    return { join: joinWith(transport, serializer), uri: (name) => `${prefix}.${++next}.${name}` } satisfies MetaTarget
  })
