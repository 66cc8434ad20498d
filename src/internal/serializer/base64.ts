/** Standard padded base64 (RFC 4648 §4): Node's Buffer when there is one, btoa/atob in browsers. */
const NodeBuffer = (globalThis as { Buffer?: NodeBufferClass }).Buffer

/** The little of Node's Buffer used here, typed locally so the types need no @types/node. */
interface NodeBufferClass {
  from(buffer: ArrayBufferLike, byteOffset: number, length: number): {
    toString(encoding: "base64"): string
    write(text: string, encoding: "base64"): number
  }
}

const STRICT = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/

export const encode = (bytes: Uint8Array): string => {
  if (NodeBuffer !== undefined) {
    return NodeBuffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64")
  }
  let binary = ""
  for (let i = 0; i < bytes.length; i++) binary += String.fromCharCode(bytes[i]!)
  return btoa(binary)
}

/** The bytes, or undefined when the text is not strict base64 (Buffer alone would skip bad characters). */
export const decode = (text: string): Uint8Array | undefined => {
  if (!STRICT.test(text)) return undefined
  const padding = text.endsWith("==") ? 2 : text.endsWith("=") ? 1 : 0
  // A fresh, plain Uint8Array: not a Buffer, not a view into Node's shared pool.
  const bytes = new Uint8Array((text.length / 4) * 3 - padding)
  if (NodeBuffer !== undefined) {
    NodeBuffer.from(bytes.buffer, 0, bytes.byteLength).write(text, "base64")
    return bytes
  }
  const binary = atob(text)
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i)
  return bytes
}
