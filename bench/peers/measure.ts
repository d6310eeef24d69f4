/**
 * The figures the harness derives from what the drivers report: medians over rounds, percentiles, per-1000 CPU.
 */
import { percentile, round2 } from "../measure.ts"

export { round2 }

export const median = (values: ReadonlyArray<number>): number => {
  const sorted = values.filter((value) => Number.isFinite(value)).sort((a, b) => a - b)
  if (sorted.length === 0) return Number.NaN
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
}

/** p50 / p99 in milliseconds of samples in microseconds. */
export const latencyMillis = (micros: ReadonlyArray<number>) => {
  const sorted = [...micros].sort((a, b) => a - b)
  return { p50Millis: round2(percentile(sorted, 50) / 1000), p99Millis: round2(percentile(sorted, 99) / 1000) }
}

/** p50 / p99 of samples already in milliseconds. */
export const percentilesMillis = (millis: ReadonlyArray<number>) => {
  const sorted = [...millis].sort((a, b) => a - b)
  return { p50Millis: round2(percentile(sorted, 50)), p99Millis: round2(percentile(sorted, 99)) }
}

export const mib = (bytes: number) => round2(bytes / (1024 * 1024))
