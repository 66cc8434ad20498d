/**
 * The dispatcher of a session: decodes frames in order and routes each message by session state.
 * Handlers run synchronously; only the few that must wait (auth, a suspended subscriber, the end of
 * the session) return an Effect, which runs before the next frame.
 *
 * When the link can push (`Link.push`), frames are handled in place in the socket's callback: a
 * RESULT resumes its caller directly, with no dispatcher fiber woken per frame. The one dispatcher
 * fiber then only runs the Effects handlers return (delivery pauses meanwhile, so order is kept),
 * handles frames that arrived while it did, and ends the session when the link ends.
 */
import * as Cause from "effect/Cause"
import * as Chunk from "effect/Chunk"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import type * as Exit from "effect/Exit"
import type * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import type { AuthenticatorService } from "../../Authenticator.js"
import { type AuthenticationError, ProtocolError, SessionClosedError, type TransportError } from "../../Errors.js"
import * as Message from "../../Message.js"
import type { Frame } from "../../Serializer.js"
import type { JoinError } from "../../Session.js"
import * as WampError from "../../WampError.js"
import type { Core } from "./core.js"
import { helloDetails, parseWelcome } from "./hello.js"
import type { Lifecycle } from "./lifecycle.js"

/**
 * What a handler makes of one message: nothing more to do (undefined), the text of a protocol
 * violation, or an Effect the dispatcher runs before the next frame.
 */
export type Step = Effect.Effect<void> | string | undefined

/** The subscriber side, as the dispatcher sees it. */
export interface Subscriber {
  readonly event: (message: Message.Event) => Step
  /** UNSUBSCRIBED with request 0: the router revoked a subscription. */
  readonly revoke: (details: Message.Dict) => void
}

/** The callee side, as the dispatcher sees it. */
export interface Callee {
  readonly invocation: (message: Message.Invocation) => Step
  readonly interrupt: (message: Message.Interrupt) => Step
  /** UNREGISTERED with request 0: the router revoked a registration. */
  readonly revoke: (details: Message.Dict) => void
}

/** Everything the dispatcher routes to, handed over when it starts. */
export interface Routes {
  readonly core: Core
  readonly lifecycle: Lifecycle
  readonly authenticator: AuthenticatorService
  readonly subscriber: Subscriber
  readonly callee: Callee
}

/** Sends HELLO and runs the dispatcher until the link ends. */
export const run = (routes: Routes): Effect.Effect<void> => {
  const { lifecycle } = routes
  return Effect.zipRight(
    sendHello(routes),
    dispatch(routes).pipe(
      Effect.exit,
      Effect.flatMap((exit) =>
        lifecycle.terminate(
          {
            reason: WampError.StandardUri.TransportLost,
            message: closeMessage(exit),
            by: "transport",
            wasClean: false
          },
          new SessionClosedError({
            reason: WampError.StandardUri.TransportLost,
            message: "the connection to the router was lost",
            wasClean: false
          })
        )
      )
    )
  )
}

/** Handles frames until the link ends (then fails with None or Some(TransportError)). */
const dispatch = (routes: Routes): Effect.Effect<never, Option.Option<TransportError>> => {
  const { link } = routes.core
  const { push, receive } = link
  if (push === undefined || receive === undefined) {
    return Effect.scoped(
      Effect.flatMap(
        pullOf(routes.core),
        (pull) => Effect.forever(Effect.flatMap(pull, (frames) => process(routes, frames)))
      )
    )
  }
  /** The Effect of the frame that paused delivery: runs first when the fiber takes over. */
  let paused: Effect.Effect<void> | undefined
  const handler = (frame: Frame): boolean => {
    try {
      if (routes.core.state === "closed") return true
      const effect = handleFrame(routes, frame)
      if (effect === undefined) return true
      paused = effect
    } catch (defect) {
      // Never thrown into the socket's callback: the session ends as if the dispatcher had died.
      paused = Effect.die(defect)
    }
    return false
  }
  const resumePush = Effect.sync(() => {
    push(handler)
  })
  const step = Effect.flatMap(receive, (frames) => {
    const first = paused
    paused = undefined
    const rest = frames.length === 0 ? resumePush : Effect.zipRight(process(routes, frames), resumePush)
    return first === undefined ? rest : Effect.zipRight(first, rest)
  })
  return Effect.zipRight(resumePush, Effect.forever(step))
}

/**
 * A HELLO that cannot be encoded or written (over a RawSocket router's length limit, say) fails the
 * join at once with that error: nothing else would ever answer it.
 */
const sendHello = ({ authenticator, core, lifecycle }: Routes): Effect.Effect<void> => {
  const hello: Message.Message = {
    _tag: "Hello",
    realm: core.options.realm,
    details: helloDetails(core.options, authenticator)
  }
  const frame = core.serializer.encode(Message.encode(hello))
  const failJoin = (error: JoinError, message: string) => {
    Deferred.unsafeDone(lifecycle.joined, Effect.fail(error))
    return lifecycle.terminate(
      { reason: WampError.StandardUri.CloseNormal, message, by: "local", wasClean: false },
      new SessionClosedError({ reason: WampError.StandardUri.CloseNormal, message, wasClean: false })
    )
  }
  if (Either.isLeft(frame)) return failJoin(frame.left, `HELLO not sent: ${frame.left.message}`)
  return Effect.catchAll(core.link.send(frame.right), (error) => failJoin(error, `HELLO not sent: ${error.message}`))
}

/** The link's batch pull, or one built from its `inbound` stream. */
const pullOf = (core: Core) =>
  core.link.receive !== undefined
    ? Effect.succeed(core.link.receive)
    : Effect.map(Stream.toPull(core.link.inbound), (pull) => Effect.map(pull, Chunk.toReadonlyArray))

const process = (routes: Routes, frames: ReadonlyArray<Frame>): Effect.Effect<void> => {
  let index = 0
  const loop = (): Effect.Effect<void> => {
    while (index < frames.length) {
      if (routes.core.state === "closed") return Effect.void
      const effect = handleFrame(routes, frames[index++]!)
      if (effect !== undefined) return Effect.flatMap(effect, loop)
    }
    return Effect.void
  }
  return Effect.suspend(loop)
}

const handleFrame = (routes: Routes, frame: Frame): Effect.Effect<void> | undefined => {
  const { core, lifecycle } = routes
  const raw = core.serializer.decode(frame)
  if (Either.isLeft(raw)) {
    const text = `cannot decode frame: ${raw.left.message}`
    return lifecycle.violation(text, new ProtocolError({ reason: "Decode", message: text, cause: raw.left }))
  }
  const message = Message.decode(raw.right)
  // The decoder's error keeps its reason (Malformed, UnknownMessage) and cause.
  if (Either.isLeft(message)) return lifecycle.violation(message.left.message, message.left)
  let step: Step
  switch (core.state) {
    case "establishing":
      step = establishing(routes, message.right)
      break
    case "established":
      step = established(routes, message.right)
      break
    case "closing":
      step = closing(routes, message.right)
      break
    case "closed":
      return undefined
  }
  return typeof step === "string" ? lifecycle.violation(step) : step
}

const establishing = (routes: Routes, message: Message.Message): Step => {
  const { core, lifecycle } = routes
  switch (message._tag) {
    case "Welcome": {
      const info = parseWelcome(message, core.options.realm)
      if (typeof info === "string") return info
      const established = () => {
        core.info = info
        core.state = "established"
        Deferred.unsafeDone(lifecycle.joined, Effect.succeed(info))
      }
      // Mutual authentication: the authenticator may refuse a router that did not prove itself.
      const check = routes.authenticator.welcome
      if (check === undefined) {
        established()
        return undefined
      }
      return check({ authmethod: info.authmethod, authextra: info.authextra, details: message.details }).pipe(
        Effect.matchEffect({
          onSuccess: () => Effect.sync(established),
          onFailure: (error) => cannotAuthenticate(routes, error)
        })
      )
    }
    case "Challenge":
      return routes.authenticator.challenge({
        method: message.authMethod,
        extra: message.extra,
        channelBinding: core.link.channelBinding
      }).pipe(
        Effect.matchEffect({
          onSuccess: ({ extra, signature }) =>
            Effect.sync(() => core.sendQuietly({ _tag: "Authenticate", signature, extra })),
          onFailure: (error) => cannotAuthenticate(routes, error)
        })
      )
    case "Abort": {
      const denial = WampError.make(message.reason, {
        args: message.args,
        kwargs: message.kwargs,
        details: message.details
      })
      Deferred.unsafeDone(lifecycle.joined, Effect.fail(denial))
      return lifecycle.terminate(
        { reason: message.reason, message: detailsMessage(message.details), by: "router", wasClean: false },
        new SessionClosedError({ reason: message.reason, message: detailsMessage(message.details), wasClean: false })
      )
    }
    default:
      return `${Message.name(Message.Code[message._tag])} received before WELCOME`
  }
}

const cannotAuthenticate = ({ core, lifecycle }: Routes, error: AuthenticationError): Effect.Effect<void> =>
  Effect.suspend(() => {
    Deferred.unsafeDone(lifecycle.joined, Effect.fail(error))
    core.sendQuietly({
      _tag: "Abort",
      details: { message: error.message },
      reason: WampError.StandardUri.CannotAuthenticate
    })
    return lifecycle.terminate(
      { reason: WampError.StandardUri.CannotAuthenticate, message: error.message, by: "local", wasClean: false },
      new SessionClosedError({
        reason: WampError.StandardUri.CannotAuthenticate,
        message: error.message,
        wasClean: false
      })
    )
  })

/**
 * ERROR may only answer requests (spec: "ERROR message with invalid REQUEST.Type"); the decoder also
 * admits INVOCATION errors, which only a router receives.
 */
const answersClientRequest = (requestType: number): boolean =>
  Message.isErrorRequestType(requestType) && requestType !== Message.Code.Invocation

const established = (routes: Routes, message: Message.Message): Step => {
  const { core, lifecycle } = routes
  switch (message._tag) {
    case "Result":
      return core.reply(message.request, Message.Code.Call, message)
    case "Event":
      return routes.subscriber.event(message)
    case "Invocation":
      return routes.callee.invocation(message)
    case "Interrupt":
      return routes.callee.interrupt(message)
    case "Published":
      return core.reply(message.request, Message.Code.Publish, message)
    case "Subscribed":
      return core.reply(message.request, Message.Code.Subscribe, message)
    case "Registered":
      return core.reply(message.request, Message.Code.Register, message)
    case "Unsubscribed":
      if (message.request === 0) {
        routes.subscriber.revoke(message.details ?? {})
        return undefined
      }
      return core.reply(message.request, Message.Code.Unsubscribe, message)
    case "Unregistered":
      if (message.request === 0) {
        routes.callee.revoke(message.details ?? {})
        return undefined
      }
      return core.reply(message.request, Message.Code.Unregister, message)
    case "Error":
      if (!answersClientRequest(message.requestType)) {
        return `ERROR for an invalid request type ${message.requestType}`
      }
      return core.reply(message.request, message.requestType, message)
    case "Goodbye": {
      const text = detailsMessage(message.details)
      core.sendQuietly({ _tag: "Goodbye", details: {}, reason: WampError.StandardUri.GoodbyeAndOut })
      return lifecycle.terminate(
        { reason: message.reason, message: text, by: "router", wasClean: true },
        new SessionClosedError({ reason: message.reason, message: text, wasClean: true })
      )
    }
    case "Abort": {
      const text = detailsMessage(message.details)
      return lifecycle.terminate(
        { reason: message.reason, message: text, by: "router", wasClean: false },
        new SessionClosedError({ reason: message.reason, message: text, wasClean: false })
      )
    }
    case "Welcome":
      return "Received WELCOME message after session was established."
    case "Challenge":
      return "Received CHALLENGE message after session was established."
    default:
      return `${Message.name(Message.Code[message._tag])} is never sent to a client`
  }
}

/** After we sent GOODBYE only the reply (or an ABORT) matters; everything else is ignored. */
const closing = ({ core, lifecycle }: Routes, message: Message.Message): Step => {
  if (message._tag !== "Goodbye" && message._tag !== "Abort") return undefined
  return lifecycle.terminate(
    core.closeReason ?? { reason: WampError.StandardUri.CloseNormal, message: "", by: "local", wasClean: true },
    core.sessionError()
  )
}

const closeMessage = (exit: Exit.Exit<never, Option.Option<TransportError>>): string => {
  if (exit._tag === "Success") return "the connection was closed"
  const failure = Cause.failureOption(exit.cause)
  if (failure._tag === "Some") {
    return failure.value._tag === "Some"
      ? failure.value.value.message
      : "the connection was closed"
  }
  return Cause.pretty(exit.cause)
}

const detailsMessage = (details: Message.Dict): string => {
  const text = details["message"]
  return typeof text === "string" ? text : ""
}
