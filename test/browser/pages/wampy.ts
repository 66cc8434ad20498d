/** For the bundle-size comparison only: the same program on wampy. */
import { Wampy } from "wampy"
import { report, routerUrl } from "./report.js"

const run = async () => {
  const wampy = new Wampy(routerUrl(), { realm: "realm1", autoReconnect: false })
  await wampy.connect()
  const sum = await wampy.call("com.example.add2", [2, 3])
  const event = new Promise<unknown>((resolve) => {
    void wampy.subscribe("com.example.tick", (event: { argsList?: unknown }) => resolve(event.argsList))
  })
  await wampy.call("com.example.tick_me", ["wampy"])
  report({ ok: true, sum: sum.argsList?.[0], event: await event })
  await wampy.disconnect()
}
run().catch((error: unknown) => report({ ok: false, error: String(error) }))
