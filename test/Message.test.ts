import { describe, expect, it } from "@effect/vitest"
import { Either, Schema } from "effect"
import type { ProtocolError } from "../src/Errors.js"
import * as Message from "../src/Message.js"
import { arbitraries, arbitraryMessage } from "./support/arbitraries.js"

const decoded = (raw: unknown): Message.Message => {
  const result = Message.decode(raw)
  if (Either.isLeft(result)) throw new globalThis.Error(`expected a message, got: ${result.left.message}`)
  return result.right
}

const failure = (raw: unknown): ProtocolError => {
  const result = Message.decode(raw)
  if (Either.isRight(result)) {
    throw new globalThis.Error(`expected a ProtocolError, got ${JSON.stringify(result.right)}`)
  }
  return result.left
}

describe("Message round trip", () => {
  for (const [tag, arbitrary] of Object.entries(arbitraries)) {
    it.prop(`${tag}: decode(encode(m)) = m, also through JSON`, [arbitrary as typeof arbitraryMessage], ([message]) => {
      const wire = Message.encode(message)
      expect(wire[0]).toBe(Message.Code[message._tag])
      expect(decoded(wire)).toStrictEqual(message)
      expect(decoded(JSON.parse(JSON.stringify(wire)))).toStrictEqual(message)
    })
  }

  it.prop("the Schema's encoder and the plain encoder agree", [arbitraryMessage], ([message]) => {
    const schema = Message.schemas[message._tag] as unknown as Schema.Schema<Message.Message, Message.Wire>
    expect(Schema.encodeSync(schema)(message)).toStrictEqual(Message.encode(message))
    expect(Schema.decodeUnknownSync(schema)(Message.encode(message))).toStrictEqual(message)
  })
})

describe("Message.encode omits empty trailing payload", () => {
  const call = { _tag: "Call", request: 1, options: {}, procedure: "com.a" } as const
  const cases: ReadonlyArray<readonly [string, Message.Call, ReadonlyArray<unknown>]> = [
    ["no payload", call, [48, 1, {}, "com.a"]],
    ["empty args", { ...call, args: [] }, [48, 1, {}, "com.a"]],
    ["empty args and kwargs", { ...call, args: [], kwargs: {} }, [48, 1, {}, "com.a"]],
    ["empty kwargs alone", { ...call, kwargs: {} }, [48, 1, {}, "com.a"]],
    ["args only", { ...call, args: [1] }, [48, 1, {}, "com.a", [1]]],
    ["args and empty kwargs", { ...call, args: [1], kwargs: {} }, [48, 1, {}, "com.a", [1]]],
    ["kwargs without args emits []", { ...call, kwargs: { a: 1 } }, [48, 1, {}, "com.a", [], { a: 1 }]],
    ["kwargs with empty args", { ...call, args: [], kwargs: { a: 1 } }, [48, 1, {}, "com.a", [], { a: 1 }]],
    ["both", { ...call, args: [null], kwargs: { a: 1 } }, [48, 1, {}, "com.a", [null], { a: 1 }]]
  ]
  for (const [title, message, wire] of cases) {
    it(title, () => expect(Message.encode(message)).toStrictEqual(wire))
  }

  it("a revocation always carries Details", () => {
    expect(Message.encode({ _tag: "Unsubscribed", request: 0 })).toStrictEqual([35, 0, {}])
    expect(Message.encode({ _tag: "Unregistered", request: 4 })).toStrictEqual([67, 4])
  })

  it("receivers accept explicitly empty payloads", () => {
    expect(decoded([50, 1, {}, [], {}])).toStrictEqual({
      _tag: "Result",
      request: 1,
      details: {},
      args: [],
      kwargs: {}
    })
  })
})

describe("Message.decode rejects bad input with a typed error naming the element", () => {
  const big = 2 ** 53
  const cases: ReadonlyArray<readonly [string, unknown, ProtocolError["reason"], RegExp]> = [
    // §7.4: top level and message type
    ["not a list", { 0: 48 }, "Malformed", /non-empty list/],
    ["a string", "[48]", "Malformed", /non-empty list/],
    ["null", null, "Malformed", /non-empty list/],
    ["empty list", [], "Malformed", /non-empty list, got \[\]/],
    ["type as string", ["1", "realm", {}], "Malformed", /element 0\) must be an integer, got "1"/],
    ["type as float", [1.5, "realm", {}], "Malformed", /must be an integer, got 1\.5/],
    ["type as boolean", [true, "realm", {}], "Malformed", /must be an integer, got true/],
    ["type as bigint", [48n, 1, {}, "a"], "Malformed", /must be an integer, got 48n/],
    ["type as null", [null], "Malformed", /must be an integer, got null/],
    // §7.5: unknown codes
    ["unassigned 7", [7, {}], "UnknownMessage", /unknown message type 7/],
    ["unassigned 0", [0], "UnknownMessage", /type 0/],
    ["negative", [-1, 1], "UnknownMessage", /type -1/],
    ["core range 255", [255, 1], "UnknownMessage", /type 255/],
    ["extension 256", [256, 1], "UnknownMessage", /type 256/],
    ["EVENT_RECEIVED 337", [337, 5512315355], "UnknownMessage", /type 337/],
    ["extension 1023", [1023], "UnknownMessage", /type 1023/],
    ["huge", [2 ** 40], "UnknownMessage", /unknown message type/],
    // §7.7: arity
    ["WELCOME too short", [2, 123], "Malformed", /^WELCOME: expected 3 elements, got 2$/],
    ["EVENT too short", [36, 1, 2], "Malformed", /^EVENT: expected 4 to 6 elements, got 3$/],
    ["EVENT with 7 elements", [36, 1, 2, {}, [], {}, 7], "Malformed", /^EVENT: expected 4 to 6 elements, got 7$/],
    ["HELLO too long", [1, "realm", {}, {}], "Malformed", /^HELLO: expected 3 elements, got 4$/],
    ["ABORT too long", [3, {}, "a.b", [], {}, 1], "Malformed", /^ABORT: expected 3 to 5 elements, got 6$/],
    ["ERROR too short", [8, 48, 1, {}], "Malformed", /^ERROR: expected 5 to 7 elements, got 4$/],
    ["SUBSCRIBE with payload", [32, 1, {}, "a", []], "Malformed", /^SUBSCRIBE: expected 4 elements, got 5$/],
    ["UNSUBSCRIBED too long", [35, 0, {}, 1], "Malformed", /UNSUBSCRIBED: expected 2 to 3 elements, got 4/],
    [
      "UNSUBSCRIBED [35, 5, {}]: details only in a revocation",
      [35, 5, {}],
      "Malformed",
      /UNSUBSCRIBED: element 1 \(UNSUBSCRIBE.Request\) must be 0 in a revocation.*got 5/
    ],
    [
      "UNREGISTERED [67, 0]: request 0 only in a revocation",
      [67, 0],
      "Malformed",
      /UNREGISTERED: element 1 \(UNREGISTER.Request\) must be an ID.*got 0/
    ],
    ["UNSUBSCRIBED revocation without dict", [35, 0, []], "Malformed", /element 2 \(Details\) must be a dict/],
    // §7.8: element types
    ["id 0", [48, 0, {}, "a"], "Malformed", /^CALL: element 1 \(Request\) must be an ID.*got 0$/],
    ["id negative", [50, -1, {}], "Malformed", /RESULT: element 1 \(CALL.Request\) must be an ID.*got -1/],
    ["id float", [33, 1.5, 2], "Malformed", /SUBSCRIBED: element 1 .* got 1\.5/],
    ["id above 2^53", [33, 1, big * 2], "Malformed", /element 2 \(Subscription\) must be an ID/],
    ["id as string", [2, "1", {}], "Malformed", /WELCOME: element 1 \(Session\) must be an ID.*got "1"/],
    ["id as bigint", [17, 1n, 2], "Malformed", /PUBLISHED: element 1 \(PUBLISH.Request\) .*got 1n/],
    ["id as boolean", [65, true, 2], "Malformed", /REGISTERED: element 1 .*got true/],
    ["Details as list", [50, 1, [], [1]], "Malformed", /RESULT: element 2 \(Details\) must be a dict, got \[\]/],
    ["Details as null", [36, 1, 2, null], "Malformed", /EVENT: element 3 \(Details\) must be a dict, got null/],
    ["Options as Map", [48, 1, new Map(), "a"], "Malformed", /CALL: element 2 \(Options\) must be a dict, got a Map/],
    ["Extra as bytes", [4, "ticket", new Uint8Array(2)], "Malformed", /CHALLENGE: element 2 \(Extra\) must be a dict/],
    ["Arguments as dict", [50, 1, {}, { a: 1 }], "Malformed", /RESULT: element 3 \(Arguments\) must be a list/],
    ["Arguments as string", [36, 1, 2, {}, "x"], "Malformed", /EVENT: element 4 \(Arguments\) must be a list, got "x"/],
    ["ArgumentsKw as list", [48, 1, {}, "a", [], [1]], "Malformed", /CALL: element 5 \(ArgumentsKw\) must be a dict/],
    ["null Arguments before kwargs", [50, 1, {}, null, { a: 1 }], "Malformed", /element 3 \(Arguments\) .*got null/],
    ["Procedure as number", [48, 1, {}, 42], "Malformed", /^CALL: element 3 \(Procedure\) must be a URI, got 42$/],
    ["Procedure with space", [64, 1, {}, "com.my proc"], "Malformed", /REGISTER: element 3 \(Procedure\)/],
    ["Topic with #", [32, 1, {}, "com.#"], "Malformed", /SUBSCRIBE: element 3 \(Topic\) must be a URI/],
    ["Reason with empty component", [6, {}, "wamp..normal"], "Malformed", /GOODBYE: element 2 \(Reason\)/],
    ["Reason empty", [3, {}, ""], "Malformed", /ABORT: element 2 \(Reason\) must be a URI, got ""/],
    ["Error URI as number", [8, 48, 1, {}, 5], "Malformed", /ERROR: element 4 \(Error\) must be a URI/],
    ["Realm trailing dot", [1, "realm1.", {}], "Malformed", /HELLO: element 1 \(Realm\) must be a URI/],
    ["AuthMethod as number", [4, 1, {}], "Malformed", /CHALLENGE: element 1 \(AuthMethod\) must be a string/],
    ["Signature as null", [5, null, {}], "Malformed", /AUTHENTICATE: element 1 \(Signature\) must be a string/],
    ["ERROR REQUEST.Type 99", [8, 99, 1, {}, "a.b"], "Malformed", /ERROR: element 1 \(REQUEST.Type\) .*got 99/],
    ["ERROR REQUEST.Type 1", [8, 1, 1, {}, "a.b"], "Malformed", /REQUEST.Type/],
    ["ERROR REQUEST.Type as string", [8, "48", 1, {}, "a.b"], "Malformed", /REQUEST.Type.*got "48"/],
    // known boolean keys hold booleans
    ["progress: 1", [50, 1, { progress: 1 }], "Malformed", /RESULT: element 2 \(Details\) .*"progress", got 1$/],
    [
      "receive_progress: 'yes'",
      [48, 1, { receive_progress: "yes" }, "a"],
      "Malformed",
      /CALL: element 2 \(Options\) must have a boolean "receive_progress", got "yes"/
    ],
    ["acknowledge: 1", [16, 123, { acknowledge: 1 }, "com.example.topic"], "Malformed", /"acknowledge", got 1/],
    ["exclude_me: null", [16, 1, { exclude_me: null }, "a"], "Malformed", /"exclude_me", got null/],
    ["retained: 'hello'", [36, 123, 456, { retained: "hello" }, ["args"]], "Malformed", /"retained"/],
    ["forward_timeout: 0", [64, 1, { forward_timeout: 0 }, "a"], "Malformed", /"forward_timeout", got 0/],
    ["disclose_me: 1", [48, 1, { disclose_me: 1 }, "a"], "Malformed", /"disclose_me"/]
  ]
  for (const [title, raw, reason, message] of cases) {
    it(title, () => {
      const error = failure(raw)
      expect(error._tag).toBe("ProtocolError")
      expect(error.reason).toBe(reason)
      expect(error.message).toMatch(message)
    })
  }

  it("never throws on hostile values", () => {
    const cyclic: Record<string, unknown> = {}
    cyclic.self = cyclic
    const hostile: ReadonlyArray<unknown> = [
      undefined,
      Symbol("x"),
      () => 1,
      [48, 1, {}, "a", cyclic],
      [48, 1, cyclic, 1],
      [48, 1, {}, "a", [], Object.create({ inherited: 1 })],
      [Number.NaN],
      [Infinity, 1]
    ]
    for (const raw of hostile) {
      expect(() => Message.decode(raw)).not.toThrow()
    }
    expect(failure([48, 1, cyclic, 1]).message).toMatch(/element 3 \(Procedure\)/)
    expect(failure([Infinity]).reason).toBe("Malformed")
  })
})

describe("Message.decode leniency", () => {
  it("accepts fox-wamp's trailing null as an absent payload", () => {
    expect(decoded([50, 1, {}, [3], null])).toStrictEqual({ _tag: "Result", request: 1, details: {}, args: [3] })
    expect(decoded([50, 1, {}, null])).toStrictEqual({ _tag: "Result", request: 1, details: {} })
    expect(decoded([50, 1, {}, null, null])).toStrictEqual({ _tag: "Result", request: 1, details: {} })
    expect(decoded([36, 1, 2, {}, ["x"], null])).toStrictEqual({
      _tag: "Event",
      subscription: 1,
      publication: 2,
      details: {},
      args: ["x"]
    })
    // Only payload positions: a null Details or a null beyond the payload is still an error.
    expect(failure([50, 1, null]).message).toMatch(/element 2 \(Details\)/)
    expect(failure([50, 1, {}, [3], null, null]).message).toMatch(/expected 3 to 5 elements, got 6/)
  })

  it("keeps unknown Options/Details keys, including implementation keys", () => {
    const details = { x_cb_node: "node1", _custom_key: [1, { a: null }], progress: true, future_key: 3 }
    expect(decoded([50, 9, details, [1]])).toStrictEqual({ _tag: "Result", request: 9, details, args: [1] })
  })

  it("accepts ids at both ends of [1, 2^53]", () => {
    expect(decoded([33, 1, 2 ** 53])).toStrictEqual({ _tag: "Subscribed", request: 1, subscription: 2 ** 53 })
    expect(failure([33, 1, 2 ** 53 + 2]).reason).toBe("Malformed")
  })

  it("accepts pattern URIs for topics and procedures only", () => {
    expect(decoded([32, 1, { match: "wildcard" }, "com..update"])).toMatchObject({ topic: "com..update" })
    expect(decoded([64, 1, { match: "prefix" }, "com.myapp."])).toMatchObject({ procedure: "com.myapp." })
    expect(failure([8, 48, 1, {}, "com..error"]).message).toMatch(/element 4 \(Error\)/)
  })

  it("decodes a revocation", () => {
    const message = decoded([67, 0, { registration: 2103333224, reason: "wamp.error.unavailable" }])
    expect(message).toStrictEqual({
      _tag: "Unregistered",
      request: 0,
      details: { registration: 2103333224, reason: "wamp.error.unavailable" }
    })
    expect(Message.isRevocation(message)).toBe(true)
    expect(Message.isRevocation(decoded([67, 5]))).toBe(false)
    expect(Message.isRevocation(decoded([35, 0, {}]))).toBe(true)
  })
})

describe("Message.decode spec vectors (wamp-proto testsuite, transcribed)", () => {
  const vectors: ReadonlyArray<readonly [string, Message.Message]> = [
    ["[1,\"com.example.realm\",{\"roles\":{\"subscriber\":{},\"publisher\":{}}}]", {
      _tag: "Hello",
      realm: "com.example.realm",
      details: { roles: { subscriber: {}, publisher: {} } }
    }],
    ["[2, 9129137332, {\"roles\": {\"broker\": {}, \"dealer\": {}}}]", {
      _tag: "Welcome",
      session: 9129137332,
      details: { roles: { broker: {}, dealer: {} } }
    }],
    ["[3,{},\"wamp.error.system_shutdown\"]", { _tag: "Abort", details: {}, reason: "wamp.error.system_shutdown" }],
    ["[4,\"wampcra\",{}]", { _tag: "Challenge", authMethod: "wampcra", extra: {} }],
    ["[5,\"gir1mSx+deCDUV7FgLvsQNTi6n3W/Z/WcZ/OT9RwdZY=\",{}]", {
      _tag: "Authenticate",
      signature: "gir1mSx+deCDUV7FgLvsQNTi6n3W/Z/WcZ/OT9RwdZY=",
      extra: {}
    }],
    ["[6,{},\"wamp.close.normal\"]", { _tag: "Goodbye", details: {}, reason: "wamp.close.normal" }],
    ["[8,48,7814135,{},\"com.myapp.error\"]", {
      _tag: "Error",
      requestType: 48,
      request: 7814135,
      details: {},
      error: "com.myapp.error"
    }],
    ["[16,111222333,{},\"com.myapp.data\",[\"Alice\",30],{\"role\":\"admin\",\"active\":true}]", {
      _tag: "Publish",
      request: 111222333,
      options: {},
      topic: "com.myapp.data",
      args: ["Alice", 30],
      kwargs: { role: "admin", active: true }
    }],
    ["[16,239714735,{\"exclude_me\":false},\"com.myapp.mytopic1\",[\"Hello, world!\"]]", {
      _tag: "Publish",
      request: 239714735,
      options: { exclude_me: false },
      topic: "com.myapp.mytopic1",
      args: ["Hello, world!"]
    }],
    ["[17,239714735,4429313566]", { _tag: "Published", request: 239714735, publication: 4429313566 }],
    ["[32,713845233,{},\"com.myapp.mytopic1\"]", {
      _tag: "Subscribe",
      request: 713845233,
      options: {},
      topic: "com.myapp.mytopic1"
    }],
    ["[33,713845233,5512315355]", { _tag: "Subscribed", request: 713845233, subscription: 5512315355 }],
    ["[34,85346237,5512315355]", { _tag: "Unsubscribe", request: 85346237, subscription: 5512315355 }],
    ["[35,85346237]", { _tag: "Unsubscribed", request: 85346237 }],
    [
      "[36,7418529630,556677889900,{\"forward_for\":[{\"session\":2468013579,\"authid\":\"frontend1\",\"authrole\":\"user\"}]},[100,\"data\"]]",
      {
        _tag: "Event",
        subscription: 7418529630,
        publication: 556677889900,
        details: { forward_for: [{ session: 2468013579, authid: "frontend1", authrole: "user" }] },
        args: [100, "data"]
      }
    ],
    ["[48,7814135,{},\"com.myapp.myprocedure1\",[\"Hello, world!\"]]", {
      _tag: "Call",
      request: 7814135,
      options: {},
      procedure: "com.myapp.myprocedure1",
      args: ["Hello, world!"]
    }],
    ["[49, 7814135, {}]", { _tag: "Cancel", request: 7814135, options: {} }],
    ["[50,7814135,{},[\"Hello, world!\"]]", { _tag: "Result", request: 7814135, details: {}, args: ["Hello, world!"] }],
    ["[64,25349185,{},\"com.myapp.myprocedure1\"]", {
      _tag: "Register",
      request: 25349185,
      options: {},
      procedure: "com.myapp.myprocedure1"
    }],
    ["[65,25349185,2103333224]", { _tag: "Registered", request: 25349185, registration: 2103333224 }],
    ["[66,788923562,2103333224]", { _tag: "Unregister", request: 788923562, registration: 2103333224 }],
    ["[67,788923562]", { _tag: "Unregistered", request: 788923562 }],
    ["[68,6131533,9823526,{}]", { _tag: "Invocation", request: 6131533, registration: 9823526, details: {} }],
    ["[69,6131533,{}]", { _tag: "Interrupt", request: 6131533, options: {} }],
    ["[70,6131533,{}]", { _tag: "Yield", request: 6131533, options: {} }]
  ]
  for (const [json, message] of vectors) {
    it(json.slice(0, 60), () => {
      expect(decoded(JSON.parse(json))).toStrictEqual(message)
      expect(Message.encode(message)).toStrictEqual(JSON.parse(json))
    })
  }
})

describe("Message helpers", () => {
  it("name", () => {
    expect(Message.name(48)).toBe("CALL")
    expect(Message.name(35)).toBe("UNSUBSCRIBED")
    expect(Message.name(7)).toBe("message type 7")
    expect(Message.name(-3)).toBe("message type -3")
  })

  it("requestTypeOf", () => {
    expect(Message.requestTypeOf("Call")).toBe(48)
    expect(Message.requestTypeOf({ _tag: "Invocation", request: 1, registration: 2, details: {} })).toBe(68)
    expect(Message.requestTypeOf("Unregister")).toBe(66)
    expect(Message.requestTypeOf("Result")).toBeUndefined()
    expect(Message.requestTypeOf("Cancel")).toBeUndefined()
    expect(Message.isErrorRequestType(16)).toBe(true)
    expect(Message.isErrorRequestType(50)).toBe(false)
  })
})
