/**
 * The scenarios of Autobahn|JS's own test suite (packages/autobahn/test in crossbario/autobahn-js),
 * written anew against the facade and the test-kit router on loopback: promise helpers, connecting
 * many sessions, errors in user callbacks, PubSub options and pattern subscriptions, RPC argument
 * shapes, errors, progress, routing, request ids on the wire, and serializer round trips (CBOR's
 * large payload and binary values included). The upstream files that read private members
 * (`session._socket`, `session._send_wamp`) or Autobahn|JS's internal modules are covered here
 * through the public API (and a wire tap) instead; see docs/migrating-from-autobahn.md.
 */
import { randomBytes } from "node:crypto"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import autobahn from "../../src/node/autobahn/index.js"
import { deferred, serve, type Served, until, within } from "./support/router.js"
import { wireTap } from "./support/wireTap.js"

let served: Served
beforeAll(async () => {
  served = await serve()
})
afterAll(() => served.close())

type Options = Partial<autobahn.ConnectionOptions>
const open: Array<autobahn.Connection> = []
afterAll(async () => {
  await Promise.all(open.map((connection) => connection.isOpen ? connection.close().catch(() => {}) : undefined))
})

const connect = async (options: Options = {}): Promise<autobahn.Session> => {
  const connection = new autobahn.Connection({ url: served.url, realm: "realm1", max_retries: 0, ...options })
  open.push(connection)
  const opened = deferred<autobahn.Session>()
  connection.onopen = (session) => opened.resolve(session)
  connection.open()
  return within(opened.promise, 5000, "onopen")
}
const connectN = (n: number, options?: Options) => autobahn.when.all(Array.from({ length: n }, () => connect(options)))

/** Collects events of one subscription until `count` arrived (bounded wait). */
const collector = (count: number) => {
  const events: Array<[Array<unknown>, Record<string, unknown>]> = []
  const done = deferred<void>()
  return {
    events,
    handler: (args: Array<unknown>, kwargs: Record<string, unknown>) => {
      events.push([args, kwargs])
      if (events.length === count) done.resolve()
    },
    done: () => within(done.promise, 5000, `${count} events`)
  }
}

describe("upstream: basic and connect", () => {
  it("when.defer + when.all (test_basic_async)", async () => {
    const d1 = autobahn.when.defer<number>()
    const d2 = autobahn.when.defer<number>()
    const all = autobahn.when.all([d1.promise, d2.promise])
    d1.resolve(23)
    d2.resolve(42)
    expect(await all).toEqual([23, 42])
  })

  it("connects 10 sessions, each leaves (test_connect)", async () => {
    const sessions = await connectN(10)
    expect(sessions).toHaveLength(10)
    expect(new Set(sessions.map((s) => s.id)).size).toBe(10)
    for (const session of sessions) session.leave()
    await until(() => sessions.every((s) => !s.isOpen), "all left")
  })
})

describe("upstream: errors in user callbacks reach on_user_error (test_error_handling)", () => {
  const errorOnce = () => {
    const reported = deferred<[Error, string]>()
    return {
      reported,
      on_user_error: (error: unknown, message?: string) => reported.resolve([error as Error, message ?? ""])
    }
  }

  it("in onopen", async () => {
    const { on_user_error, reported } = errorOnce()
    const connection = new autobahn.Connection({ url: served.url, realm: "realm1", max_retries: 0, on_user_error })
    open.push(connection)
    let closed = false
    connection.onopen = () => {
      throw Error("On open user error.")
    }
    connection.onclose = () => {
      closed = true
    }
    connection.open()
    const [error, message] = await within(reported.promise)
    expect(error.message).toBe("On open user error.")
    expect(message).toBe("Exception raised from app code while firing Connection.onopen()")
    expect(closed).toBe(false)
  })

  it("in onclose", async () => {
    const { on_user_error, reported } = errorOnce()
    const connection = new autobahn.Connection({ url: served.url, realm: "realm1", max_retries: 0, on_user_error })
    connection.onopen = () => void connection.close()
    connection.onclose = () => {
      throw Error("On close user error.")
    }
    connection.open()
    const [error, message] = await within(reported.promise)
    expect(error.message).toBe("On close user error.")
    expect(message).toBe("Exception raised from app code while firing Connection.onclose()")
  })

  it("in an event handler", async () => {
    const { on_user_error, reported } = errorOnce()
    const [subscriber, publisher] = await connectN(2, { on_user_error })
    await subscriber!.subscribe("com.myapp.topic.err", () => {
      throw Error("Event handler user error.")
    })
    publisher!.publish("com.myapp.topic.err", [])
    const [error, message] = await within(reported.promise)
    expect(error.message).toBe("Event handler user error.")
    expect(message).toBe("Exception raised in event handler:")
  })

  it("in an invocation handler: reported, and the caller gets an error", async () => {
    const { on_user_error, reported } = errorOnce()
    const [callee, caller] = await connectN(2, { on_user_error })
    await callee!.register("com.myapp.proc.err", () => {
      throw Error("Invocation handler user error.")
    })
    const failed = await caller!.call("com.myapp.proc.err", []).then(() => undefined, (e: autobahn.Error) => e)
    expect(failed).toBeInstanceOf(autobahn.Error)
    const [error, message] = await within(reported.promise)
    expect(error.message).toBe("Invocation handler user error.")
    expect(message).toBe("Exception raised in invocation handler:")
  })
})

describe("upstream: PubSub", () => {
  it("basic: events in order (test_pubsub_basic), acknowledged publications (test_pubsub_options)", async () => {
    const [publisher, subscriber] = await connectN(2)
    const got = collector(6)
    await subscriber!.subscribe("com.myapp.basic", got.handler)
    const publications: Array<unknown> = []
    for (let i = 0; i < 6; i++) {
      publications.push(await publisher!.publish("com.myapp.basic", [i], {}, { acknowledge: true }))
    }
    await got.done()
    expect(got.events.map(([args]) => args[0])).toEqual([0, 1, 2, 3, 4, 5])
    for (const publication of publications) {
      expect(publication).toBeInstanceOf(autobahn.Publication)
      expect(typeof (publication as autobahn.Publication).id).toBe("number")
    }
    // Unacknowledged: publish returns nothing.
    expect(publisher!.publish("com.myapp.basic", [6])).toBeUndefined()
  })

  it("complex payloads (test_pubsub_complex)", async () => {
    const [publisher, subscriber] = await connectN(2)
    const got = collector(3)
    await subscriber!.subscribe("com.myapp.complex", got.handler)
    const payload = (i: number) => ({
      counter: i,
      foo: [1, i, 2 * i],
      bar: "This is a test text.",
      baz: { a: 1.23456, b: 10000, c: null, d: "foo" }
    })
    for (let i = 0; i < 3; i++) {
      await publisher!.publish("com.myapp.complex", Array.from({ length: i }, (_, k) => k), payload(i), {
        acknowledge: true
      })
    }
    await got.done()
    expect(got.events).toEqual([[[], payload(0)], [[0], payload(1)], [[0, 1], payload(2)]])
  })

  it("eligible, exclude and exclude_me (test_pubsub_eligible / _exclude / _excludeme)", async () => {
    const [s1, s2, s3] = await connectN(3)
    const seen: Record<string, Array<unknown>> = { s1: [], s2: [], s3: [] }
    const entries = [["s1", s1!], ["s2", s2!], ["s3", s3!]] as const
    for (const [name, session] of entries) {
      await session.subscribe("com.myapp.options", (args) => void seen[name]!.push(args[0]))
    }
    const publishAll = async (tag: string, options: autobahn.PublishOptions) =>
      s1!.publish("com.myapp.options", [tag], {}, { acknowledge: true, ...options })
    await publishAll("unset", {})
    await publishAll("eligible-s3", { eligible: [s3!.id!] })
    await publishAll("exclude-s2", { exclude: [s2!.id!] })
    await publishAll("exclude_me-false", { exclude_me: false })
    await until(() => seen["s3"]!.length === 4 && seen["s2"]!.length === 2 && seen["s1"]!.length === 1)
    // The publisher (s1) is excluded unless exclude_me is false.
    expect(seen).toEqual({
      s1: ["exclude_me-false"],
      s2: ["unset", "exclude_me-false"],
      s3: ["unset", "eligible-s3", "exclude-s2", "exclude_me-false"]
    })
  })

  it("exact, prefix and wildcard subscriptions on one publication each get it (test_pubsub_multiple_matching_subs)", async () => {
    const [publisher, b, c, d, e] = await connectN(5)
    const got: Array<string> = []
    const on =
      (who: string) => (_args: Array<unknown>, _kwargs: unknown, _details: unknown, sub: autobahn.Subscription) =>
        void got.push(`${who}:${sub.topic}:${sub.options["match"] ?? "exact"}`)
    await b!.subscribe("com..topic1", on("B"), { match: "wildcard" })
    await c!.subscribe("com.myapp", on("C"), { match: "prefix" })
    await d!.subscribe("com", on("D"), { match: "prefix" })
    await e!.subscribe("com.myapp.topic1", on("E"), { match: "exact" })
    const topics = [
      "com.myapp.topic1",
      "com.myapp.topic123",
      "com.myapp.topic1.foobar",
      "de.myapp.topic1",
      "com.foobar"
    ]
    for (const topic of topics) await publisher!.publish(topic, [topic], null, { acknowledge: true })
    await until(() => got.length === 9, "9 events")
    expect(got.sort()).toEqual([
      "B:com..topic1:wildcard",
      "C:com.myapp:prefix",
      "C:com.myapp:prefix",
      "C:com.myapp:prefix",
      "D:com:prefix",
      "D:com:prefix",
      "D:com:prefix",
      "D:com:prefix",
      "E:com.myapp.topic1:exact"
    ])
  })

  it("prefix subscription is a plain string prefix (test_pubsub_prefix_sub)", async () => {
    const [publisher, subscriber] = await connectN(2)
    const got = collector(7)
    await subscriber!.subscribe("com.myapp", got.handler, { match: "prefix" })
    const matching = [
      "com.myapp.topic1.foobar",
      "com.myapp.topic1",
      "com.myapp.topi",
      "com.myapp2.foobar",
      "com.myapp2",
      "com.myapp.2",
      "com.myapp"
    ]
    for (const topic of [...matching, "com.app.topic1", "com.myap", "com"]) {
      await publisher!.publish(topic, [topic], {}, { acknowledge: true })
    }
    await got.done()
    expect(got.events.map(([args]) => args[0])).toEqual(matching)
  })

  it("wildcard subscription matches whole components (test_pubsub_wildcard_sub)", async () => {
    const [publisher, subscriber] = await connectN(2)
    const got = collector(2)
    await subscriber!.subscribe("com.example..create", got.handler, { match: "wildcard" })
    const topics = [
      "com.example.foobar.create",
      "com.example.1.create",
      "com.example.foobar.delete",
      "com.example.foobar.create2",
      "com.example.foobar.create.barbaz",
      "com.example.foobar",
      "com.example.create",
      "com.example"
    ]
    for (const topic of topics) await publisher!.publish(topic, [topic], {}, { acknowledge: true })
    await got.done()
    expect(got.events.map(([args]) => args[0])).toEqual(topics.slice(0, 2))
  })

  it("over RawSocket with MessagePack (test_rawsocket_transport)", async () => {
    const options: Options = {
      url: undefined,
      transports: [{ type: "rawsocket", host: served.host, port: served.rawSocketPort }],
      serializers: [new autobahn.serializer.MsgpackSerializer()]
    }
    const [publisher, subscriber] = await connectN(2, options)
    const got = collector(6)
    await subscriber!.subscribe("com.myapp.raw", got.handler)
    for (let i = 0; i < 6; i++) publisher!.publish("com.myapp.raw", [i])
    await got.done()
    expect(got.events.map(([args]) => args[0])).toEqual([0, 1, 2, 3, 4, 5])
  })
})

describe("upstream: RPC", () => {
  let callee: autobahn.Session
  let caller: autobahn.Session
  beforeAll(async () => {
    callee = await connect()
    caller = await connect()
  })

  it("argument shapes (test_rpc_arguments)", async () => {
    const seen: Array<unknown> = []
    await callee.register("com.arguments.ping", () => void seen.push("ping"))
    await callee.register("com.arguments.add2", (args) => (args[0] as number) + (args[1] as number))
    await callee.register("com.arguments.stars", (_args, kwargs) => {
      kwargs = kwargs || {}
      kwargs["nick"] = kwargs["nick"] || "somebody"
      kwargs["stars"] = kwargs["stars"] || 0
      return `${kwargs["nick"]} starred ${kwargs["stars"]}x`
    })
    const orders = Array.from({ length: 50 }, (_, i) => i)
    await callee.register("com.arguments.orders", (_args, kwargs) => orders.slice(0, (kwargs["limit"] as number) || 5))
    await callee.register("com.arguments.arglen", (args, kwargs) => [args.length, Object.keys(kwargs).length])
    expect(await caller.call("com.arguments.ping")).toBeNull()
    expect(await caller.call("com.arguments.add2", [2, 3])).toBe(5)
    expect(await caller.call("com.arguments.stars")).toBe("somebody starred 0x")
    expect(await caller.call("com.arguments.stars", [], { nick: "Homer" })).toBe("Homer starred 0x")
    expect(await caller.call("com.arguments.stars", [], { stars: 5 })).toBe("somebody starred 5x")
    expect(await caller.call("com.arguments.stars", [], { nick: "Homer", stars: 5 })).toBe("Homer starred 5x")
    expect(await caller.call("com.arguments.orders", ["coffee"], { limit: 5 })).toEqual([0, 1, 2, 3, 4])
    expect(await caller.call("com.arguments.orders", ["coffee"], { limit: 10 })).toHaveLength(10)
    expect(await caller.call("com.arguments.arglen")).toEqual([0, 0])
    expect(await caller.call("com.arguments.arglen", [1, 2, 3])).toEqual([3, 0])
    expect(await caller.call("com.arguments.arglen", [], { a: 1, b: 2, c: 3 })).toEqual([0, 3])
    expect(await caller.call("com.arguments.arglen", [1, 2, 3], { a: 1, b: 2, c: 3 })).toEqual([3, 3])
    expect(seen).toEqual(["ping"])
  })

  it("Result in both directions (test_rpc_complex)", async () => {
    await callee.register("com.complex.add", (args) =>
      new autobahn.Result([], {
        c: (args[0] as number) + (args[2] as number),
        ci: (args[1] as number) + (args[3] as number)
      }))
    await callee.register("com.complex.split", (args) => new autobahn.Result((args[0] as string).split(" ")))
    await callee.register("com.complex.echo", (args, kwargs) => new autobahn.Result(args, kwargs))
    const sum = await caller.call("com.complex.add", [2, 3, 4, 5])
    expect([sum.kwargs.c, sum.kwargs.ci]).toEqual([6, 8])
    expect((await caller.call("com.complex.split", ["Homer Simpson"])).args).toEqual(["Homer", "Simpson"])
    expect(await caller.call("com.complex.echo")).toBeNull()
    const kw = await caller.call("com.complex.echo", [], { a: 23, b: "hello" })
    expect([kw.args, kw.kwargs]).toEqual([[], { a: 23, b: "hello" }])
    const many = await caller.call("com.complex.echo", [1, 2, 3])
    expect([many.args, many.kwargs]).toEqual([[1, 2, 3], {}])
    const both = await caller.call("com.complex.echo", [1, 2, 3, { a: 23 }], { c: [1, 2, 3] })
    expect([both.args, both.kwargs]).toEqual([[1, 2, 3, { a: 23 }], { c: [1, 2, 3] }])
  })

  it("errors: a thrown string is runtime_error with it; autobahn.Error as sent (test_rpc_error)", async () => {
    await callee.register("com.error.sqrt", (args) => {
      const x = args[0] as number
      if (x === 0) throw "don't ask folly questions;)"
      if (x < 0) throw new autobahn.Error("com.myapp.error", ["fuck"], { a: 23, b: 9 })
      return Math.sqrt(x).toFixed(6)
    })
    expect(await caller.call("com.error.sqrt", [2])).toBe("1.414214")
    const folly = await caller.call("com.error.sqrt", [0]).catch((e: autobahn.Error) => e)
    expect([folly.error, folly.args, folly.kwargs]).toEqual([
      "wamp.error.runtime_error",
      ["don't ask folly questions;)"],
      {}
    ])
    const app = await caller.call("com.error.sqrt", [-2]).catch((e: autobahn.Error) => e)
    expect([app.error, app.args, app.kwargs]).toEqual(["com.myapp.error", ["fuck"], { a: 23, b: 9 }])
  })

  it("details and publish options from inside an endpoint (test_rpc_options)", async () => {
    const details: Array<unknown> = []
    const events: Array<unknown> = []
    const session = await connect()
    await session.register("com.options.square", (args, _kwargs, invocation) => {
      details.push({ ...invocation })
      const val = args[0] as number
      if (val < 0) session.publish("com.options.nonpositive", [val])
      else if (val === 0) session.publish("com.options.nonpositive", [val], {}, {})
      return val * val
    })
    await session.subscribe("com.options.nonpositive", (args) => void events.push(args[0]))
    expect(await Promise.all([2, 0, -2].map((v) => session.call("com.options.square", [v], {}, {})))).toEqual([4, 0, 4])
    // Without disclosure the caller is unknown; the own session's events are excluded by default.
    expect(details).toEqual(
      Array.from({ length: 3 }, () => ({
        procedure: "com.options.square",
        progress: null,
        caller: undefined,
        caller_authid: undefined,
        caller_authrole: undefined
      }))
    )
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(events).toEqual([])
  })

  it("progressive results with when.js deferreds (test_rpc_progress)", async () => {
    await callee.register("com.progress.longop", (args, _kwargs, details) => {
      const n = args[0] as number
      const d = autobahn.when.defer<number>()
      let i = 0
      const tick = () => {
        if (i < n) {
          details.progress!([i++])
          setTimeout(tick, 20)
        } else d.resolve(n)
      }
      tick()
      return d.promise
    })
    const progress: Array<unknown> = []
    const final = await caller.call("com.progress.longop", [3], {}, { receive_progress: true }).then(
      (res) => res,
      (err) => err,
      (update: unknown) => void progress.push(update)
    )
    expect(final).toBe(3)
    expect(progress).toEqual([0, 1, 2])
  })

  it("a call from another session is routed to the callee (test_rpc_routing)", async () => {
    const [s1, s2] = await connectN(2)
    await s1!.register("com.routing.square", (args) => (args[0] as number) ** 2)
    expect(await s2!.call("com.routing.square", [23])).toBe(529)
  })

  it("sync and promise-returning endpoints (test_rpc_slowsquare)", async () => {
    await callee.register("com.slow.square", (args) => {
      const d = autobahn.when.defer<number>()
      setTimeout(() => d.resolve((args[0] as number) ** 2), 100)
      return d.promise
    })
    await callee.register("com.quick.square", (args) => (args[0] as number) ** 2)
    const order: Array<string> = []
    await Promise.all([
      caller.call("com.slow.square", [3]).then((r) => order.push(`slow ${r}`)),
      caller.call("com.quick.square", [3]).then((r) => order.push(`quick ${r}`))
    ])
    expect(order).toEqual(["quick 9", "slow 9"])
  })

  it("request ids of REGISTER and CALL are 1, 2, 3, 4 on a new session (test_rpc_request_id_sequence, via a wire tap)", async () => {
    const tap = await wireTap(served.url)
    try {
      const session = await connect({ url: tap.url })
      await session.register("com.sequence.noop", () => null)
      for (let i = 0; i < 3; i++) await session.call("com.sequence.noop")
      const ids = tap.sent.filter((m) => m[0] === 64 || m[0] === 48).map((m) => m[1])
      expect(ids).toEqual([1, 2, 3, 4])
    } finally {
      await tap.close()
    }
  })
})

describe("upstream: serializers (test_serialization_*, test_binary)", () => {
  const serializers = {
    json: () => new autobahn.serializer.JSONSerializer(),
    msgpack: () => new autobahn.serializer.MsgpackSerializer(),
    cbor: () => new autobahn.serializer.CBORSerializer()
  }
  for (const [name, make] of Object.entries(serializers)) {
    it(`${name}: echo round trip of scalars, lists, dicts, ±(2^53 - 1), null`, async () => {
      const session = await connect({ serializers: [make()] })
      await session.register(`com.${name}.echo`, (args) => args[0])
      const values = [1.7, "hello", [1, 2, -3], { a: 5, b: "hello2" }, [-9007199254740991, 9007199254740991], null]
      for (const value of values) expect(await session.call(`com.${name}.echo`, [value])).toEqual(value)
      const missing = await session.call("any.echo", [1]).catch((e: autobahn.Error) => e.error)
      expect(missing).toBe("wamp.error.no_such_procedure")
    })
  }

  it("cbor: a large payload (16350 random bytes) round-trips (autobahn-js#565)", async () => {
    const session = await connect({ serializers: [serializers.cbor()] })
    await session.register("com.cbor.payload", (args) => args[0])
    const data = randomBytes(16350)
    const response = await session.call("com.cbor.payload", [[{ data1: data, city: "x" }]])
    expect(response).toHaveLength(1)
    expect(Buffer.compare(response[0].data1, data)).toBe(0)
  })

  it("cbor: BigInt, bignums and bytes echo exactly; Buffers come back (test_binary)", async () => {
    const session = await connect({ serializers: [serializers.cbor()] })
    await session.register("com.binary.echo", (args) => args[0])
    const r32 = randomBytes(32)
    const values: Array<unknown> = [
      BigInt("1558266424841951553"),
      BigInt("340282366920938463463374607431768211455"),
      Uint8Array.from([0, 1, 2, 3, 4, 5, 6, 7]),
      r32,
      { a: 5, b: "hello2", c: r32 }
    ]
    const results = await Promise.all(values.map((v) => session.call("com.binary.echo", [v])))
    expect(results[0]).toBe(1558266424841951553n)
    expect(results[1]).toBe(2n ** 128n - 1n)
    expect(Buffer.isBuffer(results[2]) && (results[2] as Buffer).toString("hex")).toBe("0001020304050607")
    expect(Buffer.isBuffer(results[3]) && Buffer.compare(results[3] as Buffer, r32)).toBe(0)
    expect(Buffer.isBuffer((results[4] as { c: Buffer }).c)).toBe(true)
  })
})

describe("upstream: util (test_util_is_object)", () => {
  it("is_object across vm realms", async () => {
    const vm = await import("node:vm")
    const context: Record<string, unknown> = { kwargs: { foo: "bar" }, util: autobahn.util }
    vm.createContext(context)
    vm.runInContext("kwargs.baz = 'bax'; check1 = kwargs instanceof Object; check2 = util.is_object(kwargs);", context)
    expect([context["check1"], context["check2"]]).toEqual([false, true])
    expect([autobahn.util.is_object(1), autobahn.util.is_object([]), autobahn.util.is_object("s")]).toEqual([
      false,
      false,
      false
    ])
  })
})
