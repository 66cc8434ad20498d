/** For the bundle-size comparison only: the same program on Autobahn|JS. */
import autobahn from "autobahn"
import { report, routerUrl } from "./report.js"

const connection = new autobahn.Connection({ url: routerUrl(), realm: "realm1", max_retries: 0 })
connection.onopen = (session) => {
  session.call("com.example.add2", [2, 3]).then((sum: unknown) =>
    session.subscribe("com.example.tick", (args: unknown) => {
      report({ ok: true, sum, event: args })
      connection.close()
    }).then(() => session.call("com.example.tick_me", ["autobahn"]))
  ).catch((error: unknown) => report({ ok: false, error: String(error) }))
}
connection.open()
