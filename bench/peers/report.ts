/**
 * The run's result: medians over rounds per client, the ratios of effect-nacos to each peer, and the Markdown table.
 */
import type { ClientInfo, ClientName } from "./clients.ts"
import { median, mib, round2 } from "./measure.ts"
import type { WatchStyle } from "./protocol.ts"
import { type GetSample, summariseLatency, type WatchesSample, type WatchLatencySample } from "./scenarios.ts"

export interface GetSummary {
  readonly perSecond: number
  readonly p50Millis: number
  readonly p99Millis: number
  readonly cpuMillisPer1000: number
  readonly cores: number
  readonly rssMiB: number
  readonly errors: number
  readonly firstError: string | undefined
}

export interface WatchesSummary {
  readonly count: number
  readonly registerMillis: number
  readonly liveMillis: number
  readonly heapDeltaMiB: number | null
  readonly heapBytesPerWatch: number | null
  readonly rssDeltaMiB: number
}

export interface ClientSummary {
  readonly client: ClientName
  readonly label: string
  readonly version: string
  readonly notes: ReadonlyArray<string>
  /** Keyed by in-flight level. */
  readonly gets: Readonly<Record<string, GetSummary>>
  readonly publishToWatch: {
    readonly samples: number
    readonly lost: number
    readonly p50Millis: number
    readonly p99Millis: number
  } | null
  /** One watch (one Stream, one listener) per key. */
  readonly watches: WatchesSummary | null
  /** A `listen` callback per key (effect-nacos only: the Java and Python listeners are `watches`). */
  readonly watchesWithListeners: WatchesSummary | null
  /** Every key in one `watchMany` Stream (effect-nacos only). */
  readonly watchesInOneStream: WatchesSummary | null
}

export const summarise = (
  client: ClientInfo,
  gets: ReadonlyArray<GetSample>,
  latencies: ReadonlyArray<WatchLatencySample>,
  watches: ReadonlyArray<WatchesSample>
): ClientSummary => {
  const mine = gets.filter((sample) => sample.client === client.name)
  const levels = [...new Set(mine.map((sample) => sample.inFlight))]
  const getSummaries: Record<string, GetSummary> = {}
  for (const inFlight of levels) {
    const at = mine.filter((sample) => sample.inFlight === inFlight)
    const med = (pick: (sample: GetSample) => number) => round2(median(at.map(pick)))
    getSummaries[String(inFlight)] = {
      perSecond: Math.round(median(at.map((sample) => sample.perSecond))),
      p50Millis: med((sample) => sample.p50Millis),
      p99Millis: med((sample) => sample.p99Millis),
      cpuMillisPer1000: med((sample) => sample.cpuMillisPer1000),
      cores: med((sample) => sample.cores),
      rssMiB: med((sample) => sample.rssMiB),
      errors: at.reduce((sum, sample) => sum + sample.errors, 0),
      firstError: at.find((sample) => sample.firstError !== undefined)?.firstError
    }
  }
  const myLatencies = latencies.filter((sample) => sample.client === client.name)
  const watchesOf = (style: WatchStyle) =>
    summariseWatches(watches.filter((sample) => sample.client === client.name && sample.style === style))
  return {
    client: client.name,
    label: client.label,
    version: client.version,
    notes: client.notes,
    gets: getSummaries,
    publishToWatch:
      myLatencies.length === 0
        ? null
        : {
            // all rounds' samples together: the percentiles of one distribution, not a median of three p99s
            ...summariseLatency(myLatencies.flatMap((sample) => sample.latenciesMillis)),
            lost: myLatencies.reduce((sum, sample) => sum + sample.lost, 0)
          },
    watches: watchesOf("perKey"),
    watchesWithListeners: watchesOf("listeners"),
    watchesInOneStream: watchesOf("oneStream")
  }
}

const summariseWatches = (samples: ReadonlyArray<WatchesSample>): WatchesSummary | null => {
  if (samples.length === 0) return null
  const heapDeltas = samples.flatMap((sample) => (sample.heapDeltaBytes === null ? [] : [sample.heapDeltaBytes]))
  const count = samples[0]!.count
  const heapDelta = heapDeltas.length === 0 ? null : median(heapDeltas)
  return {
    count,
    registerMillis: round2(median(samples.map((sample) => sample.registerMillis))),
    liveMillis: round2(median(samples.map((sample) => sample.liveMillis))),
    heapDeltaMiB: heapDelta === null ? null : mib(heapDelta),
    heapBytesPerWatch: heapDelta === null ? null : Math.round(heapDelta / count),
    rssDeltaMiB: mib(median(samples.map((sample) => sample.rssDeltaBytes)))
  }
}

interface Row {
  readonly label: string
  readonly pick: (summary: ClientSummary) => number | null | undefined
  readonly digits?: number
}

const format = (value: number | null | undefined, digits = 0) =>
  value === null || value === undefined || !Number.isFinite(value) ? "–" : value.toFixed(digits)

const ratio = (ours: number | null | undefined, theirs: number | null | undefined) =>
  ours === null ||
  ours === undefined ||
  theirs === null ||
  theirs === undefined ||
  !(theirs > 0) ||
  !Number.isFinite(ours)
    ? "–"
    : `${(ours / theirs).toFixed(2)}×`

/** One column per client, then ours/peer for every peer that is there. */
export const markdownTable = (summaries: ReadonlyArray<ClientSummary>, levels: ReadonlyArray<number>): string => {
  const ours = summaries.find((summary) => summary.client === "effect")
  const peers = summaries.filter((summary) => summary.client !== "effect")
  const get = (inFlight: number, pick: (summary: GetSummary) => number) => (summary: ClientSummary) => {
    const at = summary.gets[String(inFlight)]
    return at === undefined ? null : pick(at)
  }
  const busiest = levels.includes(64) ? 64 : (levels.at(-1) ?? 1)
  const rows: Array<Row> = [
    ...levels.map((inFlight) => ({ label: `gets/s, ${inFlight} in flight`, pick: get(inFlight, (s) => s.perSecond) })),
    ...levels.map((inFlight) => ({
      label: `get p50 ms, ${inFlight} in flight`,
      pick: get(inFlight, (s) => s.p50Millis),
      digits: 2
    })),
    ...levels.map((inFlight) => ({
      label: `get p99 ms, ${inFlight} in flight`,
      pick: get(inFlight, (s) => s.p99Millis),
      digits: 2
    })),
    ...levels.map((inFlight) => ({
      label: `client CPU ms per 1000 gets, ${inFlight} in flight`,
      pick: get(inFlight, (s) => s.cpuMillisPer1000)
    })),
    { label: `cores busy, ${busiest} in flight`, pick: get(busiest, (s) => s.cores), digits: 2 },
    { label: `RSS MiB after the gets`, pick: get(levels.at(-1) ?? 1, (s) => s.rssMiB) },
    { label: "publish → other process's watch, p50 ms", pick: (s) => s.publishToWatch?.p50Millis, digits: 1 },
    { label: "publish → other process's watch, p99 ms", pick: (s) => s.publishToWatch?.p99Millis, digits: 1 },
    {
      label: `${summaries.find((s) => s.watches !== null)?.watches?.count ?? 0} watched configs: live in s`,
      pick: (s) => (s.watches === null ? null : s.watches.liveMillis / 1000),
      digits: 2
    },
    { label: "… heap after GC, MiB more", pick: (s) => s.watches?.heapDeltaMiB, digits: 1 },
    {
      label: "… heap per watch, KiB",
      pick: (s) => (s.watches?.heapBytesPerWatch == null ? null : s.watches.heapBytesPerWatch / 1024),
      digits: 2
    },
    { label: "… RSS MiB more", pick: (s) => s.watches?.rssDeltaMiB, digits: 1 },
    {
      label: "the same keys, a `listen` callback each: live in s",
      pick: (s) => (s.watchesWithListeners === null ? null : s.watchesWithListeners.liveMillis / 1000),
      digits: 2
    },
    { label: "… heap after GC, MiB more", pick: (s) => s.watchesWithListeners?.heapDeltaMiB, digits: 1 },
    {
      label: "… heap per listener, KiB",
      pick: (s) =>
        s.watchesWithListeners?.heapBytesPerWatch == null ? null : s.watchesWithListeners.heapBytesPerWatch / 1024,
      digits: 2
    },
    {
      label: "the same keys in one watchMany Stream: live in s",
      pick: (s) => (s.watchesInOneStream === null ? null : s.watchesInOneStream.liveMillis / 1000),
      digits: 2
    },
    { label: "… heap after GC, MiB more", pick: (s) => s.watchesInOneStream?.heapDeltaMiB, digits: 1 },
    {
      label: "… heap per key, KiB",
      pick: (s) =>
        s.watchesInOneStream?.heapBytesPerWatch == null ? null : s.watchesInOneStream.heapBytesPerWatch / 1024,
      digits: 2
    }
  ]
  const header = [
    "",
    ...summaries.map((summary) => `${summary.label} ${summary.version}`),
    ...(ours === undefined ? [] : peers.map((peer) => `ours / ${peer.label}`))
  ]
  const lines = [`| ${header.join(" | ")} |`, `|${header.map(() => "---").join("|")}|`]
  for (const row of rows) {
    const cells = summaries.map((summary) => format(row.pick(summary), row.digits))
    const ratios = ours === undefined ? [] : peers.map((peer) => ratio(row.pick(ours), row.pick(peer)))
    if (cells.every((cell) => cell === "–")) continue
    lines.push(`| ${row.label} | ${[...cells, ...ratios].join(" | ")} |`)
  }
  return lines.join("\n")
}

/** ours / peer for the figures the goals name. */
export const ratios = (summaries: ReadonlyArray<ClientSummary>, levels: ReadonlyArray<number>) => {
  const ours = summaries.find((summary) => summary.client === "effect")
  if (ours === undefined) return {}
  const result: Record<string, Record<string, number | null>> = {}
  for (const peer of summaries.filter((summary) => summary.client !== "effect")) {
    const figures: Record<string, number | null> = {}
    for (const inFlight of levels) {
      const a = ours.gets[String(inFlight)]
      const b = peer.gets[String(inFlight)]
      figures[`getsPerSecond@${inFlight}`] = a && b && b.perSecond > 0 ? round2(a.perSecond / b.perSecond) : null
      figures[`cpuPerGet@${inFlight}`] =
        a && b && b.cpuMillisPer1000 > 0 ? round2(a.cpuMillisPer1000 / b.cpuMillisPer1000) : null
    }
    const heapA = ours.watches?.heapBytesPerWatch
    const heapB = peer.watches?.heapBytesPerWatch
    figures.heapPerWatch = heapA != null && heapB != null && heapB > 0 ? round2(heapA / heapB) : null
    const heapListener = ours.watchesWithListeners?.heapBytesPerWatch
    figures.heapPerListener = heapListener != null && heapB != null && heapB > 0 ? round2(heapListener / heapB) : null
    const heapOneStream = ours.watchesInOneStream?.heapBytesPerWatch
    figures.heapPerKeyInOneStream =
      heapOneStream != null && heapB != null && heapB > 0 ? round2(heapOneStream / heapB) : null
    result[peer.client] = figures
  }
  return result
}
