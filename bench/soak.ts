/**
 * Soak: a client behind the fault proxy watches 1000 configs and subscribes to 200 services for N minutes while
 * the proxy cuts its connections periodically and a second client (straight to the server) keeps changing them.
 * Prints one JSON object (and writes it to build/soak.json):
 *
 *   node --conditions=@effect-nacos/source --expose-gc bench/soak.ts [--minutes 10] [--cut-every 30] [--cut-for 5]
 *
 * The changes go in rounds: each round changes a slice of the configs and services once, then waits until the
 * watching client has seen every one of them, so every change has exactly one event to deliver — also when it was
 * made during a cut. Events delivered must equal events expected; heap (after gc) is sampled, and the connection attempts are counted.
 */
import { randomUUID } from "node:crypto"
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { ConfigService } from "@effect-nacos/config"
import { Nacos } from "@effect-nacos/core"
import { NamingService } from "@effect-nacos/naming"
import { Context, Effect, Layer, References, Stream } from "effect"
import { proxiesFor } from "../conformance/faultProxy.ts"
import { startNacos } from "../conformance/server/nacos-server.ts"
import { gcAvailable, heapUsedAfterGc, latencySummary } from "./measure.ts"

const argument = (name: string, fallback: number) => {
  const index = process.argv.indexOf(`--${name}`)
  const value = index >= 0 ? Number(process.argv[index + 1]) : fallback
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} must be a positive number`)
  return value
}

const MINUTES = argument("minutes", 10)
const CUT_EVERY_MILLIS = argument("cut-every", 30) * 1000
const CUT_FOR_MILLIS = argument("cut-for", 5) * 1000
const CONFIGS = 1000
const SERVICES = 200
/** Changed per round: a slice of each, in turn. */
const CONFIGS_PER_ROUND = 50
const SERVICES_PER_ROUND = 10
/** A round whose changes have not all arrived by then counts its missing events and moves on. */
const ROUND_BOUND_MILLIS = 60_000
const OUTPUT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../build/soak.json")
const run = `soak-${randomUUID().slice(0, 6)}`

const clients = (serverAddr: string, portOffset?: number) =>
  Effect.map(
    Layer.build(
      Layer.mergeAll(ConfigService.layer, NamingService.layer).pipe(
        Layer.provide(
          Layer.fresh(
            Nacos.layer({
              serverAddr,
              appName: "effect-nacos-soak",
              cacheDir: `/tmp/effect-nacos-${run}-${portOffset ?? "direct"}`,
              ...(portOffset === undefined ? {} : { grpc: { portOffset } })
            })
          )
        ),
        Layer.orDie
      )
    ),
    (context) => ({
      config: Context.get(context, ConfigService.ConfigService),
      naming: Context.get(context, NamingService.NamingService)
    })
  )

const soak = Effect.gen(function* () {
  const setupStarted = Date.now()
  const server = yield* Effect.acquireRelease(
    Effect.promise(() => startNacos("auth-off", { quiet: true })),
    (nacos) => Effect.promise(() => nacos.stop())
  )
  const proxies = yield* proxiesFor(server)
  const watching = yield* clients(proxies.serverAddr, proxies.portOffset)
  const writing = yield* clients(server.serverAddr)

  const dataIds = Array.from({ length: CONFIGS }, (_, i) => `${run}-cfg-${i}`)
  const serviceNames = Array.from({ length: SERVICES }, (_, i) => `${run}-svc-${i}`)
  // the version each key is at, on the writer's side and as the watcher last saw it
  const written = new Map<string, number>()
  const seen = new Map<string, number>()
  let delivered = 0
  let expected = 0

  yield* Effect.forEach(dataIds, (dataId) => writing.config.publish({ dataId, content: "0" }), { concurrency: 20 })
  yield* Effect.forEach(
    serviceNames,
    (serviceName) =>
      writing.naming.registerInstance({ serviceName, ip: "10.70.0.1", port: 1, metadata: { version: "0" } }),
    { concurrency: 20 }
  )
  for (const key of [...dataIds, ...serviceNames]) written.set(key, 0)

  const firstSeen = new Set<string>()
  const observe = (key: string, version: number) =>
    Effect.sync(() => {
      // each stream's first event is the state it starts from, not a change
      if (!firstSeen.has(key)) firstSeen.add(key)
      else delivered++
      seen.set(key, version)
    })
  yield* Effect.forEach(
    dataIds,
    (dataId) =>
      watching.config.watch({ dataId }).pipe(
        Stream.runForEach((event) => observe(dataId, event._tag === "Changed" ? Number(event.content) : -1)),
        Effect.forkScoped
      ),
    { discard: true }
  )
  yield* Effect.forEach(
    serviceNames,
    (serviceName) =>
      watching.naming.subscribe({ serviceName, emptyPush: "deliver" }).pipe(
        // the instance's metadata carries the version
        Stream.runForEach((event) => observe(serviceName, Number(event.service.hosts[0]?.metadata.version ?? -1))),
        Effect.forkScoped
      ),
    { discard: true }
  )
  const startDeadline = Date.now() + 120_000
  while (firstSeen.size < CONFIGS + SERVICES && Date.now() < startDeadline) yield* Effect.sleep("200 millis")
  // a subscriber's first view may still be empty on a real server: wait until every key shows its first version
  while ([...written].some(([key, version]) => seen.get(key) !== version) && Date.now() < startDeadline) {
    yield* Effect.sleep("200 millis")
  }
  delivered = 0
  const setupMillis = Date.now() - setupStarted
  const dialledAtStart = proxies.grpc.stats.accepted

  const started = Date.now()
  const endAt = started + MINUTES * 60_000
  const heap: Array<{ readonly atSeconds: number; readonly heapUsedMiB: number }> = []
  const sampleHeap = () =>
    heap.push({
      atSeconds: Math.round((Date.now() - started) / 1000),
      heapUsedMiB: Math.round((heapUsedAfterGc() / 1024 / 1024) * 10) / 10
    })
  sampleHeap()

  // the cuts and the heap samples run beside the rounds
  let cuts = 0
  yield* Effect.gen(function* () {
    while (true) {
      yield* Effect.sleep(CUT_EVERY_MILLIS)
      proxies.cut()
      cuts++
      yield* Effect.sleep(CUT_FOR_MILLIS)
      proxies.heal()
    }
  }).pipe(Effect.forkScoped)
  yield* Effect.gen(function* () {
    while (true) {
      yield* Effect.sleep("10 seconds")
      sampleHeap()
    }
  }).pipe(Effect.forkScoped)

  let rounds = 0
  let missing = 0
  const undelivered: Array<{ round: number; key: string; written: number | undefined; seen: number | undefined }> = []
  const roundMillis: Array<number> = []
  while (Date.now() < endAt) {
    const version = rounds + 1
    const configs = Array.from(
      { length: CONFIGS_PER_ROUND },
      (_, i) => dataIds[(rounds * CONFIGS_PER_ROUND + i) % CONFIGS]!
    )
    const services = Array.from(
      { length: SERVICES_PER_ROUND },
      (_, i) => serviceNames[(rounds * SERVICES_PER_ROUND + i) % SERVICES]!
    )
    const roundStarted = Date.now()
    yield* Effect.forEach(
      configs,
      (dataId) =>
        Effect.map(writing.config.publish({ dataId, content: String(version) }), () => {
          written.set(dataId, version)
        }),
      { concurrency: 10 }
    )
    yield* Effect.forEach(
      services,
      (serviceName) =>
        // the same instance registered again with the version in its metadata: it replaces itself, one push
        Effect.map(
          writing.naming.registerInstance({
            serviceName,
            ip: "10.70.0.1",
            port: 1,
            metadata: { version: String(version) }
          }),
          () => {
            written.set(serviceName, version)
          }
        ),
      { concurrency: 10 }
    )
    expected += configs.length + services.length
    const changed = [...configs, ...services]
    const roundDeadline = Date.now() + ROUND_BOUND_MILLIS
    while (changed.some((key) => seen.get(key) !== written.get(key)) && Date.now() < roundDeadline) {
      yield* Effect.sleep("50 millis")
    }
    const late = changed.filter((key) => seen.get(key) !== written.get(key))
    missing += late.length
    for (const key of late.slice(0, 10 - undelivered.length)) {
      undelivered.push({ round: version, key, written: written.get(key), seen: seen.get(key) })
    }
    roundMillis.push(Date.now() - roundStarted)
    rounds++
  }
  sampleHeap()
  // let late duplicates show before counting
  yield* Effect.sleep("3 seconds")

  return {
    benchmark: "soak",
    minutes: MINUTES,
    watchedConfigs: CONFIGS,
    subscribedServices: SERVICES,
    cutEverySeconds: CUT_EVERY_MILLIS / 1000,
    cutForSeconds: CUT_FOR_MILLIS / 1000,
    cuts,
    rounds,
    eventsExpected: expected,
    eventsDelivered: delivered,
    equal: delivered === expected && missing === 0,
    changesNotDeliveredWithinBound: missing,
    undelivered,
    setupMillis,
    roundTime: latencySummary(roundMillis),
    // every connection attempt through the proxy after the start, those reset during a cut included
    grpcDialAttempts: proxies.grpc.stats.accepted - dialledAtStart,
    // what is open at the end: the watching client's config and naming connections, nothing left over
    grpcConnectionsOpenAtEnd: proxies.grpc.stats.open,
    gcAvailable,
    heap,
    recordedAt: new Date().toISOString()
  }
})

// the writer's naming client registers one instance per service and replaces it: its deregister on close is one
// per service, as is the watcher's unsubscribe
const result = await Effect.runPromise(
  soak.pipe(Effect.scoped, Effect.provideService(References.MinimumLogLevel, "None"))
)
fs.mkdirSync(path.dirname(OUTPUT), { recursive: true })
fs.writeFileSync(OUTPUT, `${JSON.stringify(result, null, 2)}\n`)
process.stdout.write(`${JSON.stringify(result, null, 2)}\n`)
