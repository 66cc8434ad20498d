/**
 * The measured Autobahn|JS client (npm `autobahn` 26). It looks for a global `WebSocket` (Node 22
 * has one); on Node 20 we give it `ws`, as its own docs suggest for older Node.
 */
import { createRequire } from "node:module"
import WebSocket from "ws"
import { type Driver, inFlightSetup, type Latencies, type SetupKind } from "./driver.js"
import { burstProcedure, echoProcedure, realm, type SerializerName, topic } from "./protocol.js"

/** The slice of Autobahn|JS used here (the package ships no types). */
interface AutobahnSession {
  call(procedure: string, args?: Array<unknown>): Promise<unknown>
  subscribe(topic: string, handler: (args: Array<unknown>) => void): Promise<unknown>
  unsubscribe(subscription: unknown): Promise<unknown>
  register(procedure: string, endpoint: (args: Array<unknown>) => unknown): Promise<unknown>
  unregister(registration: unknown): Promise<unknown>
}
interface AutobahnConnection {
  onopen: (session: AutobahnSession) => void
  onclose: (reason: string, details: unknown) => boolean
  open(): void
  close(): void
}
export interface AutobahnModule {
  Connection: new(options: Record<string, unknown>) => AutobahnConnection
  serializer: { JSONSerializer: new() => unknown; MsgpackSerializer: new() => unknown }
}

export const connect = (url: string, serializer: SerializerName): Promise<Driver> => {
  ;(globalThis as any).WebSocket ??= WebSocket
  return connectWith(createRequire(import.meta.url)("autobahn") as AutobahnModule, url, serializer)
}

/** The same driver over any module with Autobahn|JS's API (Autobahn|JS itself, or our facade). */
export const connectWith = async (
  autobahn: AutobahnModule,
  url: string,
  serializer: SerializerName
): Promise<Driver> => {
  const connection = new autobahn.Connection({
    url,
    realm,
    serializers: [
      serializer === "json" ? new autobahn.serializer.JSONSerializer() : new autobahn.serializer.MsgpackSerializer()
    ],
    max_retries: 0,
    retry_if_unreachable: false
  })
  const session = await new Promise<AutobahnSession>((resolve, reject) => {
    connection.onopen = resolve
    connection.onclose = (reason, details) => {
      reject(new Error(`autobahn closed: ${reason} ${JSON.stringify(details)}`))
      return true
    }
    connection.open()
  })

  const sequential = async (deadline: number, latencies: Latencies) => {
    let ops = 0
    while (performance.now() < deadline) {
      const started = performance.now()
      await session.call(echoProcedure, [ops])
      latencies.record((performance.now() - started) * 1000)
      ops++
    }
    return ops
  }

  const inFlight = async (deadline: number, width: number) => {
    let ops = 0
    const worker = async () => {
      while (performance.now() < deadline) {
        await session.call(echoProcedure, [ops])
        ops++
      }
    }
    await Promise.all(Array.from({ length: width }, worker))
    return ops
  }

  const events = async (deadline: number, burst: number) => {
    let received = 0
    let waiter: { target: number; resolve: () => void } | undefined
    const subscription = await session.subscribe(topic, () => {
      received++
      if (waiter !== undefined && received >= waiter.target) {
        const { resolve } = waiter
        waiter = undefined
        resolve()
      }
    })
    let expected = 0
    while (performance.now() < deadline) {
      expected += burst
      await session.call(burstProcedure, [burst])
      const target = expected
      if (received < target) await new Promise<void>((resolve) => waiter = { target, resolve })
    }
    await session.unsubscribe(subscription)
    return received
  }

  const setup = async (kind: SetupKind, count: number) => {
    const made = await inFlightSetup(count, 1000, (i) =>
      kind === "subscribe"
        ? session.subscribe(`${topic}.setup.${i}`, () => {})
        : session.register(`${echoProcedure}.setup.${i}`, (args) => args))
    return async () => {
      await inFlightSetup(
        count,
        1000,
        (i) => kind === "subscribe" ? session.unsubscribe(made[i]) : session.unregister(made[i])
      )
    }
  }

  return {
    sequential,
    inFlight,
    events,
    setup,
    close: async () => {
      connection.onclose = () => true
      connection.close()
    }
  }
}
