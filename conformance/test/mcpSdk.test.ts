/**
 * `@effect-nacos/ai/mcp` against the real Nacos server (3.1.0 here), no mocks of the SDK: real
 * `@modelcontextprotocol/sdk` servers over streamable HTTP register themselves (tools and endpoint) once
 * listening, real SDK clients find them by name through Nacos, list their tools and call them; endpoints follow
 * the servers' lives. Each participant has its own AiService (its own connection), as separate processes would.
 *
 * With NACOS_MCP_LATENCY_FILE set, the measured latencies are appended to that file.
 */
import { appendFileSync } from "node:fs"
import { describe, expect, it } from "@effect/vitest"
import { AiService } from "@effect-nacos/ai"
import { EndpointSelector, McpClient, McpHttpServer, McpTools, type RegistrationStatus } from "@effect-nacos/ai/mcp"
import { Client } from "@modelcontextprotocol/sdk/client/index.js"
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Schedule from "effect/Schedule"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import * as SubscriptionRef from "effect/SubscriptionRef"
import { eventually, sdkServer, textOf, uniqueMcpName } from "../../packages/ai/test/mcp/support/sdkServers.ts"
import { grpcProxyFor } from "../cuttingProxy.ts"
import { type ConformanceServer, nacosLayer, type Overrides, servers } from "../support.ts"

/** A participant's own AiService (its own connection), built into `scope`. */
const aiIn = (scope: Scope.Scope, server: ConformanceServer, overrides: Overrides = {}) =>
  Layer.buildWithScope(
    AiService.layerWith({ mcpServerPollSchedule: Schedule.spaced("2 seconds") }).pipe(
      Layer.provide(nacosLayer(server, overrides)),
      Layer.orDie
    ),
    scope
  )

/** An SDK server served and registered in a scope of its own (closed by `close`, else with the test's), over `ai`. */
const startServer = (ai: Context.Context<AiService.AiService>, name: string, replica: string) =>
  Effect.gen(function* () {
    const scope = yield* Scope.fork(yield* Effect.scope, "sequential")
    const running = yield* McpHttpServer.serve({
      name,
      version: "1.0.0",
      description: `test server ${name}`,
      createServer: sdkServer(replica),
      host: "127.0.0.1"
    }).pipe(Effect.provideContext(ai), Scope.provide(scope))
    return { running, close: Scope.close(scope, Exit.void) }
  })

/** Registered, else (within 30 s) the test dies with the status it is stuck at. */
const registered = (running: McpHttpServer.RunningMcpServer) =>
  running.registration.awaitRegistered.pipe(
    Effect.timeoutOrElse({
      duration: "30 seconds",
      orElse: () =>
        Effect.flatMap(SubscriptionRef.get(running.registration.status), (status) =>
          Effect.die(`not registered within 30 s: ${JSON.stringify(status)}`)
        )
    })
  )

const latencies: Array<string> = []
const record = (label: string, step: string, since: number) =>
  latencies.push(`${label}: ${step} ${Date.now() - since} ms`)
const flush = () => {
  const file = process.env.NACOS_MCP_LATENCY_FILE
  if (file !== undefined && latencies.length > 0) appendFileSync(file, `${latencies.splice(0).join("\n")}\n`)
}

const toolView = (tool: { readonly name: string; readonly description?: unknown; readonly inputSchema?: unknown }) => ({
  name: tool.name,
  description: tool.description,
  inputSchema: tool.inputSchema
})

for (const [label, pick] of [
  ["auth off", (s: ReturnType<typeof servers>) => s.authOff],
  ["auth on", (s: ReturnType<typeof servers>) => s.authOn]
] as const) {
  const server = () => pick(servers())

  describe(`@effect-nacos/ai/mcp on the real Nacos server (3.1.0 here), ${label}`, () => {
    it.live(
      "an SDK server registers once listening; a client finds it by name, lists its tools and calls one; the " +
        "released tool list is the SDK server's",
      () =>
        Effect.gen(function* () {
          const name = uniqueMcpName("sdk")
          const outer = yield* Effect.scope
          const serverSide = yield* aiIn(outer, server())
          const reader = Context.get(yield* aiIn(outer, server()), AiService.AiService)
          const started = Date.now()
          const { running } = yield* startServer(serverSide, name, "only")
          const seen: Array<RegistrationStatus.RegistrationStatus> = []
          yield* SubscriptionRef.changes(running.registration.status).pipe(
            Stream.runForEach((status) => Effect.sync(() => seen.push(status))),
            Effect.forkScoped
          )
          // listening before Nacos knows: the SDK serves it directly
          const direct = new Client({ name: "direct", version: "1.0.0" })
          yield* Effect.promise(() => direct.connect(new StreamableHTTPClientTransport(new URL(running.url))))
          expect(textOf(yield* Effect.promise(() => direct.callTool({ name: "add", arguments: { a: 2, b: 3 } })))).toBe(
            "5"
          )
          yield* Effect.promise(() => direct.close())

          yield* registered(running)
          record(label, "serve → Registered", started)
          expect(yield* SubscriptionRef.get(running.registration.status)).toEqual({
            _tag: "Registered",
            attempt: 1,
            urls: [running.url]
          })
          expect(seen.map((status) => status._tag)).toContain("Registered")

          // as the server stores it: streamable HTTP, the path clients use, the endpoint
          const detail = yield* eventually(reader.getMcpServer({ name }), (d) => (d.backendEndpoints ?? []).length > 0)
          expect(detail).toMatchObject({
            name,
            protocol: "mcp-streamable",
            frontProtocol: "mcp-streamable",
            description: `test server ${name}`,
            versionDetail: { version: "1.0.0", is_latest: true },
            remoteServerConfig: { exportPath: "/mcp", serviceRef: { groupName: "mcp-endpoints" } }
          })
          expect(detail.backendEndpoints).toEqual([{ address: "127.0.0.1", port: running.port, path: "/mcp" }])
          // the released tools are exactly what the SDK server lists
          const sdkTools = yield* McpTools.listTools(sdkServer("only"))
          expect(sdkTools.map((tool) => tool.name).sort()).toEqual(["add", "echo", "whoami"])
          expect((detail.toolSpec?.tools ?? []).map(toolView)).toEqual(sdkTools.map(toolView))

          // a client of its own finds it by name and calls a tool
          const discovered = Date.now()
          const client = yield* McpClient.connect({ name }).pipe(
            Effect.provideContext(yield* aiIn(yield* Effect.scope, server()))
          )
          const listed = yield* client.listTools
          record(label, "connect + tools/list through Nacos", discovered)
          expect(listed.map((tool) => tool.name).sort()).toEqual(["add", "echo", "whoami"])
          expect(listed.find((tool) => tool.name === "echo")?.description).toBe("answers the text it is given")
          const called = Date.now()
          expect(textOf(yield* client.callTool("echo", { text: "hello nacos" }))).toBe("hello nacos")
          record(label, "tools/call", called)
          expect((yield* client.current)?.url).toBe(running.url)
          flush()
        }),
      90_000
    )

    it.live(
      "two servers → two endpoints, both chosen; closing one → the client stops choosing it; closing the other's " +
        "scope leaves no endpoint while its connection lives on",
      () =>
        Effect.gen(function* () {
          const name = uniqueMcpName("pair")
          const outer = yield* Effect.scope
          const reader = Context.get(yield* aiIn(outer, server()), AiService.AiService)
          const first = yield* startServer(yield* aiIn(outer, server()), name, "first")
          yield* registered(first.running)
          const second = yield* startServer(yield* aiIn(outer, server()), name, "second")
          yield* registered(second.running)

          const client = yield* McpClient.connect({ name, selector: EndpointSelector.roundRobin() }).pipe(
            Effect.provideContext(yield* aiIn(outer, server()))
          )
          yield* eventually(SubscriptionRef.get(client.endpoints), (list) => list.length === 2)
          expect((yield* SubscriptionRef.get(client.endpoints)).map((e) => e.port).sort()).toEqual(
            [first.running.port, second.running.port].sort()
          )
          // round robin: each call that finds the connection dropped picks the other; use() always on the current
          const who = client.callTool("whoami").pipe(Effect.map(textOf))
          expect(yield* who).toMatch(/^(first|second)$/)
          const answeredFirst = (yield* client.current)?.port === first.running.port
          // close the one the client is connected to: its next call must go to the other
          const [gone, staying] = answeredFirst ? [first, second] : [second, first]
          const closed = Date.now()
          yield* gone.close
          expect(yield* who).toBe(staying === first ? "first" : "second")
          record(label, "call after one server closed (moved to the other)", closed)
          // Nacos drops the endpoint: the client's list follows (pushed), and it never chooses it again
          yield* eventually(SubscriptionRef.get(client.endpoints), (list) => list.length === 1, "30 seconds")
          record(label, "client's endpoint list without the closed server", closed)
          expect((yield* SubscriptionRef.get(client.endpoints))[0]?.port).toBe(staying.running.port)
          for (let i = 0; i < 4; i++) expect(yield* who).toBe(staying === first ? "first" : "second")

          // the other's scope closes while its AiService (connection) lives on: our deregister removed it
          const closedAll = Date.now()
          yield* staying.close
          yield* eventually(reader.getMcpServer({ name }), (d) => (d.backendEndpoints ?? []).length === 0, "30 seconds")
          record(label, "no endpoint left on the server after the last scope closed", closedAll)
          const error = yield* Effect.flip(who)
          expect(error._tag).toBe("NoEndpointError")
          flush()
        }),
      120_000
    )
  })
}

describe("@effect-nacos/ai/mcp: Nacos unreachable at startup", () => {
  it.live(
    "the server starts and serves; the status shows Failed and retrying; once Nacos is reachable it registers by itself",
    () =>
      Effect.gen(function* () {
        const outer = yield* Effect.scope
        const target = servers().authOff
        // gRPC through a proxy that is cut: no Nacos connection can be made
        const { proxy, portOffset } = yield* grpcProxyFor(target)
        yield* Effect.promise(() => proxy.cut())
        const ai = yield* aiIn(outer, target, { grpc: { portOffset, timeoutMillis: 1000 } })
        const reader = Context.get(yield* aiIn(outer, target), AiService.AiService)
        const name = uniqueMcpName("late")
        const scope = yield* Scope.fork(outer, "sequential")
        const running = yield* McpHttpServer.serve({
          name,
          version: "1.0.0",
          createServer: sdkServer("alone"),
          host: "127.0.0.1",
          retry: Schedule.spaced("500 millis").pipe(Schedule.upTo({ times: 120 }))
        }).pipe(Effect.provideContext(ai), Scope.provide(scope))
        // it serves while Nacos is out of reach
        const direct = new Client({ name: "direct", version: "1.0.0" })
        yield* Effect.promise(() => direct.connect(new StreamableHTTPClientTransport(new URL(running.url))))
        expect(textOf(yield* Effect.promise(() => direct.callTool({ name: "whoami" })))).toBe("alone")
        yield* Effect.promise(() => direct.close())
        const failed = yield* eventually(
          SubscriptionRef.get(running.registration.status),
          (status) => status._tag === "Failed",
          "30 seconds"
        )
        expect(failed).toMatchObject({ _tag: "Failed", retrying: true })
        // Nacos comes back: the next attempt registers, and other clients see the endpoint
        const restored = Date.now()
        yield* Effect.promise(() => proxy.restore())
        yield* registered(running)
        record("auth off", "Registered after Nacos came back", restored)
        const detail = yield* eventually(reader.getMcpServer({ name }), (d) => (d.backendEndpoints ?? []).length === 1)
        expect(detail.backendEndpoints?.[0]?.port).toBe(running.port)
        yield* Scope.close(scope, Exit.void)
        yield* eventually(reader.getMcpServer({ name }), (d) => (d.backendEndpoints ?? []).length === 0, "30 seconds")
        flush()
      }),
    90_000
  )
})
