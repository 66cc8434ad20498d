/**
 * Payload passthru mode on the router side: which form a message uses, and forwarding its labels
 * and bytes untouched (the router never looks into them, as the spec asks).
 */
import type * as Message from "../../Message.js"

export type PassthruFeature = "payload_passthru_mode" | "payload_transparency"

const pptKeys = ["ppt_scheme", "ppt_serializer", "ppt_cipher", "ppt_keyid"]
const encKeys = ["enc_algo", "enc_serializer", "enc_key"]

/**
 * The feature a CALL / PUBLISH / YIELD / ERROR needs on both ends: the spec form (`ppt_scheme`)
 * or Autobahn|Python's transparent one (a bare binary payload); undefined for an ordinary payload.
 */
export const featureOf = (
  options: Message.Dict,
  message: { readonly payload?: Uint8Array | undefined }
): PassthruFeature | undefined =>
  message.payload !== undefined
    ? "payload_transparency"
    : options["ppt_scheme"] !== undefined
    ? "payload_passthru_mode"
    : undefined

/** Copies the passthru labels of `options` into the forwarded `details`. */
export const forwardLabels = (
  feature: PassthruFeature | undefined,
  options: Message.Dict,
  details: Record<string, unknown>
): void => {
  if (feature === undefined) return
  for (const key of feature === "payload_transparency" ? encKeys : pptKeys) {
    if (options[key] !== undefined) details[key] = options[key]
  }
}

/** The payload fields of a message as they are: args / kwargs, or the bare binary. */
export const body = (message: {
  readonly args?: Message.List | undefined
  readonly kwargs?: Message.Dict | undefined
  readonly payload?: Uint8Array | undefined
}): { args?: Message.List; kwargs?: Message.Dict; payload?: Uint8Array } => {
  if (message.payload !== undefined) return { payload: message.payload }
  if (message.kwargs !== undefined) return { args: message.args ?? [], kwargs: message.kwargs }
  if (message.args !== undefined) return { args: message.args }
  return {}
}
