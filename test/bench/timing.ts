/** Shared timing loop of the in-process benchmark sections. */

/** Runs `body` in batches for about `millis` after a warm-up; returns nanoseconds per call. */
export const nanosPerCall = (
  body: () => unknown,
  options: { readonly millis?: number; readonly warmUpMillis?: number; readonly batch?: number } = {}
): number => {
  const { batch = 10_000, millis = 1500, warmUpMillis = 300 } = options
  const warmUntil = performance.now() + warmUpMillis
  while (performance.now() < warmUntil) for (let i = 0; i < batch; i++) body()
  let calls = 0
  const start = performance.now()
  const until = start + millis
  let now = start
  while (now < until) {
    for (let i = 0; i < batch; i++) body()
    calls += batch
    now = performance.now()
  }
  return ((now - start) * 1e6) / calls
}
