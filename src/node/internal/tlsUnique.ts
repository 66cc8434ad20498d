/**
 * RFC 5929 `tls-unique` (the first Finished message of the handshake, which the client sends) for
 * `wss://` on Node. Reaches into `ws`'s underlying TLS socket; undefined where that is not there.
 */
export const tlsUnique = (ws: object): Uint8Array | undefined => {
  const tcp = (ws as { _socket?: { getFinished?: () => Uint8Array | undefined } })._socket
  const finished = typeof tcp?.getFinished === "function" ? tcp.getFinished() : undefined
  return finished === undefined ? undefined : Uint8Array.from(finished)
}
