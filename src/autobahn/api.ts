/** Everything `effect-wamp/autobahn` exports, by name (the entry point adds the default export). */ import { VERSION } from "../internal/version.js"
import * as auth_cra from "./auth_cra.js"
import { Connection } from "./connection.js"
import { Error, Result } from "./errors.js"
import { Event, Invocation, Publication, Registration, Subscription } from "./objects.js"
import { CallPromise } from "./promise.js"
import * as serializer from "./serializer.js"
import { Session } from "./session.js"
import * as util from "./util.js"
import { when } from "./when.js"

export type { CloseDetails, CloseReason, OpenDetails } from "./connection.js"
export type { Args, Kwargs } from "./errors.js"
export type { Endpoint, EventHandler, ProgressSender } from "./objects.js"
export type {
  ChallengeAnswer,
  ConnectionOptions,
  ErrorHandler,
  OnChallenge,
  RawSocketTransportOptions,
  TransportOptions,
  WebSocketTransportOptions
} from "./options.js"
export type { CancelOptions, ProgressListener } from "./promise.js"
export type { CallOptions, Features, PublishOptions, RegisterOptions, SubscribeOptions } from "./session.js"
export type { DeferredFactoryOptions } from "./util.js"
export type { Deferred, SettledDescriptor, When, WhenPromise } from "./when.js"

/** effect-wamp's version (e.g. "0.1.0"), not an Autobahn|JS version: see docs/migrating-from-autobahn.md. */
export const version: string = VERSION

export {
  auth_cra,
  CallPromise,
  Connection,
  Error,
  Event,
  Invocation,
  Publication,
  Registration,
  Result,
  serializer,
  Session,
  Subscription,
  util,
  when
}
