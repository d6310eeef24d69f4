/**
 * An `@modelcontextprotocol/sdk` MCP server that registers itself in Nacos — the Effect way. It serves over
 * streamable HTTP, registers its tools and endpoint in the background once listening (startup never waits for
 * Nacos), finds itself through the registry by name, lists its tools and calls one, then closes: the endpoint is
 * deregistered before the HTTP server stops.
 *
 *   npm run example -- examples/mcp-server.ts                                # in memory (no server needed)
 *   NACOS_SERVER_ADDR=127.0.0.1:8848 npm run example -- examples/mcp-server.ts   # Nacos 3.1+
 */

import { AiService } from "@effect-nacos/ai"
import { EndpointSelector, McpClient, McpHttpServer } from "@effect-nacos/ai/mcp"
import { Nacos } from "@effect-nacos/core"
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js"
import { Effect, Layer, Stream, SubscriptionRef } from "effect"
import * as z from "zod"

const serverAddr = process.env.NACOS_SERVER_ADDR?.trim() ?? ""
const store = AiService.makeMemoryStore()

// the AiService the server and the client use (one connection; it outlives the served server's scope)
const registry: Layer.Layer<AiService.AiService> =
  serverAddr === ""
    ? AiService.layerMemory({ store })
    : AiService.layer.pipe(Layer.provide(Nacos.layer({ serverAddr })), Layer.orDie)

// the SDK server; the stateless transport builds one per request
const createServer = () => {
  const server = new McpServer({ name: "weather", version: "1.0.0" })
  server.registerTool(
    "forecast",
    { description: "the forecast for a city", inputSchema: { city: z.string().describe("the city") } },
    async ({ city }) => ({ content: [{ type: "text", text: `sunny in ${city}` }] })
  )
  return server
}

const name = `example-weather-${Date.now()}`

const program = Effect.gen(function* () {
  yield* Effect.log(
    serverAddr === ""
      ? "NACOS_SERVER_ADDR is not set: running on the in-memory AiService (AiService.layerMemory())"
      : `running on the Nacos server at ${serverAddr}`
  )
  const running = yield* McpHttpServer.serve({
    name,
    version: "1.0.0",
    description: "forecasts",
    createServer,
    host: "127.0.0.1"
  })
  yield* Effect.log(`listening at ${running.url}; registering in the background`)
  yield* SubscriptionRef.changes(running.registration.status).pipe(
    Stream.runForEach((status) => Effect.log(`registration: ${status._tag}`)),
    Effect.forkScoped
  )
  yield* running.registration.awaitRegistered

  // a client finds the server by name in Nacos and connects to one of its endpoints
  const client = yield* McpClient.connect({ name, selector: EndpointSelector.roundRobin() })
  const tools = yield* client.listTools
  yield* Effect.log(`found ${name} through the registry; tools: ${tools.map((tool) => tool.name).join(", ")}`)
  const answer = yield* client.callTool("forecast", { city: "Hangzhou" })
  yield* Effect.log(`forecast: ${JSON.stringify(answer.content)}`)
})

// closing the scope: the client disconnects, the endpoint is deregistered, the HTTP server stops; then the
// AiService closes its connection
Effect.runPromise(Effect.scoped(program).pipe(Effect.provide(registry))).then(
  () => process.exit(0),
  (error) => {
    console.error(error)
    process.exit(1)
  }
)
