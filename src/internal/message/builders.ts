/**
 * Hand-written message builders for the messages on the hot path (what a client receives per call or
 * event, what a router receives per call or publication), used by the compiled decoders once the
 * elements are checked. Why by hand: one object literal per shape costs ~35 ns, against ~120–180 ns for
 * the generic loop of keyed stores that the element table drives (every message type shares that loop,
 * so V8 sees its stores as megamorphic property additions). Measured in Node 20 on this project's bench.
 *
 * Each builder must give exactly what the generic builder gives (same fields, same order); the
 * equivalence property test against the structural decoder checks it for every message type.
 * `n` is the element count after trailing payload nulls were dropped.
 */
import type * as Message from "../../Message.js"

type Wire = ReadonlyArray<unknown>
type Dict = Message.Dict
type List = Message.List

export const Error = (w: Wire, n: number): Message.Error =>
  n === 5
    ? {
      _tag: "Error",
      requestType: w[1] as number,
      request: w[2] as number,
      details: w[3] as Dict,
      error: w[4] as string
    }
    : n === 6
    ? {
      _tag: "Error",
      requestType: w[1] as number,
      request: w[2] as number,
      details: w[3] as Dict,
      error: w[4] as string,
      args: w[5] as List
    }
    : {
      _tag: "Error",
      requestType: w[1] as number,
      request: w[2] as number,
      details: w[3] as Dict,
      error: w[4] as string,
      args: w[5] as List,
      kwargs: w[6] as Dict
    }

export const Publish = (w: Wire, n: number): Message.Publish =>
  n === 4
    ? { _tag: "Publish", request: w[1] as number, options: w[2] as Dict, topic: w[3] as string }
    : n === 5
    ? { _tag: "Publish", request: w[1] as number, options: w[2] as Dict, topic: w[3] as string, args: w[4] as List }
    : {
      _tag: "Publish",
      request: w[1] as number,
      options: w[2] as Dict,
      topic: w[3] as string,
      args: w[4] as List,
      kwargs: w[5] as Dict
    }

export const Event = (w: Wire, n: number): Message.Event =>
  n === 4
    ? { _tag: "Event", subscription: w[1] as number, publication: w[2] as number, details: w[3] as Dict }
    : n === 5
    ? {
      _tag: "Event",
      subscription: w[1] as number,
      publication: w[2] as number,
      details: w[3] as Dict,
      args: w[4] as List
    }
    : {
      _tag: "Event",
      subscription: w[1] as number,
      publication: w[2] as number,
      details: w[3] as Dict,
      args: w[4] as List,
      kwargs: w[5] as Dict
    }

export const Call = (w: Wire, n: number): Message.Call =>
  n === 4
    ? { _tag: "Call", request: w[1] as number, options: w[2] as Dict, procedure: w[3] as string }
    : n === 5
    ? { _tag: "Call", request: w[1] as number, options: w[2] as Dict, procedure: w[3] as string, args: w[4] as List }
    : {
      _tag: "Call",
      request: w[1] as number,
      options: w[2] as Dict,
      procedure: w[3] as string,
      args: w[4] as List,
      kwargs: w[5] as Dict
    }

export const Result = (w: Wire, n: number): Message.Result =>
  n === 3
    ? { _tag: "Result", request: w[1] as number, details: w[2] as Dict }
    : n === 4
    ? { _tag: "Result", request: w[1] as number, details: w[2] as Dict, args: w[3] as List }
    : { _tag: "Result", request: w[1] as number, details: w[2] as Dict, args: w[3] as List, kwargs: w[4] as Dict }

export const Invocation = (w: Wire, n: number): Message.Invocation =>
  n === 4
    ? { _tag: "Invocation", request: w[1] as number, registration: w[2] as number, details: w[3] as Dict }
    : n === 5
    ? {
      _tag: "Invocation",
      request: w[1] as number,
      registration: w[2] as number,
      details: w[3] as Dict,
      args: w[4] as List
    }
    : {
      _tag: "Invocation",
      request: w[1] as number,
      registration: w[2] as number,
      details: w[3] as Dict,
      args: w[4] as List,
      kwargs: w[5] as Dict
    }

export const Yield = (w: Wire, n: number): Message.Yield =>
  n === 3
    ? { _tag: "Yield", request: w[1] as number, options: w[2] as Dict }
    : n === 4
    ? { _tag: "Yield", request: w[1] as number, options: w[2] as Dict, args: w[3] as List }
    : { _tag: "Yield", request: w[1] as number, options: w[2] as Dict, args: w[3] as List, kwargs: w[4] as Dict }
