/**
 * Child process of the `peers` benchmark when it runs against a third-party router (`--router URL`):
 * the fixed far side of every measured client (callee of `bench.echo` / `bench.burst`, publisher of
 * `bench.topic`), a raw WAMP peer on `ws` with hand-built msgpack frames, so that it is the same
 * cheap peer for every client and nothing of the library under test runs in it.
 *
 * Usage: farSide.ts <ws url> <realm>. Prints `READY` once both procedures are registered; answers the
 * IPC message `"cpu"` with its own CPU use; exits on SIGTERM or when the parent goes away.
 */
import { pack, unpack } from "msgpackr"
import WebSocket from "ws"
import { burstProcedure, type CpuMessage, echoProcedure, topic } from "./protocol.js"

const [url, realm] = process.argv.slice(2)
if (url === undefined || realm === undefined) throw new Error("usage: farSide.ts <ws url> <realm>")

const socket = new WebSocket(url, ["wamp.2.msgpack"])
let nextRequest = 0
const procedures = new Map<number, string>()
const registrations = new Map<number, string>()
const send = (message: Array<unknown>) => socket.send(pack(message))

socket.on("message", (data: Buffer) => {
  const m = unpack(data) as Array<any>
  switch (m[0]) {
    case 2:
      for (const procedure of [echoProcedure, burstProcedure]) {
        const request = ++nextRequest
        procedures.set(request, procedure)
        send([64, request, {}, procedure])
      }
      return
    case 65:
      registrations.set(m[2], procedures.get(m[1]) ?? "")
      if (registrations.size === 2) console.log("READY")
      return
    case 68: {
      const [, request, registration, , args] = m
      if (registrations.get(registration) === burstProcedure) {
        const count = (args?.[0] as number | undefined) ?? 0
        // Corked: the burst leaves in one write, as the test-kit far side hands it over at once.
        const raw = (socket as unknown as { _socket: { cork(): void; uncork(): void } })._socket
        raw.cork()
        for (let i = 0; i < count; i++) send([16, ++nextRequest, {}, topic, [i]])
        send([70, request, {}, [count]])
        raw.uncork()
        return
      }
      return send(args === undefined ? [70, request, {}] : [70, request, {}, args])
    }
    case 3:
    case 6:
      process.exit(1)
  }
})
socket.once("open", () => send([1, realm, { roles: { callee: { features: {} }, publisher: { features: {} } } }]))
socket.once("error", (error) => {
  console.error("far side:", error.message)
  process.exit(1)
})
socket.once("close", () => process.exit(0))

process.on("message", (message) => {
  if (message === "cpu") process.send?.({ cpu: process.cpuUsage(), at: performance.now() } satisfies CpuMessage)
})
const stop = () => {
  send([6, {}, "wamp.close.system_shutdown"])
  setTimeout(() => process.exit(0), 300).unref()
}
process.on("SIGTERM", stop)
process.on("SIGINT", stop)
process.on("disconnect", stop)
