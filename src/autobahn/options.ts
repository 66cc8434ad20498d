/**
 * Autobahn|JS `Connection` options, and their mapping onto the core: a retry `Schedule`, a
 * `Transport`, the `Serializers` and an `Authenticator`.
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Schedule from "effect/Schedule"
import type * as Tracer from "effect/Tracer"
import * as Authenticator from "../Authenticator.js"
import { AuthenticationError, TransportError } from "../Errors.js"
import { json } from "../internal/serializer/json.js"
import type * as Serializer from "../Serializer.js"
import * as Transport from "../Transport.js"
import * as WebSocketTransport from "../WebSocketTransport.js"
import * as Codecs from "./codecs.js"
import type { Kwargs } from "./errors.js"
import type { AnySerializer } from "./serializer.js"
import type { Session } from "./session.js"

/** A WebSocket transport; `url` defaults to the connection's. */
export interface WebSocketTransportOptions {
  readonly type: "websocket"
  readonly url?: string | undefined
  readonly serializers?: ReadonlyArray<AnySerializer> | undefined
}

/** A RawSocket transport over TCP (`host`, `port`) or a Unix socket (`path`). */
export interface RawSocketTransportOptions {
  readonly type: "rawsocket"
  readonly host?: string | undefined
  readonly port?: number | undefined
  readonly path?: string | undefined
  readonly serializers?: ReadonlyArray<AnySerializer> | undefined
}

export type TransportOptions = WebSocketTransportOptions | RawSocketTransportOptions

/** What `onchallenge` may answer: a signature, or a signature and AUTHENTICATE.Extra, or a Promise of either. */
export type ChallengeAnswer = string | readonly [signature: string, extra: Kwargs]

export type OnChallenge = (
  session: Session,
  method: string,
  extra: Kwargs
) => ChallengeAnswer | PromiseLike<ChallengeAnswer>

export type ErrorHandler = (error: unknown, message?: string) => void

export interface ConnectionOptions {
  /** The router's WebSocket URL (used when `transports` is absent). */
  readonly url?: string | undefined
  readonly realm: string
  /** Authentication methods offered, e.g. `["wampcra", "ticket"]`. */
  readonly authmethods?: ReadonlyArray<string> | undefined
  readonly authid?: string | undefined
  readonly authrole?: string | undefined
  readonly authextra?: Kwargs | undefined
  /** Answers a CHALLENGE; throwing (or rejecting) sends ABORT `wamp.error.cannot_authenticate`. */
  readonly onchallenge?: OnChallenge | undefined
  /** Serializer instances in preference order (default JSON). */
  readonly serializers?: ReadonlyArray<AnySerializer> | undefined
  /** Tried in order until one opens. */
  readonly transports?: ReadonlyArray<TransportOptions> | undefined
  /** Maximum reconnection attempts: default 15, -1 for no limit, 0 for none. */
  readonly max_retries?: number | undefined
  /** Seconds before the first retry (default 1.5). */
  readonly initial_retry_delay?: number | undefined
  /** Cap of the retry delay in seconds (default 300). */
  readonly max_retry_delay?: number | undefined
  /** Multiplier of the retry delay per retry (default 1.5). */
  readonly retry_delay_growth?: number | undefined
  /** Each delay is multiplied by a uniform factor in [1 - jitter, 1 + jitter] (default 0.1; 0 disables it). */
  readonly retry_delay_jitter?: number | undefined
  /** Whether a first connection that cannot reach the router is retried (default true). */
  readonly retry_if_unreachable?: boolean | undefined
  /** Receives exceptions thrown by application callbacks (default `console.error`). */
  readonly on_user_error?: ErrorHandler | undefined
  /** Receives internal errors, such as an unacknowledged publish that failed (default `console.error`). */
  readonly on_internal_error?: ErrorHandler | undefined
  /**
   * effect-wamp's own: an Effect `Tracer` (e.g. @effect/opentelemetry's) for the sessions of this
   * connection. Then every call makes a `wamp.call` client span and carries its trace context to
   * the callee, as with the Effect API. Default: no tracing.
   */
  readonly tracer?: Tracer.Tracer | undefined
  /** Other Autobahn|JS options (`use_es6_promises`, `tlsConfiguration`, ...) are accepted and ignored. */
  readonly [option: string]: unknown
}

/** The retry options as a Schedule over connection failures (delays in seconds, as Autobahn|JS). */
export const retrySchedule = (options: ConnectionOptions): Schedule.Schedule<unknown, unknown> => {
  const maxRetries = options.max_retries ?? 15
  const initial = Duration.millis((options.initial_retry_delay ?? 1.5) * 1000)
  const cap = Duration.millis((options.max_retry_delay || 300) * 1000)
  const growth = options.retry_delay_growth || 1.5
  const jitter = Math.max(0, options.retry_delay_jitter ?? 0.1)
  const grown = Schedule.exponential(initial, growth)
  const jittered = jitter > 0 ? Schedule.jitteredWith(grown, { min: Math.max(0, 1 - jitter), max: 1 + jitter }) : grown
  // modifyDelay gets (output, delay): the delay is the jittered one, capped here.
  const capped = Schedule.modifyDelay(jittered, (_, delay) => Duration.min(delay, cap))
  return maxRetries < 0 ? capped : Schedule.intersect(capped, Schedule.recurs(maxRetries))
}

/**
 * How the facade makes transports where it runs: the global WebSocket, and no RawSocket, from the
 * default entry point (browsers); `ws` and RawSocket from the Node one (`src/node/autobahn.ts`).
 */
export interface Platform {
  readonly webSocket: (url: string) => Transport.TransportService
  /** `undefined` where RawSocket is not available: such entries are skipped, as unusable. */
  readonly rawSocket: ((entry: RawSocketTransportOptions) => Transport.TransportService | undefined) | undefined
}

const globalWebSocket: WebSocketTransport.WebSocketConstructor = (url, protocols) =>
  new globalThis.WebSocket(url, protocols)

export const browserPlatform: Platform = {
  webSocket: (url) => WebSocketTransport.makeWith({ url }, globalWebSocket),
  rawSocket: undefined
}

/** The transports named by the options, or `undefined` when none is usable ("unsupported"). */
export const transportOf = (options: ConnectionOptions, platform: Platform): Transport.TransportService | undefined => {
  const entries: ReadonlyArray<TransportOptions> = options.transports ?? [{ type: "websocket", url: options.url }]
  const services: Array<Transport.TransportService> = []
  for (const entry of entries) {
    if (entry.type === "websocket") {
      const url = entry.url ?? options.url
      if (url !== undefined) services.push(platform.webSocket(url))
    } else if (entry.type === "rawsocket") {
      const service = platform.rawSocket?.(entry)
      if (service !== undefined) services.push(service)
    }
  }
  const [first, ...rest] = services
  if (first === undefined) return undefined
  if (rest.length === 0) return first
  return Transport.make((serializers) => Effect.firstSuccessOf(services.map((service) => service.open(serializers))))
}

/** The serializers of the first usable transport entry that names some, else the connection's. */
export const serializersOf = (options: ConnectionOptions): ReadonlyArray<AnySerializer> | undefined =>
  options.transports?.find((entry) => entry.serializers !== undefined)?.serializers ?? options.serializers

const answerOf = (
  method: string,
  answer: unknown
): Effect.Effect<Authenticator.ChallengeResponse, AuthenticationError> => {
  if (typeof answer === "string") return Effect.succeed({ signature: answer, extra: {} })
  if (Array.isArray(answer) && typeof answer[0] === "string") {
    const extra: unknown = answer[1]
    return Effect.succeed({
      signature: answer[0],
      extra: typeof extra === "object" && extra !== null ? extra as Kwargs : {}
    })
  }
  return Effect.fail(
    new AuthenticationError({
      reason: "Signature",
      method,
      message: "onchallenge must return a signature string or [signature, extra]"
    })
  )
}

/**
 * The authenticator: anonymous unless methods or `onchallenge` are given; a CHALLENGE goes to
 * `onchallenge(session, method, extra)`. Without one, or when it throws, the core aborts with
 * `wamp.error.cannot_authenticate`.
 */
export const authenticatorOf = (
  options: ConnectionOptions,
  joiningSession: () => Session
): Authenticator.AuthenticatorService => {
  const identity = {
    ...(options.authid === undefined ? {} : { authid: options.authid }),
    ...(options.authrole === undefined ? {} : { authrole: options.authrole })
  }
  if (options.authmethods === undefined && options.onchallenge === undefined) {
    return Authenticator.anonymous(identity)
  }
  const onchallenge = options.onchallenge
  return Authenticator.custom({
    ...identity,
    authmethods: options.authmethods ?? ["anonymous"],
    authextra: options.authextra,
    onChallenge: ({ extra, method }) =>
      onchallenge === undefined
        ? Effect.fail(
          new AuthenticationError({ reason: "Challenge", method, message: "no onchallenge handler set" })
        )
        : Effect.tryPromise({
          try: () => new Promise((resolve) => resolve(onchallenge(joiningSession(), method, { ...extra }))),
          catch: (error) =>
            new AuthenticationError({
              reason: "Signature",
              method,
              message: `onchallenge failed: ${error instanceof Error ? error.message : String(error)}`,
              cause: error
            })
        }).pipe(Effect.flatMap((answer) => answerOf(method, answer)))
  })
}

/** Used when no transport option is usable: every open fails as a refused handshake ("unsupported"). */
export const unsupportedTransport: Transport.TransportService = Transport.make(() =>
  Effect.fail(new TransportError({ reason: "Handshake", message: "no usable transport in the options" }))
)

const byId: { readonly [id: string]: Serializer.SerializerService } = {
  json,
  // Loaded when a connection opens with them (codecs.ts), so JSON-only pages carry neither.
  msgpack: Codecs.msgpack,
  cbor: Codecs.cbor
}

/**
 * The core serializers for an Autobahn|JS `serializers` option, in order. Anything with a known
 * `SERIALIZER_ID` counts (instances from another copy of this module too); unknown entries are
 * skipped; none at all means Autobahn|JS's default, JSON.
 */
export const toServices = (
  serializers: ReadonlyArray<unknown> | undefined
): readonly [Serializer.SerializerService, ...Array<Serializer.SerializerService>] => {
  const services: Array<Serializer.SerializerService> = []
  for (const entry of serializers ?? []) {
    const id = typeof entry === "object" && entry !== null
      ? (entry as { SERIALIZER_ID?: unknown }).SERIALIZER_ID
      : undefined
    const service = typeof id === "string" ? byId[id] : undefined
    if (service !== undefined && !services.includes(service)) services.push(service)
  }
  const [first, ...rest] = services
  return first === undefined ? [json] : [first, ...rest]
}
