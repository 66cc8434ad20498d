/** The Autobahn|JS facade in a browser: the same program as `effect.ts`, written as Autobahn|JS code. */
import autobahn from "../../../src/autobahn/index.js"
import { report, routerUrl } from "./report.js"

const connection = new autobahn.Connection({ url: routerUrl(), realm: "realm1", max_retries: 0 })
connection.onopen = (session) => {
  session.call("com.example.add2", [2, 3]).then((sum) =>
    session.subscribe("com.example.tick", (args) => {
      report({ ok: true, sum, event: args })
      connection.close()
    }).then(() => session.call("com.example.tick_me", ["facade"]))
  ).catch((error: unknown) => report({ ok: false, error: String(error) }))
}
connection.onclose = (reason) => {
  if ((globalThis as { __outcome?: unknown }).__outcome === undefined) report({ ok: false, error: `closed: ${reason}` })
}
connection.open()
