/**
 * The reference's PubSub section over WebSocket (JSON) and RawSocket (CBOR): handler arguments and
 * details, acknowledged publishes, publish options, shared subscriptions, retained events, revocation.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import autobahn from "../../src/node/autobahn/index.js"
import { deferred, serve, type Served, until, within } from "./support/router.js"

let served: Served
beforeAll(async () => {
  served = await serve()
})
afterAll(() => served.close())

const transports = {
  websocket: (): autobahn.ConnectionOptions => ({ url: served.url, realm: "realm1" }),
  rawsocket: (): autobahn.ConnectionOptions => ({
    realm: "realm1",
    transports: [{ type: "rawsocket", host: served.host, port: served.rawSocketPort }],
    serializers: [new autobahn.serializer.CBORSerializer()]
  })
}

const connect = async (options: autobahn.ConnectionOptions) => {
  const connection = new autobahn.Connection({ max_retries: 0, ...options })
  const opened = deferred<autobahn.Session>()
  connection.onopen = (session) => opened.resolve(session)
  connection.open()
  return { connection, session: await within(opened.promise, 5000, "onopen") }
}

/** Collects events of a topic; `next(n)` waits until n have arrived. */
const collector = () => {
  const events: Array<{ args: Array<unknown>; kwargs: object; details: autobahn.Event; sub: autobahn.Subscription }> =
    []
  let waiting: { count: number; resolve: () => void } | undefined
  const handler: autobahn.EventHandler = (args, kwargs, details, sub) => {
    events.push({ args, kwargs, details, sub })
    if (waiting !== undefined && events.length >= waiting.count) waiting.resolve()
  }
  const next = (count: number) =>
    within(
      new Promise<void>((resolve) => {
        if (events.length >= count) resolve()
        else waiting = { count, resolve }
      }),
      5000,
      `${count} events`
    )
  return { events, handler, next }
}

for (const [name, optionsOf] of Object.entries(transports)) {
  describe(`PubSub over ${name}`, () => {
    let a: { connection: autobahn.Connection; session: autobahn.Session }
    let b: { connection: autobahn.Connection; session: autobahn.Session }
    beforeAll(async () => {
      a = await connect(optionsOf())
      b = await connect(optionsOf())
    })
    afterAll(async () => {
      await a.connection.close()
      await b.connection.close()
    })

    it("handler(args, kwargs, details, subscription); acknowledge gives a Publication", async () => {
      const topic = `${name}.basic`
      const got = collector()
      const subscription = await a.session.subscribe(topic, got.handler)
      expect(subscription).toBeInstanceOf(autobahn.Subscription)
      expect(subscription.topic).toBe(topic)
      const publication = await b.session.publish(topic, ["hello", 2 ** 53], { k: "v" }, {
        acknowledge: true,
        disclose_me: true
      })
      expect(publication).toBeInstanceOf(autobahn.Publication)
      expect(publication!.id).toBeTypeOf("number")
      expect(b.session.publish(topic, [2])).toBeUndefined()
      await got.next(2)
      const first = got.events[0]!
      expect(first.args).toEqual(["hello", 2 ** 53])
      expect(first.kwargs).toEqual({ k: "v" })
      expect(first.details).toBeInstanceOf(autobahn.Event)
      expect(first.details.publication).toBe(publication!.id)
      expect(first.details.topic).toBe(topic)
      expect(first.details.publisher).toBe(b.session.id)
      expect(first.details.publisher_authrole).toBeTypeOf("string")
      expect(first.details.retained).toBe(false)
      expect(first.sub).toBe(subscription)
      expect(got.events[1]!.details.publisher).toBeUndefined()
      expect(got.events[1]!.args).toEqual([2])
      await subscription.unsubscribe()
    })

    it("a subscription's options are its own object, as Autobahn|JS gives them", async () => {
      const topic = `${name}.own-options`
      const handler = () => {}
      const bare = [await a.session.subscribe(topic, handler), await a.session.subscribe(`${topic}.other`, handler)]
      // Made without options: a mutable object of each subscription's own (ESM code is strict mode,
      // so writing to a shared frozen object would throw).
      bare[0]!.options["note"] = "mine"
      expect(bare[0]!.options).toEqual({ note: "mine" })
      expect(bare[1]!.options).toEqual({})
      const given = { match: "prefix" as const }
      const withOptions = await a.session.subscribe(`${topic}.prefix`, handler, given)
      expect(withOptions.options).toBe(given)
      for (const subscription of [...bare, withOptions]) await subscription.unsubscribe()
    })

    it("exclude_me (default true), eligible and exclude", async () => {
      const topic = `${name}.options`
      const mine = collector()
      const theirs = collector()
      await a.session.subscribe(topic, mine.handler)
      await b.session.subscribe(topic, theirs.handler)
      await a.session.publish(topic, [1], {}, { acknowledge: true })
      await a.session.publish(topic, [2], {}, { acknowledge: true, exclude_me: false })
      await a.session.publish(topic, [3], {}, { acknowledge: true, exclude_me: false, eligible: [a.session.id!] })
      await a.session.publish(topic, [4], {}, { acknowledge: true, exclude_me: false, exclude: [b.session.id!] })
      await a.session.publish(topic, [5], {}, { acknowledge: true, exclude_me: false })
      await mine.next(4)
      await theirs.next(3)
      expect(mine.events.map((e) => e.args[0])).toEqual([2, 3, 4, 5])
      expect(theirs.events.map((e) => e.args[0])).toEqual([1, 2, 5])
    })

    it("several handlers share one subscription; unsubscribe resolves false, then true", async () => {
      const topic = `${name}.shared`
      const one = collector()
      const two = collector()
      const s1 = await a.session.subscribe(topic, one.handler)
      const s2 = await a.session.subscribe(topic, two.handler)
      expect(s1.id).toBe(s2.id)
      expect(a.session.subscriptions.find((group) => group.includes(s1))).toEqual([s1, s2])
      b.session.publish(topic, ["x"])
      await one.next(1)
      await two.next(1)
      expect(await s1.unsubscribe()).toBe(false)
      expect(s1.active).toBe(false)
      expect(await within(s1.on_unsubscribe)).toBeUndefined()
      await b.session.publish(topic, ["y"], {}, { acknowledge: true })
      await two.next(2)
      expect(one.events).toHaveLength(1)
      expect(await s2.unsubscribe()).toBe(true)
      expect(a.session.subscriptions.some((group) => group.includes(s2))).toBe(false)
      await expect(s2.unsubscribe()).rejects.toBeInstanceOf(autobahn.Error)
    })

    it("pattern subscriptions give the concrete topic; retained events arrive with retained: true", async () => {
      const got = collector()
      await a.session.subscribe(`${name}.pattern.`, got.handler, { match: "prefix" })
      b.session.publish(`${name}.pattern.concrete`, [1])
      await got.next(1)
      expect(got.events[0]!.details.topic).toBe(`${name}.pattern.concrete`)

      const retainedTopic = `${name}.retained`
      await b.session.publish(retainedTopic, ["kept"], {}, { acknowledge: true, retain: true })
      const late = collector()
      await a.session.subscribe(retainedTopic, late.handler, { get_retained: true })
      await late.next(1)
      expect(late.events[0]!.args).toEqual(["kept"])
      expect(late.events[0]!.details.retained).toBe(true)
    })

    it("a revoked subscription settles on_unsubscribe with the reason", async () => {
      const got = collector()
      const subscription = await a.session.subscribe(`${name}.revoked`, got.handler)
      await served.run(served.router.revokeSubscription(subscription.id, "wamp.reason.moved"))
      expect(await within(subscription.on_unsubscribe)).toBe("wamp.reason.moved")
      expect(subscription.active).toBe(false)
    })

    it("a throwing handler goes to on_user_error and the others still run", async () => {
      const errors: Array<unknown> = []
      const c = await connect({ ...optionsOf(), on_user_error: (error) => errors.push(error) })
      const got = collector()
      await c.session.subscribe(`${name}.throws`, () => {
        throw new Error("handler broke")
      })
      await c.session.subscribe(`${name}.throws`, got.handler)
      b.session.publish(`${name}.throws`, [1])
      await got.next(1)
      await until(() => errors.length > 0, "on_user_error called")
      expect(errors).toEqual([new Error("handler broke")])
      await c.connection.close()
    })
  })
}
