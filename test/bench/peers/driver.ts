/**
 * What each measured client implements. Loops live inside the driver so that every client runs them
 * in its own idiom (an Effect program for effect-wamp, async functions for the Promise clients), and
 * the harness adds nothing per operation.
 */
export interface Driver {
  /** One call at a time until `deadline` (a `performance.now()` value); records each round trip. */
  readonly sequential: (deadline: number, latencies: Latencies) => Promise<number>
  /** `width` calls in flight until `deadline`: each completion starts the next call. */
  readonly inFlight: (deadline: number, width: number) => Promise<number>
  /**
   * Subscribes, then calls `bench.burst` with `burst` until `deadline`; after each call, waits until
   * all its events have reached the subscriber's code. Returns the events delivered.
   */
  readonly events: (deadline: number, burst: number) => Promise<number>
  /**
   * Makes `count` subscriptions (to distinct topics) or registrations (of distinct procedures),
   * 1,000 in flight; resolves when all are made, with a function that releases them.
   */
  readonly setup?: (kind: SetupKind, count: number) => Promise<() => Promise<void>>
  readonly close: () => Promise<void>
}

export type SetupKind = "subscribe" | "register"

/** Items made so far by the set-up running in this process (read when it does not finish in time). */
export const setupProgress = { made: 0 }

/** Runs `make(i)` for i in 0..count-1 with `width` in flight; resolves with every result. */
export const inFlightSetup = async <A>(count: number, width: number, make: (i: number) => Promise<A>) => {
  const made = new Array<A>(count)
  let next = 0
  const worker = async () => {
    while (next < count) {
      const i = next++
      made[i] = await make(i)
      setupProgress.made++
    }
  }
  await Promise.all(Array.from({ length: Math.min(width, count) }, worker))
  return made
}

/** Round-trip times in µs, in a growing typed array (no allocation per sample). */
export class Latencies {
  private samples = new Float64Array(1 << 16)
  private size = 0

  record(micros: number): void {
    if (this.size === this.samples.length) {
      const grown = new Float64Array(this.samples.length * 2)
      grown.set(this.samples)
      this.samples = grown
    }
    this.samples[this.size++] = micros
  }

  reset(): void {
    this.size = 0
  }

  percentile(p: number): number {
    if (this.size === 0) return Number.NaN
    const sorted = this.samples.slice(0, this.size).sort()
    return sorted[Math.min(this.size - 1, Math.floor(p * this.size))] ?? Number.NaN
  }
}
