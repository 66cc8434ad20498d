/**
 * Values as Autobahn|JS code receives them, through the test-kit router on loopback, for each
 * serializer: byte strings as Node Buffers (which are Uint8Arrays), integers beyond 2^53 as BigInt
 * where the serializer carries them (JSON refuses BigInt with an autobahn.Error), and details
 * objects whose own keys are Autobahn|JS's.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import autobahn from "../../src/node/autobahn/index.js"
import { deferred, serve, type Served, within } from "./support/router.js"

let served: Served
beforeAll(async () => {
  served = await serve()
})
afterAll(() => served.close())

const serializers = {
  json: () => new autobahn.serializer.JSONSerializer(),
  msgpack: () => new autobahn.serializer.MsgpackSerializer(),
  cbor: () => new autobahn.serializer.CBORSerializer()
}

const connect = async (name: keyof typeof serializers) => {
  const connection = new autobahn.Connection({
    url: served.url,
    realm: "realm1",
    max_retries: 0,
    serializers: [serializers[name]()]
  })
  const opened = deferred<autobahn.Session>()
  connection.onopen = (session) => opened.resolve(session)
  connection.open()
  return { connection, session: await within(opened.promise, 5000, "onopen") }
}

for (const name of Object.keys(serializers) as Array<keyof typeof serializers>) {
  describe(`facade values over ${name}`, () => {
    let a: Awaited<ReturnType<typeof connect>>
    let b: Awaited<ReturnType<typeof connect>>
    beforeAll(async () => {
      a = await connect(name)
      b = await connect(name)
    })
    afterAll(async () => {
      await a.connection.close()
      await b.connection.close()
    })

    it("bytes arrive as Node Buffers (Uint8Arrays too), at any depth, in calls, results and events", async () => {
      const received: Array<unknown> = []
      await b.session.register(`${name}.bytes.echo`, (args, kwargs) => {
        received.push(args[0], kwargs["nested"])
        return new autobahn.Result(args, kwargs)
      })
      const bytes = Uint8Array.from([0, 1, 2, 254, 255])
      const result = await a.session.call(`${name}.bytes.echo`, [bytes], { nested: { list: [bytes] } })
      const [atCallee, nested] = received as [Buffer, { list: [Buffer] }]
      for (const value of [atCallee, nested.list[0], result.args[0], result.kwargs.nested.list[0]]) {
        expect(Buffer.isBuffer(value)).toBe(true)
        expect(value).toBeInstanceOf(Uint8Array)
        expect((value as Buffer).toString("hex")).toBe("000102feff")
      }
      await b.session.register(`${name}.bytes.one`, () => Buffer.from("hi"))
      const one = await a.session.call(`${name}.bytes.one`)
      expect(Buffer.isBuffer(one) && one.toString()).toBe("hi")

      const event = deferred<unknown>()
      await b.session.subscribe(`${name}.bytes.topic`, (args) => event.resolve(args[0]))
      await a.session.publish(`${name}.bytes.topic`, [bytes], {}, { acknowledge: true })
      const got = await within(event.promise, 5000, "event")
      expect(Buffer.isBuffer(got) && (got as Buffer).toString("hex")).toBe("000102feff")
    })

    it("error payloads from the other side get Buffers too", async () => {
      await b.session.register(`${name}.bytes.fail`, () => {
        throw new autobahn.Error("com.app.error.bytes", [Uint8Array.from([7])], { raw: Uint8Array.from([8]) })
      })
      const error = await a.session.call(`${name}.bytes.fail`).catch((e: autobahn.Error) => e)
      expect(error).toBeInstanceOf(autobahn.Error)
      expect(Buffer.isBuffer(error.args[0]) && Buffer.isBuffer(error.kwargs["raw"])).toBe(true)
    })

    it("Invocation and Event details have Autobahn|JS's own keys (signal is there, not enumerable)", async () => {
      let invocation: autobahn.Invocation | undefined
      await b.session.register(`${name}.details`, (_args, _kwargs, details) => {
        invocation = details
        return null
      })
      await a.session.call(`${name}.details`)
      expect(Object.keys(invocation!).sort()).toEqual(
        ["caller", "caller_authid", "caller_authrole", "procedure", "progress"]
      )
      expect(invocation!.signal).toBeInstanceOf(AbortSignal)
      expect({ ...invocation }).not.toHaveProperty("signal")

      const event = deferred<autobahn.Event>()
      await b.session.subscribe(`${name}.details.topic`, (_args, _kwargs, details) => event.resolve(details))
      await a.session.publish(`${name}.details.topic`, [], {}, { acknowledge: true })
      expect(Object.keys(await within(event.promise, 5000, "event")).sort()).toEqual(
        ["forward_for", "publication", "publisher", "publisher_authid", "publisher_authrole", "retained", "topic"]
      )
    })

    if (name === "json") {
      it("JSON refuses BigInt: the call rejects with wamp.error.invalid_payload, nothing is sent", async () => {
        let ran = false
        await b.session.register(`${name}.big`, () => {
          ran = true
        })
        const error = await a.session.call(`${name}.big`, [1558266424841951553n]).catch((e: autobahn.Error) => e)
        expect(error).toBeInstanceOf(autobahn.Error)
        expect(error.error).toBe("wamp.error.invalid_payload")
        expect(error.message).toContain("a bigint has no JSON form")
        const published = await a.session.publish(`${name}.big.t`, [1n], {}, { acknowledge: true })!.catch((e) => e)
        expect((published as autobahn.Error).error).toBe("wamp.error.invalid_payload")
        // Options are written too: a subscribe or register carrying a BigInt is refused the same way.
        const subscribed = await a.session.subscribe(`${name}.big.t`, () => {}, { x_tag: 1n }).catch((e) => e)
        expect((subscribed as autobahn.Error).error).toBe("wamp.error.invalid_payload")
        const registered = await a.session.register(`${name}.big.r`, () => {}, { x_tag: 1n }).catch((e) => e)
        expect((registered as autobahn.Error).error).toBe("wamp.error.invalid_payload")
        expect(ran).toBe(false)
      })

      it("a callee returning a BigInt under JSON still answers: the caller gets wamp.error.invalid_payload", async () => {
        await b.session.register(`${name}.big.result`, () => 2n ** 64n)
        const error = await within(
          a.session.call(`${name}.big.result`).then(() => undefined, (e: autobahn.Error) => e),
          5000,
          "the call's answer"
        )
        expect(error).toBeInstanceOf(autobahn.Error)
        expect(error!.error).toBe("wamp.error.invalid_payload")
        expect(error!.message).toContain("bigint")
      })
    } else {
      it("BigInt beyond 2^53 round-trips exactly (and bignums beyond 64 bits over CBOR)", async () => {
        const values: Array<bigint> = [1558266424841951553n, -(2n ** 63n), 2n ** 64n - 1n]
        if (name === "cbor") values.push(2n ** 128n - 1n, -(2n ** 200n))
        await b.session.register(`${name}.big.echo`, (args) => args[0])
        for (const value of values) expect(await a.session.call(`${name}.big.echo`, [value])).toBe(value)
        // Integers within ±2^53 are numbers whichever way they were sent.
        expect(await a.session.call(`${name}.big.echo`, [5n])).toBe(5)
        expect(await a.session.call(`${name}.big.echo`, [2 ** 53])).toBe(2 ** 53)
        if (name === "msgpack") {
          const error = await a.session.call(`${name}.big.echo`, [2n ** 64n]).catch((e: autobahn.Error) => e)
          expect(error.error).toBe("wamp.error.invalid_payload")
        }
      })
    }
  })
}
