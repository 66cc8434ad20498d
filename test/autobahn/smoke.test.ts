import { afterAll, beforeAll, describe, expect, it } from "vitest"
import autobahn from "../../src/node/autobahn/index.js"
import { deferred, serve, type Served, within } from "./support/router.js"

let served: Served
beforeAll(async () => {
  served = await serve()
})
afterAll(() => served.close())

describe("smoke", () => {
  it("call/register/publish/subscribe", async () => {
    const connection = new autobahn.Connection({ url: served.url, realm: "realm1" })
    const opened = deferred<autobahn.Session>()
    connection.onopen = (session) => opened.resolve(session)
    connection.open()
    const session = await within(opened.promise)
    await session.register("com.example.add2", (args) => (args[0] as number) + (args[1] as number))
    expect(await session.call("com.example.add2", [2, 3])).toBe(5)
    const got = deferred<unknown>()
    await session.subscribe("com.example.topic", (args) => got.resolve(args[0]))
    session.publish("com.example.topic", ["hi"], {}, { exclude_me: false })
    expect(await within(got.promise)).toBe("hi")
    const closed = deferred<string>()
    connection.onclose = (reason) => {
      closed.resolve(reason)
    }
    await connection.close()
    expect(await within(closed.promise)).toBe("closed")
  })
})
