/** For the bundle-size comparison only: `effect.ts` written with barrel imports (`from "effect-wamp"`). */
import * as Socket from "@effect/platform/Socket"
import { Effect, Layer, Stream } from "effect"
import { Authenticator, Serializer, Session, WebSocketTransport } from "../../../src/index.js"
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
