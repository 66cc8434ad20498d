import { describe, expect, it } from "@effect/vitest"
import { Duration } from "effect"
import { closeDetailsOf, closeReasonOf } from "../../src/autobahn/close.js"
import * as Connection from "../../src/Connection.js"
import { SessionClosedError, TransportError } from "../../src/Errors.js"
import type * as Session from "../../src/Session.js"
import * as WampError from "../../src/WampError.js"

const details = (
  failure: Connection.ConnectionFailure | undefined,
  fields: { readonly wasClean: boolean; readonly everOpened: boolean }
): Connection.CloseDetails => ({
  reason: "wamp.x",
  message: "m",
  ...fields,
  willRetry: false,
  retryDelay: undefined,
  retryCount: undefined,
  failure
})

const joinFailed = (error: Session.JoinError) => Connection.ConnectionFailure.JoinFailed({ error })

describe("autobahn onclose translation", () => {
  it("reason: closed when clean, unsupported for a refused transport handshake, unreachable until a session opened, lost after", () => {
    const refused = new TransportError({ reason: "Open", message: "refused" })
    const handshake = new TransportError({ reason: "Handshake", message: "no common subprotocol" })
    const dropped = new SessionClosedError({
      reason: WampError.StandardUri.TransportLost,
      message: "",
      wasClean: false
    })
    const abort = new WampError.WampError({
      error: WampError.StandardUri.NoSuchRealm,
      args: [],
      kwargs: {},
      details: {}
    })
    expect(closeReasonOf(details(undefined, { wasClean: true, everOpened: true }))).toBe("closed")
    expect(closeReasonOf(details(joinFailed(abort), { wasClean: true, everOpened: false }))).toBe("closed")
    expect(closeReasonOf(details(joinFailed(handshake), { wasClean: false, everOpened: true }))).toBe("unsupported")
    expect(closeReasonOf(details(joinFailed(refused), { wasClean: false, everOpened: false }))).toBe("unreachable")
    expect(closeReasonOf(details(joinFailed(dropped), { wasClean: false, everOpened: true }))).toBe("lost")
    const lost = Connection.ConnectionFailure.SessionLost({
      reason: { reason: WampError.StandardUri.TransportLost, message: "", by: "transport", wasClean: false }
    })
    expect(closeReasonOf(details(lost, { wasClean: false, everOpened: true }))).toBe("lost")
  })

  it("details: Autobahn|JS's names, seconds, null when absent", () => {
    expect(closeDetailsOf(details(undefined, { wasClean: true, everOpened: true }))).toEqual({
      reason: "wamp.x",
      message: "m",
      will_retry: false,
      retry_delay: null,
      retry_count: null
    })
    expect(closeDetailsOf({
      ...details(undefined, { wasClean: false, everOpened: true }),
      willRetry: true,
      retryDelay: Duration.millis(1500),
      retryCount: 2
    })).toMatchObject({ will_retry: true, retry_delay: 1.5, retry_count: 2 })
  })
})
