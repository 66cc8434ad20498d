/**
 * RawSocketTransport: a Transport over WAMP RawSocket (`advanced/transport_rawsocket.md`) on
 * `node:net`, to a TCP host/port or a Unix domain socket path.
 *
 * RawSocket cannot negotiate among serializers: the client's handshake names exactly one. `open`
 * therefore requests the FIRST serializer it is given (its `rawSocketId`); if the router does not
 * speak it, opening fails with a "Handshake" TransportError carrying the router's error code.
 *
 * RawSocket has no closing handshake: a TCP end (FIN) from either side is an orderly close (code
 * 1000, clean); a reset, a socket error, a stream cut in the middle of a frame or a framing violation
 * is a drop (code 1006, not clean). This transport answers every PING with one PONG, and sends PINGs
 * itself for keep-alive (`keepAlive`, on by default).
 */
import * as Config from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import * as net from "node:net"
import { TransportError } from "../Errors.js"
import * as Inbox from "../internal/transport/inbox.js"
import * as KeepAlive from "../internal/transport/keepAlive.js"
import * as Framing from "../internal/transport/rawSocketFraming.js"
import { errorText } from "../internal/values.js"
import type { Frame, SerializerService } from "../Serializer.js"
import { type CloseInfo, type Link, Transport, type TransportService } from "../Transport.js"

/** A router on TCP; `host` defaults to `localhost`. */
export interface TcpAddress {
  readonly host?: string | undefined
  readonly port: number
}

/** A router on a Unix domain socket (or a Windows named pipe). */
export interface UnixAddress {
  readonly path: string
}

export type Options = (TcpAddress | UnixAddress) & {
  /**
   * Largest inbound message in bytes (default and maximum 16 MiB). It is rounded up to the power of
   * two the handshake can express (512 B .. 16 MiB), and that rounded value is the limit enforced:
   * a bigger frame from the router fails the link.
   */
  readonly maxMessageSize?: number | undefined
  /** How long the TCP connect and the RawSocket handshake may take together (default 10 s); then "Timeout". */
  readonly openTimeout?: Duration.DurationInput | undefined
  /** How long `close` waits for the router to end its side before dropping the socket (default 5 s). */
  readonly closeTimeout?: Duration.DurationInput | undefined
  /**
   * A RawSocket PING every `interval` (default 30 s); no answer (PONG or any frame) within
   * `timeout` (default 15 s) drops the link with "Timeout", so a silent router is noticed. `false`
   * turns it off.
   */
  readonly keepAlive?: KeepAlive.Option | undefined
}

export const defaultMaxMessageSize = 16 * 1024 * 1024

/** The transport (the service value itself); every `open` makes a new connection. */
export const make = (options: Options): TransportService => {
  const lengthExponent = Framing.exponentForLength(options.maxMessageSize ?? defaultMaxMessageSize)
  const config: Config = {
    address: "path" in options
      ? { path: options.path }
      : { host: options.host ?? "localhost", port: options.port, noDelay: true },
    describe: "path" in options ? options.path : `${options.host ?? "localhost"}:${options.port}`,
    lengthExponent,
    receiveLimit: Framing.lengthOfExponent(lengthExponent),
    openTimeout: Duration.decode(options.openTimeout ?? Duration.seconds(10)),
    closeTimeout: Duration.decode(options.closeTimeout ?? Duration.seconds(5)),
    keepAlive: KeepAlive.settings(options.keepAlive)
  }
  return { open: (serializers) => openLink(config, serializers) }
}

export const layer = (options: Options): Layer.Layer<Transport> => Layer.succeed(Transport, make(options))

/**
 * The transport from `Config`, as @effect/sql's clients do, e.g.
 * `layerConfig({ host: Config.string("WAMP_HOST"), port: Config.port("WAMP_PORT") })`.
 */
export const layerConfig = (config: Config.Config.Wrap<Options>): Layer.Layer<Transport, ConfigError.ConfigError> =>
  Layer.effect(Transport, Effect.map(Config.unwrap(config), make))

interface Config {
  readonly address: net.NetConnectOpts
  readonly describe: string
  readonly lengthExponent: number
  readonly receiveLimit: number
  readonly openTimeout: Duration.Duration
  readonly closeTimeout: Duration.Duration
  readonly keepAlive: KeepAlive.Settings | undefined
}

const openLink = (
  config: Config,
  serializers: ReadonlyArray<SerializerService>
): Effect.Effect<Link, TransportError, Scope.Scope> =>
  Effect.gen(function*() {
    const serializer = serializers[0]
    if (serializer === undefined) {
      return yield* new TransportError({ reason: "Handshake", message: "no serializer to request" })
    }
    const serializerId = serializer.rawSocketId
    if (!Number.isInteger(serializerId) || serializerId < 1 || serializerId > 15) {
      return yield* new TransportError({
        reason: "Handshake",
        message: `serializer ${serializer.name} has no valid RawSocket id (${serializerId})`
      })
    }
    const inbox = yield* Inbox.make
    const opened = yield* Deferred.make<void, TransportError>()

    const connection = yield* Effect.acquireRelease(
      Effect.try({
        try: () => new Connection(config, serializer, inbox, opened),
        catch: (cause) =>
          new TransportError({
            reason: "Open",
            message: `could not connect to ${config.describe}: ${errorText(cause)}`,
            cause
          })
      }),
      (connection) => connection.release
    )

    yield* Deferred.await(opened).pipe(
      Effect.timeoutFail({
        duration: config.openTimeout,
        onTimeout: () =>
          new TransportError({
            reason: "Timeout",
            message: `RawSocket to ${config.describe} did not open within ${Duration.format(config.openTimeout)}`
          })
      }),
      Effect.tapError(() => Effect.sync(() => connection.socket.destroy()))
    )

    if (config.keepAlive !== undefined) {
      const keepAlive = KeepAlive.make(config.keepAlive, {
        ping: connection.ping,
        ended: inbox.isEnded,
        drop: connection.drop
      })
      connection.heard = keepAlive.heard
      yield* Effect.forkScoped(keepAlive.run)
    }

    const link: Link = {
      serializer,
      send: connection.send,
      inbound: Stream.mapError(inbox.stream, (error) => connection.failure ?? error),
      receive: Effect.mapError(inbox.pull, Option.map((error) => connection.failure ?? error)),
      push: inbox.push,
      closed: inbox.closed,
      close: connection.close
    }
    return link
  })

type Phase = "Handshake" | "Open" | "Ended"

const closedError = new TransportError({ reason: "Closed", message: "link is closed" })

/** Frames up to this size are copied behind their header and written once; bigger ones are written as is. */
const COPY_THRESHOLD = 16 * 1024

/** One RawSocket connection: socket callbacks drive it synchronously, in arrival order. */
class Connection {
  readonly socket: net.Socket
  /** Set when we failed the link for a framing violation: what `inbound` fails with. */
  failure: TransportError | undefined
  private phase: Phase = "Handshake"
  private readonly reply = new Uint8Array(Framing.HEADER_SIZE)
  private replyFill = 0
  private readonly parser: Framing.FrameParser
  /** The router's limit on what we send, capped so we never need the X bit. */
  private sendLimit = 0
  private connected = false
  private peerEnded = false
  private socketError: unknown
  /** The reason we gave when closing; undefined while the close is not ours. */
  private ownCloseReason: string | undefined
  private readonly textDecoder: TextDecoder | undefined

  constructor(
    private readonly config: Config,
    private readonly serializer: SerializerService,
    private readonly inbox: Inbox.Inbox,
    private readonly opened: Deferred.Deferred<void, TransportError>
  ) {
    this.parser = Framing.makeFrameParser(config.receiveLimit)
    this.textDecoder = serializer.binary ? undefined : new TextDecoder("utf-8", { fatal: true })
    const socket = net.connect(config.address)
    this.socket = socket
    socket.on("connect", () => {
      this.connected = true
    })
    socket.on("data", (data: Buffer) => this.onData(data))
    socket.on("end", () => {
      this.peerEnded = true
    })
    socket.on("error", (error) => {
      if (this.socketError === undefined) this.socketError = error
    })
    socket.on("close", (hadError) => this.onClose(hadError))
    // Buffered by the socket until connected.
    socket.write(Framing.encodeHandshake(serializer.rawSocketId, config.lengthExponent))
  }

  private onData(data: Buffer): void {
    // A plain Uint8Array view: frames handed out are subarrays of it, never Node Buffers, never copies.
    let chunk = new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
    if (this.phase === "Handshake") {
      const take = Math.min(Framing.HEADER_SIZE - this.replyFill, chunk.length)
      this.reply.set(chunk.subarray(0, take), this.replyFill)
      this.replyFill += take
      if (this.replyFill < Framing.HEADER_SIZE) return
      if (!this.acceptReply()) return
      chunk = chunk.subarray(take)
      if (chunk.length === 0) return
    }
    if (this.phase !== "Open") return
    const error = this.parser.push(chunk, this.onFrame)
    if (error !== undefined) this.failFraming(error)
  }

  private acceptReply(): boolean {
    const reply = Framing.decodeHandshakeReply(this.reply, this.serializer.rawSocketId)
    if (reply._tag !== "Accepted") {
      this.phase = "Ended"
      Deferred.unsafeDone(
        this.opened,
        Effect.fail(
          new TransportError({
            reason: "Handshake",
            message:
              `${reply.message} (requested ${this.serializer.name}, RawSocket serializer ${this.serializer.rawSocketId})`,
            ...(reply._tag === "Refused" ? { code: reply.code } : {})
          })
        )
      )
      this.socket.destroy()
      return false
    }
    this.phase = "Open"
    this.sendLimit = Math.min(reply.maxLength, Framing.MAX_PLAIN_FRAME_LENGTH)
    Deferred.unsafeDone(this.opened, Effect.void)
    return true
  }

  /** Told of every frame received, once keep-alive runs. */
  heard: () => void = () => {}
  private pings = 0

  /** A keep-alive PING carrying a counter (the PONG echoes it; any answer will do). */
  readonly ping = (): void => {
    if (this.phase !== "Open" || !this.socket.writable) return
    const payload = new Uint8Array(4)
    new DataView(payload.buffer).setUint32(0, ++this.pings >>> 0)
    this.socket.write(Framing.encodeFrame(Framing.FrameType.Ping, payload))
  }

  /** The peer stayed silent: end the link with `error` now, and cut the socket. */
  readonly drop = (error: TransportError): void => {
    if (this.phase === "Ended") return
    this.failure = error
    this.phase = "Ended"
    this.inbox.end({ code: 1006, reason: error.message, clean: false }, error)
    this.socket.destroy()
  }

  private readonly onFrame = (type: Framing.FrameType, payload: Uint8Array): void => {
    this.heard()
    if (type === Framing.FrameType.Message) {
      this.inbox.offer(this.textDecoder === undefined ? payload : this.toText(this.textDecoder, payload))
    } else if (type === Framing.FrameType.Ping) {
      // Exactly one PONG, right away, echoing the payload; none once our side is ending.
      if (this.socket.writable) this.socket.write(Framing.encodeFrame(Framing.FrameType.Pong, payload))
    }
    // A PONG needs nothing more: any frame counted as an answer above.
  }

  /** Invalid UTF-8 stays bytes, so the JSON serializer reports it as a DecodeError (a protocol violation). */
  private toText(decoder: TextDecoder, payload: Uint8Array): Frame {
    try {
      return decoder.decode(payload)
    } catch {
      return payload
    }
  }

  private failFraming(error: Framing.FramingError): void {
    this.failure = new TransportError({
      reason: error.reason === "TooLarge" ? "TooLarge" : "Closed",
      message: `router broke RawSocket framing: ${error.message}`,
      code: 1006
    })
    this.phase = "Ended"
    this.inbox.end({ code: 1006, reason: error.message, clean: false })
    this.socket.destroy()
  }

  private onClose(hadError: boolean): void {
    const wasOpen = this.phase === "Open"
    this.phase = "Ended"
    if (!wasOpen) {
      Deferred.unsafeDone(this.opened, Effect.fail(this.openFailure()))
    }
    this.inbox.end(this.closeInfo(hadError))
  }

  private openFailure(): TransportError {
    const detail = this.socketError === undefined ? "" : `: ${errorText(this.socketError)}`
    const cause = this.socketError === undefined ? {} : { cause: this.socketError }
    return this.connected
      ? new TransportError({
        reason: "Handshake",
        message: `connection to ${this.config.describe} ended during the RawSocket handshake${detail}`,
        ...cause
      })
      : new TransportError({
        reason: "Open",
        message: `could not connect to ${this.config.describe}${detail}`,
        ...cause
      })
  }

  private closeInfo(hadError: boolean): CloseInfo {
    const clean = !hadError && this.socketError === undefined && this.peerEnded && this.parser.isIdle()
    if (clean) {
      return { code: 1000, reason: this.ownCloseReason ?? "closed by the router", clean: true }
    }
    const reason = this.socketError !== undefined
      ? errorText(this.socketError)
      : !this.parser.isIdle()
      ? "connection ended in the middle of a frame"
      : "connection dropped"
    return { code: 1006, reason, clean: false }
  }

  /**
   * Writes one frame synchronously. There is no waiting for the socket to drain: WAMP has no flow
   * control, so a router that stops reading makes Node buffer what we write (as with WebSocket).
   */
  readonly send = (frame: Frame): Exit.Exit<void, TransportError> => {
    const socket = this.socket
    if (this.phase !== "Open" || !socket.writable) return Exit.fail(closedError)
    try {
      if (typeof frame === "string") {
        const length = Buffer.byteLength(frame, "utf8")
        if (length > this.sendLimit) return Exit.fail(this.tooLarge(length))
        const buffer = Buffer.allocUnsafe(Framing.HEADER_SIZE + length)
        Framing.writeFrameHeader(buffer, 0, Framing.FrameType.Message, length)
        buffer.write(frame, Framing.HEADER_SIZE, length, "utf8")
        socket.write(buffer)
      } else {
        const length = frame.byteLength
        if (length > this.sendLimit) return Exit.fail(this.tooLarge(length))
        if (length <= COPY_THRESHOLD) {
          socket.write(Framing.encodeFrame(Framing.FrameType.Message, frame))
        } else {
          // Header and payload leave in one writev; the payload is not copied (the caller must not reuse it).
          socket.cork()
          socket.write(Framing.frameHeader(Framing.FrameType.Message, length))
          socket.write(frame)
          socket.uncork()
        }
      }
    } catch (cause) {
      return Exit.fail(new TransportError({ reason: "Write", message: "RawSocket write failed", cause }))
    }
    return Exit.void
  }

  private tooLarge(length: number): TransportError {
    return new TransportError({
      reason: "TooLarge",
      message: `message of ${length} bytes is over the router's limit of ${this.sendLimit} bytes`
    })
  }

  private readonly awaitEnd: Effect.Effect<void> = Effect.suspend(() =>
    this.inbox.closed.pipe(
      Effect.timeout(this.config.closeTimeout),
      Effect.catchAll(() =>
        Effect.sync(() => {
          // The router never ended its side: drop the connection.
          this.socket.destroy()
          this.inbox.end({ code: 1006, reason: "close timed out", clean: false })
        })
      ),
      Effect.asVoid
    )
  )

  /** Ends our side (FIN after pending writes) and waits for the router to end its side. */
  readonly close = (_code?: number, reason?: string): Effect.Effect<void> =>
    Effect.suspend(() => {
      if (!this.inbox.isEnded() && !this.socket.writableEnded) {
        this.ownCloseReason = reason ?? ""
        this.socket.end()
      }
      return this.awaitEnd
    })

  /** The scope's finalizer: a graceful close once open, otherwise just drop the socket. */
  readonly release: Effect.Effect<void> = Effect.suspend(() => {
    if (this.phase === "Open") return this.close()
    this.socket.destroy()
    return Effect.void
  })
}
