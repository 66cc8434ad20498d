/**
 * Bare client links over real sockets for serve tests: a `ws` WebSocket and a `node:net` RawSocket,
 * written directly (not through the library's transports) so the router is tested on its own.
 */
import { Effect, Exit, type Scope } from "effect"
import * as Net from "node:net"
import { WebSocket } from "ws"
import { TransportError } from "../../../src/Errors.js"
import * as Inbox from "../../../src/internal/transport/inbox.js"
import * as Framing from "../../../src/internal/transport/rawSocketFraming.js"
import type { Frame, SerializerService } from "../../../src/Serializer.js"
import type { Link } from "../../../src/Transport.js"

const closed = new TransportError({ reason: "Closed", message: "closed" })

export const webSocket = (
  url: string,
  serializer: SerializerService
): Effect.Effect<Link & { readonly protocol: string }, TransportError, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.async<Link & { readonly protocol: string }, TransportError>((resume) => {
      const inbox = Effect.runSync(Inbox.make)
      const socket = new WebSocket(url, [serializer.subprotocol])
      socket.binaryType = "nodebuffer"
      socket.on("message", (data: Buffer, isBinary) => inbox.offer(isBinary ? new Uint8Array(data) : data.toString()))
      socket.on("close", (code, reason) => inbox.end({ code, reason: reason.toString(), clean: code === 1000 }))
      socket.on("error", (cause) =>
        resume(Effect.fail(new TransportError({ reason: "Open", message: cause.message, cause }))))
      socket.on("open", () =>
        resume(Effect.succeed({
          protocol: socket.protocol,
          serializer,
          send: (frame: Frame) => {
            if (socket.readyState !== WebSocket.OPEN) {
              return Exit.fail(closed)
            }
            socket.send(frame)
            return Exit.void
          },
          inbound: inbox.stream,
          closed: inbox.closed,
          close: (code = 1000, reason = "") =>
            Effect.zipRight(
              Effect.sync(() =>
                socket.close(code, reason)
              ),
              Effect.asVoid(inbox.closed)
            )
        })))
    }),
    (link) => link.close()
  )

export const rawSocket = (
  port: number,
  serializer: SerializerService
): Effect.Effect<Link, TransportError, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.async<Link, TransportError>((resume) => {
      const inbox = Effect.runSync(Inbox.make)
      const parser = Framing.makeFrameParser(Framing.MAX_FRAME_LENGTH)
      const socket = Net.connect(port, "127.0.0.1")
      let handshaken = false
      let pending = new Uint8Array(0)
      const link: Link = {
        serializer,
        send: (frame: Frame) => {
          const bytes = typeof frame === "string" ? new TextEncoder().encode(frame) : frame
          socket.write(Framing.encodeFrame(Framing.FrameType.Message, bytes))
          return Exit.void
        },
        inbound: inbox.stream,
        closed: inbox.closed,
        close: () => Effect.zipRight(Effect.sync(() => socket.end()), Effect.asVoid(inbox.closed))
      }
      socket.on("connect", () => socket.write(Framing.encodeHandshake(serializer.rawSocketId, 15)))
      socket.on("data", (chunk: Buffer) => {
        let bytes: Uint8Array = new Uint8Array(chunk)
        if (!handshaken) {
          const joined = new Uint8Array(pending.length + bytes.length)
          joined.set(pending)
          joined.set(bytes, pending.length)
          if (joined.length < 4) {
            pending = joined
            return
          }
          const reply = Framing.decodeHandshakeReply(joined, serializer.rawSocketId)
          if (reply._tag !== "Accepted") {
            socket.destroy()
            return resume(Effect.fail(new TransportError({ reason: "Handshake", message: reply.message })))
          }
          handshaken = true
          resume(Effect.succeed(link))
          bytes = joined.subarray(4)
        }
        parser.push(bytes, (type, payload) => {
          if (type === Framing.FrameType.Message) {
            inbox.offer(serializer.binary ? payload.slice() : new TextDecoder().decode(payload))
          }
        })
      })
      socket.on("close", (hadError) => inbox.end({ code: hadError ? 1006 : 1000, reason: "", clean: !hadError }))
      socket.on("error", (cause) => {
        if (!handshaken) resume(Effect.fail(new TransportError({ reason: "Open", message: cause.message, cause })))
      })
    }),
    (link) => link.close()
  )
