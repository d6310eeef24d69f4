/**
 * `npm run bench:peers`: effect-nacos side by side with a bare grpc-js call, the Java client and the Python client,
 * against one Nacos server, interleaved, median of rounds. Prints JSON (also written to build/bench-peers.json) and
 * a Markdown table. Not a test.
 *
 *   npm run bench:peers [-- --clients effect,bare,java,python] [--rounds 3] [--quick] [--scenarios get,watch,watches,listen,watchMany]
 *                          [--watches 10000] [--java-limit-time 1000000]
 *
 * It starts the conformance server (profile auth-off) unless NACOS_SERVER_ADDR is set (auth off assumed), installs
 * the Java and Python clients into build/bench-peers-cache/ on first use, and stops everything it started however
 * it ends. `--quick` divides every request count by four and takes fewer latency samples (the 10 000 watches stay).
 * `--java-limit-time 5` runs the Java client with its own default limit on identical gets, to see what it does.
 */
import { randomUUID } from "node:crypto"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { parseArgs } from "node:util"
import { startNacos } from "../../conformance/server/nacos-server.ts"
import { CLIENT_NAMES, type ClientInfo, isClientName, JAVA_LIMIT_TIME, prepare } from "./clients.ts"
import type { DriverProcess } from "./driverProcess.ts"
import { markdownTable, ratios, summarise } from "./report.ts"
import {
  type GetSample,
  getRound,
  type RoundContext,
  startDriver,
  stopDriver,
  type WatchesSample,
  type WatchLatencySample,
  watchesRound,
  watchLatencyRound
} from "./scenarios.ts"

const SCENARIOS = ["get", "watch", "watches", "listen", "watchMany"] as const
type Scenario = (typeof SCENARIOS)[number]
const isScenario = (name: string): name is Scenario => SCENARIOS.some((scenario) => scenario === name)

const REPO_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..")
const OUTPUT_FILE = path.join(REPO_DIR, "build", "bench-peers.json")
const IN_FLIGHT = [1, 64, 512] as const

const progress = (message: string) => process.stderr.write(`[peers] ${message}\n`)

const options = (() => {
  const { values } = parseArgs({
    options: {
      clients: { type: "string", default: CLIENT_NAMES.join(",") },
      rounds: { type: "string", default: "3" },
      quick: { type: "boolean", default: false },
      scenarios: { type: "string", default: SCENARIOS.join(",") },
      watches: { type: "string", default: "10000" },
      "java-limit-time": { type: "string", default: String(JAVA_LIMIT_TIME) }
    }
  })
  const list = (text: string) =>
    text
      .split(",")
      .map((item) => item.trim())
      .filter((item) => item !== "")
  const clients = list(values.clients)
  const unknownClient = clients.find((name) => !isClientName(name))
  if (unknownClient !== undefined)
    throw new Error(`unknown client ${unknownClient} (known: ${CLIENT_NAMES.join(", ")})`)
  const scenarios = list(values.scenarios)
  const unknownScenario = scenarios.find((name) => !isScenario(name))
  if (unknownScenario !== undefined)
    throw new Error(`unknown scenario ${unknownScenario} (known: ${SCENARIOS.join(", ")})`)
  const javaLimitTime = Number(values["java-limit-time"])
  if (!(javaLimitTime > 0)) throw new Error("--java-limit-time must be a positive number")
  const rounds = Number(values.rounds)
  const watches = Number(values.watches)
  if (!Number.isInteger(rounds) || rounds < 1 || rounds > 10) throw new Error("--rounds must be 1..10")
  if (!Number.isInteger(watches) || watches < 3) throw new Error("--watches must be an integer ≥ 3")
  return {
    clients: clients.filter(isClientName),
    scenarios: new Set(scenarios.filter(isScenario)),
    rounds,
    quick: values.quick,
    watches,
    javaLimitTime
  }
})()

const scale = (requests: number) => (options.quick ? Math.ceil(requests / 4) : requests)
const getPlan = (dataId: string) => ({
  dataId,
  warmUpRequests: scale(2000),
  levels: [
    { inFlight: IN_FLIGHT[0], requests: scale(1000) },
    { inFlight: IN_FLIGHT[1], requests: scale(4000) },
    { inFlight: IN_FLIGHT[2], requests: scale(4000) }
  ]
})
const latencySamples = options.quick ? 15 : 30

/** Each round starts with another client, so no client always runs first (or right after the heaviest one). */
const rotate = <A>(items: ReadonlyArray<A>, by: number) => items.map((_, i) => items[(i + by) % items.length]!)

const loadAverage = () => os.loadavg().map((load) => Math.round(load * 100) / 100)

const main = async () => {
  const startedAt = new Date()
  const loadAtStart = loadAverage()
  // every driver started, so that none outlives the run whatever happens
  const drivers = new Set<DriverProcess>()
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-peers-"))
  const server = await startNacos("auth-off", { quiet: true })
  let failed = true
  const stopAll = async () => {
    for (const driver of drivers) driver.kill()
    await server.stop()
    // the drivers' logs stay for a look when the run failed
    if (failed) progress(`drivers' logs kept in ${workDir}`)
    else fs.rmSync(workDir, { recursive: true, force: true })
  }
  const onSignal = (signal: NodeJS.Signals) => {
    progress(`${signal}: stopping the drivers and the server`)
    void stopAll().finally(() => process.exit(130))
  }
  const onCrash = (error: unknown) => {
    progress(`crashed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`)
    void stopAll().finally(() => process.exit(1))
  }
  process.once("SIGINT", onSignal)
  process.once("SIGTERM", onSignal)
  process.once("uncaughtException", onCrash)
  try {
    progress(`server ${server.serverAddr}${server.external ? " (external)" : " (conformance server, auth-off)"}`)
    const clients = options.clients.map((name) => prepare(name, { javaLimitTime: options.javaLimitTime }))
    const context: RoundContext = {
      serverAddr: server.serverAddr,
      workDir,
      runId: randomUUID().slice(0, 8),
      group: "BENCH_PEERS",
      live: drivers
    }
    const getDataId = `peers-${context.runId}-get`
    if (options.scenarios.has("get")) await publishGetKey(context, getDataId)

    const gets: Array<GetSample> = []
    const latencies: Array<WatchLatencySample> = []
    const watches: Array<WatchesSample> = []
    const loadPerRound: Array<ReadonlyArray<number>> = []
    let watchManyMissing: string | undefined
    const watchers = (order: ReadonlyArray<ClientInfo>) => order.filter((client) => client.name !== "bare")
    for (let round = 1; round <= options.rounds; round++) {
      const order = rotate(clients, round - 1)
      progress(`round ${round}/${options.rounds}: ${order.map((client) => client.name).join(", ")}`)
      if (options.scenarios.has("get")) gets.push(...(await getRound(context, round, order, getPlan(getDataId))))
      if (options.scenarios.has("watch")) {
        for (const client of watchers(order))
          latencies.push(await watchLatencyRound(context, round, client, latencySamples))
      }
      if (options.scenarios.has("watches")) {
        for (const client of watchers(order)) {
          watches.push(await watchesRound(context, round, client, options.watches, "perKey"))
        }
      }
      const ours = clients.find((client) => client.name === "effect")
      if (options.scenarios.has("listen") && ours !== undefined) {
        watches.push(await watchesRound(context, round, ours, options.watches, "listeners"))
      }
      if (options.scenarios.has("watchMany") && ours !== undefined && !watchManyMissing) {
        try {
          watches.push(await watchesRound(context, round, ours, options.watches, "oneStream"))
        } catch (error) {
          // a build of effect-nacos without ConfigService.watchMany: said in the notes, the rest of the run goes on
          watchManyMissing = error instanceof Error ? error.message : String(error)
        }
      }
      loadPerRound.push(loadAverage())
    }
    if (options.scenarios.has("get")) await removeGetKey(context, getDataId)

    const summaries = clients.map((client) => summarise(client, gets, latencies, watches))
    const levels = options.scenarios.has("get") ? [...IN_FLIGHT] : []
    const finishedAt = new Date()
    const result = {
      run: {
        startedAt: startedAt.toISOString(),
        finishedAt: finishedAt.toISOString(),
        seconds: Math.round((finishedAt.getTime() - startedAt.getTime()) / 1000),
        rounds: options.rounds,
        quick: options.quick,
        scenarios: [...options.scenarios],
        interleaved:
          "per round, per in-flight level: up to 4 slices, each client's slice in turn; client order rotated every round",
        server: server.external
          ? `${server.serverAddr} (external)`
          : `${server.serverAddr} (conformance server 3.1.0-bugfix, auth-off)`,
        machine: { cpus: os.cpus().length, node: process.version, platform: `${os.type()} ${os.release()}` },
        loadAverage: { atStart: loadAtStart, afterEachRound: loadPerRound, atEnd: loadAverage() },
        notes: [
          "medians over rounds; publish → watch percentiles over all rounds' samples together",
          "client CPU = utime + stime of the driver process from /proc/<pid>/stat around the measured batch",
          "heap: Node heapUsed after gc(), Java heap used after System.gc(); Python has no comparable figure (RSS only)",
          "watches live = until changes of the first, middle and last key, published after registration, reached the watcher",
          ...clients.flatMap((client) => client.notes.map((note) => `${client.label}: ${note}`)),
          ...(watchManyMissing === undefined ? [] : [`watchMany not measured: ${watchManyMissing}`])
        ]
      },
      clients: summaries,
      ratiosOursTo: ratios(summaries, levels),
      samples: {
        gets,
        publishToWatch: latencies.map(({ latenciesMillis, ...rest }) => ({ ...rest, samples: latenciesMillis.length })),
        watches
      }
    }
    fs.mkdirSync(path.dirname(OUTPUT_FILE), { recursive: true })
    fs.writeFileSync(OUTPUT_FILE, `${JSON.stringify(result, null, 2)}\n`)
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n\n`)
    process.stdout.write(`${markdownTable(summaries, levels)}\n\n`)
    const failures = summaries.flatMap((summary) => [
      ...Object.entries(summary.gets).flatMap(([inFlight, at]) =>
        at.errors > 0
          ? [
              `${summary.label}: ${at.errors} failed gets at ${inFlight} in flight (not counted; a round without one success is left out), first: ${at.firstError ?? "?"}`
            ]
          : []
      ),
      ...(summary.publishToWatch !== null && summary.publishToWatch.lost > 0
        ? [`${summary.label}: ${summary.publishToWatch.lost} publishes never reached the watcher`]
        : [])
    ])
    process.stdout.write(`${[...result.run.notes, ...failures].map((note) => `- ${note}`).join("\n")}\n\n`)
    process.stdout.write(
      `Load average (1/5/15 min): ${loadAtStart.join(" / ")} at start, ${result.run.loadAverage.atEnd.join(" / ")} at the end; ${os.cpus().length} cores. Written to ${path.relative(REPO_DIR, OUTPUT_FILE)}.\n`
    )
    failed = false
  } finally {
    process.off("SIGINT", onSignal)
    process.off("SIGTERM", onSignal)
    process.off("uncaughtException", onCrash)
    await stopAll()
  }
}

/** The config every client reads: 1 KiB, published by effect-nacos and readable before anyone measures. */
const publishGetKey = async (context: RoundContext, dataId: string) => {
  const setup = await startDriver(context, prepare("effect"), "setup")
  try {
    await setup.send({ op: "publish", dataId, group: context.group, content: "x".repeat(1024) })
    for (let attempt = 0; ; attempt++) {
      const reply = await setup.send({ op: "get", dataId, group: context.group, inFlight: 1, requests: 1 })
      if (reply.errors === 0) break
      if (attempt > 100) throw new Error(`${dataId} is not readable 10 s after its publish`)
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  } finally {
    await stopDriver(context, setup)
  }
}

const removeGetKey = async (context: RoundContext, dataId: string) => {
  const setup = await startDriver(context, prepare("effect"), "teardown")
  try {
    await setup.send({ op: "remove", dataId, group: context.group })
  } finally {
    await stopDriver(context, setup)
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    progress(`failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`)
    process.exit(1)
  }
)
