/**
 * The router's view of one client session: identity, announced features, its outbound channel and
 * the calls it takes part in. Plain mutable data, touched only from the routing code.
 */
import type { EncodeError } from "../../Errors.js"
import { maxId } from "../../internal/messageElements.js"
import type * as Message from "../../Message.js"

export type Role = "caller" | "callee" | "publisher" | "subscriber"

export interface AuthInfo {
  readonly authid: string
  readonly authrole: string
  readonly authmethod: string
  readonly authprovider: string
  readonly authextra?: Message.Dict
}

/** A call in flight, seen from both ends. */
export interface PendingCall {
  readonly caller: RouterSession
  readonly callRequest: number
  readonly callee: RouterSession
  readonly invocation: number
  readonly registration: number
  readonly receiveProgress: boolean
  /** The caller is still sending progressive CALL chunks. */
  callerStreaming: boolean
  /** A `kill` CANCEL was forwarded; the callee's answer ends the call. */
  killing: boolean
  timeout: number
  timer: ReturnType<typeof setTimeout> | undefined
}

const FORGOTTEN_STREAMS_CAPACITY = 1024

export class RouterSession {
  state: "hello" | "challenging" | "established" | "closing" | "closed" = "hello"
  realm = ""
  auth: AuthInfo = { authid: "", authrole: "", authmethod: "", authprovider: "" }
  roles: Message.Dict = {}
  /** As caller, by CALL request id. */
  readonly calls = new Map<number, PendingCall>()
  /** As callee, by INVOCATION id. */
  readonly invocations = new Map<number, PendingCall>()
  /** Registrations and subscriptions this session is attached to (ids). */
  readonly registrations = new Set<number>()
  readonly subscriptions = new Set<number>()
  /**
   * Request ids of progressive-invocation calls that ended while the caller was still streaming:
   * their late chunks are dropped silently (spec), not taken for new calls.
   */
  readonly endedStreams = new Set<number>()
  private nextInvocation = 0

  constructor(
    readonly id: number,
    /**
     * Encodes one message for this session's link and queues it (the writer fiber sends it).
     * Returns the error when it cannot be encoded for this session (nothing queued).
     */
    readonly send: (message: Message.Message) => EncodeError | undefined,
    /** Ends the link once everything queued before was written. */
    readonly close: () => void,
    readonly transport: Message.Dict
  ) {}

  invocationId(): number {
    this.nextInvocation = this.nextInvocation >= maxId ? 1 : this.nextInvocation + 1
    return this.nextInvocation
  }

  /** Whether HELLO announced `roles.<role>.features.<feature>`. */
  has(role: Role, feature: string): boolean {
    const entry = this.roles[role]
    if (typeof entry !== "object" || entry === null) return false
    const features = (entry as Message.Dict)["features"]
    return typeof features === "object" && features !== null && (features as Message.Dict)[feature] === true
  }

  rememberEndedStream(request: number): void {
    if (this.endedStreams.size >= FORGOTTEN_STREAMS_CAPACITY) {
      const oldest = this.endedStreams.values().next()
      if (oldest.done !== true) this.endedStreams.delete(oldest.value)
    }
    this.endedStreams.add(request)
  }

  /** The dict of `wamp.session.get` and `wamp.session.on_join`. */
  details(): Message.Dict {
    return {
      session: this.id,
      authid: this.auth.authid,
      authrole: this.auth.authrole,
      authmethod: this.auth.authmethod,
      authprovider: this.auth.authprovider,
      transport: this.transport
    }
  }
}
