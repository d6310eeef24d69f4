/**
 * AiService watch benchmark: prints one JSON object.
 *
 *   NACOS_SERVER_ADDR=127.0.0.1:8848 [NACOS_USERNAME=… NACOS_PASSWORD=…] node --conditions=@effect-nacos/source --expose-gc bench/ai.ts
 *
 * For `watchAgentCard` and `watchMcpServer`:
 * - the time to release the watched agents / MCP servers (one by one, a few in flight);
 * - time and heap until each of 1000 watches has had its first event, for 1000 distinct agents / MCP servers
 *   and for 1000 watches of one and the same one (what a watch costs by itself); the heap again 4 s later
 *   (`settledHeapBytesPerWatch`), once the re-reads a watch's start causes are over.
 *
 * `AI_BENCH_WATCHES` changes the 1000. Without NACOS_SERVER_ADDR it runs on the in-memory layer (and says so in
 * the output): useful only to see the client's own overhead.
 */
import { randomUUID } from "node:crypto"
import { AiService } from "@effect-nacos/ai"
import { Nacos } from "@effect-nacos/core"
import { Context, Effect, Layer, Schedule, Stream } from "effect"
import { heapUsedAfterGc, now, round2, runBenchmark, untilEachFirstEvent } from "./measure.ts"

const serverAddr = process.env.NACOS_SERVER_ADDR?.trim() ?? ""
const watches = Number(process.env.AI_BENCH_WATCHES ?? "1000")
const run = `bench-${randomUUID().slice(0, 8)}`
/** Releases in flight at once: the server answers one by one, a few in flight hide the round trip. */
const RELEASES_IN_FLIGHT = 8
const WARM_UP = 100
/** Longer than the re-reads a push starts (0.6 s, 1.5 s, 3 s), shorter than the 10 s poll. */
const SETTLE = "4 seconds"

const client = Effect.map(
  Layer.build(
    serverAddr === ""
      ? AiService.layerMemory()
      : AiService.layerWith({}).pipe(Layer.provide(Layer.fresh(Nacos.layerConfig)), Layer.orDie)
  ),
  (context) => Context.get(context, AiService.AiService)
)

type Kind = "agentCard" | "mcpServer"

const release = (ai: AiService.Service, kind: Kind, name: string) =>
  kind === "agentCard"
    ? ai.releaseAgentCard({
        card: {
          name,
          version: "1.0.0",
          protocolVersion: "0.3.0",
          preferredTransport: "JSONRPC",
          url: "http://127.0.0.1:9999/a2a",
          description: `bench agent ${name}`
        },
        setAsLatest: true
      })
    : Effect.asVoid(
        ai.releaseMcpServer({
          server: { name, protocol: "mcp-sse", description: `bench mcp ${name}`, versionDetail: { version: "1.0.0" } }
        })
      )

/** Until the server's cache shows it (the real server reads its registry through a cache refreshed later). */
const readable = (ai: AiService.Service, kind: Kind, name: string) =>
  Effect.retry(
    kind === "agentCard" ? Effect.asVoid(ai.getAgentCard({ name })) : Effect.asVoid(ai.getMcpServer({ name })),
    {
      schedule: Schedule.spaced("100 millis"),
      times: 300
    }
  )

/** Progress on stderr (stdout is the JSON): releasing on a real server takes a while. */
const progress = (line: string) => Effect.sync(() => process.stderr.write(`${line}\n`))

const releaseAll = (ai: AiService.Service, kind: Kind, names: ReadonlyArray<string>) =>
  Effect.gen(function* () {
    const started = yield* now
    let released = 0
    yield* Effect.forEach(
      names,
      (name) =>
        Effect.andThen(release(ai, kind, name), () =>
          ++released % 100 === 0 ? progress(`${kind}: ${released} released`) : Effect.void
        ),
      { concurrency: RELEASES_IN_FLIGHT, discard: true }
    )
    const releasedMillis = (yield* now) - started
    yield* Effect.forEach(names, (name) => readable(ai, kind, name), { concurrency: RELEASES_IN_FLIGHT, discard: true })
    const readableMillis = (yield* now) - started
    yield* progress(
      `${kind}: ${names.length} released in ${round2(releasedMillis)} ms, readable in ${round2(readableMillis)} ms`
    )
    return {
      released: names.length,
      inFlight: RELEASES_IN_FLIGHT,
      releaseMillis: round2(releasedMillis),
      perRelease: round2(releasedMillis / names.length),
      allReadableMillis: round2(readableMillis)
    }
  })

/** What the server refused: a first read that failed (the 3.1.0 server answers 503 "server limit match" under load). */
const refusals = new Map<string, number>()

/**
 * One watch per name in `names` (repeats allowed), each consumed by its own fiber, `counted` on every event. A
 * watch whose first read the server refused is started again after a pause (and the refusal counted): the figure
 * is until each watch has its first event, however long the server takes.
 */
const watchAll = (ai: AiService.Service, kind: Kind, names: ReadonlyArray<string>, counted: Effect.Effect<void>) => {
  const consume = (name: string): Effect.Effect<void> =>
    (kind === "agentCard"
      ? Stream.runForEach(ai.watchAgentCard({ name }), () => counted)
      : Stream.runForEach(ai.watchMcpServer({ name }), () => counted)
    ).pipe(
      Effect.catch((error) =>
        Effect.suspend(() => {
          const reason = `${kind}: ${error.message}`
          refusals.set(reason, (refusals.get(reason) ?? 0) + 1)
          return Effect.andThen(Effect.sleep("200 millis"), consume(name))
        })
      )
    )
  return Effect.forEach(names, (name) => Effect.forkScoped(consume(name)), { discard: true })
}

/**
 * Time and heap until each watch of `names` has had its first event, the watches live (consumers included). A
 * warm-up round first (the first `WARM_UP` names): the figure is what a watch keeps, not the code the first ones
 * compile.
 */
const measureWatches = (ai: AiService.Service, kind: Kind, names: ReadonlyArray<string>, label: string) =>
  Effect.gen(function* () {
    yield* Effect.scoped(
      untilEachFirstEvent(Math.min(WARM_UP, names.length), (counted) =>
        watchAll(ai, kind, names.slice(0, WARM_UP), counted)
      )
    )
    yield* progress(`${kind}: ${label}: warmed up`)
    const { measured, settledBytes } = yield* Effect.scoped(
      Effect.gen(function* () {
        const heapBefore = heapUsedAfterGc()
        const measured = yield* untilEachFirstEvent(names.length, (counted) => watchAll(ai, kind, names, counted))
        // what the watches keep once the re-reads their start caused are over
        yield* Effect.sleep(SETTLE)
        return { measured, settledBytes: heapUsedAfterGc() - heapBefore }
      })
    )
    yield* progress(`${kind}: ${label} watched in ${measured.millis} ms`)
    return {
      watch: kind === "agentCard" ? "watchAgentCard" : "watchMcpServer",
      of: label,
      watches: names.length,
      millis: measured.millis,
      heapDeltaMiB: measured.heapDeltaMiB,
      heapBytesPerWatch: measured.heapBytesEach,
      settledHeapBytesPerWatch: Math.round(settledBytes / names.length),
      heapMeasuredAfterGc: measured.heapMeasuredAfterGc
    }
  })

const benchKind = (ai: AiService.Service, kind: Kind) =>
  Effect.gen(function* () {
    const names = Array.from({ length: watches }, (_, i) => `${run}-${kind}-${i}`)
    const releasing = yield* Effect.result(releaseAll(ai, kind, names))
    // the 3.1.0 server refuses releases (503 "server limit match": its config search queue) once it holds a few
    // thousand AI resources; the other kind is measured all the same
    if (releasing._tag === "Failure") return { releaseRefused: String(releasing.failure) }
    const released = releasing.success
    const same = Array.from({ length: watches }, () => names[0] ?? "")
    return {
      release: released,
      watches: [
        yield* measureWatches(ai, kind, names, `${watches} distinct`),
        yield* measureWatches(ai, kind, same, "one and the same")
      ]
    }
  })

const program = Effect.gen(function* () {
  const ai = yield* client
  const agentCard = yield* benchKind(ai, "agentCard")
  const mcpServer = yield* benchKind(ai, "mcpServer")
  return {
    target: serverAddr === "" ? "memory (NACOS_SERVER_ADDR not set)" : serverAddr,
    node: process.version,
    agentCard,
    mcpServer,
    firstReadsRefused: Object.fromEntries(refusals)
  }
})

runBenchmark(program)
