/**
 * What every benchmark measures with: a clock in milliseconds, percentiles, rounding, and heap figures taken after
 * a collection (when node runs with `--expose-gc`).
 */
import { Clock, Deferred, Effect, References } from "effect"
import type * as Scope from "effect/Scope"

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

/**
 * Time and heap (after a collection, with everything still live) until each of `count` subscriptions has had its
 * first event: `subscribeAll` starts them, calling `counted` on every event.
 */
export const untilEachFirstEvent = <E, R>(
  count: number,
  subscribeAll: (counted: Effect.Effect<void>) => Effect.Effect<unknown, E, R>
): Effect.Effect<
  {
    readonly millis: number
    readonly heapDeltaMiB: number
    readonly heapBytesEach: number
    readonly heapMeasuredAfterGc: boolean
  },
  E,
  R | Scope.Scope
> =>
  Effect.gen(function* () {
    const heapBefore = heapUsedAfterGc()
    const started = yield* now
    const seen = yield* Deferred.make<void>()
    let firstEvents = 0
    const counted = Effect.suspend(() =>
      ++firstEvents === count ? Deferred.succeed(seen, undefined) : Effect.void
    ).pipe(Effect.asVoid)
    yield* subscribeAll(counted)
    yield* Deferred.await(seen)
    const millis = (yield* now) - started
    const heapBytes = heapUsedAfterGc() - heapBefore
    return {
      millis: round2(millis),
      heapDeltaMiB: round2(heapBytes / (1024 * 1024)),
      heapBytesEach: Math.round(heapBytes / count),
      heapMeasuredAfterGc: gcAvailable
    }
  })

/** Runs a benchmark program: its JSON result on stdout (the client's connection logs kept out of it), exit code. */
export const runBenchmark = <A, E>(program: Effect.Effect<A, E, Scope.Scope>) =>
  program.pipe(Effect.scoped, Effect.provideService(References.MinimumLogLevel, "Warn"), Effect.runPromise).then(
    (result) => {
      process.stdout.write(`${JSON.stringify(result, null, 2)}\n`)
      process.exit(0)
    },
    (error: unknown) => {
      process.stderr.write(`${String(error)}\n`)
      process.exit(1)
    }
  )
