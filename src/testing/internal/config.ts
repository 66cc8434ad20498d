/**
 * The router's configuration types (re-exported by `Router.ts`).
 */
import type * as Redacted from "effect/Redacted"
import type { ScramCredentials } from "../../Authenticator.js"

/** A secret given in clear or as `Redacted` (tests usually write literals). */
export type Secret = string | Redacted.Redacted<string>

/** A principal of a realm; the methods it can use are the credentials it has. */
export interface User {
  /** The role the session gets (default `"user"`). */
  readonly authrole?: string
  /** `ticket` authentication. */
  readonly ticket?: Secret
  /** `wampcra` authentication: the shared secret. */
  readonly secret?: Secret
  /** Salted `wampcra`: the stored key is derived from `secret` with these parameters. */
  readonly salt?: { readonly salt: string; readonly iterations?: number; readonly keylen?: number }
  /** `cryptosign` authentication: the accepted Ed25519 public keys (64 hex characters each). */
  readonly cryptosign?: ReadonlyArray<string>
  /** `wamp-scram` authentication: what `Authenticator.scramCredentials` computes from the password. */
  readonly scram?: ScramCredentials
}

/** `true` allows everything, `false` nothing, a function decides per URI. */
export type Rule = boolean | ((uri: string) => boolean)

/** What a role may do; an absent action is allowed. */
export interface Permissions {
  readonly call?: Rule
  readonly register?: Rule
  readonly publish?: Rule
  readonly subscribe?: Rule
}

export interface RealmConfig {
  readonly name: string
  /**
   * Whether `anonymous` sessions are admitted (default: only when the realm has no `users`).
   * An object admits them with that role (default role `"anonymous"`).
   */
  readonly anonymous?: boolean | { readonly authrole?: string }
  /** Principals by authid. */
  readonly users?: { readonly [authid: string]: User }
  /** Permissions by authrole; roles not listed may do everything. */
  readonly roles?: { readonly [authrole: string]: Permissions }
  /**
   * Cryptosign router authentication: the router's Ed25519 seed (64 hex characters). With it, a
   * client's HELLO `authextra.challenge` is signed and sent back in CHALLENGE.Extra (`pubkey`,
   * `signature`); without it such a challenge is ignored (the client decides whether to go on).
   */
  readonly cryptosignRouterKey?: Secret
}

export interface Config {
  /** Realms; a bare name is an open (anonymous, allow-all) realm. */
  readonly realms: ReadonlyArray<RealmConfig | string>
  /** WELCOME.Details.agent (default `"effect-wamp-testing-router"`). */
  readonly agent?: string
  /** How long a killed or shut-down session has to answer our GOODBYE before its link is closed (ms, default 2000). */
  readonly goodbyeTimeout?: number
  /**
   * How long a connection may take to join, from being accepted (after the WebSocket upgrade or
   * the RawSocket handshake) to WELCOME, authentication included (ms, default 10000). Then it is
   * closed: silently before HELLO, with ABORT `wamp.error.authentication_failed` while authenticating.
   * The upgrade / handshake itself gets the same time.
   */
  readonly helloTimeout?: number
  /**
   * How long a started frame may take to arrive whole, and the RawSocket handshake's 4 octets
   * (ms, default 10000): a slowloris peer trickling bytes is cut after this.
   */
  readonly frameTimeout?: number
}

export type Action = keyof Permissions

export const DEFAULT_HELLO_TIMEOUT = 10_000
export const DEFAULT_FRAME_TIMEOUT = 10_000
