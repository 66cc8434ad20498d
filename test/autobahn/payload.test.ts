/**
 * Autobahn|JS code receives plain mutable args/kwargs of its own per message (as Autobahn|JS gives
 * `msg[4] || []`): an endpoint or event handler that writes into them changes nothing any later
 * message carries. The regression: `kwargs.polluted = true` in one endpoint made a plain call to
 * another endpoint come back as `Result([2], { polluted: true })`.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import autobahn from "../../src/node/autobahn/index.js"
import { deferred, serve, type Served, within } from "./support/router.js"

let served: Served
let a: { connection: autobahn.Connection; session: autobahn.Session }
let b: { connection: autobahn.Connection; session: autobahn.Session }

const connect = async () => {
  const connection = new autobahn.Connection({ url: served.url, realm: "realm1", max_retries: 0 })
  const opened = deferred<autobahn.Session>()
  connection.onopen = (session) => opened.resolve(session)
  connection.open()
  return { connection, session: await within(opened.promise, 5000, "onopen") }
}

beforeAll(async () => {
  served = await serve()
  a = await connect()
  b = await connect()
})
afterAll(async () => {
  await a.connection.close()
  await b.connection.close()
  await served.close()
})

describe("facade payloads are the handler's own", () => {
  it("an endpoint writing into empty args/kwargs changes no later call", async () => {
    await b.session.register("com.app.scribble", (args, kwargs) => {
      kwargs["polluted"] = true
      args.push("polluted")
      return args.length
    })
    await b.session.register("com.app.two", (args, kwargs) => {
      expect(kwargs).toEqual({})
      expect(args).toEqual([])
      return 2
    })
    expect(await a.session.call("com.app.scribble")).toBe(1)
    expect(await a.session.call("com.app.scribble")).toBe(1)
    // A plain value, not a Result carrying someone else's kwargs.
    expect(await a.session.call("com.app.two")).toBe(2)
  })

  it("an event handler writing into empty args/kwargs changes no later event", async () => {
    const seen: Array<[Array<unknown>, Record<string, unknown>]> = []
    const done = deferred<void>()
    await b.session.subscribe("com.app.tick", (args, kwargs) => {
      seen.push([[...args], { ...kwargs }])
      kwargs["polluted"] = true
      args.push("polluted")
      if (seen.length === 3) done.resolve()
    })
    for (let i = 0; i < 3; i++) await a.session.publish("com.app.tick", null, null, { acknowledge: true })
    await within(done.promise, 5000, "three events")
    expect(seen).toEqual([[[], {}], [[], {}], [[], {}]])
  })

  it("a call result's Result is the caller's own", async () => {
    await b.session.register("com.app.kw", () => new autobahn.Result([], { n: 1 }))
    const first = await a.session.call("com.app.kw")
    first.kwargs.n = 99
    first.args.push("x")
    const second = await a.session.call("com.app.kw")
    expect(second.kwargs).toEqual({ n: 1 })
    expect(second.args).toEqual([])
  })
})
