/** The facade's Connection on Node: WebSocket over `ws`, and RawSocket over `node:net`. */
import { Connection as BaseConnection } from "../../autobahn/connection.js"
import type { Platform } from "../../autobahn/options.js"
import * as NodeWebSocketTransport from "../NodeWebSocketTransport.js"
import * as RawSocketTransport from "../RawSocketTransport.js"

const nodePlatform: Platform = {
  webSocket: (url) => NodeWebSocketTransport.make({ url }),
  rawSocket: (entry) =>
    entry.path !== undefined
      ? RawSocketTransport.make({ path: entry.path })
      : entry.port !== undefined
      ? RawSocketTransport.make({ host: entry.host, port: entry.port })
      : undefined
}

export class Connection extends BaseConnection {
  protected override platform(): Platform {
    return nodePlatform
  }
}
