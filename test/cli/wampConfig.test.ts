/** The `wamp` command's URL parsing (in process: no child needed). */
import { describe, expect, it } from "@effect/vitest"
import { Either } from "effect"
import { parseEndpoint } from "../../src/cli/wampConfig.js"

describe("parseEndpoint", () => {
  it("ws, wss, tcp and unix URLs; clear messages otherwise", () => {
    expect(parseEndpoint("ws://127.0.0.1:8080/ws")).toEqual(
      Either.right({ _tag: "WebSocket", url: "ws://127.0.0.1:8080/ws" })
    )
    expect(parseEndpoint("wss://example.com/wamp")).toEqual(
      Either.right({ _tag: "WebSocket", url: "wss://example.com/wamp" })
    )
    expect(parseEndpoint("tcp://127.0.0.1:8081")).toEqual(Either.right({ _tag: "Tcp", host: "127.0.0.1", port: 8081 }))
    expect(parseEndpoint("tcp://[::1]:8081")).toEqual(Either.right({ _tag: "Tcp", host: "::1", port: 8081 }))
    expect(parseEndpoint("unix:///run/wamp.sock")).toEqual(Either.right({ _tag: "Unix", path: "/run/wamp.sock" }))
    expect(parseEndpoint("tcp://127.0.0.1")).toEqual(
      Either.left("a tcp:// URL needs a host and a port: \"tcp://127.0.0.1\"")
    )
    expect(Either.getLeft(parseEndpoint("unix://"))._tag).toBe("Some")
    expect(parseEndpoint("http://x")).toEqual(
      Either.left("unsupported URL scheme \"http:\" in \"http://x\" (ws://, wss://, tcp:// or unix://)")
    )
    expect(parseEndpoint("not a url")).toEqual(
      Either.left("not a URL: \"not a url\" (ws://, wss://, tcp:// or unix://)")
    )
  })
})
