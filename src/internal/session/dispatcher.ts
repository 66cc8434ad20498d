/**
 * The one dispatcher fiber of a session: reads frames in order, decodes them, and routes each
 * message by session state. Handlers run synchronously; only the few that must wait (auth,
 * a suspended subscriber, writes) return an Effect, which runs before the next frame.
 */
import { Cause, Chunk, Deferred, Effect, Either, type Exit, type Option, Stream } from "effect"
import { type AuthenticationError, SessionClosedError, type TransportError } from "../../Errors.js"
import * as Message from "../../Message.js"
import type { Frame } from "../../Serializer.js"
import type { JoinError } from "../../Session.js"
import * as WampError from "../../WampError.js"
import type { Core } from "./core.js"
import { helloDetails, parseWelcome } from "./hello.js"

/** Sends HELLO and runs the dispatcher until the link ends. */
export const run = (core: Core): Effect.Effect<void> =>
  Effect.zipRight(
    sendHello(core),
    Effect.flatMap(pullOf(core), (pull) => Effect.forever(Effect.flatMap(pull, (frames) => process(core, frames))))
      .pipe(
        Effect.scoped,
        Effect.exit,
        Effect.flatMap((exit) =>
          core.terminate(
            {
              reason: WampError.Uri.TransportLost,
              message: closeMessage(exit),
              by: "transport",
              wasClean: false
            },
            new SessionClosedError({
              reason: WampError.Uri.TransportLost,
              message: "the connection to the router was lost",
              wasClean: false
            })
          )
        )
      )
  )

/**
 * A HELLO that cannot be encoded or written (over a RawSocket router's length limit, say) fails the
 * join at once with that error: nothing else would ever answer it.
 */
const sendHello = (core: Core): Effect.Effect<void> => {
  const hello: Message.Message = {
    _tag: "Hello",
    realm: core.options.realm,
    details: helloDetails(core.options, core.authenticator)
  }
  const frame = core.serializer.encode(Message.encode(hello))
  const failJoin = (error: JoinError, message: string) => {
    Deferred.unsafeDone(core.joined, Effect.fail(error))
    return core.terminate(
      { reason: WampError.Uri.CloseNormal, message, by: "local", wasClean: false },
      new SessionClosedError({ reason: WampError.Uri.CloseNormal, message, wasClean: false })
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

const process = (core: Core, frames: ReadonlyArray<Frame>): Effect.Effect<void> => {
  let index = 0
  const loop = (): Effect.Effect<void> => {
    while (index < frames.length) {
      if (core.state === "closed") return Effect.void
      const effect = handleFrame(core, frames[index++]!)
      if (effect !== undefined) return Effect.flatMap(effect, loop)
    }
    return Effect.void
  }
  return Effect.suspend(loop)
}

const handleFrame = (core: Core, frame: Frame): Effect.Effect<void> | undefined => {
  const raw = core.serializer.decode(frame)
  if (Either.isLeft(raw)) return core.violation(`cannot decode frame: ${raw.left.message}`)
  const message = Message.decode(raw.right)
  if (Either.isLeft(message)) return core.violation(message.left.message)
  switch (core.state) {
    case "establishing":
      return establishing(core, message.right)
    case "established":
      return established(core, message.right)
    case "closing":
      return closing(core, message.right)
    case "closed":
      return undefined
  }
}

const establishing = (core: Core, message: Message.Message): Effect.Effect<void> | undefined => {
  switch (message._tag) {
    case "Welcome": {
      const info = parseWelcome(message, core.options.realm)
      if (typeof info === "string") return core.violation(info)
      const established = () => {
        core.info = info
        core.state = "established"
        Deferred.unsafeDone(core.joined, Effect.succeed(info))
      }
      // Mutual authentication: the authenticator may refuse a router that did not prove itself.
      const check = core.authenticator.welcome
      if (check === undefined) {
        established()
        return undefined
      }
      return check({ authmethod: info.authmethod, authextra: info.authextra, details: message.details }).pipe(
        Effect.matchEffect({
          onSuccess: () => Effect.sync(established),
          onFailure: (error) => cannotAuthenticate(core, error)
        })
      )
    }
    case "Challenge":
      return core.authenticator.challenge({
        method: message.authMethod,
        extra: message.extra,
        channelBinding: core.link.channelBinding
      }).pipe(
        Effect.matchEffect({
          onSuccess: ({ extra, signature }) => core.sendQuietly({ _tag: "Authenticate", signature, extra }),
          onFailure: (error) => cannotAuthenticate(core, error)
        })
      )
    case "Abort": {
      const denial = WampError.make(message.reason, {
        args: message.args,
        kwargs: message.kwargs,
        details: message.details
      })
      Deferred.unsafeDone(core.joined, Effect.fail(denial))
      return core.terminate(
        { reason: message.reason, message: detailsMessage(message.details), by: "router", wasClean: false },
        new SessionClosedError({ reason: message.reason, message: detailsMessage(message.details), wasClean: false })
      )
    }
    default:
      return core.violation(`${Message.name(Message.Code[message._tag])} received before WELCOME`)
  }
}

const cannotAuthenticate = (core: Core, error: AuthenticationError): Effect.Effect<void> => {
  Deferred.unsafeDone(core.joined, Effect.fail(error))
  return Effect.zipRight(
    core.sendQuietly({ _tag: "Abort", details: { message: error.message }, reason: WampError.Uri.CannotAuthenticate }),
    core.terminate(
      { reason: WampError.Uri.CannotAuthenticate, message: error.message, by: "local", wasClean: false },
      new SessionClosedError({ reason: WampError.Uri.CannotAuthenticate, message: error.message, wasClean: false })
    )
  )
}

/**
 * ERROR may only answer requests (spec: "ERROR message with invalid REQUEST.Type"); the decoder also
 * admits INVOCATION errors, which only a router receives.
 */
const answersClientRequest = (requestType: number): boolean =>
  Message.isErrorRequestType(requestType) && requestType !== Message.Code.Invocation

const established = (core: Core, message: Message.Message): Effect.Effect<void> | undefined => {
  const handlers = core.handlers!
  switch (message._tag) {
    case "Result":
      return core.reply(message.request, Message.Code.Call, message)
    case "Event":
      return handlers.event(message)
    case "Invocation":
      return handlers.invocation(message)
    case "Interrupt":
      return handlers.interrupt(message)
    case "Published":
      return core.reply(message.request, Message.Code.Publish, message)
    case "Subscribed":
      return core.reply(message.request, Message.Code.Subscribe, message)
    case "Registered":
      return core.reply(message.request, Message.Code.Register, message)
    case "Unsubscribed":
      if (message.request === 0) {
        handlers.revokeSubscription(message.details ?? {})
        return undefined
      }
      return core.reply(message.request, Message.Code.Unsubscribe, message)
    case "Unregistered":
      if (message.request === 0) {
        handlers.revokeRegistration(message.details ?? {})
        return undefined
      }
      return core.reply(message.request, Message.Code.Unregister, message)
    case "Error":
      if (!answersClientRequest(message.requestType)) {
        return core.violation(`ERROR for an invalid request type ${message.requestType}`)
      }
      return core.reply(message.request, message.requestType, message)
    case "Goodbye": {
      const text = detailsMessage(message.details)
      const reply = core.sendQuietly({ _tag: "Goodbye", details: {}, reason: WampError.Uri.GoodbyeAndOut })
      return Effect.zipRight(
        reply,
        core.terminate(
          { reason: message.reason, message: text, by: "router", wasClean: true },
          new SessionClosedError({ reason: message.reason, message: text, wasClean: true })
        )
      )
    }
    case "Abort": {
      const text = detailsMessage(message.details)
      return core.terminate(
        { reason: message.reason, message: text, by: "router", wasClean: false },
        new SessionClosedError({ reason: message.reason, message: text, wasClean: false })
      )
    }
    case "Welcome":
      return core.violation("Received WELCOME message after session was established.")
    case "Challenge":
      return core.violation("Received CHALLENGE message after session was established.")
    default:
      return core.violation(`${Message.name(Message.Code[message._tag])} is never sent to a client`)
  }
}

/** After we sent GOODBYE only the reply (or an ABORT) matters; everything else is ignored. */
const closing = (core: Core, message: Message.Message): Effect.Effect<void> | undefined => {
  if (message._tag !== "Goodbye" && message._tag !== "Abort") return undefined
  const closeReason = core.closeReason
  return core.terminate(
    closeReason ?? { reason: WampError.Uri.CloseNormal, message: "", by: "local", wasClean: true },
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
