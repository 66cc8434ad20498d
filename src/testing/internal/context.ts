/**
 * What the dealer, the broker and the meta API need from their realm, and small message helpers.
 */
import { maxId } from "../../internal/messageElements.js"
import type * as Message from "../../Message.js"
import type { Action } from "./config.js"
import type { RouterSession } from "./session.js"

export interface RealmContext {
  readonly name: string
  readonly sessions: ReadonlyMap<number, RouterSession>
  readonly authorize: (session: RouterSession, action: Action, uri: string) => boolean
  /** Publishes a router-originated event (meta API) to the realm's subscribers. */
  readonly publishMeta: (topic: string, args: Message.List) => void
  /** Router-scope id for registrations and subscriptions. */
  readonly nextId: () => number
}

/** Only the payload fields that are present (exactOptionalPropertyTypes forbids explicit undefined). */
export const payload = (
  args: Message.List | undefined,
  kwargs: Message.Dict | undefined
): { args?: Message.List; kwargs?: Message.Dict } => {
  if (kwargs !== undefined) return { args: args ?? [], kwargs }
  if (args !== undefined) return { args }
  return {}
}

export const sendError = (
  session: RouterSession,
  requestType: number,
  request: number,
  error: string,
  message?: string
): void => {
  session.send({
    _tag: "Error",
    requestType,
    request,
    details: {},
    error,
    ...(message === undefined ? {} : { args: [message] })
  })
}

/** Global-scope ids (sessions, publications) are random in [1, 2^53], as the spec asks. */
export const randomId = (): number => Math.floor(Math.random() * maxId) + 1

export const isoNow = (): string => new Date().toISOString()
