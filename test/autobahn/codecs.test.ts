/**
 * The facade's lazily loaded binary codecs (src/autobahn/codecs.ts): unusable until loaded, and
 * then the core's codecs exactly; a connection loads them before its first frame, over WebSocket
 * and RawSocket. (That they stay out of a JSON-only page is test/browser's part.)
 */
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import * as Codecs from "../../src/autobahn/codecs.js"
import autobahn from "../../src/node/autobahn/index.js"
import type { SerializerService } from "../../src/Serializer.js"
import * as Serializer from "../../src/Serializer.js"
import * as Transport from "../../src/Transport.js"
import { serve, type Served, within } from "./support/router.js"

const message = [48, 7, {}, "com.example.add2", [2, 3], { big: 2 ** 40 }]
const pairs: ReadonlyArray<readonly [string, SerializerService, SerializerService]> = [
  ["msgpack", Codecs.msgpack, Serializer.msgpack],
  ["cbor", Codecs.cbor, Serializer.cbor]
]

describe("lazy codecs", () => {
  // First in this file: module state, the codecs are not loaded yet.
  it("say what they are, and refuse to encode or decode before they are loaded", () => {
    for (const [, lazy, core] of pairs) {
      expect({ ...lazy, encode: null, decode: null }).toEqual({ ...core, encode: null, decode: null })
      const encoded = lazy.encode(message)
      expect(Either.isLeft(encoded) && encoded.left._tag).toBe("EncodeError")
      const decoded = lazy.decode(new Uint8Array([0x91, 0x01]))
      expect(Either.isLeft(decoded) && decoded.left._tag).toBe("DecodeError")
    }
  })

  it("are loaded by a transport's open, before the inner open runs, then work as the core's", async () => {
    const seen: Array<string> = []
    const inner = Transport.make((serializers) =>
      Effect.sync(() => {
        // By now every offered codec must work.
        for (const serializer of serializers) {
          seen.push(`${serializer.name}:${Either.isRight(serializer.encode(message))}`)
        }
      }).pipe(Effect.zipRight(Effect.fail(new Error("stop here") as never)))
    )
    const exit = await Effect.runPromiseExit(
      Effect.scoped(Codecs.loadingCodecs(inner).open([Codecs.msgpack, Codecs.cbor]))
    )
    expect(Exit.isFailure(exit)).toBe(true)
    expect(seen).toEqual(["msgpack:true", "cbor:true"])
    for (const [, lazy, core] of pairs) {
      const frame = Either.getOrThrow(lazy.encode(message))
      expect(frame).toEqual(Either.getOrThrow(core.encode(message)))
      expect(Either.getOrThrow(lazy.decode(frame))).toEqual(Either.getOrThrow(core.decode(frame)))
    }
  })
})

describe("a facade connection with only a binary serializer", () => {
  let served: Served
  beforeAll(async () => {
    served = await serve()
  })
  afterAll(() => served.close())

  // Bytes come back as Node Buffers here, as Autobahn|JS gives them (payload.ts).
  const plain = (result: unknown) => {
    const { bytes, n } = result as { bytes: Uint8Array; n: number }
    return { bytes: bytes instanceof Uint8Array ? [...bytes] : bytes, n }
  }

  const joinAndCall = (options: autobahn.ConnectionOptions) =>
    within(
      new Promise<unknown>((resolve, reject) => {
        const connection = new autobahn.Connection(options)
        connection.onopen = (session) => {
          session.register("com.example.echo", (args: Array<unknown>) => args[0]).then(() =>
            session.call("com.example.echo", [{ bytes: new Uint8Array([1, 2, 3]), n: 2 ** 40 }])
          ).then((result) => {
            connection.close()
            resolve(result)
          }, reject)
        }
        connection.onclose = (reason) => {
          reject(new Error(`closed: ${reason}`))
          return true
        }
        connection.open()
      }),
      10_000,
      "join and call"
    )

  it("joins and calls over WebSocket with CBOR only", async () => {
    const result = await joinAndCall({
      url: served.url,
      realm: "realm1",
      max_retries: 0,
      serializers: [new autobahn.serializer.CBORSerializer()]
    })
    expect(plain(result)).toEqual({ bytes: [1, 2, 3], n: 2 ** 40 })
  })

  it("joins and calls over RawSocket with MessagePack only", async () => {
    const result = await joinAndCall({
      transports: [{ type: "rawsocket", host: served.host, port: served.rawSocketPort }],
      realm: "realm1",
      max_retries: 0,
      serializers: [new autobahn.serializer.MsgpackSerializer()]
    })
    expect(plain(result)).toEqual({ bytes: [1, 2, 3], n: 2 ** 40 })
  })
})
