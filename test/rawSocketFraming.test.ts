import { describe, expect, it } from "@effect/vitest"
import { FastCheck as fc } from "effect"
import * as Framing from "../src/internal/transport/rawSocketFraming.js"

const bytes = (...octets: Array<number>) => Uint8Array.from(octets)

interface Parsed {
  readonly type: Framing.FrameType
  readonly payload: Array<number>
}

/** Feeds `chunks` to a fresh parser; returns the frames, the error if any, and whether it ended idle. */
const parseAll = (chunks: ReadonlyArray<Uint8Array>, maxLength = 1024) => {
  const parser = Framing.makeFrameParser(maxLength)
  const frames: Array<Parsed> = []
  let error: Framing.FramingError | undefined
  for (const chunk of chunks) {
    error = parser.push(chunk, (type, payload) => frames.push({ type, payload: Array.from(payload) }))
    if (error !== undefined) break
  }
  return { frames, error, idle: parser.isIdle() }
}

const concat = (parts: ReadonlyArray<Uint8Array>): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const part of parts) {
    out.set(part, at)
    at += part.length
  }
  return out
}

describe("handshake", () => {
  it("encodes the client request as 7F LLLL SSSS 00 00 (checklist examples)", () => {
    expect(Array.from(Framing.encodeHandshake(1, 15))).toEqual([0x7f, 0xf1, 0, 0])
    expect(Array.from(Framing.encodeHandshake(2, 15))).toEqual([0x7f, 0xf2, 0, 0])
    expect(Array.from(Framing.encodeHandshake(3, Framing.exponentForLength(64 * 1024)))).toEqual([0x7f, 0x73, 0, 0])
  })

  it("maps length exponents to 2^(9+L) and sizes up to the next exponent, clamped to 512 B .. 16 MiB", () => {
    expect(Framing.lengthOfExponent(0)).toBe(512)
    expect(Framing.lengthOfExponent(15)).toBe(16 * 1024 * 1024)
    for (let exponent = 0; exponent <= 15; exponent++) {
      expect(Framing.exponentForLength(Framing.lengthOfExponent(exponent))).toBe(exponent)
      if (exponent > 0) expect(Framing.exponentForLength(Framing.lengthOfExponent(exponent - 1) + 1)).toBe(exponent)
    }
    expect(Framing.exponentForLength(1)).toBe(0)
    expect(Framing.exponentForLength(64 * 1024 * 1024)).toBe(15)
  })

  it("encodes error replies as 7F EEEE0000 00 00", () => {
    for (let code = 0; code <= 4; code++) {
      expect(Array.from(Framing.encodeHandshakeError(code))).toEqual([0x7f, code << 4, 0, 0])
    }
  })

  it("decodes a client request on the router side, with the error code to reply with", () => {
    expect(Framing.decodeHandshakeRequest(bytes(0x7f, 0x72, 0, 0))).toEqual({
      _tag: "Request",
      serializerId: 2,
      lengthExponent: 7,
      maxLength: 65536
    })
    const badMagic = Framing.decodeHandshakeRequest(bytes(0x47, 0x45, 0x54, 0x20))
    expect(badMagic._tag === "Invalid" && badMagic.replyCode).toBe(undefined)
    const reserved = Framing.decodeHandshakeRequest(bytes(0x7f, 0xf1, 0, 1))
    expect(reserved._tag === "Invalid" && reserved.replyCode).toBe(Framing.HandshakeErrorCode.ReservedBitsUsed)
    const illegal = Framing.decodeHandshakeRequest(bytes(0x7f, 0xf0, 0, 0))
    expect(illegal._tag === "Invalid" && illegal.replyCode).toBe(Framing.HandshakeErrorCode.SerializerUnsupported)
    expect(Framing.decodeHandshakeRequest(bytes(0x7f))._tag).toBe("Invalid")
  })

  it("decodes router replies: accepted, refused with each code, bad magic, serializer mismatch, reserved octets", () => {
    expect(Framing.decodeHandshakeReply(bytes(0x7f, 0x91, 0, 0), 1)).toEqual({
      _tag: "Accepted",
      serializerId: 1,
      lengthExponent: 9,
      maxLength: 2 ** 18
    })
    const texts = [
      "illegal error code",
      "serializer unsupported",
      "maximum message length unacceptable",
      "use of reserved bits",
      "maximum connection count reached"
    ]
    for (let code = 0; code <= 4; code++) {
      expect(Framing.decodeHandshakeReply(Framing.encodeHandshakeError(code), 1)).toEqual({
        _tag: "Refused",
        code,
        message: `router refused: ${texts[code]} (${code})`
      })
    }
    expect(Framing.decodeHandshakeReply(bytes(0x7f, 0x70, 0, 0), 1)).toMatchObject({ _tag: "Refused", code: 7 })
    expect(Framing.decodeHandshakeReply(bytes(0x48, 0x54, 0x54, 0x50), 1)).toMatchObject({
      _tag: "Malformed",
      message: expect.stringContaining("bad magic")
    })
    expect(Framing.decodeHandshakeReply(bytes(0x7f, 0xf2, 0, 0), 1)).toMatchObject({
      _tag: "Malformed",
      message: expect.stringContaining("serializer 2")
    })
    expect(Framing.decodeHandshakeReply(bytes(0x7f, 0xf1, 1, 0), 1)).toMatchObject({
      _tag: "Malformed",
      message: expect.stringContaining("reserved")
    })
  })
})

describe("frame header", () => {
  it("writes RRRR XTTT + 24-bit length, the X bit only for exactly 2^24", () => {
    expect(Array.from(Framing.frameHeader(Framing.FrameType.Message, 5))).toEqual([0, 0, 0, 5])
    expect(Array.from(Framing.frameHeader(Framing.FrameType.Ping, 0x010203))).toEqual([1, 1, 2, 3])
    expect(Array.from(Framing.frameHeader(Framing.FrameType.Pong, 0))).toEqual([2, 0, 0, 0])
    expect(Array.from(Framing.frameHeader(Framing.FrameType.Message, 2 ** 24 - 1))).toEqual([0, 0xff, 0xff, 0xff])
    expect(Array.from(Framing.frameHeader(Framing.FrameType.Message, 2 ** 24))).toEqual([0x08, 0, 0, 0])
    expect(Array.from(Framing.frameHeader(Framing.FrameType.Ping, 2 ** 24))).toEqual([0x09, 0, 0, 0])
    expect(() => Framing.frameHeader(Framing.FrameType.Message, 2 ** 24 + 1)).toThrow(RangeError)
    expect(() => Framing.frameHeader(Framing.FrameType.Message, -1)).toThrow(RangeError)
  })
})

describe("frame parser", () => {
  const frame = (type: Framing.FrameType, ...payload: Array<number>) => Framing.encodeFrame(type, bytes(...payload))

  it("parses a frame split byte by byte", () => {
    const wire = concat([frame(0, 1, 2, 3), frame(1, 9), frame(2)])
    const chunks = Array.from(wire, (octet) => bytes(octet))
    const result = parseAll(chunks)
    expect(result.frames).toEqual([{ type: 0, payload: [1, 2, 3] }, { type: 1, payload: [9] }, {
      type: 2,
      payload: []
    }])
    expect(result.error).toBe(undefined)
    expect(result.idle).toBe(true)
  })

  it("parses 100 frames from one chunk, as views of that chunk", () => {
    const wire = concat(Array.from({ length: 100 }, (_, i) => frame(0, i, i + 1)))
    const parser = Framing.makeFrameParser(1024)
    const seen: Array<Uint8Array> = []
    expect(parser.push(wire, (_type, payload) => seen.push(payload))).toBe(undefined)
    expect(seen.map((payload) => Array.from(payload))).toEqual(Array.from({ length: 100 }, (_, i) => [i, i + 1]))
    expect(seen.every((payload) => payload.buffer === wire.buffer)).toBe(true)
  })

  it("accepts a payload of exactly 2^24 octets announced with the X bit", () => {
    const length = 2 ** 24
    const wire = new Uint8Array(4 + length)
    Framing.writeFrameHeader(wire, 0, 0, length)
    wire[4 + length - 1] = 0xab
    const parser = Framing.makeFrameParser(length)
    const sizes: Array<number> = []
    let last = -1
    const error = parser.push(wire.subarray(0, 1000), () => {})
      ?? parser.push(wire.subarray(1000), (_t, payload) => {
        sizes.push(payload.length)
        last = payload[payload.length - 1]!
      })
    expect(error).toBe(undefined)
    expect(sizes).toEqual([length])
    expect(last).toBe(0xab)
  })

  it("fails on reserved bits, the X bit with a non-zero length, reserved types 3-7 and lengths over the limit", () => {
    expect(parseAll([bytes(0x10, 0, 0, 0)]).error?.reason).toBe("ReservedBits")
    expect(parseAll([bytes(0x80, 0, 0, 1, 0)]).error?.reason).toBe("ReservedBits")
    expect(parseAll([bytes(0x08, 0, 0, 1, 0)]).error?.reason).toBe("ReservedBits")
    for (let type = 3; type <= 7; type++) {
      expect(parseAll([bytes(type, 0, 0, 0)]).error?.reason).toBe("ReservedType")
    }
    const tooLarge = parseAll([bytes(0, 0, 4, 1)], 1024).error
    expect(tooLarge?.reason).toBe("TooLarge")
    expect(tooLarge?.length).toBe(1025)
    expect(parseAll([bytes(0, 0, 4, 0)], 1024).error).toBe(undefined)
    // The X bit means 2^24, which is over any smaller limit.
    expect(parseAll([bytes(0x08, 0, 0, 0)], 2 ** 24 - 1).error?.reason).toBe("TooLarge")
  })

  it("delivers the frames before a bad header, then stays failed", () => {
    const parser = Framing.makeFrameParser(1024)
    const seen: Array<number> = []
    const error = parser.push(concat([frame(0, 7), bytes(0x05, 0, 0, 0), frame(0, 8)]), (_t, p) => seen.push(p[0]!))
    expect(error?.reason).toBe("ReservedType")
    expect(seen).toEqual([7])
    expect(parser.push(frame(0, 9), (_t, p) => seen.push(p[0]!))).toBe(error)
    expect(seen).toEqual([7])
    expect(parser.isIdle()).toBe(false)
  })

  it("is not idle in the middle of a header or a payload", () => {
    expect(parseAll([bytes(0, 0)]).idle).toBe(false)
    expect(parseAll([bytes(0, 0, 0, 2, 1)]).idle).toBe(false)
    expect(parseAll([bytes(0, 0, 0, 2, 1, 2)]).idle).toBe(true)
  })

  const arbitraryFrame = fc.record({
    type: fc.constantFrom<Framing.FrameType>(0, 1, 2),
    payload: fc.uint8Array({ maxLength: 300 })
  })

  it.prop(
    "any chunking of a frame stream yields the same frames",
    [fc.array(arbitraryFrame, { maxLength: 20 }), fc.array(fc.nat(), { maxLength: 30 })],
    ([frames, cuts]) => {
      const wire = concat(frames.map(({ payload, type }) => Framing.encodeFrame(type, payload)))
      const points = [...new Set(cuts.map((cut) => cut % (wire.length + 1)))].sort((a, b) => a - b)
      const chunks: Array<Uint8Array> = []
      let from = 0
      for (const point of [...points, wire.length]) {
        chunks.push(wire.subarray(from, point))
        from = point
      }
      const result = parseAll(chunks)
      expect(result.error).toBe(undefined)
      expect(result.idle).toBe(true)
      expect(result.frames).toEqual(frames.map(({ payload, type }) => ({ type, payload: Array.from(payload) })))
    },
    { fastCheck: { numRuns: 200 } }
  )
})
