/**
 * A raw WAMP peer for router tests: sends messages as written and awaits decoded replies, with no
 * client library in between. Replies that do not match what a test waits for are kept, so the
 * order of unrelated messages never makes a test flaky.
 */
import { Data, Effect, Either, Queue, type Scope, Stream } from "effect"
import { clientRoles } from "../../../src/internal/session/hello.js"
import * as Message from "../../../src/Message.js"
import type { Frame, SerializerService } from "../../../src/Serializer.js"
import { json } from "../../../src/Serializer.js"
import type { RouterService } from "../../../src/testing/Router.js"
import type { CloseInfo, Link } from "../../../src/Transport.js"
import * as Transport from "../../../src/Transport.js"
import { realTimeoutFail } from "../../support/realTime.js"

export class RawClientError extends Data.TaggedError("RawClientError")<{ readonly message: string }> {}

/** Every client role with every feature the client implements (so the router sends revocations, INTERRUPTs, ...). */
export const allRoles: Message.Dict = clientRoles

type Of<T extends Message.Message["_tag"]> = Extract<Message.Message, { readonly _tag: T }>

export interface RawClient {
  readonly link: Link
  readonly send: (message: Message.Message) => Effect.Effect<void, RawClientError>
  readonly sendWire: (wire: ReadonlyArray<unknown>) => Effect.Effect<void, RawClientError>
  readonly sendFrame: (frame: Frame) => Effect.Effect<void, RawClientError>
  /** The first message (buffered or future) of that kind satisfying `where`; fails after 5 s. */
  readonly expect: <T extends Message.Message["_tag"]>(
    tag: T,
    where?: (message: Of<T>) => boolean
  ) => Effect.Effect<Of<T>, RawClientError>
  /** The first message (buffered or future) satisfying `matches`; fails after 5 s. */
  readonly take: <M extends Message.Message>(
    matches: (message: Message.Message) => message is M,
    what: string
  ) => Effect.Effect<M, RawClientError>
  /** Takes every message received and not yet taken. */
  readonly drain: Effect.Effect<ReadonlyArray<Message.Message>>
  /** Messages received and not yet taken by `expect`. */
  readonly pending: Effect.Effect<ReadonlyArray<Message.Message>>
  readonly closed: Effect.Effect<CloseInfo>
  /** Session id once `join` has seen WELCOME. */
  session: number
  /** The next request id (shared counter, as the spec asks). */
  readonly nextId: () => number
  /**
   * Waits until everything the router queued for this client before now has arrived: a meta call
   * round trip on the same (ordered) link. Used before asserting that nothing arrived.
   */
  readonly barrier: Effect.Effect<void, RawClientError>
}

const EXPECT_TIMEOUT = "5 seconds"

/** Wraps a link already connected to a router. */
export const fromLink = (link: Link): Effect.Effect<RawClient, never, Scope.Scope> =>
  Effect.gen(function*() {
    const inbound = yield* Queue.unbounded<Message.Message>()
    const stash: Array<Message.Message> = []
    yield* link.inbound.pipe(
      Stream.runForEach((frame) => {
        const raw = link.serializer.decode(frame)
        if (Either.isLeft(raw)) return Effect.die(raw.left)
        const decoded = Message.decode(raw.right)
        return Either.isLeft(decoded) ? Effect.die(decoded.left) : Queue.offer(inbound, decoded.right)
      }),
      Effect.ignore,
      Effect.forkScoped
    )
    let requestId = 0
    const sendFrame = (frame: Frame) =>
      Effect.mapError(link.send(frame), (error) => new RawClientError({ message: error.message }))
    const sendWire = (wire: ReadonlyArray<unknown>) =>
      Effect.flatMap(
        Effect.mapError(link.serializer.encode(wire), (error) => new RawClientError({ message: error.message })),
        sendFrame
      )
    const take = <M extends Message.Message>(
      matches: (message: Message.Message) => message is M,
      what: string
    ): Effect.Effect<M, RawClientError> => {
      const loop: Effect.Effect<M> = Effect.suspend(() => {
        const index = stash.findIndex(matches)
        if (index !== -1) return Effect.succeed(stash.splice(index, 1)[0] as M)
        return Effect.flatMap(Queue.take(inbound), (message) => {
          if (matches(message)) return Effect.succeed(message)
          stash.push(message)
          return loop
        })
      })
      // On the real clock: under TestClock a missing reply still fails after 5 s instead of hanging.
      return loop.pipe(
        realTimeoutFail(EXPECT_TIMEOUT, () =>
          new RawClientError({
            message: `no ${what} arrived; pending: ${JSON.stringify(stash.map((message) => Message.encode(message)))}`
          }))
      )
    }
    const expect = <T extends Message.Message["_tag"]>(tag: T, where: (message: Of<T>) => boolean = () => true) =>
      take((message): message is Of<T> => message._tag === tag && where(message as Of<T>), tag)
    const pending = Effect.map(Queue.takeAll(inbound), (taken) => {
      for (const message of taken) stash.push(message)
      return [...stash] as ReadonlyArray<Message.Message>
    })
    const client: RawClient = {
      link,
      send: (message) => sendWire(Message.encode(message)),
      sendWire,
      sendFrame,
      expect,
      take,
      pending,
      drain: Effect.map(pending, (all) => {
        stash.length = 0
        return all
      }),
      closed: link.closed,
      session: 0,
      nextId: () => ++requestId,
      barrier: Effect.suspend(() => {
        const request = ++requestId
        return Effect.zipRight(
          sendWire([48, request, {}, "wamp.session.count"]),
          expect("Result", (result) => result.request === request)
        )
      })
    }
    return client
  })

/** Opens a memory link to the router (a new connection). */
export const connect = (
  router: RouterService,
  serializer: SerializerService = json
): Effect.Effect<RawClient, never, Scope.Scope> =>
  Effect.gen(function*() {
    const [client, peer] = yield* Transport.memoryPair(serializer)
    yield* router.attach(peer)
    yield* Effect.addFinalizer(() => client.close(1000, ""))
    return yield* fromLink(client)
  })

/** Connects and joins `realm` anonymously (or with `details`), returning once WELCOME arrived. */
export const join = (
  router: RouterService,
  realm = "realm1",
  details: Message.Dict = {},
  serializer?: SerializerService
): Effect.Effect<RawClient, RawClientError, Scope.Scope> =>
  Effect.gen(function*() {
    const client = yield* connect(router, serializer)
    yield* client.send({ _tag: "Hello", realm, details: { roles: allRoles, ...details } })
    const welcome = yield* client.expect("Welcome")
    client.session = welcome.session
    return client
  })

/** REGISTER and await REGISTERED; returns the registration id. */
export const register = (client: RawClient, procedure: string, options: Message.Dict = {}) =>
  Effect.gen(function*() {
    const request = client.nextId()
    yield* client.send({ _tag: "Register", request, options, procedure })
    const registered = yield* client.expect("Registered", (message) => message.request === request)
    return registered.registration
  })

/** SUBSCRIBE and await SUBSCRIBED; returns the subscription id. */
export const subscribe = (client: RawClient, topic: string, options: Message.Dict = {}) =>
  Effect.gen(function*() {
    const request = client.nextId()
    yield* client.send({ _tag: "Subscribe", request, options, topic })
    const subscribed = yield* client.expect("Subscribed", (message) => message.request === request)
    return subscribed.subscription
  })

/** CALL and await the final RESULT or the ERROR for it. */
export const call = (
  client: RawClient,
  procedure: string,
  args?: Message.List,
  kwargs?: Message.Dict,
  options: Message.Dict = {}
) =>
  Effect.gen(function*() {
    const request = client.nextId()
    yield* client.send({
      _tag: "Call",
      request,
      options,
      procedure,
      ...(args === undefined ? {} : { args }),
      ...(kwargs === undefined ? {} : { kwargs })
    })
    return yield* client.take(
      (message): message is Message.Result | Message.Error =>
        (message._tag === "Result" && message.request === request && message.details["progress"] !== true) ||
        (message._tag === "Error" && message.request === request),
      `reply to CALL ${request}`
    )
  })
