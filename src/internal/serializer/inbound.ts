/**
 * Checks on a decoded MessagePack/CBOR message that the decoders cannot make for us, limited to the
 * message's own elements and its WAMP-level dicts (Details, Options, ArgumentsKw, ...) so the
 * common message costs one pass over a few keys:
 * - non-string map keys: msgpackr and cbor-x turn 1, true or null keys into "1", "true", "null".
 *   Only a key that looks like such a conversion sends the frame to a second, exact decode (maps as
 *   `Map`, keys with their real type).
 * - invalid UTF-8: both decoders put U+FFFD where a string's bytes are invalid. A U+FFFD in a
 *   WAMP-level string or key while the frame holds no encoded U+FFFD (EF BF BD) means invalid UTF-8.
 * Payload values below those dicts are not walked: walking them would cost every message a pass over
 * its whole payload, for keys and strings that only the application reads.
 */
import { DecodeError } from "../../Errors.js"

/** "1", "-2", "1.5", "true", "null", ...: what the decoders make of a non-string key. */
const mayBeConvertedKey = (key: string): boolean => {
  const first = key.charCodeAt(0)
  if ((first >= 48 && first <= 57) || first === 45) return true // digit or "-"
  switch (key) {
    case "true":
    case "false":
    case "null":
    case "undefined":
    case "NaN":
    case "Infinity":
      return true
  }
  return false
}

const hasEncodedReplacementChar = (frame: Uint8Array): boolean => {
  for (let i = frame.indexOf(0xef); i !== -1 && i + 2 < frame.length; i = frame.indexOf(0xef, i + 1)) {
    if (frame[i + 1] === 0xbf && frame[i + 2] === 0xbd) return true
  }
  return false
}

/** A map as msgpackr / cbor-x decode it (an object, not an array or a byte string). */
const isDecodedMap = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array)

/**
 * @param exactTopLevel decodes the frame again with maps as `Map`; only called for suspicious keys.
 */
export const check = (
  message: ReadonlyArray<unknown>,
  frame: Uint8Array,
  exactTopLevel: (frame: Uint8Array) => ReadonlyArray<unknown>
): DecodeError | undefined => {
  let suspiciousKey = false
  let replacementChar = false
  for (let i = 0; i < message.length; i++) {
    const element = message[i]
    if (typeof element === "string") {
      if (element.includes("\uFFFD")) replacementChar = true
    } else if (isDecodedMap(element)) {
      for (const key in element) {
        if (mayBeConvertedKey(key)) suspiciousKey = true
        if (key.includes("\uFFFD")) replacementChar = true
      }
    }
  }
  if (replacementChar && !hasEncodedReplacementChar(frame)) {
    return new DecodeError({ reason: "Utf8", message: "a string is not valid UTF-8" })
  }
  if (suspiciousKey) {
    let exact: ReadonlyArray<unknown>
    try {
      exact = exactTopLevel(frame)
    } catch (cause) {
      return new DecodeError({ reason: "Syntax", message: String(cause), cause })
    }
    for (const element of exact) {
      if (!(element instanceof Map)) continue
      for (const key of element.keys()) {
        if (typeof key !== "string") {
          return new DecodeError({
            reason: "Syntax",
            message: `a WAMP dict has a non-string key (${typeof key} ${String(key)})`
          })
        }
      }
    }
  }
  return undefined
}

/** A plain Uint8Array over the same memory, so that decoded byte strings are not Buffers. */
export const plainBytes = (frame: Uint8Array): Uint8Array =>
  frame.constructor === Uint8Array ? frame : new Uint8Array(frame.buffer, frame.byteOffset, frame.byteLength)
