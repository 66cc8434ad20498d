/**
 * Transport keep-alive: `interval` after the last answer a PING goes out (WebSocket ping frame,
 * RawSocket PING);
 * if nothing at all comes back within `timeout` (no PONG and no other frame), the peer is taken
 * for gone and the link is dropped. A half-open connection (a router that stopped, a cable pulled,
 * packets dropped) is so found within `interval + timeout` instead of never. Timers are Effect's
 * `Clock`, so tests can drive them with `TestClock`.
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
// By name: this module's own `Option` type would clash with a namespace import of effect/Option.
import { isSome } from "effect/Option"
import { TransportError } from "../../Errors.js"

export interface Options {
  /** Time from an answered PING to the next (default 30 s). */
  readonly interval?: Duration.DurationInput | undefined
  /** How long to wait for any answer after a PING before dropping the link (default 15 s). */
  readonly timeout?: Duration.DurationInput | undefined
}

/** A transport's `keepAlive` option: settings, or `false` to turn keep-alive off. */
export type Option = Options | false

export const DEFAULT_INTERVAL: Duration.DurationInput = "30 seconds"
export const DEFAULT_TIMEOUT: Duration.DurationInput = "15 seconds"

export interface Settings {
  readonly interval: Duration.Duration
  readonly timeout: Duration.Duration
}

export const settings = (option: Option | undefined): Settings | undefined =>
  option === false ? undefined : {
    interval: Duration.decode(option?.interval ?? DEFAULT_INTERVAL),
    timeout: Duration.decode(option?.timeout ?? DEFAULT_TIMEOUT)
  }

export interface KeepAlive {
  /** Call for every frame received and every PONG: the peer is alive. */
  readonly heard: () => void
  /** PINGs until the link ends (`ended` true) or the peer stays silent; then calls `drop` once. */
  readonly run: Effect.Effect<void>
}

export const make = (
  config: Settings,
  io: {
    readonly ping: () => void
    readonly ended: () => boolean
    readonly drop: (error: TransportError) => void
  }
): KeepAlive => {
  let heard = false
  let wake: (() => void) | undefined
  const answered = Effect.async<void>((resume) => {
    if (heard) return resume(Effect.void)
    wake = () => resume(Effect.void)
    return Effect.sync(() => {
      wake = undefined
    })
  })
  const round: Effect.Effect<boolean> = Effect.gen(function*() {
    yield* Effect.sleep(config.interval)
    if (io.ended()) return false
    heard = false
    io.ping()
    const answer = yield* Effect.timeoutOption(answered, config.timeout)
    if (isSome(answer) || io.ended()) return !io.ended()
    io.drop(
      new TransportError({
        reason: "Timeout",
        message: `keep-alive: no answer to a PING within ${
          Duration.format(config.timeout)
        }: the peer stopped answering (half-open connection)`
      })
    )
    return false
  })
  const loop: Effect.Effect<void> = Effect.flatMap(round, (again) => again ? loop : Effect.void)
  return {
    heard: () => {
      heard = true
      const resume = wake
      wake = undefined
      resume?.()
    },
    run: loop
  }
}
