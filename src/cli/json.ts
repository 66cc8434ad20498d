/**
 * JSON in and out of the shell. Arguments are strict JSON (a string is `'"text"'`), so what is sent
 * is never a guess.
 */
import { usage } from "./failure.js"

const hint = `(arguments are JSON: quote strings, e.g. '"hello"')`

export const parseValue = (text: string, what: string): unknown => {
  try {
    return JSON.parse(text)
  } catch (error) {
    throw usage(`${what} is not valid JSON: ${text} ${hint}: ${error instanceof Error ? error.message : error}`)
  }
}

/** Positional ARGs, each one JSON value. Throws a usage `CliFailure`. */
export const parseArgs = (texts: ReadonlyArray<string>): Array<unknown> =>
  texts.map((text, index) => parseValue(text, `argument ${index + 1}`))

/** `--kwargs`: a JSON object. Throws a usage `CliFailure`. */
export const parseKwargs = (text: string | undefined): Record<string, unknown> => {
  if (text === undefined) return {}
  const value = parseValue(text, "--kwargs")
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw usage(`--kwargs must be a JSON object, got ${text}`)
  }
  return value as Record<string, unknown>
}
