/**
 * NamingService benchmark: prints one JSON object.
 *
 *   NACOS_SERVER_ADDR=127.0.0.1:8848 [NACOS_USERNAME=… NACOS_PASSWORD=…] npx node --conditions=@effect-nacos/source --expose-gc bench/naming.ts
 *
 * - register → another client's subscribe latency (p50 / p99, 100 samples);
 * - time to register 1000 instances of one service, one by one vs one batch;
 * - time and heap to subscribe 1000 services (each one's first event, and settled), as a `subscribe` stream or
 *   an `onChange` per service, or as one `subscribeMany` stream;
 * - `selectOneHealthyInstance` ops/s on a 1000-instance service (answered from a live subscription).
 *
 * Without NACOS_SERVER_ADDR it runs on the in-memory layer (and says so in the output): useful only to see the
 * client's own overhead.
 */
import { randomUUID } from "node:crypto"
import { Nacos } from "@effect-nacos/core"
import { type NamingModels, NamingService } from "@effect-nacos/naming"
import { Context, Deferred, Effect, Fiber, Layer, Queue, Stream } from "effect"
import { heapUsedAfterGc, latencySummary, now, round2, runBenchmark, untilEachFirstEvent } from "./measure.ts"

const serverAddr = process.env.NACOS_SERVER_ADDR?.trim() ?? ""
const run = `bench-${randomUUID().slice(0, 8)}`

/** A fresh client (its own gRPC connection) for the rest of the benchmark. */
const liveClient = Effect.map(
  Layer.build(NamingService.layerWith({}).pipe(Layer.provide(Layer.fresh(Nacos.layerConfig)), Layer.orDie)),
  (context) => Context.get(context, NamingService.NamingService)
)

/** Registering and subscribing clients: two connections on a server; one shared store in memory. */
const clients = Effect.gen(function* () {
  if (serverAddr !== "") return { registering: yield* liveClient, subscribing: yield* liveClient }
  const memory = yield* Effect.map(Layer.build(NamingService.layerMemory()), (context) =>
    Context.get(context, NamingService.NamingService)
  )
  return { registering: memory, subscribing: memory }
})

const registerToSubscribeLatency = (
  registering: NamingService.Service,
  subscribing: NamingService.Service,
  samples: number
) =>
  Effect.gen(function* () {
    const serviceName = `${run}-latency`
    const ports = yield* Queue.unbounded<ReadonlyArray<number>>()
    const first = yield* Deferred.make<void>()
    const watching = yield* subscribing.subscribe({ serviceName, emptyPush: "deliver" }).pipe(
      Stream.runForEach((event) =>
        Deferred.succeed(first, undefined).pipe(
          Effect.andThen(
            Queue.offer(
              ports,
              event.service.hosts.map((host) => host.port)
            )
          )
        )
      ),
      Effect.forkScoped
    )
    yield* Deferred.await(first)
    const latencies: Array<number> = []
    for (let i = 0; i < samples; i++) {
      const port = 1000 + i
      const started = yield* now
      yield* registering.registerInstance({ serviceName, ip: "10.99.0.1", port })
      while (!(yield* Queue.take(ports)).includes(port)) {
        // an older view still in flight
      }
      latencies.push((yield* now) - started)
      yield* registering.deregisterInstance({ serviceName, ip: "10.99.0.1", port })
    }
    yield* Fiber.interrupt(watching)
    return latencySummary(latencies)
  })

const instances = (count: number) => Array.from({ length: count }, (_, i) => ({ ip: "10.98.0.1", port: 1 + i }))

const registerMany = (naming: NamingService.Service, count: number) =>
  Effect.gen(function* () {
    const single = `${run}-single`
    const startedSingle = yield* now
    // one by one: each register re-sends this client's whole set for the service (the server's one publish
    // per service per connection), so this is the cost of growing a set instance by instance
    for (const instance of instances(count)) yield* naming.registerInstance({ serviceName: single, ...instance })
    const singleMillis = (yield* now) - startedSingle
    yield* naming.batchDeregisterInstances({ serviceName: single, instances: instances(count) })
    const batch = `${run}-batch`
    const startedBatch = yield* now
    yield* naming.batchRegisterInstances({ serviceName: batch, instances: instances(count) })
    const batchMillis = (yield* now) - startedBatch
    return { instances: count, oneByOneMillis: round2(singleMillis), batchMillis: round2(batchMillis), batch }
  })

type SubscribeStyle = "subscribe" | "onChange" | "subscribeMany"

/** Subscribes every service of `params` in `style`, calling `counted` on every event; runs until the scope closes. */
const subscribeAll = (
  naming: NamingService.Service,
  params: ReadonlyArray<NamingModels.SubscribeParams>,
  style: SubscribeStyle,
  counted: Effect.Effect<void>
) =>
  style === "subscribeMany"
    ? naming.subscribeMany(params).pipe(
        Stream.runForEach(() => counted),
        Effect.forkScoped
      )
    : Effect.forEach(
        params,
        (service) =>
          style === "onChange"
            ? naming.onChange(service, () => counted)
            : naming.subscribe(service).pipe(
                Stream.runForEach(() => counted),
                Effect.forkScoped
              ),
        { discard: true }
      )

/**
 * Time and heap to have `services` services subscribed and each one's first event seen, as a `subscribe` stream
 * per service (each consumed by its own fiber), an `onChange` per service, or one `subscribeMany` stream of them
 * all. The heap is measured with the subscriptions live (the streams keep running: a stream that ended would have
 * unsubscribed), consumers included: at the last first event (what the client holds then, the server's pushes
 * that follow every subscribe still queued), and settled (2 s later, those pushes handled: what the subscriptions
 * keep). A warm-up round of the same style and size first: the figures are what subscriptions cost, not the code
 * the first ones compile.
 */
const subscribeServices = (naming: NamingService.Service, services: number, style: SubscribeStyle) =>
  Effect.gen(function* () {
    const names = (label: string, count: number) =>
      Array.from({ length: count }, (_, i) => ({ serviceName: `${run}-${style}-${label}-${i}` }))
    yield* Effect.scoped(
      untilEachFirstEvent(services, (counted) => subscribeAll(naming, names("warm", services), style, counted))
    )
    // the warm-up's last pushes, unsubscribes and snapshot writes done before the baseline is taken
    yield* Effect.sleep("2 seconds")
    // the caller's own list of names is not the client's cost: made before the first measurement
    const params = names("measured", services)
    return yield* Effect.scoped(
      Effect.gen(function* () {
        const heapBefore = heapUsedAfterGc()
        const measured = yield* untilEachFirstEvent(services, (counted) => subscribeAll(naming, params, style, counted))
        yield* Effect.sleep("2 seconds")
        const settledBytes = heapUsedAfterGc() - heapBefore
        return {
          style,
          services,
          millis: measured.millis,
          heapDeltaMiB: measured.heapDeltaMiB,
          heapBytesPerSubscription: measured.heapBytesEach,
          settledHeapBytesPerSubscription: Math.round(settledBytes / services),
          heapMeasuredAfterGc: measured.heapMeasuredAfterGc
        }
      })
    )
  })

const selectThroughput = (naming: NamingService.Service, serviceName: string, count: number, draws: number) =>
  Effect.gen(function* () {
    const ready = yield* Deferred.make<void>()
    yield* naming.subscribe({ serviceName }).pipe(
      Stream.runForEach((event) =>
        event.service.hosts.length === count ? Deferred.succeed(ready, undefined) : Effect.void
      ),
      Effect.forkScoped
    )
    yield* Deferred.await(ready)
    const started = yield* now
    for (let i = 0; i < draws; i++) yield* naming.selectOneHealthyInstance({ serviceName })
    const millis = (yield* now) - started
    return { instances: count, draws, millis: round2(millis), perSecond: Math.round((draws / millis) * 1000) }
  })

const program = Effect.gen(function* () {
  const { registering, subscribing } = yield* clients
  const latency = yield* registerToSubscribeLatency(registering, subscribing, 100)
  const { batch, ...registration } = yield* registerMany(registering, 1000)
  const select = yield* selectThroughput(subscribing, batch, 1000, 10_000)
  const subscriptions = [
    yield* subscribeServices(subscribing, 1000, "subscribe"),
    yield* subscribeServices(subscribing, 1000, "onChange"),
    yield* subscribeServices(subscribing, 1000, "subscribeMany")
  ]
  return {
    target: serverAddr === "" ? "memory (NACOS_SERVER_ADDR not set)" : serverAddr,
    node: process.version,
    registerToSubscribeLatency: latency,
    register: registration,
    subscribe: subscriptions,
    selectOneHealthyInstance: select
  }
})

runBenchmark(program)
