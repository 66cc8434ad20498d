/**
 * The library as the measured clients load it: by default the compiled `dist/` (what npm ships and
 * users run), not `src/` through tsx. tsx's esbuild transform keeps function names by wrapping every
 * closure it creates in `__name` (an `Object.defineProperty` per closure): a cost Autobahn|JS and
 * wampy, plain JS, never pay. `npm run bench` builds first (`prebench`); `BENCH_FROM_SOURCE=1`
 * measures `src/` instead, with no build.
 */
import { existsSync } from "node:fs"
import { fileURLToPath } from "node:url"
import type * as AuthenticatorModule from "../../../src/Authenticator.js"
import type * as ConnectionModule from "../../../src/Connection.js"
import type * as FacadeModule from "../../../src/node/autobahn/index.js"
import type * as NodeWebSocketTransportModule from "../../../src/node/NodeWebSocketTransport.js"
import type * as SerializerModule from "../../../src/Serializer.js"
import type * as SessionModule from "../../../src/Session.js"
import type * as SharedSchedulerModule from "../../../src/SharedScheduler.js"

export const fromSource = process.env.BENCH_FROM_SOURCE === "1"
const root = new URL(fromSource ? "../../../src/" : "../../../dist/", import.meta.url)
if (!fromSource && !existsSync(new URL("index.js", root))) {
  throw new Error(`${fileURLToPath(root)} is not built: run \`npm run build\` (or BENCH_FROM_SOURCE=1)`)
}
const load = <A>(path: string): Promise<A> => import(new URL(path, root).href) as Promise<A>

export const Authenticator = await load<typeof AuthenticatorModule>("Authenticator.js")
export const Connection = await load<typeof ConnectionModule>("Connection.js")
export const NodeWebSocketTransport = await load<typeof NodeWebSocketTransportModule>(
  "node/NodeWebSocketTransport.js"
)
export const Serializer = await load<typeof SerializerModule>("Serializer.js")
export const Session = await load<typeof SessionModule>("Session.js")
export const SharedScheduler = await load<typeof SharedSchedulerModule>("SharedScheduler.js")
/** The Autobahn facade, loaded only by the client that measures it. */
export const loadFacade = async () => (await load<typeof FacadeModule>("node/autobahn/index.js")).default
