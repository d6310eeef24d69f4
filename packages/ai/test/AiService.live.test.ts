/**
 * The live AiService against the fake AI server speaking the 3.2 wire: the shared behaviour suite, then what
 * only the wire shows — the connection's labels and abilities, ability gating, nothing sent for refused input,
 * the md5-conditional prompt polls, the gRPC → HTTP fallback and the HTTP mode, and a 3.1 server that has no
 * prompts or skills.
 */
import { describe, expect, it } from "@effect/vitest"
import { AiService, type PromptModels } from "@effect-nacos/ai"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Queue from "effect/Queue"
import * as Schedule from "effect/Schedule"
import * as Stream from "effect/Stream"
import { card, describeAiBehaviour, eventually, FAST_POLL, mcpServer, WAIT } from "./support/behaviour.ts"
import type { FakeAiServer } from "./support/FakeAiServer.ts"
import { fakeServer, liveLayer } from "./support/layers.ts"
import { skillZip } from "./support/zips.ts"

let current: FakeAiServer | undefined
const fake = () => {
  if (current === undefined) throw new Error("no fake server yet")
  return current
}

describeAiBehaviour("live layer on the fake 3.2 server", {
  layer: (options) =>
    Layer.unwrap(
      Effect.map(fakeServer(), ({ fake: server, target }) => {
        current = server
        return liveLayer(target, options)
      })
    ),
  registry: () => ({
    putPrompt: (prompt) => Effect.sync(() => fake().putPrompt(prompt)),
    removePrompt: (key) => Effect.sync(() => fake().removePrompt(key)),
    putSkill: (skill) => Effect.sync(() => fake().putSkill(skill)),
    removeSkill: (name) => Effect.sync(() => fake().removeSkill(name))
  })
})

/** The service on a fresh fake for one test, with the fake at hand. */
const withFake = <A, E>(
  body: (ai: AiService.Service, server: FakeAiServer) => Effect.Effect<A, E, import("effect/Scope").Scope>,
  serverOptions: ConstructorParameters<typeof FakeAiServer>[0] = {},
  serviceOptions: AiService.AiServiceOptions = {}
) =>
  Effect.gen(function* () {
    const { fake: server, target } = yield* fakeServer(serverOptions)
    // the layer lives as long as the body: its scope closes the connection
    return yield* Effect.flatMap(Effect.service(AiService.AiService), (ai) => body(ai, server)).pipe(
      Effect.provide(liveLayer(target, { promptPollSchedule: FAST_POLL, ...serviceOptions }))
    )
  })

const asRecord = (u: unknown): Record<string, unknown> =>
  typeof u === "object" && u !== null && !Array.isArray(u) ? Object.fromEntries(Object.entries(u)) : {}

describe("AiService on the wire", () => {
  it.live("opens its own connection labelled module=ai, announcing the mcp and agent abilities", () =>
    withFake((ai, server) =>
      Effect.gen(function* () {
        yield* ai.releaseAgentCard({ card: card("wire", "1.0.0"), setAsLatest: true })
        const setup = asRecord(server.received("ConnectionSetupRequest")[0]?.json)
        expect(asRecord(setup.labels)).toMatchObject({ module: "ai", source: "sdk" })
        expect(setup.abilityTable).toEqual({ mcp: true, agent: true })
        const release = asRecord(server.received("ReleaseAgentCardRequest")[0]?.json)
        expect(release).toMatchObject({
          namespaceId: "public",
          agentName: "wire",
          registrationType: "SERVICE",
          setAsLatest: true,
          agentCard: { name: "wire", version: "1.0.0", url: "http://127.0.0.1:9999/1.0.0" }
        })
      })
    )
  )

  it.live("a server without the mcp / agent abilities: NotSupportedError at once, nothing sent", () =>
    withFake(
      (ai, server) =>
        Effect.gen(function* () {
          const mcp = yield* Effect.flip(ai.getMcpServer({ name: "x" }))
          expect(mcp).toMatchObject({ _tag: "NotSupportedError", ability: "mcp" })
          const release = yield* Effect.flip(ai.releaseMcpServer({ server: mcpServer("x", "1.0.0") }))
          expect(release).toMatchObject({ _tag: "NotSupportedError", ability: "mcp" })
          const agent = yield* Effect.flip(ai.getAgentCard({ name: "x" }))
          expect(agent).toMatchObject({ _tag: "NotSupportedError", ability: "agent" })
          const releaseCard = yield* Effect.flip(ai.releaseAgentCard({ card: card("x", "1.0.0"), setAsLatest: true }))
          expect(releaseCard).toMatchObject({ _tag: "NotSupportedError", ability: "agent" })
          for (const type of [
            "QueryMcpServerRequest",
            "ReleaseMcpServerRequest",
            "QueryAgentCardRequest",
            "ReleaseAgentCardRequest"
          ]) {
            expect(server.received(type)).toHaveLength(0)
          }
        }),
      { abilities: { fuzzyWatch: true } }
    )
  )

  it.live("refused input never reaches the server", () =>
    withFake((ai, server) =>
      Effect.gen(function* () {
        yield* Effect.flip(ai.releaseAgentCard({ card: card("x".repeat(65), "1.0.0"), setAsLatest: true }))
        yield* Effect.flip(ai.releaseAgentCard({ card: card("agent-ü", "1.0.0"), setAsLatest: true }))
        yield* Effect.flip(ai.releaseAgentCard({ card: card("ok", "1.0.0", { url: "" }), setAsLatest: true }))
        yield* Effect.flip(ai.getPrompt({ key: " " }))
        expect(server.received("ReleaseAgentCardRequest")).toHaveLength(0)
        expect(server.received("QueryAgentCardRequest")).toHaveLength(0)
        expect(server.received("QueryPromptRequest")).toHaveLength(0)
      })
    )
  )

  it.live("a re-release is checked by a query first and never sent", () =>
    withFake((ai, server) =>
      Effect.gen(function* () {
        yield* ai.releaseAgentCard({ card: card("again", "1.0.0"), setAsLatest: true })
        expect(
          (yield* Effect.flip(ai.releaseAgentCard({ card: card("again", "1.0.0"), setAsLatest: true })))._tag
        ).toBe("ConflictError")
        expect(server.received("ReleaseAgentCardRequest")).toHaveLength(1)
      })
    )
  )

  it.live("prompt polls send the md5 held; an unchanged prompt is answered 'not modified' and emits nothing", () =>
    withFake((ai, server) =>
      Effect.gen(function* () {
        server.putPrompt({ key: "p", version: "1.0.0", template: "one" })
        const events = yield* Queue.unbounded<PromptModels.PromptEvent>()
        yield* ai.watchPrompt({ key: "p" }).pipe(
          Stream.runForEach((e) => Queue.offer(events, e)),
          Effect.forkScoped
        )
        const first = yield* Queue.take(events)
        const heldMd5 = first._tag === "Changed" ? first.prompt.md5 : undefined
        expect(heldMd5).toBe(server.prompts.get("p")?.versions.get("1.0.0")?.md5)
        yield* Effect.promise(() => server.nacos.awaitReceived("QueryPromptRequest", 4))
        const polls = server.received("QueryPromptRequest").map((r) => asRecord(r.json))
        expect(polls[0]?.md5).toBeUndefined()
        for (const poll of polls.slice(1))
          expect(poll).toMatchObject({ promptKey: "p", namespaceId: "public", md5: heldMd5 })
        expect(yield* Queue.size(events)).toBe(0)
      })
    )
  )

  it.live(
    "getPrompt goes over HTTP once gRPC is down (the fallback schedule), as the 3.2 client's HTTP proxy does",
    () =>
      withFake(
        (ai, server) =>
          Effect.gen(function* () {
            server.putPrompt({ key: "fb", version: "1.0.0", template: "over {{what}}", labels: ["gray"] })
            expect((yield* ai.getPrompt({ key: "fb" })).template).toBe("over {{what}}")
            expect(server.httpRequests).toHaveLength(0)
            yield* Effect.promise(() => server.nacos.stop())
            const prompt = yield* eventually(ai.getPrompt({ key: "fb", label: "gray" }))
            expect(prompt.version).toBe("1.0.0")
            const request = server.httpRequests.find((r) => r.path === "/nacos/v3/client/ai/prompt")
            expect(request?.query.get("promptKey")).toBe("fb")
            expect(request?.query.get("label")).toBe("gray")
            expect(request?.query.get("namespaceId")).toBe("public")
          }),
        {},
        { promptHttpFallback: Schedule.recurs(0) }
      )
  )

  it.live("promptTransport http: prompts never use gRPC; the HTTP poll is md5-conditional (304)", () =>
    withFake(
      (ai, server) =>
        Effect.gen(function* () {
          server.putPrompt({ key: "h", version: "1.0.0", template: "one" })
          const events = yield* Queue.unbounded<PromptModels.PromptEvent>()
          yield* ai.watchPrompt({ key: "h" }).pipe(
            Stream.runForEach((e) => Queue.offer(events, e)),
            Effect.forkScoped
          )
          expect(yield* Queue.take(events)).toMatchObject({ _tag: "Changed", prompt: { template: "one" } })
          yield* eventually(
            Effect.sync(() => server.httpRequests.length),
            (n) => n >= 3
          )
          expect(server.httpRequests[1]?.query.get("md5")).toBe(server.prompts.get("h")?.versions.get("1.0.0")?.md5)
          server.putPrompt({ key: "h", version: "1.0.1", template: "two" })
          expect(yield* Queue.take(events)).toMatchObject({ _tag: "Changed", prompt: { template: "two" } })
          expect(server.received("QueryPromptRequest")).toHaveLength(0)
        }),
      {},
      { promptTransport: "http" }
    )
  )

  it.live("skills download over HTTP with namespace, name, version and label as the 3.2 client sends them", () =>
    withFake((ai, server) =>
      Effect.gen(function* () {
        server.putSkill({ name: "s", version: "1.0.0", zip: skillZip("s", "# s"), labels: ["stable"] })
        const archive = yield* ai.downloadSkillZip({ name: "s", label: "stable" })
        expect(archive.zip).toEqual(skillZip("s", "# s"))
        const request = server.httpRequests.find((r) => r.path === "/nacos/v3/client/ai/skills")
        expect(Object.fromEntries(request?.query ?? [])).toEqual({ namespaceId: "public", name: "s", label: "stable" })
      })
    )
  )

  it.live(
    "a 3.1-like server (no prompt handler, no client AI API): NotSupportedError, remembered for the session",
    () =>
      withFake(
        (ai, server) =>
          Effect.gen(function* () {
            const first = yield* Effect.flip(ai.getPrompt({ key: "p" }))
            expect(first).toMatchObject({ _tag: "NotSupportedError", feature: "prompts" })
            const second = yield* Effect.flip(ai.getPrompt({ key: "p" }))
            expect(second._tag).toBe("NotSupportedError")
            expect(server.received("QueryPromptRequest")).toHaveLength(1)
            const watch = yield* Effect.flip(Stream.runDrain(ai.watchPrompt({ key: "p" })))
            expect(watch._tag).toBe("NotSupportedError")
            const skill = yield* Effect.flip(ai.downloadSkillZip({ name: "s" }))
            expect(skill).toMatchObject({ _tag: "NotSupportedError", feature: "skills" })
            const skillWatch = yield* Effect.flip(Stream.runDrain(ai.watchSkill({ name: "s" })))
            expect(skillWatch._tag).toBe("NotSupportedError")
          }),
        { servesPrompts: false }
      )
  )

  it.live("a 3.1-like server in HTTP mode: the prompt API's 404 is NotSupportedError too", () =>
    withFake(
      (ai) =>
        Effect.gen(function* () {
          const error = yield* Effect.flip(ai.getPrompt({ key: "p" }))
          expect(error).toMatchObject({ _tag: "NotSupportedError", feature: "prompts" })
        }),
      { servesPrompts: false },
      { promptTransport: "http" }
    )
  )

  it.live("a watch survives a failing poll: the next poll after the server is back delivers the change", () =>
    withFake(
      (ai, server) =>
        Effect.gen(function* () {
          server.putSkill({ name: "w", version: "1.0.0", zip: skillZip("w", "# one") })
          const events = yield* Queue.unbounded<unknown>()
          yield* ai.watchSkill({ name: "w" }).pipe(
            Stream.runForEach((e) => Queue.offer(events, e)),
            Effect.forkScoped
          )
          yield* Queue.take(events)
          // a damaged archive fails the poll (logged), not the watch
          server.putSkill({ name: "w", version: "1.0.1", zip: new Uint8Array([1, 2, 3]) })
          const polled = server.httpRequests.length
          yield* eventually(
            Effect.sync(() => server.httpRequests.length),
            (n) => n >= polled + 2
          )
          server.putSkill({ name: "w", version: "1.0.2", zip: skillZip("w", "# three") })
          const next = yield* Queue.take(events).pipe(
            Effect.timeoutOrElse({ duration: WAIT, orElse: () => Effect.die("none") })
          )
          expect(next).toMatchObject({ _tag: "Changed", skill: { zip: skillZip("w", "# three") } })
        }),
      {},
      { skillPollSchedule: FAST_POLL }
    )
  )

  it.live(
    "agent and MCP endpoints on the wire: AgentEndpointRequest / McpServerEndpointRequest as 3.1.0 has them",
    () =>
      withFake((ai, server) =>
        Effect.gen(function* () {
          yield* ai.registerAgentEndpoint({
            name: "ep",
            endpoint: { version: "1.0.0", address: "10.0.0.1", port: 8080 }
          })
          yield* ai.deregisterAgentEndpoint({ name: "ep", version: "1.0.0" })
          const [register, deregister] = server.received("AgentEndpointRequest").map((r) => asRecord(r.json))
          expect(register).toMatchObject({
            namespaceId: "public",
            agentName: "ep",
            type: "registerEndpoint",
            endpoint: {
              version: "1.0.0",
              address: "10.0.0.1",
              port: 8080,
              transport: "JSONRPC",
              path: "",
              supportTls: false
            }
          })
          expect(deregister).toMatchObject({
            agentName: "ep",
            type: "deregisterEndpoint",
            endpoint: { version: "1.0.0" }
          })
          yield* ai.releaseMcpServer({ server: mcpServer("m", "1.0.0") })
          yield* ai.registerMcpServerEndpoint({ name: "m", address: "10.0.0.2", port: 9090, version: "1.0.0" })
          yield* ai.deregisterMcpServerEndpoint({ name: "m", address: "10.0.0.2", port: 9090 })
          const [mcpRegister, mcpDeregister] = server.received("McpServerEndpointRequest").map((r) => asRecord(r.json))
          expect(mcpRegister).toEqual(
            expect.objectContaining({
              namespaceId: "public",
              mcpName: "m",
              address: "10.0.0.2",
              port: 9090,
              version: "1.0.0",
              type: "registerEndpoint"
            })
          )
          expect(mcpDeregister).toMatchObject({
            mcpName: "m",
            address: "10.0.0.2",
            port: 9090,
            type: "deregisterEndpoint"
          })
          expect(mcpDeregister).not.toHaveProperty("version")
        })
      )
  )

  it.live("several transports on a 3.1 server (no batch handler): NotSupportedError naming the batch feature", () =>
    withFake((ai, server) =>
      Effect.gen(function* () {
        const error = yield* Effect.flip(
          ai.registerAgentEndpoints({
            name: "multi",
            endpoints: [
              { version: "1.0.0", address: "10.0.0.1", port: 8080, transport: "JSONRPC" },
              { version: "1.0.0", address: "10.0.0.1", port: 8081, transport: "HTTP+JSON" }
            ]
          })
        )
        expect(error).toMatchObject({ _tag: "NotSupportedError", feature: "batch agent endpoints" })
        const batch = asRecord(server.received("BatchAgentEndpointRequest")[0]?.json)
        expect(batch).toMatchObject({ agentName: "multi", type: "batchRegisterEndpoint" })
        expect(Array.isArray(batch.endpoints) && batch.endpoints.length).toBe(2)
      })
    )
  )

  it.live("closing the layer's scope deregisters its endpoints before the connection closes", () =>
    Effect.gen(function* () {
      const { fake: server, target } = yield* fakeServer()
      yield* Effect.flatMap(Effect.service(AiService.AiService), (ai) =>
        Effect.gen(function* () {
          yield* ai.registerAgentEndpoint({
            name: "owned",
            endpoint: { version: "1.0.0", address: "10.0.0.1", port: 1 }
          })
          yield* ai.releaseMcpServer({ server: mcpServer("owned-mcp", "1.0.0") })
          yield* ai.registerMcpServerEndpoint({ name: "owned-mcp", address: "10.0.0.1", port: 2 })
        })
      ).pipe(Effect.provide(liveLayer(target)))
      const types = (t: string) => server.received(t).map((r) => asRecord(r.json).type)
      expect(types("AgentEndpointRequest")).toEqual(["registerEndpoint", "deregisterEndpoint"])
      expect(types("McpServerEndpointRequest")).toEqual(["registerEndpoint", "deregisterEndpoint"])
      expect(server.agentEndpoints.get("owned::1.0.0")?.size).toBe(0)
      expect(server.mcpEndpoints.get("owned-mcp::1.0.0")?.size).toBe(0)
    })
  )

  it.live("registered endpoints are published again after a reconnect; a deregistered one is not", () =>
    withFake((ai, server) =>
      Effect.gen(function* () {
        yield* ai.registerAgentEndpoint({ name: "kept", endpoint: { version: "1.0.0", address: "10.0.0.1", port: 1 } })
        yield* ai.registerAgentEndpoint({ name: "gone", endpoint: { version: "1.0.0", address: "10.0.0.1", port: 2 } })
        yield* ai.deregisterAgentEndpoint({ name: "gone", version: "1.0.0" })
        yield* ai.releaseMcpServer({ server: mcpServer("kept-mcp", "1.0.0") })
        yield* ai.registerMcpServerEndpoint({ name: "kept-mcp", address: "10.0.0.1", port: 3 })
        const before = server.received("AgentEndpointRequest").length
        // the old connection's endpoints go with it on the server
        for (const connection of server.nacos.connections) server.dropEndpointsOf(connection.peer)
        server.nacos.dropStreams()
        yield* Effect.promise(() => server.nacos.awaitReceived("AgentEndpointRequest", before + 1))
        yield* Effect.promise(() => server.nacos.awaitReceived("McpServerEndpointRequest", 2))
        const redone = server
          .received("AgentEndpointRequest")
          .slice(before)
          .map((r) => asRecord(r.json))
        expect(redone).toHaveLength(1)
        expect(redone[0]).toMatchObject({ agentName: "kept", type: "registerEndpoint", endpoint: { port: 1 } })
        yield* eventually(
          Effect.sync(() => server.agentEndpoints.get("kept::1.0.0")?.size ?? 0),
          (n) => n === 1
        )
        // the card query sees it again
        yield* ai.releaseAgentCard({ card: card("kept", "1.0.0"), setAsLatest: true })
        expect((yield* ai.getAgentCard({ name: "kept" })).url).toBe("http://10.0.0.1:1")
      })
    )
  )

  it.live(
    "watchAgentCard follows the version's endpoints by a naming subscription (agent-endpoints, encoded name)",
    () =>
      withFake((ai, server) =>
        Effect.gen(function* () {
          yield* ai.releaseAgentCard({ card: card("feas agent 545", "1.0.0"), setAsLatest: true })
          yield* ai.watchAgentCard({ name: "feas agent 545" }).pipe(Stream.runDrain, Effect.forkScoped)
          const subscribe = yield* Effect.promise(() => server.nacos.awaitReceived("SubscribeServiceRequest"))
          // the encoding the 3.1.0 server showed for this name (verified reference §7)
          expect(asRecord(subscribe.json)).toMatchObject({
            groupName: "agent-endpoints",
            serviceName: "____:feas_032agent_032_053_052_053::1.0.0",
            subscribe: true
          })
          expect(asRecord(server.received("ConnectionSetupRequest").at(-1)?.json).labels).toMatchObject({
            module: "naming"
          })
        })
      )
  )
})
