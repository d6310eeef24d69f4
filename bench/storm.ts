/**
 * Reconnect storm: 200 client connections to one real Nacos server (started here), the server restarted in place,
 * and when each connection is back. Prints one JSON object (and writes it to build/storm.json):
 *
 *   node --conditions=@effect-nacos/source bench/storm.ts [--connections 200]
 *
 * - our client (full-jitter backoff, Policy.reconnect): reconnect times after the restart began and after the first
 *   connection was back (the moment the server could take connections), p50 / p99 / max, and the peak per second;
 * - next to it, what a jitter-free fixed-step loop (the Java client's: wait 100 ms more after each failed attempt,
 *   at most 5 s) does with the same outage: every client lost at the same moment retries at the same moments, so
 *   all of them arrive in the same instant.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { Nacos, Transport } from "@effect-nacos/core"
import { Context, Effect, Layer, References, Stream } from "effect"
import { startNacos } from "../conformance/server/nacos-server.ts"
import { latencySummary, round2 } from "./measure.ts"

const argument = (name: string, fallback: number) => {
  const index = process.argv.indexOf(`--${name}`)
  const value = index >= 0 ? Number(process.argv[index + 1]) : fallback
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number`)
  return value
}

const CONNECTIONS = argument("connections", 200)
const OUTPUT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../build/storm.json")

/** The most arrivals in any one-second window. */
const peakPerSecond = (times: ReadonlyArray<number>) => {
  const sorted = [...times].sort((a, b) => a - b)
  let peak = 0
  let start = 0
  for (let end = 0; end < sorted.length; end++) {
    while (sorted[end]! - sorted[start]! >= 1000) start++
    peak = Math.max(peak, end - start + 1)
  }
  return peak
}

/**
 * The fixed-step loop: attempt k (k = 0, 1, …) waits min(100 ms · (k + 1), 5 s) after the previous one. A client
 * lost at `lostAt` reconnects at its first attempt at or after `availableAt`; all clients share `lostAt`, so they
 * share every attempt time.
 */
const fixedStepArrival = (lostAt: number, availableAt: number) => {
  let at = lostAt
  for (let attempt = 0; at < availableAt; attempt++) at += Math.min(100 * (attempt + 1), 5000)
  return at
}

const storm = Effect.gen(function* () {
  const server = yield* Effect.acquireRelease(
    Effect.promise(() => startNacos("auth-off", { quiet: true })),
    (nacos) => Effect.promise(() => nacos.stop())
  )
  const context = yield* Layer.build(
    Layer.fresh(Nacos.layer({ serverAddr: server.serverAddr, appName: "effect-nacos-storm" }))
  )
  const transport = Context.get(context, Transport.Transport)
  const connections = yield* Effect.forEach(Array.from({ length: CONNECTIONS }), () =>
    transport.connect({ module: "config" })
  )
  yield* Effect.forEach(connections, (connection) => connection.awaitSession(60_000), { concurrency: 20 })

  // when each connection is back: the first element of its `reconnected` stream after the restart
  const backAt: Array<number> = []
  yield* Effect.forEach(
    connections,
    (connection) =>
      connection.reconnected.pipe(
        Stream.take(1),
        Stream.runForEach(() => Effect.sync(() => backAt.push(Date.now()))),
        Effect.forkScoped
      ),
    { discard: true }
  )
  const restartedAt = Date.now()
  yield* Effect.promise(() => server.restart())
  const readyAt = Date.now()
  const deadline = Date.now() + 120_000
  while (backAt.length < CONNECTIONS && Date.now() < deadline) yield* Effect.sleep("100 millis")

  const firstBack = Math.min(...backAt)
  const sinceRestart = backAt.map((at) => at - restartedAt)
  const sinceFirst = backAt.map((at) => at - firstBack)
  // the same outage under the fixed-step loop: lost at the restart, the server taking connections at `firstBack`
  const fixedArrival = fixedStepArrival(restartedAt, firstBack)
  const fixed = Array.from({ length: CONNECTIONS }, () => fixedArrival)
  return {
    benchmark: "reconnect storm",
    connections: CONNECTIONS,
    reconnected: backAt.length,
    restartMillis: readyAt - restartedAt,
    serverTookConnectionsAfterMillis: firstBack - restartedAt,
    fullJitter: {
      sinceRestart: latencySummary(sinceRestart),
      sinceServerBack: latencySummary(sinceFirst),
      peakPerSecond: peakPerSecond(backAt),
      spreadMillis: round2(Math.max(...sinceFirst))
    },
    fixedStepLoop: {
      model: "attempt k waits min(100 ms × (k + 1), 5 s); every client lost at the restart's start",
      sinceServerBack: latencySummary(fixed.map((at) => at - firstBack)),
      peakPerSecond: peakPerSecond(fixed),
      spreadMillis: 0
    },
    recordedAt: new Date().toISOString()
  }
})

const result = await Effect.runPromise(
  storm.pipe(Effect.scoped, Effect.provideService(References.MinimumLogLevel, "None"))
)
fs.mkdirSync(path.dirname(OUTPUT), { recursive: true })
fs.writeFileSync(OUTPUT, `${JSON.stringify(result, null, 2)}\n`)
process.stdout.write(`${JSON.stringify(result, null, 2)}\n`)
