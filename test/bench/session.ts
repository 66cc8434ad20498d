/**
 * The client's own cost, in process, over the in-memory link against a minimal echo peer.
 * The peer's time (decode + reply) is measured separately and subtracted, so the figures are the
 * client side: session, dispatcher, Message codec and serializer for both directions.
 */
import { Effect, Either, Exit, Layer, Stream } from "effect"
import * as Authenticator from "../../src/Authenticator.js"
import * as Inbox from "../../src/internal/transport/inbox.js"
import * as Serializer from "../../src/Serializer.js"
import * as Session from "../../src/Session.js"
import * as Transport from "../../src/Transport.js"

const roles = {
  dealer: { features: { progressive_call_results: true, call_canceling: true } },
  broker: { features: {} }
}

interface PeerClock {
  peerNanos: bigint
}

/**
 * A peer that answers synchronously inside the client's `send`, from the raw lists (no Message
 * codec, no fiber), and times itself so that its share can be subtracted.
 */
const echoLink = (serializer: Serializer.SerializerService, clock: PeerClock): Transport.Link => {
  const inbox = Inbox.unsafeMake()
  let nextId = 0
  const emit = (message: ReadonlyArray<unknown>) => {
    const frame = serializer.encode(message)
    if (Either.isRight(frame)) inbox.offer(frame.right)
  }
  const handle = (frame: Serializer.Frame) => {
    const decoded = serializer.decode(frame)
    if (Either.isLeft(decoded)) return
    const m = decoded.right as Array<any>
    switch (m[0]) {
      case 1:
        return emit([2, 1, { roles, authrole: "anonymous" }])
      case 6:
        emit([6, {}, "wamp.close.goodbye_and_out"])
        return inbox.end({ code: 1000, reason: "", clean: true })
      case 48: {
        const [, request, , procedure, args] = m
        if (procedure === "bench.progress") {
          const n = args[0] as number
          for (let i = 0; i < n; i++) emit([50, request, { progress: true }, [i]])
          return emit([50, request, {}, [n]])
        }
        if (procedure === "bench.events") {
          const [subscription, n] = args as [number, number]
          for (let i = 0; i < n; i++) emit([36, subscription, i + 1, {}, [i], { at: i }])
          return emit([50, request, {}])
        }
        return emit(args === undefined ? [50, request, {}] : [50, request, {}, args])
      }
      case 64:
        return emit([65, m[1], ++nextId])
      case 32:
        return emit([33, m[1], ++nextId])
      case 66:
        return emit([67, m[1]])
      case 34:
        return emit([35, m[1]])
    }
  }
  return {
    serializer,
    send: (frame) => {
      const start = process.hrtime.bigint()
      handle(frame)
      clock.peerNanos += process.hrtime.bigint() - start
      return Exit.void
    },
    inbound: inbox.stream,
    receive: inbox.pull,
    closed: inbox.closed,
    close: () => Effect.zipRight(Effect.sync(() => inbox.end({ code: 1000, reason: "", clean: true })), inbox.closed)
  }
}

const sessionLayer = (serializer: Serializer.SerializerService, clock: PeerClock) => {
  const transport = Transport.make(() => Effect.sync(() => echoLink(serializer, clock)))
  return Session.layer({ realm: "bench" }).pipe(
    Layer.provide(Layer.mergeAll(
      Layer.succeed(Transport.Transport, transport),
      Layer.succeed(Serializer.Serializers, [serializer]),
      Authenticator.layerAnonymous()
    ))
  )
}

/** CPU µs per operation, minus the peer's share. */
const measure = async (
  clock: PeerClock,
  operations: number,
  run: () => Promise<void>
): Promise<{ cpuMicros: number; wallMicros: number }> => {
  clock.peerNanos = 0n
  const cpu = process.cpuUsage()
  const wall = process.hrtime.bigint()
  await run()
  const wallNanos = process.hrtime.bigint() - wall
  const used = process.cpuUsage(cpu)
  const peerMicros = Number(clock.peerNanos) / 1000
  return {
    cpuMicros: (used.user + used.system - peerMicros) / operations,
    wallMicros: (Number(wallNanos) / 1000 - peerMicros) / operations
  }
}

const fmt = (n: number) => n.toFixed(2).padStart(8)

const heapMB = () => {
  ;(globalThis as any).gc?.()
  return process.memoryUsage().heapUsed / 1024 / 1024
}

export const run = async (): Promise<void> => {
  if ((globalThis as any).gc === undefined) console.log("(run with --expose-gc for heap figures)")
  for (
    const serializer of [Serializer.json, Serializer.msgpack, Serializer.cbor]
  ) {
    const clock: PeerClock = { peerNanos: 0n }
    const program = Effect.gen(function*() {
      const session = yield* Session.Session
      const runP = <A, E>(effect: Effect.Effect<A, E>) => Effect.runPromise(effect)
      // Warm-up.
      yield* Effect.forEach(Array.from({ length: 2000 }, (_, i) => i), (i) => session.call("bench.echo", [i]), {
        discard: true
      })
      const sequential = 20_000
      const seq = yield* Effect.promise(() =>
        measure(clock, sequential, () =>
          runP(Effect.forEach(
            Array.from({ length: sequential }, (_, i) => i),
            (i) => session.call("bench.echo", [i, "x"]),
            { discard: true }
          )))
      )
      const inFlight = 1000
      const rounds = 20
      const conc = yield* Effect.promise(() =>
        measure(clock, inFlight * rounds, () =>
          runP(Effect.forEach(
            Array.from({ length: rounds }, (_, i) => i),
            () =>
              Effect.forEach(
                Array.from({ length: inFlight }, (_, i) => i),
                (i) => session.call("bench.echo", [i]),
                { concurrency: "unbounded", discard: true }
              ),
            { discard: true }
          )))
      )
      // Effect's own floor for the same shape: 1,000 fibers, each resumed once from outside.
      const floor = yield* Effect.promise(() =>
        measure(clock, inFlight * rounds, () =>
          runP(Effect.forEach(
            Array.from({ length: rounds }, (_, i) => i),
            () =>
              Effect.forEach(
                Array.from({ length: inFlight }, (_, i) => i),
                () => Effect.async<void>((resume) => queueMicrotask(() => resume(Effect.void))),
                { concurrency: "unbounded", discard: true }
              ),
            { discard: true }
          )))
      )
      const chunks = 20_000
      const prog = yield* Effect.promise(() =>
        measure(clock, chunks, () => runP(Stream.runDrain(session.callProgressive("bench.progress", [chunks]))))
      )
      const events = 50_000
      const ev = yield* Effect.scoped(Effect.gen(function*() {
        const subscription = yield* session.subscribe("bench.topic", {
          buffer: { capacity: 1024, overflow: "suspend" }
        })
        return yield* Effect.promise(() =>
          measure(clock, events, () =>
            runP(Effect.asVoid(Effect.zip(
              Stream.runDrain(Stream.take(subscription.events, events)),
              session.call("bench.events", [subscription.id, events]),
              { concurrent: true }
            ))))
        )
      }))
      const count = 10_000
      const before = heapMB()
      const heap = yield* Effect.scoped(Effect.gen(function*() {
        yield* Effect.forEach(
          Array.from({ length: count }, (_, i) => i),
          (i) => session.register(`bench.proc.${i}`, () => Effect.void),
          { discard: true, concurrency: 100 }
        )
        const afterRegistrations = heapMB()
        yield* Effect.forEach(
          Array.from({ length: count }, (_, i) => i),
          (i) => session.subscribe(`bench.topic.${i}`),
          { discard: true, concurrency: 100 }
        )
        return { registrations: afterRegistrations - before, subscriptions: heapMB() - afterRegistrations }
      }))
      console.log(
        `${serializer.name.padEnd(8)} call (sequential)      ${fmt(seq.cpuMicros)} µs CPU  ${
          fmt(seq.wallMicros)
        } µs wall per call   (target ≤ 15)`
      )
      console.log(
        `${serializer.name.padEnd(8)} call (1000 in flight)  ${fmt(conc.cpuMicros)} µs CPU  ${
          fmt(conc.wallMicros)
        } µs wall per call`
      )
      console.log(
        `${serializer.name.padEnd(8)}   (Effect's floor: 1000 trivial fibers each resumed once ${
          fmt(floor.cpuMicros)
        } µs CPU per fiber)`
      )
      console.log(
        `${serializer.name.padEnd(8)} progressive chunk      ${fmt(prog.cpuMicros)} µs CPU  ${
          fmt(prog.wallMicros)
        } µs wall per chunk`
      )
      console.log(
        `${serializer.name.padEnd(8)} event delivered        ${fmt(ev.cpuMicros)} µs CPU  ${
          fmt(ev.wallMicros)
        } µs wall per event  (target ≤ 5)`
      )
      if ((globalThis as any).gc !== undefined) {
        console.log(
          `${serializer.name.padEnd(8)} heap per 10,000 registrations ${
            heap.registrations.toFixed(1)
          } MB, per 10,000 subscriptions ${heap.subscriptions.toFixed(1)} MB (target < 20 MB)`
        )
      }
    })
    await Effect.runPromise(Effect.scoped(Effect.provide(program, sessionLayer(serializer, clock))))
  }
}
