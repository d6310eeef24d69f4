/**
 * AiService against the real Nacos server (3.1.0 here), auth off and auth on: the shared behaviour suite for MCP
 * servers and agent cards (the same one layerMemory and the fake-server unit tests run), then what the 3.1.0 server
 * says about the 3.2 features: prompts and skills fail with a clean NotSupportedError, over gRPC and over HTTP.
 *
 * No 3.2 server is available here (none is served by this project's Maven mirror): the 3.2 wire of prompts and
 * skills is tested against the fake server built from the 3.2.1 client sources (packages/ai/test).
 */
import { appendFileSync } from "node:fs"
import { describe, expect, it } from "@effect/vitest"
import { type AgentCardModels, AiService, type McpModels } from "@effect-nacos/ai"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Queue from "effect/Queue"
import * as Stream from "effect/Stream"
import {
  card,
  describeAiBehaviour,
  eventually,
  mcpServer,
  uniqueName
} from "../../packages/ai/test/support/behaviour.ts"
import { type ConformanceServer, nacosLayer, servers } from "../support.ts"

/** Watch latencies go to `NACOS_AI_LATENCY_FILE` when it is set (for the figures in the notes), nowhere else. */
const recordLatencies = (label: string, latencies: ReadonlyArray<readonly [string, number]>) => {
  const file = process.env.NACOS_AI_LATENCY_FILE
  if (file !== undefined) {
    appendFileSync(file, `${label}: ${latencies.map(([step, ms]) => `${step} ${ms} ms`).join(", ")}\n`)
  }
}

const aiLayer = (server: ConformanceServer, options: AiService.AiServiceOptions = {}) =>
  AiService.layerWith(options).pipe(Layer.provide(nacosLayer(server)), Layer.orDie)

const withAi = <A, E>(
  server: ConformanceServer,
  body: (ai: AiService.Service) => Effect.Effect<A, E, import("effect/Scope").Scope>,
  options: AiService.AiServiceOptions = {}
) => Effect.flatMap(Effect.service(AiService.AiService), body).pipe(Effect.provide(aiLayer(server, options)))

for (const [label, pick] of [
  ["auth off", (s: ReturnType<typeof servers>) => s.authOff],
  ["auth on", (s: ReturnType<typeof servers>) => s.authOn]
] as const) {
  const server = () => pick(servers())

  describeAiBehaviour(`real Nacos, ${label}`, {
    layer: (options) => aiLayer(server(), options),
    timeout: 90_000
  })

  describe(`AiService on the real Nacos server (3.1.0 here), ${label}`, () => {
    it.live(
      "prompts: NotSupportedError over gRPC (no handler), remembered; over HTTP (no client API); the watch too",
      () =>
        Effect.gen(function* () {
          yield* withAi(server(), (ai) =>
            Effect.gen(function* () {
              const error = yield* Effect.flip(ai.getPrompt({ key: uniqueName("prompt") }))
              expect(error).toMatchObject({ _tag: "NotSupportedError", feature: "prompts" })
              // what 3.1.0 answers a request type it has no handler for
              expect(error.message).toContain("RequestHandler Not Found")
              expect((yield* Effect.flip(ai.getPrompt({ key: "again" })))._tag).toBe("NotSupportedError")
              const watch = yield* Effect.flip(Stream.runDrain(ai.watchPrompt({ key: "watched" })))
              expect(watch._tag).toBe("NotSupportedError")
              // the AI connection still works after the server refused the unknown request type
              const name = uniqueName("after-prompt")
              yield* ai.releaseAgentCard({ card: card(name, "1.0.0"), setAsLatest: true })
              expect((yield* eventually(ai.getAgentCard({ name }))).version).toBe("1.0.0")
            })
          )
          yield* withAi(
            server(),
            (ai) =>
              Effect.gen(function* () {
                const error = yield* Effect.flip(ai.getPrompt({ key: uniqueName("prompt") }))
                expect(error).toMatchObject({ _tag: "NotSupportedError", feature: "prompts" })
                // 3.1.0 has no client AI API: a 404 without a Nacos envelope
                expect(error.message).toContain("HTTP 404 without a Nacos answer")
              }),
            { promptTransport: "http" }
          )
        }),
      90_000
    )

    it.live(
      "MCP names: the 3.1.0 server's own rule (no '.' or '/') comes back as an InvalidArgumentError naming the name",
      () =>
        withAi(server(), (ai) =>
          Effect.gen(function* () {
            const error = yield* Effect.flip(
              ai.releaseMcpServer({
                server: { name: `${uniqueName("dotted")}.v1`, protocol: "mcp-sse", versionDetail: { version: "1.0.0" } }
              })
            )
            expect(error).toMatchObject({ _tag: "InvalidArgumentError", field: "name" })
          })
        ),
      90_000
    )

    it.live(
      "skills: NotSupportedError for the ZIP, the extraction and the watch",
      () =>
        withAi(server(), (ai) =>
          Effect.gen(function* () {
            const zip = yield* Effect.flip(ai.downloadSkillZip({ name: "some-skill" }))
            expect(zip).toMatchObject({ _tag: "NotSupportedError", feature: "skills" })
            expect(zip.message).toContain("HTTP 404 without a Nacos answer")
            const watch = yield* Effect.flip(Stream.runDrain(ai.watchSkill({ name: "some-skill" })))
            expect(watch._tag).toBe("NotSupportedError")
          })
        ),
      90_000
    )

    it.live(
      "agent endpoints: another client sees a registered endpoint, its deregister, and the registering scope's close",
      () =>
        withAi(server(), (reader) =>
          Effect.gen(function* () {
            const name = uniqueName("cross")
            const endpoint = { version: "1.0.0", address: "127.0.0.1", port: 9601, path: "/a2a" }
            const url = "http://127.0.0.1:9601/a2a"
            const urls = (d: AgentCardModels.AgentCardDetail) => (d.additionalInterfaces ?? []).map((i) => i.url)
            // how long until the reader's card query shows it (queried every ~20 ms)
            const seen = (accept: (urls: ReadonlyArray<string>) => boolean) =>
              Effect.gen(function* () {
                const start = Date.now()
                yield* eventually(reader.getAgentCard({ name }).pipe(Effect.delay("20 millis")), (d) => accept(urls(d)))
                return Date.now() - start
              })
            const latencies: Array<readonly [string, number]> = []
            // the reader also watches (default 10 s re-read): endpoint changes come by the naming push
            const watched = yield* Queue.unbounded<AgentCardModels.AgentCardDetail>()
            const watchedUntil = (step: string, accept: (urls: ReadonlyArray<string>) => boolean, since: number) =>
              Effect.gen(function* () {
                while (true) {
                  const detail = yield* Queue.take(watched).pipe(
                    Effect.timeoutOrElse({
                      duration: "30 seconds",
                      orElse: () => Effect.die(`the watch never saw ${step}`)
                    })
                  )
                  if (accept(urls(detail))) return latencies.push([`watch ${step}`, Date.now() - since])
                }
              })
            yield* withAi(server(), (writer) =>
              Effect.gen(function* () {
                yield* writer.releaseAgentCard({ card: card(name, "1.0.0"), setAsLatest: true })
                yield* eventually(reader.getAgentCard({ name }))
                yield* reader.watchAgentCard({ name }).pipe(
                  Stream.runForEach((d) => Queue.offer(watched, d)),
                  Effect.forkScoped
                )
                yield* watchedUntil("first", (u) => u.length === 0, Date.now())
                let since = Date.now()
                yield* writer.registerAgentEndpoint({ name, endpoint })
                latencies.push(["register", yield* seen((u) => u.includes(url))])
                yield* watchedUntil("register", (u) => u.includes(url), since)
                since = Date.now()
                yield* writer.deregisterAgentEndpoint({ name, version: "1.0.0" })
                latencies.push(["deregister", yield* seen((u) => u.length === 0)])
                yield* watchedUntil("deregister", (u) => u.length === 0, since)
                yield* writer.registerAgentEndpoint({ name, endpoint })
                latencies.push(["register again", yield* seen((u) => u.includes(url))])
                yield* watchedUntil("register again", (u) => u.includes(url), Date.now())
              })
            )
            const closed = Date.now()
            yield* watchedUntil("scope close", (u) => u.length === 0, closed)
            // the writer's scope has closed: its endpoint went before its connection did
            latencies.push(["scope close", yield* seen((u) => u.length === 0)])
            expect((yield* reader.getAgentCard({ name })).url).toBe("http://127.0.0.1:9999/1.0.0")
            recordLatencies(`${label}, agent`, latencies)
          })
        ),
      90_000
    )

    it.live(
      "MCP endpoints: another client's watchMcpServer sees a registered endpoint and its deregister, by push",
      () =>
        withAi(server(), (reader) =>
          Effect.gen(function* () {
            const name = uniqueName("mcp-cross")
            const backends = (d: McpModels.McpServerDetail) =>
              (d.backendEndpoints ?? []).map((e) => `${e.address}:${e.port}`)
            const watched = yield* Queue.unbounded<McpModels.McpServerDetail>()
            const latencies: Array<readonly [string, number]> = []
            const watchedUntil = (step: string, accept: (d: McpModels.McpServerDetail) => boolean, since: number) =>
              Effect.gen(function* () {
                while (!accept(yield* Queue.take(watched))) {}
                latencies.push([step, Date.now() - since])
              }).pipe(
                // the reader re-reads every 10 s: sooner than that is the naming push of the serviceRef
                Effect.timeoutOrElse({ duration: "8 seconds", orElse: () => Effect.die(`the watch never saw ${step}`) })
              )
            yield* withAi(server(), (writer) =>
              Effect.gen(function* () {
                yield* writer.releaseMcpServer({ server: mcpServer(name, "1.0.0") })
                yield* eventually(reader.getMcpServer({ name }))
                yield* reader.watchMcpServer({ name }).pipe(
                  Stream.runForEach((d) => Queue.offer(watched, d)),
                  Effect.forkScoped
                )
                yield* watchedUntil("first", (d) => backends(d).length === 0, Date.now())
                // past the re-reads that follow the subscription's first answer
                yield* Effect.sleep("3500 millis")
                let since = Date.now()
                yield* writer.registerMcpServerEndpoint({ name, address: "127.0.0.1", port: 9531 })
                yield* watchedUntil("register", (d) => backends(d).includes("127.0.0.1:9531"), since)
                yield* Effect.sleep("3500 millis")
                since = Date.now()
                yield* writer.deregisterMcpServerEndpoint({ name, address: "127.0.0.1", port: 9531 })
                yield* watchedUntil("deregister", (d) => backends(d).length === 0, since)
              })
            )
            recordLatencies(`${label}, MCP`, latencies)
          })
        ),
      90_000
    )
  })
}
