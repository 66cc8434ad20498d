/**
 * On Node, frames written in the same tick (1,000 calls started together, a burst of publishes)
 * leave in one socket write instead of one system call each: the first send of a tick corks the
 * underlying socket and the tick's end uncorks it. Measured with the peers benchmark: client CPU
 * per call with 1,000 in flight 48 -> 34 µs. Reaches into `ws`'s socket; a no-op elsewhere.
 */
export const writeCoalescer = (ws: object): () => void => {
  const socket = (ws as { _socket?: { cork?: () => void; uncork?: () => void } })._socket
  const nextTick = (globalThis as { process?: { nextTick?: (f: () => void) => void } }).process?.nextTick
  if (typeof socket?.cork !== "function" || typeof socket.uncork !== "function" || nextTick === undefined) {
    return () => {}
  }
  let corked = false
  const uncork = () => {
    corked = false
    socket.uncork!()
  }
  return () => {
    if (corked) return
    corked = true
    socket.cork!()
    nextTick(uncork)
  }
}
