/**
 * Payload passthru mode (spec advanced/payload_passthru_mode.md): a payload the router forwards
 * untouched, as bytes, labelled by `ppt_scheme` / `ppt_serializer` / `ppt_cipher` / `ppt_keyid`.
 *
 * Two wire forms exist, and both are read and written:
 * - `"ppt"`, the spec's: `ppt_*` options and Arguments `[bytes]` (feature `payload_passthru_mode`);
 * - `"transparent"`, Autobahn|Python's (22.7, and the wamp-proto test vectors): `enc_algo` /
 *   `enc_serializer` / `enc_key` options and the bytes bare in place of Arguments (feature
 *   `payload_transparency`). Its `enc_algo` is read as the scheme, `enc_key` as the key id.
 *
 * Send one with the `passthru` option of `call` / `publish` or the `passthru` field of a handler's
 * result; received ones show as the `passthru` field of `CallResult`, `Event` and `Invocation` (their
 * `args` are then `[bytes]`). `Cryptobox` builds end-to-end encryption on top.
 */
import type { Dict, List } from "./Message.js"

export type Form = "ppt" | "transparent"

export interface Passthru {
  /** `ppt_scheme` (`mqtt`, `wamp`, `x_…`), or `enc_algo` (`cryptobox`, `mqtt`, `xbr`, `x_…`). */
  readonly scheme: string
  /** `ppt_serializer` / `enc_serializer`: how `bytes` was serialized (`native`, `json`, `cbor`, ...). */
  readonly serializer?: string | undefined
  /** `ppt_cipher` (spec form only): `xsalsa20poly1305`, `aes256gcm`. */
  readonly cipher?: string | undefined
  /** `ppt_keyid` / `enc_key`: which key encrypted `bytes`. */
  readonly keyid?: string | undefined
  readonly bytes: Uint8Array
  /** The wire form; default `"ppt"`. */
  readonly form?: Form | undefined
}

/** The HELLO/WELCOME feature each form needs on every peer involved. */
export const featureOf = (form: Form | undefined): "payload_passthru_mode" | "payload_transparency" =>
  form === "transparent" ? "payload_transparency" : "payload_passthru_mode"

const customName = /^x_[a-z0-9_]*$/
const transparentSchemes = new Set(["cryptobox", "mqtt", "xbr"])
const transparentSerializers = new Set(["json", "msgpack", "cbor", "ubjson", "flatbuffers"])
const mqttSerializers = new Set(["native", "json", "msgpack", "cbor"])
const wampSerializers = new Set(["cbor", "flatbuffers"])
const wampCiphers = new Set(["xsalsa20poly1305", "aes256gcm"])

const nonEmpty = (u: unknown): u is string => typeof u === "string" && u.length > 0

/**
 * The spec's rules for what we send (strict), or the text of the first one broken: `mqtt` with an
 * optional `native|json|msgpack|cbor` serializer and no cipher or key; `wamp` (end-to-end encryption)
 * with a `cbor|flatbuffers` serializer and an optional `xsalsa20poly1305|aes256gcm` cipher; custom
 * schemes named `x_…`. The transparent form follows Autobahn|Python's checks.
 */
export const validate = (passthru: Passthru): string | undefined => {
  const { cipher, keyid, scheme, serializer } = passthru
  if (!(passthru.bytes instanceof Uint8Array)) return "the passthru payload must be a Uint8Array"
  if (!nonEmpty(scheme)) return "ppt_scheme must be a non-empty string"
  for (const [name, value] of [["serializer", serializer], ["cipher", cipher], ["keyid", keyid]] as const) {
    if (value !== undefined && !nonEmpty(value)) return `${name} must be a non-empty string when given`
  }
  if (passthru.form === "transparent") {
    if (!transparentSchemes.has(scheme) && !customName.test(scheme)) {
      return `enc_algo must be cryptobox, mqtt, xbr or x_…, got ${JSON.stringify(scheme)}`
    }
    if (serializer !== undefined && !transparentSerializers.has(serializer) && !customName.test(serializer)) {
      return `enc_serializer must be json, msgpack, cbor, ubjson, flatbuffers or x_…, got ${JSON.stringify(serializer)}`
    }
    if (cipher !== undefined) return "the transparent form has no cipher option (enc_algo names the algorithm)"
    return undefined
  }
  switch (scheme) {
    case "mqtt":
      if (serializer !== undefined && !mqttSerializers.has(serializer)) {
        return `ppt_serializer of scheme mqtt must be native, json, msgpack or cbor, got ${JSON.stringify(serializer)}`
      }
      if (cipher !== undefined || keyid !== undefined) return "scheme mqtt takes no ppt_cipher or ppt_keyid"
      return undefined
    case "wamp":
      if (serializer === undefined || !wampSerializers.has(serializer)) {
        return `ppt_serializer of scheme wamp must be cbor or flatbuffers, got ${JSON.stringify(serializer)}`
      }
      if (cipher !== undefined && !wampCiphers.has(cipher)) {
        return `ppt_cipher must be xsalsa20poly1305 or aes256gcm, got ${JSON.stringify(cipher)}`
      }
      return undefined
    default:
      return customName.test(scheme)
        ? undefined
        : `ppt_scheme must be mqtt, wamp or a custom x_… name, got ${JSON.stringify(scheme)}`
  }
}

/** The options and payload fields of a message carrying `passthru`. */
export const toWire = (passthru: Passthru): {
  readonly options: Record<string, unknown>
  readonly args?: List
  readonly payload?: Uint8Array
} => {
  const options: Record<string, unknown> = {}
  if (passthru.form === "transparent") {
    options["enc_algo"] = passthru.scheme
    if (passthru.serializer !== undefined) options["enc_serializer"] = passthru.serializer
    if (passthru.keyid !== undefined) options["enc_key"] = passthru.keyid
    return { options, payload: passthru.bytes }
  }
  options["ppt_scheme"] = passthru.scheme
  if (passthru.serializer !== undefined) options["ppt_serializer"] = passthru.serializer
  if (passthru.cipher !== undefined) options["ppt_cipher"] = passthru.cipher
  if (passthru.keyid !== undefined) options["ppt_keyid"] = passthru.keyid
  return { options, args: [passthru.bytes] }
}

const optionalString = (u: unknown): string | undefined => typeof u === "string" ? u : undefined

/**
 * The passthru payload of a received message (its Details and payload fields, as decoded: the
 * message layer has checked the form), or undefined for an ordinary payload. Also reads a
 * `WampError` (`details`, `args`) built from an ERROR.
 */
export const fromMessage = (message: {
  readonly details: Dict
  readonly args?: List | undefined
  readonly payload?: Uint8Array | undefined
}): Passthru | undefined => {
  const { details } = message
  if (message.payload !== undefined || (details["enc_algo"] !== undefined && isBytesList(message.args))) {
    const bytes = message.payload ?? (message.args![0] as Uint8Array)
    return {
      form: "transparent",
      scheme: optionalString(details["enc_algo"]) ?? "",
      serializer: optionalString(details["enc_serializer"]),
      keyid: optionalString(details["enc_key"]),
      bytes
    }
  }
  const scheme = details["ppt_scheme"]
  if (typeof scheme !== "string" || !isBytesList(message.args)) return undefined
  return {
    form: "ppt",
    scheme,
    serializer: optionalString(details["ppt_serializer"]),
    cipher: optionalString(details["ppt_cipher"]),
    keyid: optionalString(details["ppt_keyid"]),
    bytes: message.args![0] as Uint8Array
  }
}

const isBytesList = (args: List | undefined): boolean =>
  args !== undefined && args.length === 1 && args[0] instanceof Uint8Array
