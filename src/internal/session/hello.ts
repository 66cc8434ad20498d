/**
 * What we announce in HELLO (only features really implemented) and what we read from WELCOME.
 */
import type { AuthenticatorService } from "../../Authenticator.js"
import type { Dict, Welcome } from "../../Message.js"
import type { SessionInfo, SessionOptions } from "../../Session.js"
import { isDict } from "../messageElements.js"
import { optionalString } from "../values.js"
import { VERSION } from "../version.js"

export const features = (...names: ReadonlyArray<string>): { readonly features: Dict } => ({
  features: Object.fromEntries(names.map((name) => [name, true]))
})

/**
 * Our roles. A callee announcing progressive results/invocations must also announce call_canceling,
 * or the dealer disregards them (spec, progressive_call_results).
 */
export const clientRoles: Dict = {
  caller: features(
    "progressive_call_results",
    "progressive_call_invocations",
    "call_timeout",
    "call_canceling",
    "caller_identification",
    "payload_passthru_mode",
    "payload_transparency"
  ),
  callee: features(
    "call_timeout",
    "progressive_call_results",
    "progressive_call_invocations",
    "call_canceling",
    "caller_identification",
    "call_trustlevels",
    "pattern_based_registration",
    "shared_registration",
    "registration_revocation",
    "payload_passthru_mode",
    "payload_transparency"
  ),
  publisher: features(
    "publisher_identification",
    "subscriber_blackwhite_listing",
    "publisher_exclusion",
    "payload_passthru_mode",
    "payload_transparency"
  ),
  subscriber: features(
    "publisher_identification",
    "publication_trustlevels",
    "pattern_based_subscription",
    "subscription_revocation",
    "payload_passthru_mode",
    "payload_transparency"
  )
}

export const helloDetails = (options: SessionOptions, authenticator: AuthenticatorService): Dict => {
  const details: Record<string, unknown> = {
    ...options.helloDetails,
    agent: options.agent ?? `effect-wamp/${VERSION}`,
    roles: clientRoles,
    authmethods: [...authenticator.authmethods]
  }
  if (authenticator.authid !== undefined) details["authid"] = authenticator.authid
  if (authenticator.authrole !== undefined) details["authrole"] = authenticator.authrole
  if (authenticator.authextra !== undefined && Object.keys(authenticator.authextra).length > 0) {
    details["authextra"] = authenticator.authextra
  }
  return details
}

/** Reads WELCOME; a WELCOME without a broker or dealer role is a protocol violation (returns its text). */
export const parseWelcome = (welcome: Welcome, realm: string): SessionInfo | string => {
  const roles = welcome.details["roles"]
  if (!isDict(roles)) return "WELCOME.Details.roles is missing or not a dict"
  if (!isDict(roles["broker"]) && !isDict(roles["dealer"])) {
    return "WELCOME.Details.roles announces neither broker nor dealer"
  }
  const routerFeature = (role: "broker" | "dealer", feature: string): boolean => {
    const r = roles[role]
    if (!isDict(r)) return false
    const f = r["features"]
    return isDict(f) && f[feature] === true
  }
  const authextra = welcome.details["authextra"]
  return {
    id: welcome.session,
    realm: optionalString(welcome.details["realm"]) ?? realm,
    authid: optionalString(welcome.details["authid"]),
    authrole: optionalString(welcome.details["authrole"]),
    authmethod: optionalString(welcome.details["authmethod"]),
    authprovider: optionalString(welcome.details["authprovider"]),
    authextra: isDict(authextra) ? authextra : {},
    routerRoles: roles,
    details: welcome.details,
    supports: routerFeature
  }
}
