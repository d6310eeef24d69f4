/**
 * What one round measures, per client, each in fresh driver processes: get throughput and latency at several
 * in-flight levels, publish → another process's watch, and many watched configs (time to live, memory).
 */
import { randomUUID } from "node:crypto"
import * as path from "node:path"
import type { ClientInfo, ClientName } from "./clients.ts"
import { DriverProcess } from "./driverProcess.ts"
import { latencyMillis, percentilesMillis, round2 } from "./measure.ts"
import { cpuMillis, memory } from "./processStats.ts"
import type { WatchStyle } from "./protocol.ts"

/** Where drivers run, and which server they use; every started driver is tracked so none outlives the run. */
export interface RoundContext {
  readonly serverAddr: string
  readonly workDir: string
  readonly runId: string
  readonly group: string
  readonly live: Set<DriverProcess>
}

export const startDriver = async (context: RoundContext, client: ClientInfo, role: string) => {
  const workDir = path.join(context.workDir, `${client.name}-${role}-${randomUUID().slice(0, 6)}`)
  const driver = await DriverProcess.start(client.label, client.launch, context.serverAddr, workDir)
  context.live.add(driver)
  return driver
}

export const stopDriver = async (context: RoundContext, driver: DriverProcess) => {
  await driver.close()
  context.live.delete(driver)
}

const within = <A>(promise: Promise<A>, millis: number, what: string) =>
  new Promise<A>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what}: nothing within ${millis} ms`)), millis)
    promise.then(
      (value) => {
        clearTimeout(timer)
        resolve(value)
      },
      (error: unknown) => {
        clearTimeout(timer)
        reject(error)
      }
    )
  })

/** Resolves when `driver` reports `dataId` with `content`. */
const nextEvent = (driver: DriverProcess, dataId: string, content: string) =>
  new Promise<number>((resolve) => {
    const stop = driver.onEvent((event) => {
      if (event.dataId === dataId && event.content === content) {
        stop()
        resolve(performance.now())
      }
    })
  })

// ---------------------------------------------------------------------------------------------------------------
// get
// ---------------------------------------------------------------------------------------------------------------

export interface GetSample {
  readonly round: number
  readonly client: ClientName
  readonly inFlight: number
  readonly requests: number
  /** The level ran in this many slices, interleaved with the other clients' slices. */
  readonly slices: number
  readonly errors: number
  readonly firstError: string | undefined
  /** NaN when no get succeeded (such a round is left out of the medians). */
  readonly perSecond: number
  readonly p50Millis: number
  readonly p99Millis: number
  /** CPU the driver process used per 1000 gets, in milliseconds. */
  readonly cpuMillisPer1000: number
  /** CPU time over wall time: how many cores the driver kept busy. */
  readonly cores: number
  readonly rssMiB: number
}

const MAX_SLICES = 4

/** One client's slices of one level, added up. */
interface SliceTotals {
  cpu: number
  millis: number
  errors: number
  firstError: string | undefined
  readonly latencies: Array<number>
}

export interface GetPlan {
  readonly dataId: string
  readonly levels: ReadonlyArray<{ readonly inFlight: number; readonly requests: number }>
  readonly warmUpRequests: number
}

/**
 * One get driver per client, all started and warmed up first; then each level runs every client in turn, so the
 * clients of one level see the same machine load.
 */
export const getRound = async (
  context: RoundContext,
  round: number,
  clients: ReadonlyArray<ClientInfo>,
  plan: GetPlan
): Promise<Array<GetSample>> => {
  const drivers = new Map<ClientName, DriverProcess>()
  const samples: Array<GetSample> = []
  try {
    for (const client of clients) drivers.set(client.name, await startDriver(context, client, "get"))
    const key = { dataId: plan.dataId, group: context.group }
    for (const client of clients) {
      const driver = drivers.get(client.name)!
      // the JIT (V8's, HotSpot's) and every pool reach their steady state before anything is measured
      await driver.send({ op: "get", ...key, inFlight: 64, requests: plan.warmUpRequests })
      await driver.send({ op: "get", ...key, inFlight: 1, requests: Math.ceil(plan.warmUpRequests / 10) })
    }
    for (const level of plan.levels) {
      // a level runs in slices, each client's slice after the other's, so that a change of machine load during
      // the level falls on every client alike; a slice stays at least four times the in-flight count long
      const slices = Math.max(1, Math.min(MAX_SLICES, Math.floor(level.requests / (4 * level.inFlight))))
      const totals = new Map<ClientName, SliceTotals>(
        clients.map((client) => [client.name, { cpu: 0, millis: 0, errors: 0, firstError: undefined, latencies: [] }])
      )
      for (let slice = 0; slice < slices; slice++) {
        const requests = Math.ceil(level.requests / slices)
        for (const client of clients) {
          const driver = drivers.get(client.name)!
          const total = totals.get(client.name)!
          const cpuBefore = cpuMillis(driver.pid)
          const reply = await driver.send({ op: "get", ...key, inFlight: level.inFlight, requests })
          total.cpu += cpuMillis(driver.pid) - cpuBefore
          total.millis += reply.millis ?? Number.NaN
          total.errors += reply.errors ?? 0
          total.firstError ??= reply.firstError
          for (const latency of reply.latenciesMicros ?? []) total.latencies.push(latency)
        }
      }
      for (const client of clients) {
        const total = totals.get(client.name)!
        const answered = total.latencies.length
        samples.push({
          round,
          client: client.name,
          inFlight: level.inFlight,
          requests: level.requests,
          slices,
          errors: total.errors,
          firstError: total.firstError,
          perSecond: answered === 0 ? Number.NaN : Math.round((answered / total.millis) * 1000),
          ...latencyMillis(total.latencies),
          cpuMillisPer1000: answered === 0 ? Number.NaN : round2((total.cpu / answered) * 1000),
          cores: round2(total.cpu / total.millis),
          rssMiB: round2(memory(drivers.get(client.name)!.pid).rssBytes / (1024 * 1024))
        })
      }
    }
  } finally {
    for (const driver of drivers.values()) await stopDriver(context, driver)
  }
  return samples
}

// ---------------------------------------------------------------------------------------------------------------
// publish → watch
// ---------------------------------------------------------------------------------------------------------------

export interface WatchLatencySample {
  readonly round: number
  readonly client: ClientName
  readonly latenciesMillis: ReadonlyArray<number>
  /** Publishes whose change the watcher did not report within the deadline. */
  readonly lost: number
}

const EVENT_DEADLINE_MS = 15_000

/**
 * A publisher and a watcher of the same client, two processes (two connections): the time from sending the
 * publish to the watcher reporting the new content, measured by the harness. Two unrecorded changes first, so
 * the watch is known to be live on the server.
 */
export const watchLatencyRound = async (
  context: RoundContext,
  round: number,
  client: ClientInfo,
  samples: number
): Promise<WatchLatencySample> => {
  const publisher = await startDriver(context, client, "publisher")
  const watcher = await startDriver(context, client, "watcher")
  const key = { dataId: `peers-${context.runId}-latency-${client.name}-r${round}`, group: context.group }
  const latenciesMillis: Array<number> = []
  let lost = 0
  try {
    await publisher.send({ op: "publish", ...key, content: "initial" })
    await watcher.send({ op: "watch", ...key })
    for (let i = -2; i < samples; i++) {
      const content = `r${round}-s${i}-${randomUUID().slice(0, 8)}`
      const seen = nextEvent(watcher, key.dataId, content)
      const begin = performance.now()
      await publisher.send({ op: "publish", ...key, content })
      try {
        const at = await within(seen, EVENT_DEADLINE_MS, `${client.label} watch of ${key.dataId}`)
        if (i >= 0) latenciesMillis.push(at - begin)
      } catch {
        if (i >= 0) lost++
      }
    }
    await publisher.send({ op: "remove", ...key })
  } finally {
    await stopDriver(context, watcher)
    await stopDriver(context, publisher)
  }
  return { round, client: client.name, latenciesMillis, lost }
}

export const summariseLatency = (latencies: ReadonlyArray<number>) => ({
  samples: latencies.length,
  ...percentilesMillis(latencies)
})

// ---------------------------------------------------------------------------------------------------------------
// many watches
// ---------------------------------------------------------------------------------------------------------------

export interface WatchesSample {
  readonly round: number
  readonly client: ClientName
  /** One watch per key, a callback listener per key (effect-nacos' listen), or all keys in one watchMany. */
  readonly style: WatchStyle
  readonly count: number
  /** From the command to every watch call having returned (the driver's own figure). */
  readonly registerMillis: number
  /** From the command to the watcher reporting a change of three probe keys (first, middle, last) published after. */
  readonly liveMillis: number
  /** Heap in use after a full collection, after minus before (null where the runtime offers no such figure). */
  readonly heapDeltaBytes: number | null
  readonly rssDeltaBytes: number
}

const WARM_UP_WATCHES = 500

/**
 * A fresh watcher process watches `count` absent configs; once it says they are registered, a publisher changes
 * three of them, and the watches count as live when all three changes have reached the watcher.
 */
export const watchesRound = async (
  context: RoundContext,
  round: number,
  client: ClientInfo,
  count: number,
  style: WatchStyle
): Promise<WatchesSample> => {
  const publisher = await startDriver(context, client, "probe-publisher")
  const watcher = await startDriver(context, client, "watches")
  const prefix = `peers-${context.runId}-w${style}-${client.name}-r${round}-`
  const probes = [0, Math.floor(count / 2), count - 1].map((i) => `${prefix}${i}`)
  try {
    // Node's heap holds compiled code: the code the watches run is compiled before the baseline (WarmUpCommand)
    if (client.name === "effect") {
      await watcher.send({
        op: "warmUp",
        prefix: `${prefix}warm-`,
        group: context.group,
        count: WARM_UP_WATCHES,
        style
      })
    }
    const heapBefore = (await watcher.send({ op: "memory" })).heapBytes ?? null
    const rssBefore = memory(watcher.pid).rssBytes
    const seen = probes.map((dataId) => nextEvent(watcher, dataId, "probe"))
    const begin = performance.now()
    const registered = await watcher.send({ op: "watchMany", prefix, group: context.group, count, style })
    for (const dataId of probes) await publisher.send({ op: "publish", dataId, group: context.group, content: "probe" })
    const liveAt = Math.max(...(await within(Promise.all(seen), 180_000, `${client.label} ${count} watches`)))
    const heapAfter = (await watcher.send({ op: "memory" })).heapBytes ?? null
    const rssAfter = memory(watcher.pid).rssBytes
    for (const dataId of probes) await publisher.send({ op: "remove", dataId, group: context.group })
    return {
      round,
      client: client.name,
      style,
      count,
      registerMillis: round2(registered.millis ?? Number.NaN),
      liveMillis: round2(liveAt - begin),
      heapDeltaBytes: heapBefore === null || heapAfter === null ? null : heapAfter - heapBefore,
      rssDeltaBytes: rssAfter - rssBefore
    }
  } finally {
    await stopDriver(context, watcher)
    await stopDriver(context, publisher)
  }
}
