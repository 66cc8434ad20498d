/** For the bundle-size comparison only: the least a program that runs one Effect carries. */
import * as Effect from "effect/Effect"
import { report } from "./report.js"

Effect.runPromise(Effect.succeed(1)).then((sum) => report({ ok: true, sum }))
