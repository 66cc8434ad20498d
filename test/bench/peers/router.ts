/**
 * Child process of the `peers` benchmark: the test-kit router served on loopback WebSocket, plus the
 * fixed far side of every measured client (callee of `bench.echo` / `bench.burst`, publisher of
 * `bench.topic`), attached in memory.
 *
 * The far side is a synchronous peer working on raw message lists (no session, no fiber per
 * invocation): it is identical for every measured client and costs the router process as little as
 * possible, so the router process's ceiling stays as high as it can be.
 *
 * Prints `READY <port>` when the callee is registered. Answers the IPC message `"cpu"` with its own
 * `process.cpuUsage()` and a monotonic clock, so the parent can tell how busy the router was.
 * Exits on SIGTERM / SIGINT or when the parent goes away.
 */
import { Cause, Deferred, Effect, Either, Exit, Fiber } from "effect"
import * as Inbox from "../../../src/internal/transport/inbox.js"
import * as Serializer from "../../../src/Serializer.js"
import * as Router from "../../../src/testing/Router.js"
import type { Link } from "../../../src/Transport.js"
import { burstProcedure, type CpuMessage, echoProcedure, realm, topic } from "./protocol.js"

/** The far side's link as the router sees it: `send` is the router writing to the peer. */
const farSideLink = (serializer: Serializer.SerializerService, onReady: () => void): Link => {
  const inbox = Inbox.unsafeMake()
  let nextRequest = 0
  const procedures = new Map<number, string>()
  const registrations = new Map<number, string>()
  const emit = (message: ReadonlyArray<unknown>) => {
    const frame = serializer.encode(message)
    if (Either.isRight(frame)) inbox.offer(frame.right)
  }
  const register = (procedure: string) => {
    const request = ++nextRequest
    procedures.set(request, procedure)
    emit([64, request, {}, procedure])
  }
  const handle = (frame: Serializer.Frame) => {
    const decoded = serializer.decode(frame)
    if (Either.isLeft(decoded)) return
    const m = decoded.right as Array<any>
    switch (m[0]) {
      case 2:
        register(echoProcedure)
        return register(burstProcedure)
      case 65: {
        registrations.set(m[2], procedures.get(m[1]) ?? "")
        if (registrations.size === 2) onReady()
        return
      }
      case 68: {
        const [, request, registration, , args] = m
        if (registrations.get(registration) === burstProcedure) {
          const count = (args?.[0] as number | undefined) ?? 0
          for (let i = 0; i < count; i++) emit([16, ++nextRequest, {}, topic, [i]])
          return emit([70, request, {}, [count]])
        }
        return emit(args === undefined ? [70, request, {}] : [70, request, {}, args])
      }
      case 6:
        emit([6, {}, "wamp.close.goodbye_and_out"])
        return inbox.end({ code: 1000, reason: "", clean: true })
      case 3:
        return inbox.end({ code: 1000, reason: "", clean: true })
    }
  }
  emit([1, realm, { roles: { callee: { features: {} }, publisher: { features: {} } } }])
  return {
    serializer,
    send: (frame) => {
      handle(frame)
      return Exit.void
    },
    inbound: inbox.stream,
    receive: inbox.pull,
    closed: inbox.closed,
    close: () => Effect.zipRight(Effect.sync(() => inbox.end({ code: 1000, reason: "", clean: true })), inbox.closed)
  }
}

const program = Effect.gen(function*() {
  const router = yield* Router.make({ realms: [realm], goodbyeTimeout: 200 })
  const bound = yield* router.serve({
    host: "127.0.0.1",
    port: 0,
    serializers: [Serializer.json, Serializer.msgpack]
  })
  const ready = yield* Deferred.make<void>()
  yield* router.attach(farSideLink(Serializer.msgpack, () => Deferred.unsafeDone(ready, Effect.void)))
  yield* Deferred.await(ready)
  console.log(`READY ${bound.port}`)
  return yield* Effect.never
})

const fiber = Effect.runFork(Effect.scoped(program))
fiber.addObserver((exit) => {
  if (Exit.isFailure(exit) && !Cause.isInterruptedOnly(exit.cause)) {
    console.error("router failed:", exit.cause.toString())
    process.exit(1)
  }
})

process.on("message", (message) => {
  if (message === "cpu") process.send?.({ cpu: process.cpuUsage(), at: performance.now() } satisfies CpuMessage)
})

let stopping = false
const stop = () => {
  if (stopping) return
  stopping = true
  // The router is disposable: give its shutdown a moment, never more.
  setTimeout(() => process.exit(0), 1000).unref()
  Effect.runPromise(Fiber.interrupt(fiber)).then(() => process.exit(0), () => process.exit(1))
}
process.on("SIGTERM", stop)
process.on("SIGINT", stop)
process.on("disconnect", stop)
