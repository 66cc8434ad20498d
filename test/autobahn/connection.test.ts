/**
 * The reference's Connection section: onopen/onclose with Autobahn|JS's reasons and details,
 * properties, close (also during a retry wait), retry options, onclose returning true, pending
 * operations failing when the session is lost, authentication with onchallenge and auth_cra.
 */
import { Effect, ScheduleDecision, ScheduleIntervals } from "effect"
import * as net from "node:net"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { retrySchedule } from "../../src/autobahn/options.js"
import autobahn from "../../src/node/autobahn/index.js"
import { deferred, serve, type Served, until, within } from "./support/router.js"

let served: Served
beforeAll(async () => {
  served = await serve({
    realms: [
      "realm1",
      {
        name: "secure",
        users: {
          alice: { secret: "s3cret", authrole: "admin" },
          bob: { secret: "pw", salt: { salt: "salt123", iterations: 100, keylen: 32 } },
          carol: { ticket: "t1cket" }
        }
      }
    ],
    goodbyeTimeout: 300
  })
})
afterAll(() => served.close())

interface Closed {
  readonly reason: autobahn.CloseReason
  readonly details: autobahn.CloseDetails
}

/** A connection whose callbacks are recorded. */
const watch = (options: autobahn.ConnectionOptions, onclose?: (closed: Closed) => unknown) => {
  const connection = new autobahn.Connection(options)
  const opens: Array<{ session: autobahn.Session; details: autobahn.OpenDetails }> = []
  const closes: Array<Closed> = []
  let openWaiter = deferred<autobahn.Session>()
  let closeWaiter = deferred<Closed>()
  connection.onopen = (session, details) => {
    opens.push({ session, details })
    openWaiter.resolve(session)
  }
  connection.onclose = (reason, details) => {
    const closed = { reason, details }
    closes.push(closed)
    closeWaiter.resolve(closed)
    return onclose?.(closed)
  }
  return {
    connection,
    opens,
    closes,
    opened: () => within(openWaiter.promise, 5000, "onopen").finally(() => (openWaiter = deferred())),
    closed: () => within(closeWaiter.promise, 5000, "onclose").finally(() => (closeWaiter = deferred()))
  }
}

/** A loopback port with nothing listening. */
const deadPort = async (): Promise<number> => {
  const server = net.createServer()
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const port = (server.address() as net.AddressInfo).port
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

describe("Connection", () => {
  it("onopen(session, details), properties, close() → onclose('closed'), close again throws", async () => {
    const w = watch({ url: served.url, realm: "realm1" })
    expect(w.connection.isOpen).toBe(false)
    expect(w.connection.session).toBeNull()
    w.connection.open()
    expect(() => w.connection.open()).toThrow("connection already open")
    const session = await w.opened()
    expect(session).toBeInstanceOf(autobahn.Session)
    expect(w.connection.session).toBe(session)
    expect(w.connection.isOpen).toBe(true)
    expect(w.connection.isConnected).toBe(true)
    expect(w.connection.isRetrying).toBe(false)
    expect(session.isOpen).toBe(true)
    expect(session.id).toBeTypeOf("number")
    expect(session.realm).toBe("realm1")
    expect(session.features?.caller?.["call_canceling"]).toBe(true)
    expect(session.features?.subscriber?.["pattern_based_subscription"]).toBe(true)
    const details = w.opens[0]!.details
    expect(details.authrole).toBeTypeOf("string")
    expect(details.roles).toHaveProperty("broker")
    expect(details.transport).toEqual({ type: "websocket", url: served.url })

    await w.connection.close("com.example.bye", "see you")
    const closed = await w.closed()
    expect(closed.reason).toBe("closed")
    expect(closed.details).toEqual({
      reason: "com.example.bye",
      message: "see you",
      will_retry: false,
      retry_delay: null,
      retry_count: null
    })
    expect(w.closes).toHaveLength(1)
    expect(session.isOpen).toBe(false)
    expect(session.id).toBeNull()
    expect(w.connection.session).toBeNull()
    expect(w.connection.isOpen).toBe(false)
    expect(() => w.connection.close()).toThrow("connection already closed")

    // A closed connection can be opened again, as in Autobahn|JS.
    w.connection.open()
    const again = await w.opened()
    expect(again).not.toBe(session)
    await w.connection.close()
  })

  it("session.leave() closes the connection without retrying", async () => {
    const w = watch({ url: served.url, realm: "realm1" })
    w.connection.open()
    const session = await w.opened()
    session.leave("wamp.close.normal", "done")
    const closed = await w.closed()
    expect(closed.reason).toBe("closed")
    expect(closed.details.will_retry).toBe(false)
    await until(() => w.connection.isOpen === false && !w.connection.isRetrying, "closed")
  })

  it("unreachable: max_retries 0 gives one onclose('unreachable') without retry", async () => {
    const port = await deadPort()
    const w = watch({ url: `ws://127.0.0.1:${port}/ws`, realm: "realm1", max_retries: 0 })
    w.connection.open()
    const closed = await w.closed()
    expect(closed.reason).toBe("unreachable")
    expect(closed.details.will_retry).toBe(false)
    expect(closed.details.reason).toBe("wamp.close.transport_lost")
    expect(w.opens).toHaveLength(0)
  })

  it("retries report will_retry, retry_count and retry_delay (seconds); returning true stops retrying", async () => {
    const port = await deadPort()
    const w = watch(
      {
        url: `ws://127.0.0.1:${port}/ws`,
        realm: "realm1",
        initial_retry_delay: 0.01,
        retry_delay_growth: 2,
        retry_delay_jitter: 0
      },
      (closed) => closed.details.retry_count === 3
    )
    w.connection.open()
    const first = await w.closed()
    expect(first.reason).toBe("unreachable")
    expect(first.details).toMatchObject({ will_retry: true, retry_count: 1, retry_delay: 0.01 })
    expect((await w.closed()).details).toMatchObject({ retry_count: 2, retry_delay: 0.02 })
    expect((await w.closed()).details).toMatchObject({ retry_count: 3, retry_delay: 0.04 })
    // onclose returned true: no further attempt and no further onclose.
    await until(() => !w.connection.isRetrying, "stopped retrying")
    await new Promise((resolve) => setTimeout(resolve, 150))
    expect(w.closes).toHaveLength(3)
    expect(() => w.connection.close()).toThrow("connection already closed")
  })

  it("a Promise returned from onclose does not stop retrying; close() during the retry wait does not reconnect", async () => {
    const port = await deadPort()
    const w = watch(
      { url: `ws://127.0.0.1:${port}/ws`, realm: "realm1", initial_retry_delay: 0.2, retry_delay_jitter: 0 },
      () => Promise.resolve(true)
    )
    w.connection.open()
    expect((await w.closed()).details.retry_count).toBe(1)
    expect((await w.closed()).details.retry_count).toBe(2)
    expect(w.connection.isRetrying).toBe(true)
    await w.connection.close()
    const last = await w.closed()
    expect(last.reason).toBe("closed")
    expect(last.details.will_retry).toBe(false)
    expect(w.connection.isRetrying).toBe(false)
    await new Promise((resolve) => setTimeout(resolve, 400))
    expect(w.closes).toHaveLength(3)
  })

  it("a session lost to the router: pending call rejects with the reason, onclose reports, a new session opens", async () => {
    const w = watch({ url: served.url, realm: "realm1", initial_retry_delay: 0.01, retry_delay_jitter: 0 })
    w.connection.open()
    const session = await w.opened()
    await session.register("com.example.never", () => new Promise(() => {}))
    const pending = session.call("com.example.never").catch((e: unknown) => e)
    const pendingRegister = session.register("com.example.late", () => 1)
    await served.run(served.router.killSession(session.id!, "wamp.close.system_shutdown", "restarting"))
    const error = await within(pending)
    expect(error).toBeInstanceOf(autobahn.Error)
    expect(error).toMatchObject({ error: "wamp.close.system_shutdown" })
    // The register raced the kill: it either made it or rejects; it never hangs.
    await within(pendingRegister.then(() => "ok", (e: autobahn.Error) => e.error))

    const closed = await w.closed()
    expect(closed.reason).toBe("closed")
    expect(closed.details).toMatchObject({ reason: "wamp.close.system_shutdown", will_retry: true, retry_count: 1 })
    const next = await w.opened()
    expect(next).not.toBe(session)
    expect(next.id).not.toBe(session.id)
    // The old session object stays dead: nothing on it reaches the new session.
    expect(session.isOpen).toBe(false)
    await expect(session.call("com.example.never")).rejects.toBeInstanceOf(autobahn.Error)
    // Registrations are per session, as in Autobahn|JS: re-registering in onopen works.
    await next.register("com.example.never", () => 1)
    expect(await next.call("com.example.never")).toBe(1)
    await w.connection.close()
  })

  it("RawSocket transport in `transports`, and falling through to the next transport", async () => {
    const port = await deadPort()
    const w = watch({
      realm: "realm1",
      transports: [
        { type: "rawsocket", host: "127.0.0.1", port },
        { type: "websocket", url: served.url }
      ],
      serializers: [new autobahn.serializer.MsgpackSerializer(), new autobahn.serializer.JSONSerializer()]
    })
    w.connection.open()
    const session = await w.opened()
    await session.register("com.example.fallthrough", () => "ok")
    expect(await session.call("com.example.fallthrough")).toBe("ok")
    await w.connection.close()
  })
})

describe("authentication", () => {
  it("wampcra with onchallenge and auth_cra.sign", async () => {
    const seen: Array<unknown> = []
    const w = watch({
      url: served.url,
      realm: "secure",
      authmethods: ["wampcra"],
      authid: "alice",
      onchallenge: (session, method, extra) => {
        seen.push(session instanceof autobahn.Session, method)
        return autobahn.auth_cra.sign("s3cret", extra["challenge"] as string)
      }
    })
    w.connection.open()
    await w.opened()
    expect(seen).toEqual([true, "wampcra"])
    expect(w.opens[0]!.details).toMatchObject({ authid: "alice", authrole: "admin", authmethod: "wampcra" })
    await w.connection.close()
  })

  it("salted wampcra with derive_key, answered by a Promise of [signature, extra]", async () => {
    const w = watch({
      url: served.url,
      realm: "secure",
      authmethods: ["wampcra"],
      authid: "bob",
      onchallenge: async (_session, _method, extra) => {
        const key = autobahn.auth_cra.derive_key(
          "pw",
          extra["salt"] as string,
          extra["iterations"] as number,
          extra["keylen"] as number
        )
        return [autobahn.auth_cra.sign(key, extra["challenge"] as string), {}] as const
      }
    })
    w.connection.open()
    await w.opened()
    expect(w.opens[0]!.details).toMatchObject({ authid: "bob", authmethod: "wampcra" })
    await w.connection.close()
  })

  it("ticket", async () => {
    const w = watch({
      url: served.url,
      realm: "secure",
      authmethods: ["ticket"],
      authid: "carol",
      onchallenge: () => "t1cket"
    })
    w.connection.open()
    await w.opened()
    await w.connection.close()
  })

  it("a throwing onchallenge aborts with cannot_authenticate; a wrong secret is refused; neither retries", async () => {
    const throwing = watch({
      url: served.url,
      realm: "secure",
      authmethods: ["wampcra"],
      authid: "alice",
      onchallenge: () => {
        throw new Error("no key here")
      }
    })
    throwing.connection.open()
    const closed = await throwing.closed()
    expect(closed.details).toMatchObject({ reason: "wamp.error.cannot_authenticate", will_retry: false })

    const wrong = watch({
      url: served.url,
      realm: "secure",
      authmethods: ["wampcra"],
      authid: "alice",
      onchallenge: (_s, _m, extra) => autobahn.auth_cra.sign("wrong", extra["challenge"] as string)
    })
    wrong.connection.open()
    const refused = await wrong.closed()
    expect(refused.reason).toBe("closed")
    expect(refused.details.will_retry).toBe(false)
    expect(refused.details.reason).toMatch(/^wamp\.error\./)
    expect(wrong.opens).toHaveLength(0)
  })

  it("auth_cra matches Autobahn|JS (crypto-js) on the same inputs", async () => {
    const { createRequire } = await import("node:module")
    const require = createRequire(import.meta.url)
    const cra = require("autobahn/lib/auth/cra.js") as {
      sign: (key: string, challenge: string) => string
      derive_key: (secret: string, salt: string, iterations?: number, keylen?: number) => string
    }
    const challenge = "{\"nonce\":\"abc\",\"authid\":\"joe\"}"
    expect(autobahn.auth_cra.sign("secret", challenge)).toBe(cra.sign("secret", challenge))
    expect(autobahn.auth_cra.derive_key("secret", "salt", 100, 16)).toBe(cra.derive_key("secret", "salt", 100, 16))
    expect(autobahn.auth_cra.derive_key("secret", "salt")).toBe(cra.derive_key("secret", "salt"))
  })
})

describe("retry options as a Schedule", () => {
  /** The delays (ms) the schedule gives for `count` failures; stops early when it is done. */
  const delays = (options: Omit<autobahn.ConnectionOptions, "realm">, count: number) =>
    Effect.runSync(Effect.gen(function*() {
      const schedule = retrySchedule({ realm: "r", ...options })
      let state: unknown = schedule.initial
      const out: Array<number> = []
      let now = 0
      for (let i = 0; i < count; i++) {
        const [next, , decision] = yield* schedule.step(now, undefined, state)
        if (ScheduleDecision.isDone(decision)) break
        const delay = ScheduleIntervals.start(decision.intervals) - now
        out.push(delay)
        now += delay
        state = next
      }
      return out
    }))

  it("defaults: 15 retries from 1.5 s growing ×1.5 within ±10 %, capped at 300 s", () => {
    const got = delays({}, 100)
    expect(got).toHaveLength(15)
    got.forEach((delay, i) => {
      const nominal = Math.min(1500 * 1.5 ** i, 300_000)
      expect(delay).toBeGreaterThanOrEqual(Math.min(nominal * 0.9, 300_000) - 1)
      expect(delay).toBeLessThanOrEqual(Math.min(nominal * 1.1, 300_000) + 1)
    })
  })

  it("jitter 0 really disables it; max_retry_delay caps; -1 retries forever; 0 never", () => {
    expect(delays({ retry_delay_jitter: 0, initial_retry_delay: 1, retry_delay_growth: 2, max_retry_delay: 5 }, 5))
      .toEqual([1000, 2000, 4000, 5000, 5000])
    expect(delays({ max_retries: -1, retry_delay_jitter: 0 }, 50)).toHaveLength(50)
    expect(delays({ max_retries: 0 }, 5)).toEqual([])
    expect(delays({ max_retries: 3, retry_delay_jitter: 0 }, 10)).toEqual([1500, 2250, 3375])
  })
})
