/**
 * Serves an `@modelcontextprotocol/sdk` server over streamable HTTP and registers it in Nacos once its HTTP server
 * is listening: the tools it lists, its endpoint; closing the scope deregisters the endpoint first, then closes the
 * HTTP server.
 *
 * The transport is the SDK's stateless one (no session id): every POST is served by a fresh server from the
 * factory, so any endpoint of the server can answer any request and a client may move between endpoints. GET and
 * DELETE (the stateful session streams) answer 405, as the SDK's stateless example does.
 *
 * @since 0.1.0
 * @module
 */
import * as http from "node:http"
import * as os from "node:os"
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import type * as Schedule from "effect/Schedule"
import type * as Scope from "effect/Scope"
import type { AiService } from "../AiService.ts"
import { type BackgroundRegistration, registerInBackground } from "./McpServerRegistration.ts"
import { listTools, type McpServerFactory } from "./McpTools.ts"

/**
 * @category models
 * @since 0.1.0
 */
export interface ServeOptions {
  /** The MCP server's name in Nacos (3.1.0: letters, digits, `-` and `_`, at most 64). */
  readonly name: string
  /** The version released and served. */
  readonly version: string
  readonly description?: string | undefined
  /** Builds the SDK server (called for the tool list and for every request). */
  readonly createServer: McpServerFactory
  /** The interface to listen on (default `0.0.0.0`). */
  readonly host?: string | undefined
  /** The port to listen on (default 0: any free port; the one bound is published). */
  readonly port?: number | undefined
  /** The streamable HTTP path (default `/mcp`). */
  readonly path?: string | undefined
  /**
   * The address published in Nacos: default the listening host when it is a specific one, else the machine's first
   * non-loopback IPv4 address (127.0.0.1 when it has none).
   */
  readonly address?: string | undefined
  /** How failed registrations are retried (default `AiPolicy.registrationRetry`). */
  readonly retry?: Schedule.Schedule<unknown> | undefined
}

/**
 * The HTTP server could not listen (port taken, bad host).
 *
 * @category errors
 * @since 0.1.0
 */
export class ListenError extends Data.TaggedError("ListenError")<{
  readonly message: string
  readonly cause?: unknown
}> {}

/**
 * A server that is listening, and its registration going on in the background.
 *
 * @category models
 * @since 0.1.0
 */
export interface RunningMcpServer {
  /** The endpoint as published: `http://address:port/path`. */
  readonly url: string
  readonly address: string
  /** The port bound. */
  readonly port: number
  readonly path: string
  readonly httpServer: http.Server
  readonly registration: BackgroundRegistration
}

/** The machine's first non-loopback IPv4 address. */
const firstExternalIpv4 = (): string | undefined =>
  Object.values(os.networkInterfaces())
    .flatMap((addresses) => addresses ?? [])
    .find((address) => address.family === "IPv4" && !address.internal)?.address

const WILDCARDS = new Set(["0.0.0.0", "::", ""])

/** What a refused method answers (JSON-RPC error, as the SDK's stateless example). */
const refuse = (res: http.ServerResponse, status: number, message: string) => {
  res.writeHead(status, { "content-type": "application/json", ...(status === 405 ? { allow: "POST" } : {}) })
  res.end(JSON.stringify({ jsonrpc: "2.0", error: { code: -32000, message }, id: null }))
}

/**
 * Listens, then registers in the background (the server serves whatever Nacos does); answers once listening.
 *
 * **Gotchas**: the `AiService` must outlive this scope (provide its layer around the whole program, not around
 * `serve` alone: a layer provided to `serve` itself closes its connection as soon as `serve` answers).
 *
 * @example
 * ```ts
 * import { AiService } from "@effect-nacos/ai"
 * import { McpHttpServer } from "@effect-nacos/ai/mcp"
 * import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js"
 * import { Effect } from "effect"
 * import * as z from "zod"
 *
 * const createServer = () => {
 *   const server = new McpServer({ name: "weather", version: "1.0.0" })
 *   server.registerTool(
 *     "forecast",
 *     { description: "the forecast for a city", inputSchema: { city: z.string() } },
 *     async ({ city }) => ({ content: [{ type: "text", text: `sunny in ${city}` }] })
 *   )
 *   return server
 * }
 *
 * const program = Effect.scoped(
 *   Effect.gen(function* () {
 *     const running = yield* McpHttpServer.serve({ name: "weather", version: "1.0.0", createServer, port: 3000 })
 *     yield* running.registration.awaitRegistered
 *     yield* Effect.never
 *   })
 * ).pipe(Effect.provide(AiService.layerMemory()))
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const serve = Effect.fnUntraced(function* (
  options: ServeOptions
): Effect.fn.Return<RunningMcpServer, ListenError, AiService | Scope.Scope> {
  const path = options.path ?? "/mcp"
  const host = options.host ?? "0.0.0.0"
  const context = yield* Effect.context<never>()
  const report = (message: string) => Effect.runForkWith(context)(Effect.logWarning(message))

  const handle = (req: http.IncomingMessage, res: http.ServerResponse) => {
    if (new URL(req.url ?? "/", "http://localhost").pathname !== path) return refuse(res, 404, "Not found.")
    if (req.method !== "POST") return refuse(res, 405, "Method not allowed.")
    void (async () => {
      const server = await options.createServer()
      // no session id: stateless
      const transport = new StreamableHTTPServerTransport({})
      res.on("close", () => {
        void transport.close()
        void server.close()
      })
      await server.connect(transport)
      await transport.handleRequest(req, res)
    })().catch((error: unknown) => {
      report(`MCP server ${options.name}: a request failed: ${String(error)}`)
      if (!res.headersSent) refuse(res, 500, "Internal server error.")
    })
  }

  const httpServer = yield* Effect.acquireRelease(
    Effect.callback<http.Server, ListenError>((resume) => {
      const server = http.createServer(handle)
      server.once("error", (cause) =>
        resume(
          Effect.fail(new ListenError({ message: `cannot listen on ${host}:${options.port ?? 0}: ${cause}`, cause }))
        )
      )
      server.listen(options.port ?? 0, host, () => resume(Effect.succeed(server)))
    }),
    (server) =>
      Effect.callback<void>((resume) => {
        server.close(() => resume(Effect.void))
        // idle keep-alive connections would hold close() open
        server.closeAllConnections()
      })
  )
  const bound = httpServer.address()
  const port = typeof bound === "object" && bound !== null ? bound.port : (options.port ?? 0)
  const address = options.address ?? (WILDCARDS.has(host) ? (firstExternalIpv4() ?? "127.0.0.1") : host)
  // listening now: the registration starts (its finalizer, deregistering, runs before the HTTP server closes)
  const registration = yield* registerInBackground({
    name: options.name,
    version: options.version,
    description: options.description,
    tools: listTools(options.createServer),
    address,
    port,
    path,
    retry: options.retry
  })
  const hostPart = address.includes(":") ? `[${address}]` : address
  return { url: `http://${hostPart}:${port}${path}`, address, port, path, httpServer, registration }
})
