/**
 * What every benchmark measures with: a clock in milliseconds, percentiles, rounding, and heap figures taken after
 * a collection (when node runs with `--expose-gc`).
 */
import { Clock, Effect } from "effect"

/** Now, in milliseconds with sub-millisecond precision. */
export const now = Effect.map(Clock.currentTimeNanos, (nanos) => Number(nanos) / 1e6)

/** The `p`-th percentile of already sorted samples. */
export const percentile = (sorted: ReadonlyArray<number>, p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN

export const round2 = (value: number) => Math.round(value * 100) / 100

/** p50 / p99 / max of latency samples in milliseconds. */
export const latencySummary = (latencies: ReadonlyArray<number>) => {
  const sorted = [...latencies].sort((a, b) => a - b)
  return {
    samples: sorted.length,
    p50Millis: round2(percentile(sorted, 50)),
    p99Millis: round2(percentile(sorted, 99)),
    maxMillis: round2(sorted.at(-1) ?? 0)
  }
}

/** `global.gc` exists only under `--expose-gc`; without it the heap figure includes garbage. */
export const gcAvailable = typeof Reflect.get(globalThis, "gc") === "function"

export const gc = () => {
  const collect: unknown = Reflect.get(globalThis, "gc")
  if (typeof collect === "function") collect()
}

/** The heap in use after a collection, in bytes. */
export const heapUsedAfterGc = () => {
  gc()
  return process.memoryUsage().heapUsed
}
