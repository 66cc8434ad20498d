/** How a page hands its outcome to the test: a global the test waits for. */
export interface Outcome {
  readonly ok: boolean
  readonly sum?: unknown
  readonly event?: unknown
  readonly error?: string
}

export const routerUrl = (): string => new URL(location.href).searchParams.get("router") ?? "ws://127.0.0.1:1/ws"

/** The first outcome counts (closing after success may fail what is still pending). */
export const report = (outcome: Outcome): void => {
  const global = globalThis as { __outcome?: Outcome }
  if (global.__outcome === undefined) global.__outcome = outcome
}
