/**
 * Interop with Autobahn|JS (npm `autobahn` 26), an independent WAMP client, through the test-kit
 * router served on 127.0.0.1: RPC both ways, progressive results, errors with args/kwargs, PubSub,
 * and ticket / wampcra (plain and salted) / cryptosign logins with Autobahn's own auth helpers.
 *
 * Autobahn 26 declares Node >= 22 and opens its sockets with the global `WebSocket`; Node 20 has
 * none, so this file installs `ws` as `globalThis.WebSocket` (only in this test process). Every
 * connection is opened with `max_retries: 0` and `retry_if_unreachable: false` and closed by its
 * scope, so no reconnect is attempted and no socket or timer outlives a test.
 */
import { expect, layer } from "@effect/vitest"
import { Chunk, Deferred, Effect, Fiber, Redacted, type Scope, Stream } from "effect"
import WebSocket from "ws"
import * as Authenticator from "../../src/Authenticator.js"
import * as WampError from "../../src/WampError.js"
import {
  authRealm,
  credentials,
  fromHex,
  layer as servedLayer,
  type PeerSerializer,
  peerSerializers,
  requireCjs,
  Served
} from "./support.js"
;(globalThis as { WebSocket?: unknown }).WebSocket ??= WebSocket

// The slice of Autobahn|JS used here (the package ships no types).
interface AutobahnPromise<A> extends Promise<A> {
  /** when.js promises (Autobahn's default deferreds) report progressive results here. */
  progress?: (handler: (value: unknown) => void) => AutobahnPromise<A>
}
interface AutobahnError {
  readonly error: string
  readonly args: Array<unknown>
  readonly kwargs: Record<string, unknown>
}
interface AutobahnResult {
  readonly args: Array<unknown>
  readonly kwargs: Record<string, unknown>
}
interface CallDetails {
  readonly progress: ((args?: Array<unknown>, kwargs?: Record<string, unknown>) => void) | null
  readonly caller?: number
  readonly caller_authid?: string
  readonly procedure: string
}
interface EventDetails {
  readonly publisher?: number
  readonly topic: string
}
/** WELCOME.Details as Autobahn hands them to `onopen`. */
interface Welcome {
  readonly authid?: string
  readonly authrole?: string
  readonly authmethod?: string
}
type Endpoint = (args: Array<unknown>, kwargs: Record<string, unknown>, details: CallDetails) => unknown
interface AutobahnSession {
  readonly id: number
  call(
    procedure: string,
    args?: Array<unknown>,
    kwargs?: Record<string, unknown>,
    options?: Record<string, unknown>
  ): AutobahnPromise<unknown>
  register(procedure: string, endpoint: Endpoint, options?: Record<string, unknown>): Promise<unknown>
  subscribe(
    topic: string,
    handler: (args: Array<unknown>, kwargs: Record<string, unknown>, details: EventDetails) => void,
    options?: Record<string, unknown>
  ): Promise<unknown>
  publish(
    topic: string,
    args?: Array<unknown>,
    kwargs?: Record<string, unknown>,
    options?: Record<string, unknown>
  ): Promise<{ readonly id: number }> | undefined
}
interface AutobahnConnection {
  onopen: (session: AutobahnSession, details: Welcome) => void
  onclose: (reason: string, details: { readonly reason?: string; readonly message?: string }) => boolean
  open(): void
  close(reason?: string, message?: string): void
}
interface KeyPair {
  readonly publicKey: Uint8Array
  readonly secretKey: Uint8Array
}
interface AutobahnModule {
  readonly Connection: new(options: Record<string, unknown>) => AutobahnConnection
  readonly Error: new(error: string, args?: Array<unknown>, kwargs?: Record<string, unknown>) => AutobahnError
  readonly Result: new(args?: Array<unknown>, kwargs?: Record<string, unknown>) => AutobahnResult
  readonly serializer: { readonly JSONSerializer: new() => unknown; readonly MsgpackSerializer: new() => unknown }
  readonly auth_cra: {
    sign(key: string, challenge: string): string
    derive_key(secret: string, salt: string, iterations?: number, keylen?: number): string
  }
  readonly auth_cryptosign: {
    sign_challenge(key: KeyPair, extra: Record<string, unknown>): string
    public_key(key: KeyPair): string
  }
  readonly nacl: { readonly sign: { readonly keyPair: { fromSeed(seed: Uint8Array): KeyPair } } }
  readonly log: { warn: (...args: ReadonlyArray<unknown>) => void }
}

const autobahn = requireCjs("autobahn") as AutobahnModule
// Autobahn warns on every close ("connection closed", "auto-reconnect disabled!"): expected here.
autobahn.log.warn = () => {}

class AutobahnClosed extends Error {}

/**
 * Opens an Autobahn|JS connection and waits for its session; the scope closes it (GOODBYE) and
 * waits for the socket to close. A connection refused or aborted fails with `AutobahnClosed`.
 */
const openAutobahn = (
  url: string,
  serializer: PeerSerializer,
  options: Record<string, unknown> = {}
): Effect.Effect<{ session: AutobahnSession; welcome: Welcome }, AutobahnClosed, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.async<{ connection: AutobahnConnection; session: AutobahnSession; welcome: Welcome }, AutobahnClosed>(
      (resume) => {
        const connection = new autobahn.Connection({
          url,
          realm: "realm1",
          serializers: [
            serializer === "json"
              ? new autobahn.serializer.JSONSerializer()
              : new autobahn.serializer.MsgpackSerializer()
          ],
          max_retries: 0,
          retry_if_unreachable: false,
          // Handler exceptions are answered as ERROR to the caller (what the tests check); not logged.
          on_user_error: () => {},
          ...options
        })
        connection.onopen = (session, welcome) => resume(Effect.succeed({ connection, session, welcome }))
        connection.onclose = (reason, details) => {
          resume(Effect.fail(new AutobahnClosed(`${reason}: ${details.reason ?? ""} ${details.message ?? ""}`)))
          return true
        }
        connection.open()
      }
    ),
    ({ connection }) =>
      Effect.async<void>((resume) => {
        connection.onclose = () => {
          resume(Effect.void)
          return true
        }
        try {
          connection.close()
        } catch {
          // "connection already closed": nothing left to wait for.
          resume(Effect.void)
        }
      })
  ).pipe(Effect.map(({ session, welcome }) => ({ session, welcome })))

const openSession = (url: string, serializer: PeerSerializer, options?: Record<string, unknown>) =>
  Effect.map(openAutobahn(url, serializer, options), ({ session }) => session)

const promise = <A>(evaluate: () => PromiseLike<A>) => Effect.promise(() => Promise.resolve(evaluate()))
const rejection = (evaluate: () => PromiseLike<unknown>) =>
  Effect.promise(() =>
    Promise.resolve(evaluate()).then(
      (value) => ({ rejected: false as const, value }),
      (error: unknown) => ({ rejected: true as const, error })
    )
  )

for (const serializer of peerSerializers) {
  layer(servedLayer, { excludeTestServices: true, timeout: "10 seconds" })(
    `Autobahn|JS interop over WebSocket / ${serializer}`,
    (it) => {
      it.scoped("an Autobahn|JS callee answers an effect-wamp caller (args, kwargs, caller disclosure)", () =>
        Effect.gen(function*() {
          const { join, uri, url } = yield* Served
          const callee = yield* openSession(url, serializer)
          const caller = yield* join(serializer)
          const procedure = uri("ab.add")
          yield* promise(() =>
            callee.register(
              procedure,
              (args, kwargs, details) =>
                new autobahn.Result([(args[0] as number) + (args[1] as number)], {
                  label: kwargs["label"],
                  caller: details.caller
                }),
              { disclose_caller: true }
            )
          )
          const result = yield* caller.call(procedure, [2, 3], { label: "sum ✓" })
          expect(result.args).toEqual([5])
          expect(result.kwargs).toEqual({ label: "sum ✓", caller: caller.info.id })
        }))

      it.scoped("an effect-wamp callee answers an Autobahn|JS caller", () =>
        Effect.gen(function*() {
          const { join, uri, url } = yield* Served
          const callee = yield* join(serializer)
          const caller = yield* openSession(url, serializer)
          const procedure = uri("ew.echo")
          yield* callee.register(procedure, (invocation) =>
            Effect.succeed({
              args: [...invocation.args, invocation.details.caller ?? null],
              kwargs: { ...invocation.kwargs, seen: true }
            }), { disclose_caller: true })
          const result = (yield* promise(() =>
            caller.call(procedure, ["héllo", 2 ** 40], { k: [1, 2] })
          )) as AutobahnResult
          expect(result.args).toEqual(["héllo", 2 ** 40, caller.id])
          expect(result.kwargs).toEqual({ k: [1, 2], seen: true })
          // A single positional result comes back unwrapped (Autobahn's convention).
          const single = uri("ew.single")
          yield* callee.register(single, () => Effect.succeed({ args: [42] }))
          expect(yield* promise(() => caller.call(single))).toBe(42)
        }))

      it.scoped("progressive results from an Autobahn|JS callee to an effect-wamp caller", () =>
        Effect.gen(function*() {
          const { join, uri, url } = yield* Served
          const callee = yield* openSession(url, serializer)
          const caller = yield* join(serializer)
          const procedure = uri("ab.countdown")
          yield* promise(() =>
            callee.register(procedure, (args, _kwargs, details) => {
              for (let n = args[0] as number; n > 0; n--) details.progress?.([n])
              return new autobahn.Result(["liftoff"], { progressive: details.progress !== null })
            })
          )
          const results = Chunk.toReadonlyArray(yield* Stream.runCollect(caller.callProgressive(procedure, [3])))
          expect(results.map((r) => r.args[0])).toEqual([3, 2, 1, "liftoff"])
          expect(results.at(-1)!.kwargs).toEqual({ progressive: true })
        }))

      it.scoped("progressive results from an effect-wamp callee to an Autobahn|JS caller", () =>
        Effect.gen(function*() {
          const { join, uri, url } = yield* Served
          const callee = yield* join(serializer)
          const caller = yield* openSession(url, serializer)
          const procedure = uri("ew.countdown")
          yield* callee.register(procedure, (invocation) =>
            Effect.gen(function*() {
              for (let n = invocation.args[0] as number; n > 0; n--) yield* invocation.progress([n])
              return { args: ["liftoff"] }
            }))
          const progress: Array<unknown> = []
          const final = yield* promise(() => {
            const call = caller.call(procedure, [3], {}, { receive_progress: true })
            expect(call.progress).toBeTypeOf("function")
            return call.progress!((value) => progress.push(value))
          })
          expect(progress).toEqual([3, 2, 1])
          expect(final).toBe("liftoff")
        }))

      it.scoped("errors with args and kwargs, both ways", () =>
        Effect.gen(function*() {
          const { join, uri, url } = yield* Served
          const ours = yield* join(serializer)
          const theirs = yield* openSession(url, serializer)
          const abFails = uri("ab.fail")
          yield* promise(() =>
            theirs.register(abFails, () => {
              throw new autobahn.Error("com.interop.error.ab", ["bad", 1], { code: 7 })
            })
          )
          const fromAutobahn = yield* Effect.flip(ours.call(abFails))
          expect(fromAutobahn).toBeInstanceOf(WampError.WampError)
          expect(fromAutobahn).toMatchObject({ error: "com.interop.error.ab", args: ["bad", 1], kwargs: { code: 7 } })

          const ewFails = uri("ew.fail")
          yield* ours.register(ewFails, () =>
            Effect.fail(WampError.make("com.interop.error.ew", { args: ["worse", 2], kwargs: { code: 8 } })))
          const outcome = yield* rejection(() =>
            theirs.call(ewFails)
          )
          expect(outcome.rejected).toBe(true)
          expect(outcome.rejected && outcome.error).toMatchObject({
            error: "com.interop.error.ew",
            args: ["worse", 2],
            kwargs: { code: 8 }
          })
          const missing = yield* rejection(() => theirs.call(uri("nobody")))
          expect(missing.rejected && missing.error).toMatchObject({ error: WampError.StandardUri.NoSuchProcedure })
        }))

      it.scoped("PubSub both ways, with publisher disclosure and acknowledge", () =>
        Effect.gen(function*() {
          const { join, uri, url } = yield* Served
          const ours = yield* join(serializer)
          const theirs = yield* openSession(url, serializer)
          const toUs = uri("to.us")
          const toThem = uri("to.them")
          const subscription = yield* ours.subscribe(toUs)
          const received = yield* Effect.fork(Stream.runHead(subscription.events))
          const published = yield* promise(() =>
            theirs.publish(toUs, ["hi", 1], { from: "autobahn" }, { acknowledge: true, disclose_me: true })!
          )
          const event = yield* Fiber.join(received)
          expect(event._tag).toBe("Some")
          if (event._tag === "Some") {
            expect(event.value.args).toEqual(["hi", 1])
            expect(event.value.kwargs).toEqual({ from: "autobahn" })
            expect(event.value.details.publisher).toBe(theirs.id)
            expect(event.value.details.publication).toBe(published.id)
          }

          const got = yield* Deferred.make<
            { args: Array<unknown>; kwargs: Record<string, unknown>; publisher: unknown }
          >()
          yield* promise(() =>
            theirs.subscribe(toThem, (args, kwargs, details) => {
              Deferred.unsafeDone(got, Effect.succeed({ args, kwargs, publisher: details.publisher }))
            })
          )
          yield* ours.publish(toThem, ["back"], { from: "effect-wamp" }, { acknowledge: true, disclose_me: true })
          expect(yield* Deferred.await(got)).toEqual({
            args: ["back"],
            kwargs: { from: "effect-wamp" },
            publisher: ours.info.id
          })
        }))

      // ---------------------------------------------------------------------------------------------
      // Logins with Autobahn's own auth API (onchallenge + auth_cra / auth_cryptosign)
      // ---------------------------------------------------------------------------------------------

      const cryptosignKey = autobahn.nacl.sign.keyPair.fromSeed(fromHex(credentials.cryptosign.seed))
      const logins: ReadonlyArray<readonly [name: string, options: Record<string, unknown>, authid: string]> = [
        [
          "ticket",
          {
            authmethods: ["ticket"],
            authid: credentials.ticket.authid,
            onchallenge: () => credentials.ticket.ticket
          },
          credentials.ticket.authid
        ],
        [
          "wampcra",
          {
            authmethods: ["wampcra"],
            authid: credentials.wampcra.authid,
            onchallenge: (_session: unknown, _method: string, extra: { challenge: string }) =>
              autobahn.auth_cra.sign(credentials.wampcra.secret, extra.challenge)
          },
          credentials.wampcra.authid
        ],
        [
          "wampcra (salted)",
          {
            authmethods: ["wampcra"],
            authid: credentials.wampcraSalted.authid,
            onchallenge: (
              _session: unknown,
              _method: string,
              extra: { challenge: string; salt: string; iterations: number; keylen: number }
            ) =>
              autobahn.auth_cra.sign(
                autobahn.auth_cra.derive_key(
                  credentials.wampcraSalted.secret,
                  extra.salt,
                  extra.iterations,
                  extra.keylen
                ),
                extra.challenge
              )
          },
          credentials.wampcraSalted.authid
        ],
        [
          "cryptosign",
          {
            authmethods: ["cryptosign"],
            authid: credentials.cryptosign.authid,
            authextra: { pubkey: autobahn.auth_cryptosign.public_key(cryptosignKey) },
            onchallenge: (_session: unknown, _method: string, extra: Record<string, unknown>) =>
              autobahn.auth_cryptosign.sign_challenge(cryptosignKey, extra)
          },
          credentials.cryptosign.authid
        ]
      ]

      for (const [name, options, authid] of logins) {
        it.scoped(`Autobahn|JS logs in with ${name} and calls an effect-wamp callee`, () =>
          Effect.gen(function*() {
            const { join, uri, url } = yield* Served
            const callee = yield* join(serializer, {
              realm: authRealm,
              auth: Authenticator.ticket({
                authid: credentials.ticket.authid,
                ticket: Redacted.make(credentials.ticket.ticket)
              })
            })
            const procedure = uri("whoami")
            yield* callee.register(procedure, (invocation) =>
              Effect.succeed({ args: [invocation.details.caller_authid ?? null] }), { disclose_caller: true })
            const { session, welcome } = yield* openAutobahn(url, serializer, { ...options, realm: authRealm })
            expect(welcome).toMatchObject({ authid, authmethod: name.split(" ")[0] })
            expect(
              yield* promise(() =>
                session.call(procedure)
              )
            ).toBe(authid)
          }))
      }

      it.scoped("a denied Autobahn|JS login closes its connection without an unhandled error", () =>
        Effect.gen(function*() {
          const { url } = yield* Served
          const denied = yield* Effect.flip(Effect.scoped(openAutobahn(url, serializer, {
            realm: authRealm,
            authmethods: ["ticket"],
            authid: credentials.ticket.authid,
            onchallenge: () => "wrong ticket"
          })))
          expect(denied).toBeInstanceOf(AutobahnClosed)
          expect(denied.message).toContain("wamp.error.")
        }))
    }
  )
}

// Autobahn|JS's RawSocket transport (Node only) speaks JSON only.
layer(servedLayer, { excludeTestServices: true, timeout: "10 seconds" })(
  "Autobahn|JS interop over RawSocket / json",
  (it) => {
    it.scoped("an Autobahn|JS RawSocket client calls an effect-wamp callee and receives its event", () =>
      Effect.gen(function*() {
        const { join, rawSocketPort, uri, url } = yield* Served
        const ours = yield* join("msgpack")
        const theirs = yield* openSession(url, "json", {
          transports: [{ type: "rawsocket", host: "127.0.0.1", port: rawSocketPort }]
        })
        const procedure = uri("ew.echo")
        yield* ours.register(
          procedure,
          (invocation) => Effect.succeed({ args: invocation.args, kwargs: { via: "rawsocket" } })
        )
        const result = (yield* promise(() => theirs.call(procedure, ["a", 1]))) as AutobahnResult
        expect(result.args).toEqual(["a", 1])
        expect(result.kwargs).toEqual({ via: "rawsocket" })

        const topic = uri("news")
        const got = yield* Deferred.make<Array<unknown>>()
        yield* promise(() => theirs.subscribe(topic, (args) => Deferred.unsafeDone(got, Effect.succeed(args))))
        yield* ours.publish(topic, ["over rawsocket"], {}, { acknowledge: true })
        expect(yield* Deferred.await(got)).toEqual(["over rawsocket"])
      }))
  }
)
