/**
 * FakePeer: a scripted router for tests. The test receives every message the client sends,
 * decoded, and pushes what the router would say — including what no real router would (malformed
 * frames, replies to unknown requests, a second WELCOME, ...).
 *
 * ```ts
 * const fake = yield* FakePeer.make()
 * const fiber = yield* Effect.fork(Session.make({ realm: "realm1" }).pipe(Effect.provide(fake.layer)))
 * const peer = yield* fake.accept
 * yield* peer.welcome()
 * const session = yield* Fiber.join(fiber)
 * ```
 */
import * as Chunk from "effect/Chunk"
import * as Clock from "effect/Clock"
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Queue from "effect/Queue"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import type { TransportError } from "../Errors.js"
import { features } from "../internal/session/hello.js"
import * as Message from "../Message.js"
import * as Serializer from "../Serializer.js"
import * as Transport from "../Transport.js"

/**
 * The FakePeer's own waits (`receive`, `expect`, `expectNothing`, `accept`) run on real time even
 * when the test runs on `TestClock`: a message that never comes fails the test after `timeout`
 * instead of hanging it, and `expectNothing` waits its real few milliseconds. So in-memory tests can
 * use `it.scoped` / `it.effect` and move the client's timers with `TestClock.adjust`.
 */
const realTime = Clock.make()
const inRealTime = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.withClock(effect, realTime)

export class FakePeerError extends Data.TaggedError("FakePeerError")<{ readonly message: string }> {}

export interface FakePeer {
  /** The router side of the link. */
  readonly link: Transport.Link
  /** The next message the client sent. Fails after `timeout` or when the link ends. */
  readonly receive: Effect.Effect<Message.Message, FakePeerError>
  /** The next message, which must have this tag. */
  readonly expect: <T extends Message.Message["_tag"]>(
    tag: T
  ) => Effect.Effect<Extract<Message.Message, { readonly _tag: T }>, FakePeerError>
  /** Succeeds when nothing arrives for `within`; fails with what arrived otherwise. */
  readonly expectNothing: (within?: Duration.DurationInput) => Effect.Effect<void, FakePeerError>
  readonly send: (...messages: ReadonlyArray<Message.Message>) => Effect.Effect<void, FakePeerError>
  /** Serializes any list, valid WAMP or not. */
  readonly sendRaw: (raw: ReadonlyArray<unknown>) => Effect.Effect<void, FakePeerError>
  /** Sends a frame as is (undecodable bytes, wrong frame kind, ...). */
  readonly sendFrame: (frame: Serializer.Frame) => Effect.Effect<void, FakePeerError>
  /** Expects HELLO and answers WELCOME announcing every broker/dealer feature (or the given roles). */
  readonly welcome: (options?: WelcomeOptions) => Effect.Effect<Message.Hello, FakePeerError>
  /** Ends the link as a drop (not clean). */
  readonly drop: Effect.Effect<void>
  /** Ends the link cleanly. */
  readonly close: Effect.Effect<void>
  readonly closed: Effect.Effect<Transport.CloseInfo>
}

export interface WelcomeOptions {
  readonly session?: number
  readonly roles?: Message.Dict
  readonly details?: Message.Dict
}

/** Router roles announcing everything a client may use. */
export const routerRoles: Message.Dict = {
  dealer: features(
    "progressive_call_results",
    "progressive_call_invocations",
    "call_timeout",
    "call_canceling",
    "caller_identification",
    "call_trustlevels",
    "pattern_based_registration",
    "shared_registration",
    "registration_revocation"
  ),
  broker: features(
    "publisher_identification",
    "publication_trustlevels",
    "subscriber_blackwhite_listing",
    "publisher_exclusion",
    "pattern_based_subscription",
    "subscription_revocation",
    "event_retention"
  )
}

/** Wraps the router side of any link (in memory or a real socket) as a FakePeer. */
export const fromLink = (
  link: Transport.Link,
  options?: { readonly timeout?: Duration.DurationInput }
): Effect.Effect<FakePeer, never, Scope.Scope> =>
  Effect.gen(function*() {
    const timeout = options?.timeout ?? Duration.seconds(2)
    const pull = yield* Stream.toPull(link.inbound)
    let buffered: Array<Serializer.Frame> = []

    const nextFrame: Effect.Effect<Serializer.Frame, FakePeerError> = Effect.suspend(() => {
      const frame = buffered.shift()
      if (frame !== undefined) return Effect.succeed(frame)
      return pull.pipe(
        Effect.mapError((error) =>
          new FakePeerError({
            message: Option.isSome(error) ? `link failed: ${error.value.message}` : "the client closed the link"
          })
        ),
        Effect.flatMap((chunk) => {
          buffered = Chunk.toArray(chunk)
          return nextFrame
        })
      )
    })

    const decode = (frame: Serializer.Frame): Effect.Effect<Message.Message, FakePeerError> => {
      const raw = link.serializer.decode(frame)
      if (Either.isLeft(raw)) {
        return Effect.fail(new FakePeerError({ message: `client sent bad frame: ${raw.left.message}` }))
      }
      const message = Message.decode(raw.right)
      if (Either.isLeft(message)) {
        return Effect.fail(new FakePeerError({ message: `client sent bad message: ${message.left.message}` }))
      }
      return Effect.succeed(message.right)
    }

    const receive = nextFrame.pipe(
      Effect.flatMap(decode),
      Effect.timeoutFail({
        duration: timeout,
        onTimeout: () => new FakePeerError({ message: `no message from the client within ${Duration.format(timeout)}` })
      }),
      inRealTime
    )

    const sendFrame = (frame: Serializer.Frame) =>
      Effect.mapError(link.send(frame), (error) => new FakePeerError({ message: `cannot send: ${error.message}` }))

    const sendRaw = (raw: ReadonlyArray<unknown>) => {
      const frame = link.serializer.encode(raw)
      return Either.isLeft(frame)
        ? Effect.fail(new FakePeerError({ message: `cannot encode: ${frame.left.message}` }))
        : sendFrame(frame.right)
    }

    const send = (...messages: ReadonlyArray<Message.Message>) =>
      Effect.forEach(messages, (message) => sendRaw(Message.encode(message)), { discard: true })

    const expect = <T extends Message.Message["_tag"]>(tag: T) =>
      Effect.flatMap(receive, (message) =>
        message._tag === tag
          ? Effect.succeed(message as Extract<Message.Message, { readonly _tag: T }>)
          : Effect.fail(new FakePeerError({ message: `expected ${tag}, the client sent ${JSON.stringify(message)}` })))

    const expectNothing = (within: Duration.DurationInput = "50 millis") =>
      receive.pipe(
        Effect.timeout(within),
        Effect.flatMap((message) =>
          Effect.fail(new FakePeerError({ message: `expected nothing, the client sent ${JSON.stringify(message)}` }))
        ),
        Effect.catchTag("TimeoutException", () => Effect.void),
        // The link ending is "nothing arrived" too.
        Effect.catchIf((error) => error.message === "the client closed the link", () => Effect.void),
        inRealTime
      )

    const welcome = (welcomeOptions?: WelcomeOptions) =>
      Effect.tap(expect("Hello"), () =>
        send({
          _tag: "Welcome",
          session: welcomeOptions?.session ?? 1,
          details: {
            authid: "anonymous",
            authrole: "anonymous",
            authmethod: "anonymous",
            ...welcomeOptions?.details,
            roles: welcomeOptions?.roles ?? routerRoles
          }
        }))

    return {
      link,
      receive,
      expect,
      expectNothing,
      send,
      sendRaw,
      sendFrame,
      welcome,
      drop: link.close(1006, "dropped by FakePeer"),
      close: link.close(1000, ""),
      closed: link.closed
    } satisfies FakePeer
  })

export interface FakeRouter {
  /** A Transport whose every `open` creates a new in-memory link, answered by a FakePeer. */
  readonly transport: Transport.TransportService
  /** Transport + Serializers (the serializer given to `make`), ready for `Session.make`. */
  readonly layer: Layer.Layer<Transport.Transport | Serializer.Serializers | Serializer.Serializer>
  /** The FakePeer of the next link the client opens. */
  readonly accept: Effect.Effect<FakePeer, FakePeerError>
}

/** A fake router on in-memory links. Each connection the client opens becomes a FakePeer. */
export const make = (options?: {
  readonly serializer?: Serializer.SerializerService
  readonly timeout?: Duration.DurationInput
}): Effect.Effect<FakeRouter, never, Scope.Scope> =>
  Effect.gen(function*() {
    const serializer = options?.serializer ?? Serializer.json
    const scope = yield* Effect.scope
    const peers = yield* Queue.unbounded<FakePeer>()
    const transport = Transport.make(() =>
      Effect.gen(function*() {
        const [client, server] = yield* Transport.memoryPair(serializer)
        yield* Effect.addFinalizer(() => client.close())
        const peer = yield* fromLink(server, options?.timeout === undefined ? undefined : { timeout: options.timeout })
          .pipe(Scope.extend(scope))
        yield* Queue.offer(peers, peer)
        return client
      })
    )
    const timeout = options?.timeout ?? Duration.seconds(2)
    return {
      transport,
      layer: Layer.mergeAll(
        Layer.succeed(Transport.Transport, transport),
        Layer.succeed(Serializer.Serializers, [serializer]),
        Layer.succeed(Serializer.Serializer, serializer)
      ),
      accept: Queue.take(peers).pipe(
        Effect.timeoutFail({
          duration: timeout,
          onTimeout: () => new FakePeerError({ message: "the client opened no connection in time" })
        }),
        inRealTime
      )
    }
  })

export interface ServedFakeRouter {
  /** `ws://host:port/ws` */
  readonly url: string
  readonly port: number
  readonly rawSocketPort: number | undefined
  /** The FakePeer of the next connection a client opens. */
  readonly accept: Effect.Effect<FakePeer, FakePeerError>
}

/**
 * A fake router on real sockets: a WebSocket server (json, msgpack, cbor subprotocols) and
 * optionally a RawSocket listener on loopback; each connection becomes a FakePeer. Use it to test
 * a client over the real socket path.
 */
export const serve = (options?: {
  readonly host?: string
  readonly port?: number
  readonly rawSocketPort?: number
  readonly timeout?: Duration.DurationInput
}): Effect.Effect<ServedFakeRouter, TransportError, Scope.Scope> =>
  Effect.gen(function*() {
    const { listen } = yield* Effect.promise(() => import("./internal/serve.js"))
    const scope = yield* Effect.scope
    const peers = yield* Queue.unbounded<FakePeer>()
    const host = options?.host ?? "127.0.0.1"
    const bound = yield* listen(
      {
        host,
        port: options?.port ?? 0,
        ...(options?.rawSocketPort === undefined ? {} : { rawSocketPort: options.rawSocketPort })
      },
      [Serializer.json, Serializer.msgpack, Serializer.cbor],
      (link) =>
        fromLink(link, options?.timeout === undefined ? undefined : { timeout: options.timeout }).pipe(
          Scope.extend(scope),
          Effect.flatMap((peer) => Queue.offer(peers, peer)),
          Effect.asVoid
        )
    )
    const timeout = options?.timeout ?? Duration.seconds(2)
    return {
      url: `ws://${host}:${bound.port}/ws`,
      port: bound.port,
      rawSocketPort: bound.rawSocketPort,
      accept: Queue.take(peers).pipe(
        Effect.timeoutFail({
          duration: timeout,
          onTimeout: () => new FakePeerError({ message: "the client opened no connection in time" })
        }),
        inRealTime
      )
    }
  })
