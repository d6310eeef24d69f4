/**
 * The A2A agent registry: release an agent card, publish two endpoints of its version (two processes, each its
 * own client: a server keeps one endpoint per agent version and client), resolve the card as a consumer sees it,
 * and watch it change as an endpoint goes.
 *
 *   npm run example -- examples/agent-registry.ts                            # in memory (no server needed)
 *   NACOS_SERVER_ADDR=127.0.0.1:8848 npm run example -- examples/agent-registry.ts   # Nacos 3.1+
 *
 * Without NACOS_SERVER_ADDR it runs on `AiService.layerMemory` (two layers over one memory store stand for the
 * two processes).
 */

import { type AgentCardModels, AiService } from "@effect-nacos/ai"
import { Nacos } from "@effect-nacos/core"
import { Effect, Fiber, Layer, Schedule, Stream } from "effect"

const serverAddr = process.env.NACOS_SERVER_ADDR?.trim() ?? ""
const store = AiService.makeMemoryStore()

// every client: its own connection; the watch re-reads the card every 200 ms here (default 10 s)
const client = (): Layer.Layer<AiService.AiService> =>
  serverAddr === ""
    ? AiService.layerMemory({ store, agentCardPollSchedule: Schedule.spaced("200 millis") })
    : AiService.layerWith({ agentCardPollSchedule: Schedule.spaced("200 millis") }).pipe(
        Layer.provide(Nacos.layer({ serverAddr })),
        Layer.orDie
      )

const name = `example-agent-${Date.now()}`
const card = {
  name,
  version: "1.0.0",
  protocolVersion: "0.3.0",
  preferredTransport: "JSONRPC",
  url: "http://127.0.0.1:9999/a2a",
  description: "an example agent"
}

/** One process serving the agent: its endpoint lives as long as its layer. */
const serve = (port: number) =>
  Effect.gen(function* () {
    const ai = yield* AiService.AiService
    yield* ai.registerAgentEndpoint({ name, endpoint: { version: "1.0.0", address: "127.0.0.1", port, path: "/a2a" } })
    yield* Effect.log(`process ${port}: endpoint registered`)
    return ai
  })

const interfaces = (detail: AgentCardModels.AgentCardDetail) =>
  (detail.additionalInterfaces ?? []).map((i) => i.url).join(", ") || "none (the stored url)"

const program = Effect.gen(function* () {
  yield* Effect.log(
    serverAddr === ""
      ? "NACOS_SERVER_ADDR is not set: running on the in-memory AiService (AiService.layerMemory())"
      : `running on the Nacos server at ${serverAddr}`
  )
  const consumer = yield* AiService.AiService
  yield* consumer.releaseAgentCard({ card, setAsLatest: true })

  // the consumer watches the card: the card first, then every change
  const watch = yield* consumer.watchAgentCard({ name }).pipe(
    Stream.take(4),
    Stream.runForEach((detail) =>
      Effect.log(`watch: ${detail.version} at ${detail.url}; interfaces: ${interfaces(detail)}`)
    ),
    Effect.forkScoped
  )

  // two processes serve version 1.0.0; the second stops after a while (its scope closes: its endpoint goes)
  yield* Effect.forkScoped(Effect.provide(Effect.andThen(serve(9301), Effect.never), client()))
  yield* Effect.sleep("500 millis")
  yield* Effect.provide(
    Effect.gen(function* () {
      yield* serve(9302)
      yield* Effect.sleep("500 millis")
      // what a consumer resolves: one endpoint of the preferred transport as url, all of them as interfaces
      const resolved = yield* consumer.getAgentCard({ name })
      yield* Effect.log(`resolved: ${resolved.url} (interfaces: ${interfaces(resolved)})`)
    }),
    client()
  )
  yield* Effect.log("process 9302 stopped")
  yield* Fiber.join(watch).pipe(Effect.timeout("10 seconds"), Effect.ignore)
  yield* Effect.log("done")
})

program.pipe(Effect.provide(client()), Effect.scoped, Effect.runPromise).catch((error: unknown) => {
  console.error(error)
  process.exitCode = 1
})
