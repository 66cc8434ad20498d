/**
 * What the `wamp` command prints: JSON that keeps what JSON cannot hold readable (bigints as their
 * digits, bytes as `{"$bytes": base64}`), one line per result or event.
 */
import type { Dict, List } from "../Message.js"

const replacer = (_key: string, value: unknown): unknown => {
  if (typeof value === "bigint") return value.toString()
  if (value instanceof Uint8Array) return { $bytes: Buffer.from(value).toString("base64") }
  return value
}

export const stringify = (value: unknown): string => JSON.stringify(value, replacer) ?? "null"

/** Human form of a payload: the one argument alone, else the list; kwargs after it when there are any. */
export const humanPayload = (args: List, kwargs: Dict): string => {
  const positional = args.length === 1 ? stringify(args[0]) : args.length === 0 ? "" : stringify(args)
  const named = Object.keys(kwargs).length > 0 ? stringify(kwargs) : ""
  return [positional, named].filter((part) => part !== "").join(" ")
}

export const line = (text: string): void => void process.stdout.write(`${text}\n`)

/** Progress and status notes go to stderr, so stdout stays data. */
export const note = (text: string): void => void process.stderr.write(`${text}\n`)
