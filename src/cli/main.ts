#!/usr/bin/env node
/**
 * The `wamp` command: call, publish, subscribe, register, router, sessions, meta.
 * `npx wamp --help` after installing effect-wamp; `npm run wamp -- …` in this repository.
 */
import { Command } from "@effect/cli"
import * as Effect from "effect/Effect"
import { createRequire } from "node:module"
import * as call from "./call.js"
import { metaCommand, sessionsCommand } from "./meta.js"
import * as publish from "./publish.js"
import * as register from "./register.js"
import * as router from "./router.js"
import * as runtime from "./runtime.js"
import * as subscribe from "./subscribe.js"
import { withTraceFile } from "./traceFile.js"

// src/cli/main.ts and dist/cli/main.js are both two levels below package.json.
const { version } = createRequire(import.meta.url)("../../package.json") as { readonly version: string }

const wamp = Command.make("wamp").pipe(
  Command.withDescription("A WAMP v2 client (and a test router) from the shell"),
  Command.withSubcommands([
    call.command,
    publish.command,
    subscribe.command,
    register.command,
    router.command,
    sessionsCommand,
    metaCommand
  ])
)

const run = Command.run(wamp, { name: "wamp", version })

runtime.runMain(run(process.argv).pipe(withTraceFile, Effect.provide(runtime.layer)))
