/** The measured effect-wamp client: `Session` over `WebSocketTransport`, driven by Effect programs. */
import { type Chunk, Context, Effect, Exit, Layer, ManagedRuntime, Scope, Stream } from "effect"
import type { WebSocketConstructor } from "../../../src/WebSocketTransport.js"
import { type Driver, type Latencies, type SetupKind, setupProgress } from "./driver.js"
import { Authenticator, Connection, NodeWebSocketTransport, Serializer, Session, SharedScheduler } from "./library.js"
import { burstProcedure, echoProcedure, realm, type SerializerName, topic } from "./protocol.js"

/**
 * Experiment (BENCH_PEERS_COALESCE=1), not the library as shipped: every frame written in one tick
 * leaves in one `writev`, by corking ws's socket at the first send and uncorking on the next tick.
 * Without it each CALL is its own syscall (and wakes the router once per frame).
 */
export const coalescing = process.env.BENCH_PEERS_COALESCE === "1"

/** Experiment (BENCH_PEERS_TAKE_ALL=1): the subscriber reads with `Subscription.takeAll` instead of the stream. */
const eventsByTakeAll = process.env.BENCH_PEERS_TAKE_ALL === "1"

const nodeConstructor = NodeWebSocketTransport.makeWebSocketConstructor()
const coalescingConstructor: WebSocketConstructor = (url, protocols) => {
  const ws = nodeConstructor(url, protocols)
  const send = ws.send.bind(ws)
  let corked = false
  ws.send = (data) => {
    const socket = (ws as unknown as { _socket?: { cork: () => void; uncork: () => void } | null })._socket
    if (!corked && socket) {
      corked = true
      socket.cork()
      process.nextTick(() => {
        corked = false
        socket.uncork()
      })
    }
    send(data)
  }
  return ws
}

/**
 * Over `Session.layer`, or (`routed`) over `Connection.layer`'s routed session with its durable
 * intents; with `shared`, every fiber of the runtime on `SharedScheduler.layer()`, as the README's tip shows.
 */
export const connect = async (
  url: string,
  serializer: SerializerName,
  routed = false,
  shared = false
): Promise<Driver> => {
  const runtime = ManagedRuntime.make(
    (routed ? Layer.map(Connection.layer({ realm }), Context.pick(Session.Session)) : Session.layer({ realm })).pipe(
      Layer.provide(Layer.mergeAll(
        NodeWebSocketTransport.layer(coalescing ? { url, webSocketConstructor: coalescingConstructor } : { url }),
        serializer === "json" ? Serializer.layerJson : Serializer.layerMsgpack,
        Authenticator.layerAnonymous()
      ))
    ).pipe(Layer.merge(shared ? SharedScheduler.layer() : Layer.empty))
  )
  const session = await runtime.runPromise(Session.Session)

  const sequential = (deadline: number, latencies: Latencies) => {
    let ops = 0
    let started = 0
    return runtime.runPromise(
      Effect.whileLoop({
        while: () => performance.now() < deadline,
        body: () => {
          started = performance.now()
          return session.call(echoProcedure, [ops])
        },
        step: () => {
          latencies.record((performance.now() - started) * 1000)
          ops++
        }
      }).pipe(Effect.map(() => ops))
    )
  }

  const inFlight = (deadline: number, width: number) => {
    let ops = 0
    const worker = Effect.whileLoop({
      while: () => performance.now() < deadline,
      body: () => session.call(echoProcedure, [ops]),
      step: () => {
        ops++
      }
    })
    return runtime.runPromise(
      Effect.forEach(Array.from({ length: width }), () => worker, { concurrency: "unbounded", discard: true }).pipe(
        Effect.map(() => ops)
      )
    )
  }

  const events = (deadline: number, burst: number) =>
    runtime.runPromise(Effect.scoped(Effect.gen(function*() {
      const subscription = yield* session.subscribe(topic)
      let received = 0
      let waiter: { readonly target: number; readonly resume: (done: Effect.Effect<void>) => void } | undefined
      const onChunk = (chunk: Chunk.Chunk<unknown>) =>
        Effect.sync(() => {
          received += chunk.length
          if (waiter !== undefined && received >= waiter.target) {
            const { resume } = waiter
            waiter = undefined
            resume(Effect.void)
          }
        })
      yield* Effect.forkScoped(
        eventsByTakeAll
          // A loop without `Effect.forever`, which yields once per turn (about 1 KB per take in `floor`'s setting).
          ? Effect.asVoid(Effect.iterate(false, {
            while: (done) => !done,
            body: () => Effect.flatMap(subscription.takeAll, ([events, done]) => Effect.as(onChunk(events), done))
          }))
          : Stream.runForEachChunk(subscription.events, onChunk)
      )
      const reached = (target: number) =>
        Effect.async<void>((resume) => {
          if (received >= target) resume(Effect.void)
          else waiter = { target, resume }
        })
      let expected = 0
      yield* Effect.whileLoop({
        while: () => performance.now() < deadline,
        body: () => {
          expected += burst
          return Effect.zipRight(session.call(burstProcedure, [burst]), reached(expected))
        },
        step: () => {}
      })
      return received
    })))

  const setup = async (kind: SetupKind, count: number) => {
    const scope = await runtime.runPromise(Scope.make())
    const counted = () => {
      setupProgress.made++
    }
    const makeOne = (i: number): Effect.Effect<unknown, unknown, Scope.Scope> => {
      const made: Effect.Effect<unknown, unknown, Scope.Scope> = kind === "subscribe"
        ? session.subscribe(`${topic}.setup.${i}`)
        : session.register(`${echoProcedure}.setup.${i}`, (invocation) => Effect.succeed({ args: invocation.args }))
      return Effect.tap(made, counted)
    }
    await runtime.runPromise(
      Effect.forEach(Array.from({ length: count }, (_, i) => i), makeOne, { concurrency: 1000, discard: true }).pipe(
        Scope.extend(scope)
      )
    )
    return () => runtime.runPromise(Scope.close(scope, Exit.void))
  }

  return { sequential, inFlight, events, setup, close: () => runtime.dispose() }
}
