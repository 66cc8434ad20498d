/**
 * `npm start`: the embedded test-kit router on loopback, and effect-wamp clients talking through
 * it over a real WebSocket — a callee, a caller, a progressive call, a subscriber and a publisher.
 * Prints what happens and exits 0.
 */
import { Console, Effect, Layer, Stream } from "effect"
import { Authenticator, Serializer, Session, WampError } from "../src/index.js"
import { NodeWebSocketTransport } from "../src/node/index.js"
import { Router } from "../src/testing/index.js"

/** Joins `realm1` at `url` as one client (its own WebSocket connection). */
const client = (url: string, serializer: Serializer.SerializerService) =>
  Session.make({ realm: "realm1" }).pipe(
    Effect.provide(Layer.mergeAll(
      NodeWebSocketTransport.layer({ url }),
      Serializer.layerList(serializer),
      Authenticator.layerAnonymous()
    ))
  )

const demo = Effect.gen(function*() {
  const router = yield* Router.make({ realms: ["realm1"] })
  const { port } = yield* router.serve({ host: "127.0.0.1", port: 0 })
  const url = `ws://127.0.0.1:${port}/ws`
  yield* Console.log(`router listening on ${url}`)

  // The callee speaks MessagePack, the caller JSON: the router translates.
  const callee = yield* client(url, Serializer.msgpack)
  const caller = yield* client(url, Serializer.json)
  yield* Console.log(`callee joined as session ${callee.info.id} (msgpack), caller as ${caller.info.id} (json)`)

  yield* callee.register(
    "com.example.add",
    ({ args }) => Effect.succeed({ args: [(args[0] as number) + (args[1] as number)] })
  )
  yield* callee.register("com.example.countdown", (invocation) =>
    Effect.gen(function*() {
      for (let n = invocation.args[0] as number; n > 0; n--) yield* invocation.progress([n])
      return { args: ["liftoff"] }
    }))

  const sum = yield* caller.call("com.example.add", [2, 3])
  yield* Console.log(`call com.example.add(2, 3) -> ${sum.args[0]}`)

  const missing = yield* Effect.flip(caller.call("com.example.nope"))
  if (WampError.isNoSuchProcedure(missing)) yield* Console.log(`call com.example.nope -> ${missing.error}`)

  yield* Stream.runForEach(
    caller.callProgressive("com.example.countdown", [3]),
    (result) =>
      Console.log(
        `progressive com.example.countdown(3) -> ${result.args[0]}${result.details["progress"] ? " ..." : " (final)"}`
      )
  )

  const subscription = yield* callee.subscribe("com.example.tick")
  for (let i = 1; i <= 3; i++) yield* caller.publish("com.example.tick", [i], { at: `tick ${i}` })
  yield* Stream.runForEach(
    Stream.take(subscription.events, 3),
    (event) => Console.log(`event com.example.tick ${JSON.stringify(event.args)} ${JSON.stringify(event.kwargs)}`)
  )

  yield* caller.leave()
  yield* callee.leave()
  yield* Console.log(`both sessions left: ${(yield* caller.closed).reason}`)
})

// No process.exit on success: the process ending by itself shows that nothing was left open.
Effect.runPromise(Effect.scoped(demo).pipe(Effect.timeout("20 seconds"))).catch((error) => {
  console.error(error)
  process.exit(1)
})
