/**
 * A WebSocket relay between a client and a router that records what the client sends, to check
 * wire-level facts (request ids) that the Promise API does not show.
 */
import { WebSocket, WebSocketServer } from "ws"

export interface WireTap {
  readonly url: string
  /** Decoded JSON messages the client sent, in order. */
  readonly sent: Array<ReadonlyArray<unknown>>
  readonly close: () => Promise<void>
}

export const wireTap = async (routerUrl: string): Promise<WireTap> => {
  const sent: Array<ReadonlyArray<unknown>> = []
  const server = new WebSocketServer({
    host: "127.0.0.1",
    port: 0,
    handleProtocols: (protocols) => protocols.has("wamp.2.json") ? "wamp.2.json" : false
  })
  server.on("connection", (client) => {
    const upstream = new WebSocket(routerUrl, "wamp.2.json")
    const queued: Array<string> = []
    upstream.on("open", () => queued.splice(0).forEach((frame) => upstream.send(frame)))
    client.on("message", (data) => {
      const frame = data.toString()
      sent.push(JSON.parse(frame) as ReadonlyArray<unknown>)
      if (upstream.readyState === WebSocket.OPEN) upstream.send(frame)
      else queued.push(frame)
    })
    upstream.on("message", (data) => client.send(data.toString()))
    client.on("close", () => upstream.close())
    upstream.on("close", () => client.close())
  })
  await new Promise<void>((resolve) => server.once("listening", () => resolve()))
  const { port } = server.address() as { port: number }
  return {
    url: `ws://127.0.0.1:${port}/ws`,
    sent,
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of server.clients) client.terminate()
        server.close(() => resolve())
      })
  }
}
