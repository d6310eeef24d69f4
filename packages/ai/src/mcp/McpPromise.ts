/**
 * The MCP glue for code that does not use Effect: `serveMcpServer` and `connectMcpClient` answer Promises and
 * objects with a `close()`. Each builds its own client stack (one `AiService` connection): from `nacos` options,
 * else from the `NACOS_*` environment (`Nacos.layerConfig`), or the `layer` given (e.g. `AiService.layerMemory()`).
 *
 * @since 0.1.0
 * @module
 */

import { Nacos, type NacosOptions } from "@effect-nacos/core"
import type { Client } from "@modelcontextprotocol/sdk/client/index.js"
import type { CallToolResult, Tool } from "@modelcontextprotocol/sdk/types.js"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import * as SubscriptionRef from "effect/SubscriptionRef"
import * as AiService from "../AiService.ts"
import type { RegistrationStatus } from "../RegistrationStatus.ts"
import * as McpClient from "./McpClient.ts"
import type { McpEndpoint } from "./McpEndpoint.ts"
import * as McpHttpServer from "./McpHttpServer.ts"

/**
 * Where the registry is.
 *
 * @category models
 * @since 0.1.0
 */
export interface RegistryOptions {
  /** The Nacos client options (default: the `NACOS_*` environment). */
  readonly nacos?: NacosOptions.NacosOptionsInput | undefined
  /** An `AiService` layer to use instead (wins over `nacos`). */
  readonly layer?: Layer.Layer<AiService.AiService, unknown> | undefined
}

/**
 * A served MCP server.
 *
 * @category models
 * @since 0.1.0
 */
export interface ServedMcpServer {
  readonly url: string
  readonly address: string
  readonly port: number
  /** Where the registration stands now. */
  readonly status: () => RegistrationStatus
  /** Called with every status from now on (the current one first); answers how to stop listening. */
  readonly onStatus: (listener: (status: RegistrationStatus) => void) => () => void
  /** Settles once registered; rejects once the retries are spent. */
  readonly registered: () => Promise<void>
  /** Deregisters, then closes the HTTP server and the Nacos connection. */
  readonly close: () => Promise<void>
}

/**
 * A client of an MCP server found in Nacos.
 *
 * @category models
 * @since 0.1.0
 */
export interface ConnectedMcpClient {
  /** The server's endpoints as Nacos lists them now. */
  readonly endpoints: () => ReadonlyArray<McpEndpoint>
  readonly listTools: () => Promise<ReadonlyArray<Tool>>
  readonly callTool: (name: string, args?: Record<string, unknown>) => Promise<CallToolResult>
  /** Runs `f` with the connected SDK `Client` (moving to another endpoint on a transport failure). */
  readonly use: <A>(f: (client: Client) => Promise<A>) => Promise<A>
  readonly close: () => Promise<void>
}

const layerOf = (options: RegistryOptions): Layer.Layer<AiService.AiService, unknown> =>
  options.layer ??
  AiService.layer.pipe(Layer.provide(options.nacos === undefined ? Nacos.layerConfig : Nacos.layer(options.nacos)))

/** Runs a scoped effect in a runtime of its own; answers its value, the runtime and how to close both. */
const open = async <A, E>(options: RegistryOptions, effect: Effect.Effect<A, E, AiService.AiService | Scope.Scope>) => {
  const runtime = ManagedRuntime.make(layerOf(options))
  const scope = Scope.makeUnsafe()
  try {
    const value = await runtime.runPromise(Scope.provide(scope)(effect))
    let closing: Promise<void> | undefined
    const close = () => {
      closing ??= runtime.runPromise(Scope.close(scope, Exit.void)).finally(() => runtime.dispose())
      return closing
    }
    return { value, runtime, close }
  } catch (error) {
    await runtime.runPromise(Scope.close(scope, Exit.void)).finally(() => runtime.dispose())
    throw error
  }
}

/**
 * Serves the SDK server over streamable HTTP and registers it in Nacos in the background once listening (see
 * {@link McpHttpServer.serve}); resolves once listening, whatever Nacos does.
 *
 * @example
 * ```ts
 * import { serveMcpServer } from "@effect-nacos/ai/mcp"
 * import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js"
 *
 * const served = await serveMcpServer({
 *   name: "weather",
 *   version: "1.0.0",
 *   createServer: () => new McpServer({ name: "weather", version: "1.0.0" }),
 *   port: 3000,
 *   nacos: { serverAddr: "127.0.0.1:8848" }
 * })
 * await served.registered()
 * // ... on shutdown:
 * await served.close()
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const serveMcpServer = async (
  options: McpHttpServer.ServeOptions & RegistryOptions
): Promise<ServedMcpServer> => {
  const { value: running, runtime, close } = await open(options, McpHttpServer.serve(options))
  const { status } = running.registration
  // the listeners' fibers: stopped by their own stop function, else by close
  const listeners = new Set<Fiber.Fiber<void, unknown>>()
  return {
    url: running.url,
    address: running.address,
    port: running.port,
    status: () => runtime.runSync(SubscriptionRef.get(status)),
    onStatus: (listener) => {
      const fiber = runtime.runFork(
        SubscriptionRef.changes(status).pipe(Stream.runForEach((current) => Effect.sync(() => listener(current))))
      )
      listeners.add(fiber)
      return () => {
        listeners.delete(fiber)
        runtime.runFork(Fiber.interrupt(fiber))
      }
    },
    registered: () => runtime.runPromise(running.registration.awaitRegistered),
    close: async () => {
      await Promise.all([...listeners].map((fiber) => Effect.runPromise(Fiber.interrupt(fiber))))
      listeners.clear()
      await close()
    }
  }
}

/**
 * Finds the MCP server in Nacos and answers a client of it (see {@link McpClient.connect}).
 *
 * @example
 * ```ts
 * import { connectMcpClient } from "@effect-nacos/ai/mcp"
 *
 * const weather = await connectMcpClient({ name: "weather", nacos: { serverAddr: "127.0.0.1:8848" } })
 * const tools = await weather.listTools()
 * const answer = await weather.callTool("forecast", { city: "Hangzhou" })
 * await weather.close()
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const connectMcpClient = async (
  options: McpClient.ConnectOptions & RegistryOptions
): Promise<ConnectedMcpClient> => {
  const { value: client, runtime, close } = await open(options, McpClient.connect(options))
  return {
    endpoints: () => runtime.runSync(SubscriptionRef.get(client.endpoints)),
    listTools: () => runtime.runPromise(client.listTools),
    callTool: (name, args) => runtime.runPromise(client.callTool(name, args)),
    use: (f) => runtime.runPromise(client.use(f)),
    close
  }
}
