/**
 * The router core: realms, the registry of live sessions, and the per-link session protocol
 * (HELLO, authentication, dispatch, GOODBYE, protocol violations).
 *
 * One fiber reads a link's frames in order and handles each synchronously; one writer fiber per
 * link drains that session's outbox. Routing code only ever queues frames, so a slow or dead
 * client never blocks another session. A message is encoded for its recipient when it is queued,
 * so the routing code learns at once that one cannot be delivered (a bigint for a JSON peer) and
 * can answer for it; every such message is counted in `undelivered` and logged.
 */
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Queue from "effect/Queue"
import * as Stream from "effect/Stream"
import type { EncodeError } from "../../Errors.js"
import * as Message from "../../Message.js"
import type { Frame } from "../../Serializer.js"
import type { Link } from "../../Transport.js"
import { StandardUri as ErrorUri } from "../../WampError.js"
import * as Auth from "./auth.js"
import { type Config, DEFAULT_HELLO_TIMEOUT, type RealmConfig } from "./config.js"
import { randomId } from "./context.js"
import * as Passthru from "./passthru.js"
import { Realm } from "./realm.js"
import { RouterSession } from "./session.js"

/** What WELCOME announces: only features this router really implements. */
const ROLES: Message.Dict = {
  broker: {
    features: {
      publisher_identification: true,
      pattern_based_subscription: true,
      subscriber_blackwhite_listing: true,
      publisher_exclusion: true,
      event_retention: true,
      subscription_revocation: true,
      session_meta_api: true,
      subscription_meta_api: true,
      payload_passthru_mode: true,
      payload_transparency: true
    }
  },
  dealer: {
    features: {
      caller_identification: true,
      pattern_based_registration: true,
      shared_registration: true,
      progressive_call_results: true,
      progressive_call_invocations: true,
      call_timeout: true,
      call_canceling: true,
      registration_revocation: true,
      session_meta_api: true,
      registration_meta_api: true,
      testament_meta_api: true,
      payload_passthru_mode: true,
      payload_transparency: true
    }
  }
}

const CLIENT_ROLES = ["caller", "callee", "publisher", "subscriber"]

const CLOSE: unique symbol = Symbol("effect-wamp/testing/close")

/** A message the router could not encode for its recipient, so did not send. */
export interface Undelivered {
  readonly session: number
  /** The message type, e.g. `EVENT`, `INVOCATION`, `RESULT`. */
  readonly message: string
  /** The encoder's explanation. */
  readonly reason: string
}

const RECENT_UNDELIVERED = 100

export class RouterCore {
  readonly realms = new Map<string, Realm>()
  /** Established sessions of every realm. */
  readonly sessions = new Map<number, { readonly session: RouterSession; readonly realm: Realm }>()
  /** Every live session, established or not, by its link (for shutdown). */
  readonly live = new Map<Link, RouterSession>()
  private lastId = 0
  readonly agent: string
  readonly goodbyeTimeout: number
  readonly helloTimeout: number
  /** How many messages could not be encoded for their recipient, and the last few of them. */
  undeliveredCount = 0
  readonly undelivered: Array<Undelivered> = []

  constructor(config: Config, private readonly warn: (text: string) => void = () => {}) {
    this.agent = config.agent ?? "effect-wamp-testing-router"
    this.goodbyeTimeout = config.goodbyeTimeout ?? 2000
    this.helloTimeout = config.helloTimeout ?? DEFAULT_HELLO_TIMEOUT
    for (const entry of config.realms) {
      const realmConfig: RealmConfig = typeof entry === "string" ? { name: entry } : entry
      this.realms.set(
        realmConfig.name,
        new Realm(realmConfig, () => ++this.lastId, (session, reason, message) => this.kill(session, reason, message))
      )
    }
  }

  /**
   * Ends an established session from the router side: GOODBYE (reason, `Details.message`), detach
   * now, close the link when the client answers or after `goodbyeTimeout`.
   */
  kill(session: RouterSession, reason: string, message: string | undefined): boolean {
    if (session.state !== "established") return false
    session.send({ _tag: "Goodbye", details: message === undefined ? {} : { message }, reason })
    this.detach(session)
    session.state = "closing"
    const timer = setTimeout(() => session.close(), this.goodbyeTimeout)
    timer.unref?.()
    return true
  }

  private recordUndelivered(session: RouterSession, message: Message.Message, error: EncodeError): void {
    const entry: Undelivered = {
      session: session.id,
      message: Message.name(Message.Code[message._tag]),
      reason: error.message
    }
    this.undeliveredCount++
    if (this.undelivered.push(entry) > RECENT_UNDELIVERED) this.undelivered.shift()
    this.warn(`test-kit router: ${entry.message} not delivered to session ${entry.session}: ${entry.reason}`)
  }

  detach(session: RouterSession): void {
    const entry = this.sessions.get(session.id)
    if (entry === undefined) return
    this.sessions.delete(session.id)
    entry.realm.leave(session)
  }

  /** Serves one link until it ends. Never fails: a bad peer only ever loses its own session. */
  serve(link: Link, transport: Message.Dict): Effect.Effect<void> {
    return Effect.flatMap(Queue.unbounded<Frame | typeof CLOSE>(), (outbox) => {
      let open = true
      const session: RouterSession = new RouterSession(
        randomId(),
        (message) => {
          if (!open) return undefined
          const frame = encodeFrame(link, message)
          if (Either.isRight(frame)) {
            outbox.unsafeOffer(frame.right)
            return undefined
          }
          this.recordUndelivered(session, message, frame.left)
          return frame.left
        },
        () => {
          if (!open) return
          open = false
          session.state = "closed"
          outbox.unsafeOffer(CLOSE)
        },
        transport
      )
      this.live.set(link, session)
      const onFrame = frameHandler(this, session, link)
      const joinTimer = joinDeadline(session, this.helloTimeout)
      return Effect.gen(function*() {
        const writer = yield* Effect.fork(writeLoop(link, outbox))
        yield* link.inbound.pipe(
          Stream.runForEachChunk((chunk) =>
            Effect.sync(() => {
              for (const frame of chunk) onFrame(frame)
            })
          ),
          Effect.ignore
        )
        // The link ended (closed by either side or dropped): the session leaves.
        session.close()
        yield* writer.await
      }).pipe(
        Effect.ensuring(Effect.sync(() => {
          clearTimeout(joinTimer)
          this.detach(session)
          session.close()
          this.live.delete(link)
        }))
      )
    }).pipe(Effect.ensuring(link.close(1001, "")))
  }

  /** Router shutdown: GOODBYE `wamp.close.system_shutdown` to established sessions, close the others. */
  shutdown(): void {
    for (const session of [...this.live.values()]) this.shutdownSession(session)
  }

  private shutdownSession(session: RouterSession): void {
    if (
      !this.kill(session, ErrorUri.CloseSystemShutdown, "the router is shutting down") && session.state !== "closing"
    ) {
      session.close()
    }
  }

  /**
   * Ends the sessions of these links as a shutdown would, and waits (at most `goodbyeTimeout`)
   * until the links have closed: a listener going away says GOODBYE before cutting sockets.
   */
  drain(links: Iterable<Link>): Effect.Effect<void> {
    return Effect.suspend(() => {
      const closing: Array<Effect.Effect<unknown>> = []
      for (const link of links) {
        const session = this.live.get(link)
        if (session !== undefined) this.shutdownSession(session)
        closing.push(link.closed)
      }
      return Effect.all(closing, { concurrency: "unbounded", discard: true }).pipe(
        Effect.timeout(this.goodbyeTimeout + 500),
        Effect.ignore
      )
    })
  }
}

/** Closes a connection that has not joined in time: silently before HELLO, with ABORT while authenticating. */
const joinDeadline = (session: RouterSession, timeout: number): ReturnType<typeof setTimeout> => {
  const timer = setTimeout(() => {
    if (session.state === "challenging") {
      session.send({
        _tag: "Abort",
        details: { message: `not authenticated within ${timeout} ms` },
        reason: ErrorUri.AuthenticationFailed
      })
    }
    if (session.state === "hello" || session.state === "challenging") session.close()
  }, timeout)
  timer.unref?.()
  return timer
}

const writeLoop = (link: Link, outbox: Queue.Queue<Frame | typeof CLOSE>): Effect.Effect<void> =>
  Effect.gen(function*() {
    while (true) {
      const batch = yield* Queue.takeBetween(outbox, 1, 1024)
      for (const item of batch) {
        if (item === CLOSE) return yield* link.close(1000, "")
        const sent = yield* Effect.either(link.send(item))
        // A frame the link refuses (e.g. over the peer's RawSocket limit) ends the link: stopping
        // the writer alone would leave the peer waiting for replies that can never come.
        if (Either.isLeft(sent)) return yield* link.close(1011, "")
      }
    }
  })

type Encoded = Either.Either<Frame, EncodeError>

const encodeFrame = (link: Link, message: Message.Message): Encoded =>
  message._tag === "Event" ? encodeShared(link, message) : link.serializer.encode(Message.encode(message))

/** Frames of EVENTs by message object and serializer: a publication to N subscribers is encoded once per serializer. */
const sharedFrames = new WeakMap<Message.Message, Map<string, Encoded>>()

const encodeShared = (link: Link, message: Message.Message): Encoded => {
  let frames = sharedFrames.get(message)
  if (frames === undefined) {
    frames = new Map()
    sharedFrames.set(message, frames)
  }
  let frame = frames.get(link.serializer.name)
  if (frame === undefined) {
    frame = link.serializer.encode(Message.encode(message))
    frames.set(link.serializer.name, frame)
  }
  return frame
}

/** The session state machine for one link; each frame is handled synchronously. */
const frameHandler = (core: RouterCore, session: RouterSession, link: Link) => {
  let verify: ((signature: string, extra: Message.Dict) => Auth.AuthStep) | undefined
  let realm: Realm | undefined

  const abort = (reason: string, message: string) => {
    session.send({ _tag: "Abort", details: { message }, reason })
    core.detach(session)
    session.close()
  }
  const violation = (message: string) => abort(ErrorUri.ProtocolViolation, message)

  const step = (next: Auth.AuthStep) => {
    switch (next._tag) {
      case "Abort":
        return abort(next.reason, next.message)
      case "Challenge":
        verify = next.verify
        session.state = "challenging"
        return session.send({ _tag: "Challenge", authMethod: next.method, extra: next.extra })
      case "Welcome": {
        if (realm === undefined) return
        verify = undefined
        session.auth = next.auth
        session.realm = realm.name
        session.state = "established"
        session.send({
          _tag: "Welcome",
          session: session.id,
          details: { realm: realm.name, ...next.auth, roles: ROLES, agent: core.agent }
        })
        core.sessions.set(session.id, { session, realm })
        realm.join(session)
      }
    }
  }

  const hello = (message: Message.Hello) => {
    realm = core.realms.get(message.realm)
    if (realm === undefined) return abort(ErrorUri.NoSuchRealm, `no realm ${message.realm}`)
    const roles = message.details["roles"]
    if (
      typeof roles !== "object" || roles === null ||
      !Object.keys(roles).some((role) => CLIENT_ROLES.includes(role))
    ) {
      return violation("HELLO.Details.roles must announce at least one client role")
    }
    session.roles = roles as Message.Dict
    step(Auth.begin(realm.config, message, session.id))
  }

  /** Passthru from a peer that did not announce it is a protocol violation (spec). */
  const unannouncedPassthru = (message: Message.Message): string | undefined => {
    let role: "caller" | "callee" | "publisher"
    let options: Message.Dict
    switch (message._tag) {
      case "Call":
        role = "caller"
        options = message.options
        break
      case "Yield":
        role = "callee"
        options = message.options
        break
      case "Publish":
        role = "publisher"
        options = message.options
        break
      case "Error":
        role = "callee"
        options = message.details
        break
      default:
        return undefined
    }
    const feature = Passthru.featureOf(options, message)
    return feature === undefined || session.has(role, feature)
      ? undefined
      : `${Message.name(Message.Code[message._tag])} in payload passthru mode without announcing ${role} ${feature}`
  }

  const established = (message: Message.Message, current: Realm) => {
    const unannounced = unannouncedPassthru(message)
    if (unannounced !== undefined) return violation(unannounced)
    switch (message._tag) {
      case "Call":
        return current.dealer.call(session, message)
      case "Yield":
        return current.dealer.yield_(session, message)
      case "Publish":
        return current.broker.publish(session, message)
      case "Cancel":
        return current.dealer.cancel(session, message)
      case "Error":
        return message.requestType === Message.Code.Invocation
          ? current.dealer.invocationError(session, message)
          : violation(`ERROR for request type ${message.requestType}`)
      case "Register":
        return current.dealer.register(session, message)
      case "Unregister":
        return current.dealer.unregister(session, message)
      case "Subscribe":
        return current.broker.subscribe(session, message)
      case "Unsubscribe":
        return current.broker.unsubscribe(session, message)
      case "Goodbye":
        session.send({ _tag: "Goodbye", details: {}, reason: ErrorUri.GoodbyeAndOut })
        core.detach(session)
        return session.close()
      case "Abort":
        core.detach(session)
        return session.close()
      default:
        return violation(`${message._tag} is not a message a client sends to an established session`)
    }
  }

  const handle = (frame: Frame) => {
    const raw = link.serializer.decode(frame)
    if (Either.isLeft(raw)) return violation(raw.left.message)
    const decoded = Message.decode(raw.right)
    if (Either.isLeft(decoded)) return violation(decoded.left.message)
    const message = decoded.right
    switch (session.state) {
      case "hello":
        if (message._tag === "Abort") return session.close()
        return message._tag === "Hello" ? hello(message) : violation(`${message._tag} before HELLO`)
      case "challenging":
        if (message._tag === "Authenticate" && verify !== undefined) {
          return step(verify(message.signature, message.extra))
        }
        if (message._tag === "Abort") return session.close()
        return violation(`${message._tag} while authenticating`)
      case "established":
        return realm === undefined ? undefined : established(message, realm)
      case "closing":
        // We sent GOODBYE: everything but the reply (or an ABORT) is ignored.
        if (message._tag === "Goodbye" || message._tag === "Abort") session.close()
        return
      case "closed":
        return
    }
  }

  return (frame: Frame): void => {
    if (session.state === "closed") return
    try {
      handle(frame)
    } catch (error) {
      // A bug or a bad configuration must cost this session only, never the router.
      abort(ErrorUri.RuntimeError, `router error: ${String(error)}`)
    }
  }
}
