/** The measured wampy client (npm `wampy` 8), on `ws` as its docs show for Node. */
import { Wampy } from "wampy"
import { JsonSerializer } from "wampy/JsonSerializer.js"
import { MsgpackSerializer } from "wampy/MsgpackSerializer.js"
import WebSocket from "ws"
import { type Driver, inFlightSetup, type Latencies, type SetupKind } from "./driver.js"
import { burstProcedure, echoProcedure, realm, type SerializerName, topic } from "./protocol.js"

export const connect = async (url: string, serializer: SerializerName): Promise<Driver> => {
  const wampy = new Wampy(url, {
    realm,
    ws: WebSocket as any,
    autoReconnect: false,
    serializer: serializer === "json" ? new JsonSerializer() : new MsgpackSerializer()
  })
  await wampy.connect()

  const sequential = async (deadline: number, latencies: Latencies) => {
    let ops = 0
    while (performance.now() < deadline) {
      const started = performance.now()
      await wampy.call(echoProcedure, [ops])
      latencies.record((performance.now() - started) * 1000)
      ops++
    }
    return ops
  }

  const inFlight = async (deadline: number, width: number) => {
    let ops = 0
    const worker = async () => {
      while (performance.now() < deadline) {
        await wampy.call(echoProcedure, [ops])
        ops++
      }
    }
    await Promise.all(Array.from({ length: width }, worker))
    return ops
  }

  // One subscription for the driver's life: wampy 8 cannot unsubscribe a subscription made with
  // options (its UNSUBSCRIBED handler rebuilds the lookup key without them and throws). Options are
  // explicit because wampy otherwise sends `get_retained: undefined` (msgpack keeps it as an
  // explicit undefined, which Message.decode refused as a protocol violation before e35b508).
  let received = 0
  let waiter: { target: number; resolve: () => void } | undefined
  let subscribed: Promise<unknown> | undefined
  const onEvent = () => {
    received++
    if (waiter !== undefined && received >= waiter.target) {
      const { resolve } = waiter
      waiter = undefined
      resolve()
    }
  }

  const events = async (deadline: number, burst: number) => {
    await (subscribed ??= wampy.subscribe(topic, onEvent, { match: "exact", get_retained: false }))
    const before = received
    let expected = received
    while (performance.now() < deadline) {
      expected += burst
      await wampy.call(burstProcedure, [burst])
      const target = expected
      if (received < target) await new Promise<void>((resolve) => waiter = { target, resolve })
    }
    return received - before
  }

  const setup = async (kind: SetupKind, count: number) => {
    const names = await inFlightSetup(count, 1000, async (i) => {
      const name = kind === "subscribe" ? `${topic}.setup.${i}` : `${echoProcedure}.setup.${i}`
      if (kind === "subscribe") await wampy.subscribe(name, () => {}, { match: "exact", get_retained: false })
      else await wampy.register(name, (() => ({})) as never)
      return name
    })
    return async () => {
      // wampy cannot unsubscribe subscriptions made with options (see below): they stay until disconnect.
      if (kind === "register") await inFlightSetup(count, 1000, (i) => wampy.unregister(names[i]!))
    }
  }

  return { sequential, inFlight, events, setup, close: async () => void (await wampy.disconnect()) }
}
