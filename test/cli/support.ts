/**
 * Runs the `wamp` command as a child process. The sources are compiled once per test file with
 * esbuild (types stripped, one output file per module, as `npm run build` lays out dist/) into a
 * temporary folder under node_modules/.cache, so each run is a plain `node dist/cli/main.js`: about
 * a second less per run than going through tsx.
 */
import { build } from "esbuild"
import { spawn } from "node:child_process"
import * as fs from "node:fs/promises"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..")

const sources = async (dir: string): Promise<Array<string>> => {
  const entries = await fs.readdir(dir, { withFileTypes: true })
  const nested = await Promise.all(entries.map((entry) => {
    const full = path.join(dir, entry.name)
    return entry.isDirectory() ? sources(full) : Promise.resolve(entry.name.endsWith(".ts") ? [full] : [])
  }))
  return nested.flat()
}

export interface BuiltCli {
  readonly main: string
  readonly remove: () => Promise<void>
}

export const buildCli = async (): Promise<BuiltCli> => {
  const cache = path.join(repo, "node_modules", ".cache")
  await fs.mkdir(cache, { recursive: true })
  const dir = await fs.mkdtemp(path.join(cache, "wamp-cli-"))
  // dist/cli/main.js reads ../../package.json, and "type": "module" makes the .js files ESM.
  await fs.copyFile(path.join(repo, "package.json"), path.join(dir, "package.json"))
  await build({
    entryPoints: await sources(path.join(repo, "src")),
    outdir: path.join(dir, "dist"),
    outbase: path.join(repo, "src"),
    platform: "node",
    format: "esm",
    target: "node20",
    logLevel: "warning"
  })
  return { main: path.join(dir, "dist", "cli", "main.js"), remove: () => fs.rm(dir, { recursive: true, force: true }) }
}

export interface Finished {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  readonly stdout: string
  readonly stderr: string
}

export interface Running {
  readonly pid: number
  readonly stdout: () => string
  readonly stderr: () => string
  /** Resolves once `pattern` shows up in stdout or stderr; rejects when the process ends first or after `ms`. */
  readonly waitFor: (pattern: RegExp, ms?: number) => Promise<string>
  readonly kill: (signal: NodeJS.Signals) => void
  readonly finished: Promise<Finished>
}

/** The environment without WAMP_* variables of the machine running the tests. */
const cleanEnv = (): Record<string, string> => {
  const env: Record<string, string> = {}
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !key.startsWith("WAMP_")) env[key] = value
  }
  env["NO_COLOR"] = "1"
  return env
}

export const start = (
  cli: BuiltCli,
  args: ReadonlyArray<string>,
  options: { readonly env?: Record<string, string>; readonly timeoutMs?: number } = {}
): Running => {
  const child = spawn(process.execPath, [cli.main, ...args], {
    env: { ...cleanEnv(), ...options.env },
    stdio: ["ignore", "pipe", "pipe"]
  })
  let stdout = ""
  let stderr = ""
  const listeners = new Set<() => void>()
  const changed = () => listeners.forEach((listener) => listener())
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    stdout += chunk
    changed()
  })
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk
    changed()
  })
  // Every run is bounded: a hung command fails its test instead of the suite.
  const guard = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 60_000)
  const finished = new Promise<Finished>((resolve) => {
    child.on("close", (code, signal) => {
      clearTimeout(guard)
      changed()
      resolve({ code, signal, stdout, stderr })
    })
  })
  let ended = false
  void finished.then(() => {
    ended = true
  })
  const waitFor = (pattern: RegExp, ms = 60_000) =>
    new Promise<string>((resolve, reject) => {
      const check = () => {
        const match = pattern.exec(stdout) ?? pattern.exec(stderr)
        if (match !== null) {
          done()
          resolve(match[0])
        } else if (ended) {
          done()
          reject(new Error(`process ended before ${pattern}: stdout=${stdout} stderr=${stderr}`))
        }
      }
      const timer = setTimeout(() => {
        done()
        reject(new Error(`timed out waiting for ${pattern}: stdout=${stdout} stderr=${stderr}`))
      }, ms)
      const done = () => {
        clearTimeout(timer)
        listeners.delete(check)
      }
      listeners.add(check)
      check()
    })
  return {
    pid: child.pid!,
    stdout: () => stdout,
    stderr: () => stderr,
    waitFor,
    kill: (signal) => child.kill(signal),
    finished
  }
}

export const run = (
  cli: BuiltCli,
  args: ReadonlyArray<string>,
  options?: { readonly env?: Record<string, string>; readonly timeoutMs?: number }
): Promise<Finished> => start(cli, args, options).finished

/** A stack trace line ("    at foo (file.js:1:2)"): the command must never print one. */
export const stackTrace = /^\s+at .+\(?.*:\d+:\d+\)?$/m
