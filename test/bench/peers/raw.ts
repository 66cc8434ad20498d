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
      // Each burst is `burst` EVENTs then the RESULT, in that order on this connection.
      let frames = 0
      const next = () => {
        if (performance.now() >= deadline) return resolve()
        frames = 0
        socket.send(encode([48, ++request, {}, burstProcedure, [burst]]))
      }
      onFrame = () => {
        if (++frames <= burst) received++
        else next()
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
