/**
 * URI pattern index shared by the dealer and the broker: exact, prefix and wildcard entries, with
 * the spec's priority for "the best match" (dealer) and "every match" (broker).
 *
 * Exact lookups are one Map hit; prefix and wildcard tables are only scanned when they are not
 * empty, so a realm that uses no patterns pays nothing for them.
 */
import type { Match } from "../../Uri.js"

export interface Entry {
  readonly id: number
  readonly uri: string
  readonly match: Match
}

interface WildcardEntry<T> {
  readonly entry: T
  readonly parts: ReadonlyArray<string>
  /** Lengths of the runs of non-empty components, compared left to right (spec priority). */
  readonly rank: ReadonlyArray<number>
}

/** Reads `Options.match`; `undefined` for a value the spec does not define. */
export const parseMatch = (value: unknown): Match | undefined =>
  value === undefined ? "exact" : value === "exact" || value === "prefix" || value === "wildcard" ? value : undefined

const runLengths = (parts: ReadonlyArray<string>): Array<number> => {
  const runs: Array<number> = []
  let run = 0
  for (const part of parts) {
    if (part === "") {
      runs.push(run)
      run = 0
    } else {
      run++
    }
  }
  runs.push(run)
  return runs
}

/** Positive when `a` has priority over `b`: the longer first portion wins, then the second, ... */
const compareRank = (a: ReadonlyArray<number>, b: ReadonlyArray<number>): number => {
  const length = Math.max(a.length, b.length)
  for (let i = 0; i < length; i++) {
    const difference = (a[i] ?? 0) - (b[i] ?? 0)
    if (difference !== 0) return difference
  }
  return 0
}

/**
 * Prefix matching is a plain string prefix, as the pattern-based subscription chapter says
 * (`com.myapp.topic.emergency` covers `com.myapp.topic.emergency-low`) and as Crossbar.io and
 * Nexus route, for registrations too (the spec's registration table alone reads it by whole
 * components; routers, and so clients, follow the string rule).
 */
const prefixMatches = (prefix: string, uri: string): boolean => uri.startsWith(prefix)

const wildcardMatches = (parts: ReadonlyArray<string>, uriParts: ReadonlyArray<string>): boolean => {
  if (parts.length !== uriParts.length) return false
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]
    if (part !== "" && part !== uriParts[i]) return false
  }
  return true
}

export class PatternIndex<T extends Entry> {
  readonly byId = new Map<number, T>()
  private readonly exact = new Map<string, T>()
  private readonly prefix = new Map<string, T>()
  private readonly wildcard = new Map<string, WildcardEntry<T>>()

  get(uri: string, match: Match): T | undefined {
    switch (match) {
      case "exact":
        return this.exact.get(uri)
      case "prefix":
        return this.prefix.get(uri)
      case "wildcard":
        return this.wildcard.get(uri)?.entry
    }
  }

  add(entry: T): void {
    this.byId.set(entry.id, entry)
    switch (entry.match) {
      case "exact":
        this.exact.set(entry.uri, entry)
        break
      case "prefix":
        this.prefix.set(entry.uri, entry)
        break
      case "wildcard": {
        const parts = entry.uri.split(".")
        this.wildcard.set(entry.uri, { entry, parts, rank: runLengths(parts) })
        break
      }
    }
  }

  remove(entry: T): void {
    this.byId.delete(entry.id)
    switch (entry.match) {
      case "exact":
        this.exact.delete(entry.uri)
        break
      case "prefix":
        this.prefix.delete(entry.uri)
        break
      case "wildcard":
        this.wildcard.delete(entry.uri)
        break
    }
  }

  /** The one entry a CALL goes to: exact, else the longest (string) prefix, else the highest-ranked wildcard. */
  best(uri: string): T | undefined {
    const exact = this.exact.get(uri)
    if (exact !== undefined) return exact
    let found: T | undefined
    if (this.prefix.size > 0) {
      for (const [prefix, entry] of this.prefix) {
        if (prefixMatches(prefix, uri) && (found === undefined || prefix.length > found.uri.length)) found = entry
      }
      if (found !== undefined) return found
    }
    if (this.wildcard.size > 0) {
      const uriParts = uri.split(".")
      let bestRank: ReadonlyArray<number> | undefined
      for (const candidate of this.wildcard.values()) {
        if (!wildcardMatches(candidate.parts, uriParts)) continue
        const order = bestRank === undefined ? 1 : compareRank(candidate.rank, bestRank)
        // Ties go to the older entry so routing stays deterministic.
        if (order > 0 || (order === 0 && found !== undefined && candidate.entry.id < found.id)) {
          found = candidate.entry
          bestRank = candidate.rank
        }
      }
    }
    return found
  }

  /** Every entry matching `uri` (a publication goes to all of them). */
  forEachMatch(uri: string, f: (entry: T) => void): void {
    const exact = this.exact.get(uri)
    if (exact !== undefined) f(exact)
    if (this.prefix.size > 0) {
      for (const [prefix, entry] of this.prefix) if (prefixMatches(prefix, uri)) f(entry)
    }
    if (this.wildcard.size > 0) {
      const uriParts = uri.split(".")
      for (const candidate of this.wildcard.values()) if (wildcardMatches(candidate.parts, uriParts)) f(candidate.entry)
    }
  }

  /** Ids per match policy, for the `wamp.*.list` meta procedures. */
  list(): { exact: Array<number>; prefix: Array<number>; wildcard: Array<number> } {
    return {
      exact: Array.from(this.exact.values(), (entry) => entry.id),
      prefix: Array.from(this.prefix.values(), (entry) => entry.id),
      wildcard: Array.from(this.wildcard.values(), (candidate) => candidate.entry.id)
    }
  }
}
