/**
 * The 24 WAMP v2 messages as plain tagged data.
 *
 * CONTRACT (types other modules code against). The Message helper replaces this file with the
 * Schema-based implementation; the shapes below must stay exactly as they are.
 */
import type { Either } from "effect"
import type { ProtocolError } from "./Errors.js"

export type Dict = { readonly [key: string]: unknown }
export type List = ReadonlyArray<unknown>

export interface Hello { readonly _tag: "Hello"; readonly realm: string; readonly details: Dict }
export interface Welcome { readonly _tag: "Welcome"; readonly session: number; readonly details: Dict }
export interface Abort {
  readonly _tag: "Abort"
  readonly details: Dict
  readonly reason: string
  readonly args?: List
  readonly kwargs?: Dict
}
export interface Challenge { readonly _tag: "Challenge"; readonly authMethod: string; readonly extra: Dict }
export interface Authenticate { readonly _tag: "Authenticate"; readonly signature: string; readonly extra: Dict }
export interface Goodbye { readonly _tag: "Goodbye"; readonly details: Dict; readonly reason: string }
export interface Error {
  readonly _tag: "Error"
  readonly requestType: number
  readonly request: number
  readonly details: Dict
  readonly error: string
  readonly args?: List
  readonly kwargs?: Dict
}
export interface Publish {
  readonly _tag: "Publish"
  readonly request: number
  readonly options: Dict
  readonly topic: string
  readonly args?: List
  readonly kwargs?: Dict
}
export interface Published { readonly _tag: "Published"; readonly request: number; readonly publication: number }
export interface Subscribe {
  readonly _tag: "Subscribe"
  readonly request: number
  readonly options: Dict
  readonly topic: string
}
export interface Subscribed { readonly _tag: "Subscribed"; readonly request: number; readonly subscription: number }
export interface Unsubscribe { readonly _tag: "Unsubscribe"; readonly request: number; readonly subscription: number }
/** `request` 0 with `details` is a revocation (`details.subscription`, `details.reason`). */
export interface Unsubscribed { readonly _tag: "Unsubscribed"; readonly request: number; readonly details?: Dict }
export interface Event {
  readonly _tag: "Event"
  readonly subscription: number
  readonly publication: number
  readonly details: Dict
  readonly args?: List
  readonly kwargs?: Dict
}
export interface Call {
  readonly _tag: "Call"
  readonly request: number
  readonly options: Dict
  readonly procedure: string
  readonly args?: List
  readonly kwargs?: Dict
}
export interface Cancel { readonly _tag: "Cancel"; readonly request: number; readonly options: Dict }
export interface Result {
  readonly _tag: "Result"
  readonly request: number
  readonly details: Dict
  readonly args?: List
  readonly kwargs?: Dict
}
export interface Register {
  readonly _tag: "Register"
  readonly request: number
  readonly options: Dict
  readonly procedure: string
}
export interface Registered { readonly _tag: "Registered"; readonly request: number; readonly registration: number }
export interface Unregister { readonly _tag: "Unregister"; readonly request: number; readonly registration: number }
/** `request` 0 with `details` is a revocation (`details.registration`, `details.reason`). */
export interface Unregistered { readonly _tag: "Unregistered"; readonly request: number; readonly details?: Dict }
export interface Invocation {
  readonly _tag: "Invocation"
  readonly request: number
  readonly registration: number
  readonly details: Dict
  readonly args?: List
  readonly kwargs?: Dict
}
export interface Interrupt { readonly _tag: "Interrupt"; readonly request: number; readonly options: Dict }
export interface Yield {
  readonly _tag: "Yield"
  readonly request: number
  readonly options: Dict
  readonly args?: List
  readonly kwargs?: Dict
}

export type Message =
  | Hello
  | Welcome
  | Abort
  | Challenge
  | Authenticate
  | Goodbye
  | Error
  | Publish
  | Published
  | Subscribe
  | Subscribed
  | Unsubscribe
  | Unsubscribed
  | Event
  | Call
  | Cancel
  | Result
  | Register
  | Registered
  | Unregister
  | Unregistered
  | Invocation
  | Interrupt
  | Yield

/** Wire codes. */
export const Code = {
  Hello: 1,
  Welcome: 2,
  Abort: 3,
  Challenge: 4,
  Authenticate: 5,
  Goodbye: 6,
  Error: 8,
  Publish: 16,
  Published: 17,
  Subscribe: 32,
  Subscribed: 33,
  Unsubscribe: 34,
  Unsubscribed: 35,
  Event: 36,
  Call: 48,
  Cancel: 49,
  Result: 50,
  Register: 64,
  Registered: 65,
  Unregister: 66,
  Unregistered: 67,
  Invocation: 68,
  Interrupt: 69,
  Yield: 70
} as const satisfies Record<Message["_tag"], number>

/** Decodes a raw message list (as a serializer produced it). */
export declare const decode: (raw: unknown) => Either.Either<Message, ProtocolError>
/** Encodes a message to its wire list, omitting empty trailing Arguments/ArgumentsKw as the spec says. */
export declare const encode: (message: Message) => ReadonlyArray<unknown>
