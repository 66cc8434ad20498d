/**
 * A trivially cheap client for the router's ceiling: `ws` with hand-built frames, counting replies
 * without decoding them (after the handshake). What it reaches is the router process's limit.
 */
import { pack, unpack } from "msgpackr"
import WebSocket from "ws"
import type { Driver, Latencies } from "./driver.js"
import { burstProcedure, echoProcedure, realm, type SerializerName, topic } from "./protocol.js"

export const connect = async (url: string, serializer: SerializerName): Promise<Driver> => {
  const socket = new WebSocket(url, [`wamp.2.${serializer}`])
  const encode = serializer === "json" ? (m: Array<unknown>) => JSON.stringify(m) : (m: Array<unknown>) => pack(m)
  const decode = (data: WebSocket.RawData): Array<any> =>
    serializer === "json" ? JSON.parse(data.toString()) : unpack(data as Buffer)
  let onFrame: (data: WebSocket.RawData) => void = () => {}
  socket.on("message", (data) => onFrame(data))
  await new Promise<void>((resolve, reject) => {
    socket.once("open", () => resolve())
    socket.once("error", reject)
  })
  /** Sends `message` and resolves with the next frame, decoded. */
  const exchange = (message: Array<unknown>) =>
    new Promise<Array<any>>((resolve) => {
      onFrame = (data) => resolve(decode(data))
      socket.send(encode(message))
    })
  const welcome = await exchange([1, realm, { roles: { caller: { features: {} }, subscriber: { features: {} } } }])
  if (welcome[0] !== 2) throw new Error(`raw client: expected WELCOME, got ${JSON.stringify(welcome)}`)
  let request = 0
  // The message type without decoding: JSON text starts `[36,`; msgpack is a fixarray, then 36.
  const isEvent = (data: WebSocket.RawData): boolean => {
    const bytes = data as Buffer
    return serializer === "json" ? bytes[1] === 0x33 && bytes[2] === 0x36 && bytes[3] === 0x2c : bytes[1] === 36
  }
  const callFrame = () => {
    const id = ++request
    return encode([48, id, {}, echoProcedure, [id]])
  }

  const sequential = (deadline: number, latencies: Latencies) =>
    new Promise<number>((resolve) => {
      let ops = 0
      let started = performance.now()
      onFrame = () => {
        const now = performance.now()
        latencies.record((now - started) * 1000)
        ops++
        if (now >= deadline) return resolve(ops)
        started = now
        socket.send(callFrame())
      }
      socket.send(callFrame())
    })

  const inFlight = (deadline: number, width: number) =>
    new Promise<number>((resolve) => {
      let ops = 0
      let outstanding = width
      onFrame = () => {
        ops++
        if (performance.now() < deadline) socket.send(callFrame())
        else if (--outstanding === 0) resolve(ops)
      }
      for (let i = 0; i < width; i++) socket.send(callFrame())
    })

  const events = async (deadline: number, burst: number) => {
    const subscribed = await exchange([32, ++request, {}, topic])
    if (subscribed[0] !== 33) throw new Error(`raw client: expected SUBSCRIBED, got ${JSON.stringify(subscribed)}`)
    let received = 0
    await new Promise<void>((resolve) => {
      // Each burst is `burst` EVENTs and the RESULT; a third-party router may deliver the RESULT
      // before the last EVENTs (broker and dealer are not ordered together), so both are awaited.
      let target = 0
      let resulted = false
      const next = () => {
        if (performance.now() >= deadline) return resolve()
        target += burst
        resulted = false
        socket.send(encode([48, ++request, {}, burstProcedure, [burst]]))
      }
      onFrame = (data) => {
        if (isEvent(data)) received++
        else resulted = true
        if (resulted && received >= target) next()
      }
      next()
    })
    await exchange([34, ++request, subscribed[2]])
    return received
  }

  const close = async () => {
    await exchange([6, {}, "wamp.close.close_realm"])
    socket.close(1000)
  }

  return { sequential, inFlight, events, close }
}
