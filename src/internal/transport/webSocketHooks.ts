/**
 * What a platform's WebSocket constructor may attach to the sockets it makes, so the
 * platform-neutral WebSocketTransport can use platform features without importing them: the Node
 * constructor (`effect-wamp/node`) adds socket corking and RFC 5929 `tls-unique`; a browser's
 * global WebSocket has neither. `Symbol.for`, so two copies of the package still agree.
 */
export const hooksKey: unique symbol = Symbol.for("effect-wamp/WebSocketHooks")

export interface WebSocketHooks {
  /** Returns the function to call before each send (on Node: corks the socket until the tick ends). */
  readonly writeCoalescer: (ws: object) => () => void
  /** The connection's `tls-unique` data, once open; undefined without TLS. */
  readonly channelBinding: (ws: object) => Uint8Array | undefined
  /**
   * WebSocket ping frames, for keep-alive. Absent where the platform has none: a browser's
   * WebSocket cannot send a ping from JavaScript (it only answers the server's pings itself).
   */
  readonly keepAlive?: {
    readonly ping: (ws: object) => void
    readonly onPong: (ws: object, listener: () => void) => void
    /** Drops the connection at once, without a closing handshake. */
    readonly terminate: (ws: object) => void
  } | undefined
}

export const hooksOf = (ws: object): WebSocketHooks | undefined =>
  (ws as { readonly [hooksKey]?: WebSocketHooks })[hooksKey]

export const attachHooks = <W extends object>(ws: W, hooks: WebSocketHooks): W =>
  Object.defineProperty(ws, hooksKey, { value: hooks, enumerable: false })
