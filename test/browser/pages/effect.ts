/**
 * The Effect API in a browser: the global WebSocket (through @effect/platform's constructor
 * service), JSON, one call, one subscription whose event a second call triggers. Modules are
 * imported by path (`effect/Effect`, `effect-wamp/Session`), which esbuild tree-shakes; a
 * barrel's `import { Session } from "effect-wamp"` keeps whole namespaces (see effectBarrel.ts).
 */
import * as Socket from "@effect/platform/Socket"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import * as Authenticator from "../../../src/Authenticator.js"
import * as Serializer from "../../../src/Serializer.js"
import * as Session from "../../../src/Session.js"
import * as WebSocketTransport from "../../../src/WebSocketTransport.js"
import { report, routerUrl } from "./report.js"

const program = Effect.gen(function*() {
  const session = yield* Session.Session
  const sum = yield* session.call("com.example.add2", [2, 3])
  const ticks = yield* session.subscribe("com.example.tick")
  yield* session.call("com.example.tick_me", ["effect"])
  const events = yield* Stream.runCollect(Stream.take(ticks.events, 1))
  return { sum: sum.args[0], event: [...events].map((event) => event.args)[0] }
})

const WampLive = Session.layer({ realm: "realm1" }).pipe(
  Layer.provide(Layer.mergeAll(
    WebSocketTransport.layer({ url: routerUrl() }).pipe(Layer.provide(Socket.layerWebSocketConstructorGlobal)),
    Serializer.layerJson,
    Authenticator.layerAnonymous()
  ))
)

Effect.runPromise(Effect.scoped(program).pipe(Effect.provide(WampLive))).then(
  ({ event, sum }) => report({ ok: true, sum, event }),
  (error: unknown) => report({ ok: false, error: String(error) })
)
