/**
 * ConfigService benchmark: prints one JSON object.
 *
 *   NACOS_SERVER_ADDR=127.0.0.1:8848 [NACOS_USERNAME=… NACOS_PASSWORD=…] node --conditions=@effect-nacos/source --expose-gc bench/config.ts
 *
 * - get throughput with 1, 64 and 512 requests in flight (one client, one existing config);
 * - publish → watch latency (p50 / p99): one client publishes, another one's watch receives the change;
 * - time and heap to establish 10 000 watched keys (absent keys: one listen round, no re-reads), as a `watch`
 *   stream per key, a `listen` per key, and one `watchMany` of all of them.
 *
 * Without NACOS_SERVER_ADDR it runs on the in-memory layer (and says so in the output): useful only to see the
 * client's own overhead.
 */
import { randomUUID } from "node:crypto"
import { ConfigService } from "@effect-nacos/config"
import { Nacos } from "@effect-nacos/core"
import { Context, Deferred, Effect, Fiber, Layer, Queue, Schedule, Stream } from "effect"
import { latencySummary, now, round2, runBenchmark, untilEachFirstEvent } from "./measure.ts"

const serverAddr = process.env.NACOS_SERVER_ADDR?.trim() ?? ""
const run = `bench-${randomUUID().slice(0, 8)}`

/** A fresh client (its own gRPC connection) for the rest of the benchmark. */
const liveClient = Effect.map(
  Layer.build(ConfigService.layerWith({}).pipe(Layer.provide(Layer.fresh(Nacos.layerConfig)), Layer.orDie)),
  (context) => Context.get(context, ConfigService.ConfigService)
)

/** Reader, publisher and watcher: three connections on a server; one shared store in memory. */
const clients = Effect.gen(function* () {
  if (serverAddr !== "") return { reader: yield* liveClient, publisher: yield* liveClient, watcher: yield* liveClient }
  const memory = yield* Effect.map(Layer.build(ConfigService.layerMemory()), (context) =>
    Context.get(context, ConfigService.ConfigService)
  )
  return { reader: memory, publisher: memory, watcher: memory }
})

const getThroughput = (config: ConfigService.Service, dataId: string, inFlight: number, total: number) =>
  Effect.gen(function* () {
    const started = yield* now
    yield* Effect.forEach(Array.from({ length: total }), () => config.get({ dataId }), {
      concurrency: inFlight,
      discard: true
    })
    const millis = (yield* now) - started
    return { inFlight, requests: total, millis: round2(millis), perSecond: Math.round((total / millis) * 1000) }
  })

const publishToWatchLatency = (publisher: ConfigService.Service, watcher: ConfigService.Service, samples: number) =>
  Effect.gen(function* () {
    const dataId = `${run}-latency`
    const events = yield* Queue.unbounded<string>()
    const first = yield* Deferred.make<void>()
    const watching = yield* watcher.watch({ dataId }).pipe(
      Stream.runForEach((event) =>
        Deferred.succeed(first, undefined).pipe(
          Effect.andThen(event._tag === "Changed" ? Queue.offer(events, event.content) : Effect.void)
        )
      ),
      Effect.forkScoped
    )
    yield* Deferred.await(first)
    const latencies: Array<number> = []
    for (let i = 0; i < samples; i++) {
      const content = `sample ${i}`
      const started = yield* now
      yield* publisher.publish({ dataId, content })
      while ((yield* Queue.take(events)) !== content) {
        // an older value still in flight
      }
      latencies.push((yield* now) - started)
    }
    yield* Fiber.interrupt(watching)
    yield* publisher.remove({ dataId })
    return latencySummary(latencies)
  })

type WatchStyle = "watch" | "listen" | "watchMany"

/**
 * Time and heap to have `keys` absent keys watched and each one's first event seen, in one of three styles: a
 * `watch` stream per key (each consumed by its own fiber), a `listen` per key, or one `watchMany` of all keys.
 * The heap is measured after a collection with the watches live, the consuming fibers included.
 */
const establishWatches = (watcher: ConfigService.Service, keys: number, style: WatchStyle) =>
  Effect.scoped(
    Effect.gen(function* () {
      // the caller's own list of keys is not the client's cost: made before the first measurement
      const dataIds = Array.from({ length: keys }, (_, i) => `${run}-${style}-${i}`)
      const params = dataIds.map((dataId) => ({ dataId }))
      const measured = yield* untilEachFirstEvent(keys, (counted) =>
        style === "watchMany"
          ? watcher.watchMany(params).pipe(
              Stream.runForEach(() => counted),
              Effect.forkScoped
            )
          : Effect.forEach(
              params,
              (key) =>
                style === "listen"
                  ? watcher.listen(key, () => counted)
                  : watcher.watch(key).pipe(
                      Stream.runForEach(() => counted),
                      Effect.forkScoped
                    ),
              { discard: true }
            )
      )
      return {
        style,
        keys,
        millis: measured.millis,
        heapDeltaMiB: measured.heapDeltaMiB,
        heapBytesPerKey: measured.heapBytesEach,
        heapMeasuredAfterGc: measured.heapMeasuredAfterGc
      }
    })
  )

const program = Effect.gen(function* () {
  const { reader, publisher, watcher } = yield* clients
  const dataId = `${run}-get`
  yield* publisher.publish({ dataId, content: "x".repeat(1024) })
  yield* reader.get({ dataId }).pipe(Effect.retry({ schedule: Schedule.spaced("50 millis"), times: 100 }))
  yield* getThroughput(reader, dataId, 16, 500) // warm-up
  const throughput = [
    yield* getThroughput(reader, dataId, 1, 1000),
    yield* getThroughput(reader, dataId, 64, 5000),
    yield* getThroughput(reader, dataId, 512, 10_000)
  ]
  yield* publisher.remove({ dataId })
  const latency = yield* publishToWatchLatency(publisher, watcher, 200)
  // one style at a time, each closed (its listens dropped) before the next
  const watches = [
    yield* establishWatches(watcher, 10_000, "watch"),
    yield* establishWatches(watcher, 10_000, "listen"),
    yield* establishWatches(watcher, 10_000, "watchMany")
  ]
  return {
    target: serverAddr === "" ? "memory (NACOS_SERVER_ADDR not set)" : serverAddr,
    node: process.version,
    getThroughput: throughput,
    publishToWatchLatency: latency,
    establishWatches: watches
  }
})

runBenchmark(program)
