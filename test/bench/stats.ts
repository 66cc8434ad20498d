/** Medians with their spread, as the peer benchmarks print them (non-finite figures are ignored). */

export const median = (values: ReadonlyArray<number>): number => {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b)
  if (sorted.length === 0) return Number.NaN
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

/** "median (min–max)", or the single figure, or "-" when there is none. */
export const spread = (values: ReadonlyArray<number>, format: (n: number) => string): string => {
  const finite = values.filter(Number.isFinite)
  if (finite.length === 0) return "-"
  const m = format(median(finite))
  return finite.length === 1 ? m : `${m} (${format(Math.min(...finite))}–${format(Math.max(...finite))})`
}
