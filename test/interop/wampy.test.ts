/**
 * Interop with wampy (npm `wampy` 8), an independent WAMP client, through the test-kit router
 * served on 127.0.0.1: PubSub both ways, RPC both ways, progressive results and progressive call
 * invocations, errors with args/kwargs, and ticket / wampcra (plain and salted) / cryptosign logins
 * with wampy's own auth plugins.
 *
 * On Node wampy does not look for a global WebSocket: it needs the `ws` class passed as its `ws`
 * option (its documented Node setup). Each client is created with `autoReconnect: false` and
 * disconnected by its scope, so no socket or timer outlives a test.
 */
import { expect, layer } from "@effect/vitest"
import { Chunk, Deferred, Effect, Fiber, Redacted, type Scope, Stream } from "effect"
import { Wampy } from "wampy"
import { sign as cryptosignPlugin } from "wampy/cryptosign.js"
import { JsonSerializer } from "wampy/JsonSerializer.js"
import { MsgpackSerializer } from "wampy/MsgpackSerializer.js"
import { sign as wampcraPlugin } from "wampy/wampcra.js"
import WebSocket from "ws"
import * as Authenticator from "../../src/Authenticator.js"
import * as WampError from "../../src/WampError.js"
import {
  authRealm,
  credentials,
  layer as servedLayer,
  type PeerSerializer,
  peerSerializers,
  Served
} from "./support.js"

/** wampy does not export its options type; its (url, options) constructor has it. */
type WampyOptions = NonNullable<ConstructorParameters<typeof Wampy>[1]>

class WampyFailed extends Error {}

/** Connects a wampy client (its session joined); the scope disconnects it. */
const openWampy = (
  url: string,
  serializer: PeerSerializer,
  options: WampyOptions = {}
): Effect.Effect<{ wampy: Wampy; welcome: Record<string, unknown> }, WampyFailed, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.tryPromise({
      try: async () => {
        const wampy = new Wampy(url, {
          realm: "realm1",
          // wampy's constructor type is the DOM one; `ws` is what it documents for Node.
          ws: WebSocket as unknown as NonNullable<WampyOptions["ws"]>,
          autoReconnect: false,
          serializer: serializer === "json" ? new JsonSerializer() : new MsgpackSerializer(),
          ...options
        })
        try {
          return { wampy, welcome: await wampy.connect() }
        } catch (error) {
          // A refused join still leaves a socket to close.
          await wampy.disconnect().catch(() => undefined)
          throw error
        }
      },
      catch: (error) =>
        new WampyFailed(
          error instanceof Error
            ? `${error.message} ${String((error as { errorUri?: unknown }).errorUri ?? "")}`
            : String(error)
        )
    }),
    ({ wampy }) => Effect.promise(() => wampy.disconnect().catch(() => undefined))
  )

const open = (url: string, serializer: PeerSerializer, options?: WampyOptions) =>
  Effect.map(openWampy(url, serializer, options), ({ wampy }) => wampy)

/**
 * wampy's MessagePack serializer (its own msgpackr, default options) decodes integers above 2^32 as
 * BigInt, so with msgpack its session and publication ids (random, up to 2^53) are BigInts: compare
 * them as numbers. JSON gives numbers.
 */
const idOf = (id: unknown): number => Number(id)

const promise = <A>(evaluate: () => Promise<A>) => Effect.promise(evaluate)

for (const serializer of peerSerializers) {
  layer(servedLayer, { excludeTestServices: true, timeout: "10 seconds" })(
    `wampy interop over WebSocket / ${serializer}`,
    (it) => {
      it.scoped("wampy publishes to an effect-wamp subscriber (args, kwargs, disclosure, acknowledge)", () =>
        Effect.gen(function*() {
          const { join, uri, url } = yield* Served
          const subscriber = yield* join(serializer)
          const publisher = yield* open(url, serializer)
          const topic = uri("from.wampy")
          const subscription = yield* subscriber.subscribe(topic)
          const received = yield* Effect.fork(Stream.runCollect(Stream.take(subscription.events, 2)))
          const { publicationId } = yield* promise(() =>
            publisher.publish(topic, { argsList: ["héllo", 2 ** 40], argsDict: { n: 1 } }, { disclose_me: true })
          )
          yield* promise(() => publisher.publish(topic, { argsList: [2] }))
          const events = Chunk.toReadonlyArray(yield* Fiber.join(received))
          expect(events[0]!.args).toEqual(["héllo", 2 ** 40])
          expect(events[0]!.kwargs).toEqual({ n: 1 })
          expect(events[0]!.details.publication).toBe(idOf(publicationId))
          expect(events[0]!.details.publisher).toBe(idOf(publisher.getSessionId()))
          expect(events[1]!.args).toEqual([2])
        }))

      it.scoped("an effect-wamp publisher reaches a wampy subscriber (prefix match, exclude by session)", () =>
        Effect.gen(function*() {
          const { join, uri, url } = yield* Served
          const publisher = yield* join(serializer)
          const [subscriber, excluded] = yield* Effect.all([open(url, serializer), open(url, serializer)])
          const base = uri("to.wampy")
          const got = yield* Deferred.make<ReadonlyArray<unknown>>()
          const gotByExcluded = yield* Deferred.make<ReadonlyArray<unknown>>()
          yield* promise(() =>
            subscriber.subscribe(base, ({ argsList, argsDict, details }) => {
              Deferred.unsafeDone(
                got,
                Effect.succeed([argsList, argsDict, details["topic"], idOf(details["publisher"])])
              )
            }, { match: "prefix" })
          )
          yield* promise(() =>
            excluded.subscribe(base, ({ argsList }) => {
              Deferred.unsafeDone(gotByExcluded, Effect.succeed([argsList]))
            }, { match: "prefix" })
          )
          yield* publisher.publish(`${base}.x`, ["hi", 1], { from: "effect-wamp" }, {
            acknowledge: true,
            disclose_me: true,
            exclude: [idOf(excluded.getSessionId())]
          })
          expect(yield* Deferred.await(got)).toEqual([
            ["hi", 1],
            { from: "effect-wamp" },
            `${base}.x`,
            publisher.info.id
          ])
          // The excluded client gets only the next, unfiltered event.
          yield* publisher.publish(`${base}.y`, ["second"], {}, { acknowledge: true })
          expect(yield* Deferred.await(gotByExcluded)).toEqual([["second"]])
        }))

      it.scoped("RPC both ways with args and kwargs", () =>
        Effect.gen(function*() {
          const { join, uri, url } = yield* Served
          const ours = yield* join(serializer)
          const theirs = yield* open(url, serializer)
          const wampyAdds = uri("wampy.add")
          yield* promise(() =>
            theirs.register(wampyAdds, ({ argsDict, argsList }) => ({
              argsList: [(argsList![0] as number) + (argsList![1] as number)],
              argsDict: { label: argsDict?.["label"] }
            }))
          )
          const result = yield* ours.call(wampyAdds, [2, 3], { label: "sum" })
          expect(result.args).toEqual([5])
          expect(result.kwargs).toEqual({ label: "sum" })

          const weEcho = uri("ew.echo")
          yield* ours.register(weEcho, (invocation) =>
            Effect.succeed({
              args: invocation.args,
              kwargs: { ...invocation.kwargs, caller: invocation.details.caller }
            }), {
            disclose_caller: true
          })
          const back = yield* promise(() => theirs.call(weEcho, { argsList: ["a", [1, 2]], argsDict: { k: "v" } }))
          expect(back.argsList).toEqual(["a", [1, 2]])
          expect(idOf(back.argsDict?.["caller"])).toBe(idOf(theirs.getSessionId()))
          expect(back.argsDict?.["k"]).toBe("v")
        }))

      it.scoped("progressive results both ways", () =>
        Effect.gen(function*() {
          const { join, uri, url } = yield* Served
          const ours = yield* join(serializer)
          const theirs = yield* open(url, serializer)
          const wampyCounts = uri("wampy.countdown")
          yield* promise(() =>
            theirs.register(wampyCounts, ({ argsList, details, result_handler }) => {
              if (details["receive_progress"] === true) {
                for (let n = argsList![0] as number; n > 0; n--) {
                  result_handler({ argsList: [n], options: { progress: true } })
                }
              }
              return { argsList: ["liftoff"] }
            })
          )
          const results = Chunk.toReadonlyArray(yield* Stream.runCollect(ours.callProgressive(wampyCounts, [3])))
          expect(results.map((r) => r.args[0])).toEqual([3, 2, 1, "liftoff"])

          const weCount = uri("ew.countdown")
          yield* ours.register(weCount, (invocation) =>
            Effect.gen(function*() {
              for (let n = invocation.args[0] as number; n > 0; n--) yield* invocation.progress([n])
              return { args: ["liftoff"] }
            }))
          const progress: Array<unknown> = []
          const final = yield* promise(() =>
            theirs.call(weCount, [3], { progress_callback: ({ argsList }) => void progress.push(argsList?.[0]) })
          )
          expect(progress).toEqual([3, 2, 1])
          expect(final.argsList).toEqual(["liftoff"])
        }))

      it.scoped("progressive call invocations from a wampy caller to an effect-wamp callee", () =>
        Effect.gen(function*() {
          const { join, uri, url } = yield* Served
          const ours = yield* join(serializer)
          const theirs = yield* open(url, serializer)
          const sum = uri("ew.sum")
          yield* ours.register(sum, (invocation) =>
            Effect.map(
              Stream.runFold(invocation.input, 0, (total, chunk) => total + ((chunk.args?.[0] as number) ?? 0)),
              (total) => ({ args: [total] })
            ))
          const { result, sendData } = theirs.progressiveCall(sum, [1])
          sendData([2])
          sendData([3], { progress: false })
          expect((yield* promise(() => result)).argsList).toEqual([6])
        }))

      it.scoped("errors with args and kwargs, both ways", () =>
        Effect.gen(function*() {
          const { join, uri, url } = yield* Served
          const ours = yield* join(serializer)
          const theirs = yield* open(url, serializer)
          const wampyFails = uri("wampy.fail")
          yield* promise(() =>
            theirs.register(wampyFails, () => {
              throw { error: "com.interop.error.wampy", argsList: ["bad", 1], argsDict: { code: 7 } }
            })
          )
          const fromWampy = yield* Effect.flip(ours.call(wampyFails))
          expect(fromWampy).toBeInstanceOf(WampError.WampError)
          expect(fromWampy).toMatchObject({ error: "com.interop.error.wampy", args: ["bad", 1], kwargs: { code: 7 } })

          const weFail = uri("ew.fail")
          yield* ours.register(weFail, () =>
            Effect.fail(WampError.make("com.interop.error.ew", { args: ["worse", 2], kwargs: { code: 8 } })))
          const error = yield* promise(() =>
            theirs.call(weFail).then(() => undefined, (e: unknown) => e)
          )
          expect(error).toMatchObject({
            errorUri: "com.interop.error.ew",
            argsList: ["worse", 2],
            argsDict: { code: 8 }
          })
          const missing = yield* promise(() => theirs.call(uri("nobody")).then(() => undefined, (e: unknown) => e))
          expect(missing).toMatchObject({ errorUri: WampError.StandardUri.NoSuchProcedure })
        }))

      // ---------------------------------------------------------------------------------------------
      // Logins with wampy's own auth API (authPlugins in "auto" mode, its wampcra/cryptosign plugins)
      // ---------------------------------------------------------------------------------------------

      const logins: ReadonlyArray<readonly [name: string, method: string, options: WampyOptions, authid: string]> = [
        ["ticket", "ticket", {
          authid: credentials.ticket.authid,
          authmethods: ["ticket"],
          authMode: "auto",
          authPlugins: { ticket: () => credentials.ticket.ticket }
        }, credentials.ticket.authid],
        ["wampcra", "wampcra", {
          authid: credentials.wampcra.authid,
          authmethods: ["wampcra"],
          authMode: "auto",
          authPlugins: {
            wampcra: wampcraPlugin(credentials.wampcra.secret) as unknown as NonNullable<WampyOptions["onChallenge"]>
          }
        }, credentials.wampcra.authid],
        ["wampcra (salted)", "wampcra", {
          authid: credentials.wampcraSalted.authid,
          authmethods: ["wampcra"],
          authMode: "auto",
          authPlugins: {
            wampcra: wampcraPlugin(credentials.wampcraSalted.secret) as unknown as NonNullable<
              WampyOptions["onChallenge"]
            >
          }
        }, credentials.wampcraSalted.authid],
        ["cryptosign", "cryptosign", {
          authid: credentials.cryptosign.authid,
          authmethods: ["cryptosign"],
          authextra: { pubkey: Authenticator.cryptosignPublicKey(credentials.cryptosign.seed) },
          authMode: "auto",
          authPlugins: {
            cryptosign: cryptosignPlugin(credentials.cryptosign.seed) as unknown as NonNullable<
              WampyOptions["onChallenge"]
            >
          }
        }, credentials.cryptosign.authid]
      ]

      for (const [name, method, options, authid] of logins) {
        it.scoped(`wampy logs in with ${name} and publishes to an effect-wamp subscriber`, () =>
          Effect.gen(function*() {
            const { join, uri, url } = yield* Served
            const subscriber = yield* join(serializer, {
              realm: authRealm,
              auth: Authenticator.ticket({
                authid: credentials.ticket.authid,
                ticket: Redacted.make(credentials.ticket.ticket)
              })
            })
            const topic = uri("login")
            const subscription = yield* subscriber.subscribe(topic)
            const { wampy, welcome } = yield* openWampy(url, serializer, { ...options, realm: authRealm })
            expect(welcome).toMatchObject({ authid, authmethod: method })
            yield* promise(() => wampy.publish(topic, ["hello"], { disclose_me: true }))
            const event = yield* Stream.runHead(subscription.events)
            expect(event._tag === "Some" && event.value.details.publisher_authid).toBe(authid)
          }))
      }

      it.scoped("a denied wampy login fails its connect with the router's ABORT", () =>
        Effect.gen(function*() {
          const { url } = yield* Served
          const denied = yield* Effect.flip(Effect.scoped(openWampy(url, serializer, {
            realm: authRealm,
            authid: credentials.wampcra.authid,
            authmethods: ["wampcra"],
            authMode: "auto",
            authPlugins: { wampcra: wampcraPlugin("wrong") as unknown as NonNullable<WampyOptions["onChallenge"]> }
          })))
          expect(denied).toBeInstanceOf(WampyFailed)
          expect(denied.message).toContain("wamp.error.")
        }))
    }
  )
}
