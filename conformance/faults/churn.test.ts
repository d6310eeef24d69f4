/**
 * Client churn: create a service layer (with its own Nacos stack), do real work with it against the server, close
 * it — 1000 times for each of config, naming and ai in one process. Afterwards the process holds no more handles,
 * no more live fibers, and the server no more connections than before, and the heap (after gc) has not grown
 * beyond a small bound.
 */
import * as fs from "node:fs"
import * as v8 from "node:v8"
import * as vm from "node:vm"
import { describe, expect, it } from "@effect/vitest"
import { AiService } from "@effect-nacos/ai"
import { ConfigService } from "@effect-nacos/config"
import type { Nacos } from "@effect-nacos/core"
import { NamingService } from "@effect-nacos/naming"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Metric from "effect/Metric"
import * as Schedule from "effect/Schedule"
import { nacosLayer, tempCacheDir } from "../support.ts"
import { faultServer, recordFigures, serverConnections } from "./support.ts"

const CYCLES = Number(process.env.NACOS_CHURN_CYCLES ?? 1000)
const WARM_UP = 20
/** Heap growth (after gc) allowed over all the cycles of one service. */
const HEAP_BOUND_BYTES = 24 * 1024 * 1024
const APP_NAME = "effect-nacos-churn"

v8.setFlagsFromString("--expose-gc")
const gc: () => void = vm.runInNewContext("gc")

/** Fibers started and not yet ended, counted through the runtime's fiber hooks. */
const liveFibers = { count: 0 }
const fiberCounter: Metric.FiberRuntimeMetricsService = {
  recordFiberStart: () => {
    liveFibers.count++
  },
  recordFiberEnd: () => {
    liveFibers.count--
  }
}

/** Open handles by kind (sockets, timers, …), as Node reports them. */
const handles = () => {
  const counts: Record<string, number> = {}
  for (const kind of process.getActiveResourcesInfo()) counts[kind] = (counts[kind] ?? 0) + 1
  return counts
}

/**
 * Sockets this process holds open (Linux: /proc/self/fd): also those unref'd, which no longer keep the event loop
 * alive and so are missing from `getActiveResourcesInfo()` (gRPC's are, between calls).
 */
const openSockets = () =>
  fs.readdirSync("/proc/self/fd").filter((fd) => {
    try {
      return fs.readlinkSync(`/proc/self/fd/${fd}`).startsWith("socket:")
    } catch {
      return false
    }
  }).length

const heapAfterGc = () => {
  gc()
  gc()
  return process.memoryUsage().heapUsed
}

interface Snapshot {
  readonly handles: Record<string, number>
  readonly sockets: number
  readonly fibers: number
  readonly serverConnections: number
  readonly heap: number
}

const snapshot = Effect.gen(function* () {
  const server = faultServer()
  const connections = yield* serverConnections(server).pipe(Effect.orDie)
  return {
    handles: handles(),
    sockets: openSockets(),
    fibers: liveFibers.count,
    serverConnections: connections.filter((c) => c.appName === APP_NAME).length,
    heap: heapAfterGc()
  } satisfies Snapshot
})

/** Waits (at most 20 s) until the handles, fibers and server connections are back where `baseline` had them. */
const settledBack = (baseline: Snapshot) =>
  Effect.gen(function* () {
    const started = Date.now()
    while (true) {
      const now = yield* snapshot
      const sockets =
        now.sockets <= baseline.sockets && (now.handles.TCPSocketWrap ?? 0) <= (baseline.handles.TCPSocketWrap ?? 0)
      // vitest's own timers come and go: a couple more than before is not a leak of 1000 cycles
      const timers = (now.handles.Timeout ?? 0) <= (baseline.handles.Timeout ?? 0) + 3
      const flat = sockets && timers && now.fibers <= baseline.fibers && now.serverConnections === 0
      if (flat || Date.now() - started > 20_000) return now
      yield* Effect.sleep("250 millis")
    }
  })

const churn = <S>(
  label: string,
  serviceLayer: Layer.Layer<S, never, Nacos.NacosServices>,
  work: (cycle: number) => (context: Context.Context<S>) => Effect.Effect<void, unknown>
) =>
  Effect.gen(function* () {
    const server = faultServer()
    const cacheDir = tempCacheDir(`churn-${label}`)
    // what one cycle holds while it works: proof that the counts below see the client's sockets and fibers at all
    let during: { readonly sockets: number; readonly fibers: number; readonly serverConnections: number } | undefined
    const cycle = (n: number) =>
      Effect.scoped(
        Effect.flatMap(
          Layer.build(
            Layer.fresh(serviceLayer.pipe(Layer.provide(nacosLayer(server, { appName: APP_NAME, cacheDir }))))
          ),
          (context) =>
            Effect.tap(work(n)(context), () =>
              n !== WARM_UP
                ? Effect.void
                : Effect.map(snapshot, (now) => {
                    during = { sockets: now.sockets, fibers: now.fibers, serverConnections: now.serverConnections }
                  })
            )
        )
      )
    for (let n = 0; n < WARM_UP; n++) yield* cycle(n)
    const baseline = yield* settledBack(yield* snapshot)
    const started = Date.now()
    for (let n = 0; n < CYCLES; n++) yield* cycle(WARM_UP + n)
    const elapsed = Date.now() - started
    const after = yield* settledBack(baseline)
    const figures = {
      cycles: CYCLES,
      millisPerCycle: Math.round((elapsed / CYCLES) * 10) / 10,
      socketsBefore: baseline.sockets,
      socketsAfter: after.sockets,
      handlesBefore: baseline.handles,
      handlesAfter: after.handles,
      socketsDuringACycle: during?.sockets,
      fibersDuringACycle: during?.fibers,
      serverConnectionsDuringACycle: during?.serverConnections,
      fibersBefore: baseline.fibers,
      fibersAfter: after.fibers,
      serverConnectionsAfter: after.serverConnections,
      heapGrowthBytes: after.heap - baseline.heap
    }
    yield* recordFigures(`churn ${label}`, figures)
    expect(during?.sockets ?? 0).toBeGreaterThan(baseline.sockets)
    expect(during?.fibers ?? 0).toBeGreaterThan(baseline.fibers)
    expect(during?.serverConnections ?? 0).toBeGreaterThan(0)
    expect(after.sockets).toBeLessThanOrEqual(baseline.sockets)
    expect(after.handles.TCPSocketWrap ?? 0).toBeLessThanOrEqual(baseline.handles.TCPSocketWrap ?? 0)
    expect(after.handles.Timeout ?? 0).toBeLessThanOrEqual((baseline.handles.Timeout ?? 0) + 3)
    expect(after.fibers).toBeLessThanOrEqual(baseline.fibers)
    expect(after.serverConnections).toBe(0)
    expect(after.heap - baseline.heap).toBeLessThan(HEAP_BOUND_BYTES)
  }).pipe(Effect.provideService(Metric.FiberRuntimeMetrics, fiberCounter))

describe("churn", () => {
  it.live(
    `config: ${CYCLES} layers created, used (get) and closed leave nothing behind`,
    () =>
      Effect.gen(function* () {
        const dataId = `churn-config-${Date.now()}`
        yield* churn(
          "config",
          ConfigService.layer,
          (n) => (context) =>
            Effect.gen(function* () {
              const config = Context.get(context, ConfigService.ConfigService)
              if (n === 0) yield* config.publish({ dataId, content: "churned" })
              // the server applies a publish asynchronously: the first read may come before it
              const content = yield* config
                .get({ dataId })
                .pipe(Effect.retry(Schedule.spaced("100 millis").pipe(Schedule.upTo({ times: 100 }))))
              if (content !== "churned") return yield* Effect.die(`cycle ${n} read ${content}`)
            })
        )
      }),
    600_000
  )

  it.live(
    `naming: ${CYCLES} layers created, used (register, closed with a deregister) and closed leave nothing behind`,
    () =>
      churn(
        "naming",
        NamingService.layer,
        (n) => (context) =>
          Context.get(context, NamingService.NamingService).registerInstance({
            serviceName: "churn-naming",
            ip: "10.63.0.1",
            port: 1 + (n % 1000)
          })
      ),
    600_000
  )

  it.live(
    `ai: ${CYCLES} layers created, used (agent card read) and closed leave nothing behind`,
    () =>
      Effect.gen(function* () {
        const name = `churn-agent-${Date.now()}`
        yield* churn(
          "ai",
          AiService.layer,
          (n) => (context) =>
            Effect.gen(function* () {
              const ai = Context.get(context, AiService.AiService)
              if (n === 0) {
                yield* ai.releaseAgentCard({
                  card: {
                    name,
                    version: "1.0.0",
                    protocolVersion: "0.3.0",
                    preferredTransport: "JSONRPC",
                    url: "http://127.0.0.1:9900/a2a"
                  },
                  setAsLatest: true
                })
              }
              const card = yield* ai
                .getAgentCard({ name })
                .pipe(Effect.retry(Schedule.spaced("100 millis").pipe(Schedule.upTo({ times: 100 }))))
              if (card.version !== "1.0.0") return yield* Effect.die(`cycle ${n} read version ${card.version}`)
            })
        )
      }),
    600_000
  )
})
