/**
 * For the bundle-size comparison only: the Effect machinery the `effect.ts` program needs with no
 * WAMP in it (Layers, a scope, a Stream collected, a WebSocket through @effect/platform's Socket,
 * which brings Schema along), so the bench can show what is Effect's floor and what is ours.
 */
import * as Socket from "@effect/platform/Socket"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import { report, routerUrl } from "./report.js"

class Greeting extends Context.Tag("floor/Greeting")<Greeting, string>() {}

const program = Effect.gen(function*() {
  const greeting = yield* Greeting
  const socket = yield* Socket.makeWebSocket(routerUrl())
  const write = yield* socket.writer
  yield* write(greeting)
  return yield* Stream.runCollect(Stream.take(Stream.make(greeting, greeting), 1))
})

Effect.runPromise(
  Effect.scoped(program).pipe(
    Effect.provide(Layer.mergeAll(Layer.succeed(Greeting, "hello"), Socket.layerWebSocketConstructorGlobal))
  )
).then(
  (events) => report({ ok: true, event: [...events] }),
  (error: unknown) => report({ ok: false, error: String(error) })
)
