/**
 * The router side of RawSocket on `node:net`: handshake (serializer choice, length limits), frames
 * to and from a `Link`, PING answered with PONG. The wire format comes from
 * `internal/transport/rawSocketFraming.ts`, shared with the client transport.
 */
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import type * as Scope from "effect/Scope"
import * as Net from "node:net"
import { TransportError } from "../../Errors.js"
import * as Inbox from "../../internal/transport/inbox.js"
import * as Framing from "../../internal/transport/rawSocketFraming.js"
import type * as Message from "../../Message.js"
import type { Frame, SerializerService } from "../../Serializer.js"
import type { Link } from "../../Transport.js"
import type { Timeouts } from "./serve.js"

/** What we accept: the largest the handshake can express (16 MiB). */
const OUR_EXPONENT = 15
const CLOSE_GRACE_MS = 2000

const utf8 = new TextEncoder()
const strictUtf8 = new TextDecoder("utf-8", { fatal: true })

export const listen = (
  host: string,
  port: number,
  serializers: ReadonlyArray<SerializerService>,
  accept: (link: Link, transport: Message.Dict) => void,
  timeouts: Timeouts
): Effect.Effect<number, TransportError, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.async<{ server: Net.Server; sockets: Set<Net.Socket> }, TransportError>((resume) => {
      const sockets = new Set<Net.Socket>()
      const server = Net.createServer((socket) => {
        sockets.add(socket)
        socket.once("close", () => sockets.delete(socket))
        handshake(socket, serializers, accept, timeouts)
      })
      let listening = false
      server.on("error", (cause) => {
        if (!listening) {
          resume(Effect.fail(new TransportError({ reason: "Open", message: `cannot listen: ${cause.message}`, cause })))
        }
      })
      server.listen(port, host, () => {
        listening = true
        resume(Effect.succeed({ server, sockets }))
      })
    }),
    ({ server, sockets }) =>
      Effect.async<void>((resume) => {
        for (const socket of sockets) {
          socket.destroy()
        }
        server.close(() => resume(Effect.void))
      })
  ).pipe(Effect.map(({ server }) => {
    const address = server.address()
    return typeof address === "object" && address !== null ? address.port : port
  }))

/** Reads the 4 handshake octets, answers, then turns the socket into a Link. */
const handshake = (
  socket: Net.Socket,
  serializers: ReadonlyArray<SerializerService>,
  accept: (link: Link, transport: Message.Dict) => void,
  timeouts: Timeouts
): void => {
  socket.setNoDelay(true)
  socket.on("error", () => {}) // "close" follows every error
  // The handshake gets helloTimeout from the accept; the core's own join deadline follows it.
  const deadline = setTimeout(() => socket.destroy(), timeouts.helloTimeout)
  deadline.unref?.()
  socket.once("close", () => clearTimeout(deadline))
  let received = new Uint8Array(0)
  const onData = (chunk: Buffer) => {
    const joined = new Uint8Array(received.length + chunk.length)
    joined.set(received)
    joined.set(chunk, received.length)
    received = joined
    if (received.length < Framing.HEADER_SIZE) return
    socket.off("data", onData)
    clearTimeout(deadline)
    const request = Framing.decodeHandshakeRequest(received)
    if (request._tag === "Invalid") {
      if (request.replyCode !== undefined) socket.end(Framing.encodeHandshakeError(request.replyCode))
      else socket.destroy()
      return
    }
    const serializer = serializers.find((candidate) => candidate.rawSocketId === request.serializerId)
    if (serializer === undefined) {
      socket.end(Framing.encodeHandshakeError(Framing.HandshakeErrorCode.SerializerUnsupported))
      return
    }
    socket.write(Framing.encodeHandshake(request.serializerId, OUR_EXPONENT))
    const link = rawSocketLink(socket, serializer, request.maxLength, timeouts.frameTimeout)
    accept(link.link, {
      type: "rawsocket",
      serializer: serializer.name,
      peer: `tcp4:${socket.remoteAddress ?? "?"}:${socket.remotePort ?? 0}`
    })
    // Bytes after the handshake in the same chunk are the first frames.
    link.feed(received.subarray(Framing.HEADER_SIZE))
  }
  socket.on("data", onData)
}

const rawSocketLink = (
  socket: Net.Socket,
  serializer: SerializerService,
  peerMaxLength: number,
  frameTimeout: number
): { link: Link; feed: (bytes: Uint8Array) => void } => {
  const inbox = Effect.runSync(Inbox.make)
  const parser = Framing.makeFrameParser(Framing.lengthOfExponent(OUR_EXPONENT))
  // A frame under way must arrive whole within frameTimeout (slowloris); the clock starts at its first byte.
  let partial: ReturnType<typeof setTimeout> | undefined
  const cutPartial = () => {
    inbox.end({ code: 1006, reason: `a frame did not arrive whole within ${frameTimeout} ms`, clean: false })
    socket.destroy()
  }
  const clearPartial = () => {
    if (partial !== undefined) clearTimeout(partial)
    partial = undefined
  }
  const onFrame: Framing.FrameHandler = (type, payload) => {
    // Each whole frame restarts the clock for the next one.
    clearPartial()
    switch (type) {
      case Framing.FrameType.Message:
        return inbox.offer(serializer.binary ? payload.slice() : textOf(payload))
      case Framing.FrameType.Ping:
        socket.write(Framing.encodeFrame(Framing.FrameType.Pong, payload))
        return
      case Framing.FrameType.Pong:
        return
    }
  }
  const feed = (bytes: Uint8Array) => {
    if (bytes.length === 0) return
    const failure = parser.push(bytes, onFrame)
    if (failure !== undefined) {
      inbox.end({ code: 1002, reason: failure.message, clean: false })
      socket.destroy()
      return
    }
    if (!parser.isIdle() && partial === undefined) {
      partial = setTimeout(cutPartial, frameTimeout)
      partial.unref?.()
    }
  }
  socket.once("close", clearPartial)
  socket.on("data", (chunk: Buffer) => feed(chunk))
  socket.on("close", (hadError) => {
    inbox.end(
      hadError ? { code: 1006, reason: "connection lost", clean: false } : { code: 1000, reason: "", clean: true }
    )
  })
  const link: Link = {
    serializer,
    send: (frame: Frame) => {
      if (inbox.isEnded() || socket.destroyed) {
        return Exit.fail(new TransportError({ reason: "Closed", message: "link is closed" }))
      }
      const payload = typeof frame === "string" ? utf8.encode(frame) : frame
      if (payload.length > Math.min(peerMaxLength, Framing.MAX_PLAIN_FRAME_LENGTH)) {
        return Exit.fail(
          new TransportError({
            reason: "TooLarge",
            message: `message of ${payload.length} bytes is over the peer's limit`
          })
        )
      }
      socket.write(Framing.encodeFrame(Framing.FrameType.Message, payload))
      return Exit.void
    },
    inbound: inbox.stream,
    closed: inbox.closed,
    close: () =>
      Effect.zipRight(
        Effect.sync(() => socket.end()),
        inbox.closed.pipe(
          Effect.timeout(CLOSE_GRACE_MS),
          Effect.catchAll(() =>
            Effect.sync(() => {
              socket.destroy()
              inbox.end({ code: 1006, reason: "close timeout", clean: false })
            })
          ),
          Effect.asVoid
        )
      )
  }
  return { link, feed }
}

/** JSON over RawSocket arrives as bytes; invalid UTF-8 is passed on as bytes for the serializer to reject. */
const textOf = (payload: Uint8Array): Frame => {
  try {
    return strictUtf8.decode(payload)
  } catch {
    return payload.slice()
  }
}
