/**
 * An `@modelcontextprotocol/sdk` client for an MCP server found by name in Nacos: it connects to one of the
 * server's endpoints (chosen by an {@link EndpointSelector.EndpointSelector}) with the SDK's `Client` and
 * `StreamableHTTPClientTransport`, keeps the endpoint list live with `watchMcpServer` (an endpoint that goes is
 * not chosen again, and a connection to it is dropped), and when an endpoint fails moves to another one, a
 * bounded number of times.
 *
 * A call that failed in transport is sent again to the next endpoint: give tools that must not run twice an
 * idempotency key of their own. An answer of the server (a JSON-RPC error, a tool result with `isError`) is never
 * sent again.
 *
 * @since 0.1.0
 * @module
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js"
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js"
import {
  type CallToolResult,
  CallToolResultSchema,
  ErrorCode,
  McpError,
  type Tool
} from "@modelcontextprotocol/sdk/types.js"
import * as Data from "effect/Data"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Ref from "effect/Ref"
import type * as Scope from "effect/Scope"
import * as Semaphore from "effect/Semaphore"
import * as Stream from "effect/Stream"
import * as SubscriptionRef from "effect/SubscriptionRef"
import { AiService, type GetError } from "../AiService.ts"
import * as EndpointSelector from "../EndpointSelector.ts"
import * as McpEndpoint from "./McpEndpoint.ts"
import * as McpPolicy from "./McpPolicy.ts"

/**
 * @category models
 * @since 0.1.0
 */
export interface ConnectOptions {
  /** The MCP server's name in Nacos. */
  readonly name: string
  /** Its version (default: the latest). */
  readonly version?: string | undefined
  /** How an endpoint is chosen (default {@link EndpointSelector.random}). */
  readonly selector?: EndpointSelector.EndpointSelector | undefined
  /** How this client introduces itself to the server (default `effect-nacos-mcp-client`). */
  readonly clientInfo?: { readonly name: string; readonly version: string } | undefined
  /** Endpoints tried in a row before a call fails (default {@link McpPolicy.connectAttempts}). */
  readonly attempts?: number | undefined
  /**
   * How long a call waits for Nacos to list a first endpoint when it lists none (default
   * {@link McpPolicy.endpointWait}: a server just registered shows up about 0.6 s later on 3.1.0).
   */
  readonly endpointWait?: Duration.Input | undefined
}

/**
 * Nacos lists no endpoint of the server that this client has not just seen fail.
 *
 * @category errors
 * @since 0.1.0
 */
export class NoEndpointError extends Data.TaggedError("NoEndpointError")<{
  readonly name: string
  readonly message: string
}> {}

/**
 * The SDK call failed: the server's answer (`retried: false`), or every endpoint tried failed in transport.
 *
 * @category errors
 * @since 0.1.0
 */
export class McpCallError extends Data.TaggedError("McpCallError")<{
  readonly name: string
  /** The endpoint of the last attempt. */
  readonly url: string
  readonly message: string
  readonly cause?: unknown
}> {}

/**
 * What a call can fail with.
 *
 * @category errors
 * @since 0.1.0
 */
export type McpClientError = NoEndpointError | McpCallError

/**
 * A client of the MCP server, for as long as its scope lives.
 *
 * @category models
 * @since 0.1.0
 */
export interface NacosMcpClient {
  readonly name: string
  /** The server's endpoints as Nacos lists them now. */
  readonly endpoints: SubscriptionRef.SubscriptionRef<ReadonlyArray<McpEndpoint.McpEndpoint>>
  /** The endpoint of the open connection, if one is open. */
  readonly current: Effect.Effect<McpEndpoint.McpEndpoint | undefined>
  /** Runs `f` with the connected SDK `Client` (connecting first, moving to another endpoint on failure). */
  readonly use: <A>(f: (client: Client) => Promise<A>) => Effect.Effect<A, McpClientError>
  /** Every tool the server lists (all pages). */
  readonly listTools: Effect.Effect<ReadonlyArray<Tool>, McpClientError>
  /** Calls a tool; a result with `isError` is the tool's answer, not a failure. */
  readonly callTool: (
    name: string,
    args?: Record<string, unknown> | undefined
  ) => Effect.Effect<CallToolResult, McpClientError>
}

interface Connection {
  readonly endpoint: McpEndpoint.McpEndpoint
  readonly client: Client
}

/** A failure of the endpoint (unreachable, closed, HTTP error), not an answer of the server. */
const isTransportFailure = (error: unknown) =>
  !(error instanceof McpError) || error.code === ErrorCode.ConnectionClosed || error.code === ErrorCode.RequestTimeout

const closeQuietly = (connection: Connection) => Effect.promise(() => connection.client.close().catch(() => undefined))

/**
 * Finds the server in Nacos (`NotFoundError` when it is not there), follows its endpoints and answers a client that
 * connects on first use. Closing the scope closes the connection and stops following.
 *
 * @example
 * ```ts
 * import { AiService } from "@effect-nacos/ai"
 * import { EndpointSelector, McpClient } from "@effect-nacos/ai/mcp"
 * import { Effect } from "effect"
 *
 * const program = Effect.scoped(
 *   Effect.gen(function* () {
 *     const weather = yield* McpClient.connect({ name: "weather", selector: EndpointSelector.roundRobin() })
 *     const tools = yield* weather.listTools
 *     const result = yield* weather.callTool("forecast", { city: "Hangzhou" })
 *   })
 * ).pipe(Effect.provide(AiService.layerMemory()))
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const connect = Effect.fnUntraced(function* (
  options: ConnectOptions
): Effect.fn.Return<NacosMcpClient, GetError, AiService | Scope.Scope> {
  const ai = yield* AiService
  const query = { name: options.name, ...(options.version === undefined ? {} : { version: options.version }) }
  const selector = options.selector ?? EndpointSelector.random
  const attempts = Math.max(1, options.attempts ?? McpPolicy.connectAttempts)
  const clientInfo = options.clientInfo ?? { name: "effect-nacos-mcp-client", version: "0.1.0" }
  const endpointWait = options.endpointWait ?? McpPolicy.endpointWait

  const first = yield* ai.getMcpServer(query)
  const endpoints = yield* SubscriptionRef.make(McpEndpoint.fromDetail(first))
  const connection = yield* Ref.make<Connection | undefined>(undefined)
  const opening = yield* Semaphore.make(1)

  /** Forgets the connection (if it is still `stale`) and closes it. */
  const drop = (stale: Connection) =>
    Effect.flatMap(
      Ref.modify(connection, (open) => (open === stale ? [true, undefined] : [false, open])),
      (dropped) => (dropped ? closeQuietly(stale) : Effect.void)
    )

  yield* Effect.addFinalizer(() =>
    Effect.flatMap(Ref.getAndSet(connection, undefined), (open) =>
      open === undefined ? Effect.void : closeQuietly(open)
    )
  )
  // the list follows Nacos (pushed on endpoint changes); a connection to an endpoint that went is dropped
  yield* ai.watchMcpServer(query).pipe(
    Stream.runForEach((detail) =>
      Effect.gen(function* () {
        const listed = McpEndpoint.fromDetail(detail)
        yield* SubscriptionRef.set(endpoints, listed)
        const open = yield* Ref.get(connection)
        if (open !== undefined && !listed.some((endpoint) => McpEndpoint.same(endpoint, open.endpoint))) {
          yield* Effect.logInfo(`MCP server ${options.name}: ${open.endpoint.url} is gone from Nacos; disconnecting`)
          yield* drop(open)
        }
      })
    ),
    Effect.catch((error) => Effect.logWarning(`MCP server ${options.name}: no longer followed: ${error.message}`)),
    Effect.forkScoped
  )

  /** The open connection, else a new one to an endpoint not in `failed`. */
  const acquire = (failed: ReadonlyArray<McpEndpoint.McpEndpoint>) =>
    opening.withPermit(
      Effect.gen(function* () {
        const open = yield* Ref.get(connection)
        if (open !== undefined && !failed.some((endpoint) => McpEndpoint.same(endpoint, open.endpoint))) return open
        if (failed.length === 0 && (yield* SubscriptionRef.get(endpoints)).length === 0) {
          // none listed yet: a server registered a moment ago is listed within about a second
          yield* SubscriptionRef.changes(endpoints).pipe(
            Stream.filter((listed) => listed.length > 0),
            Stream.runHead,
            Effect.timeoutOption(endpointWait)
          )
        }
        const candidates = (yield* SubscriptionRef.get(endpoints)).filter(
          (endpoint) => !failed.some((bad) => McpEndpoint.same(bad, endpoint))
        )
        const [head, ...tail] = candidates
        const endpoint = head === undefined ? undefined : yield* selector.select(options.name, [head, ...tail])
        if (endpoint === undefined) {
          return yield* new NoEndpointError({
            name: options.name,
            message:
              failed.length === 0
                ? `MCP server ${options.name}: Nacos lists no endpoint`
                : `MCP server ${options.name}: no endpoint left to try (failed: ${failed.map((e) => e.url).join(", ")})`
          })
        }
        const client = new Client(clientInfo)
        yield* Effect.tryPromise({
          try: () => client.connect(new StreamableHTTPClientTransport(new URL(endpoint.url))),
          catch: (cause) =>
            new McpCallError({
              name: options.name,
              url: endpoint.url,
              message: `MCP server ${options.name}: cannot connect to ${endpoint.url}: ${String(cause)}`,
              cause
            })
        }).pipe(Effect.tapError(() => Effect.promise(() => client.close().catch(() => undefined))))
        const opened = { endpoint, client }
        yield* Ref.set(connection, opened)
        return opened
      })
    )

  const use = <A>(f: (client: Client) => Promise<A>): Effect.Effect<A, McpClientError> =>
    Effect.gen(function* () {
      const failed: Array<McpEndpoint.McpEndpoint> = []
      while (true) {
        const opened = yield* Effect.result(acquire(failed))
        if (opened._tag === "Failure") {
          const error = opened.failure
          if (error._tag === "NoEndpointError" || failed.length + 1 >= attempts) return yield* error
          yield* Effect.logWarning(`${error.message}; trying another endpoint`)
          const bad = (yield* SubscriptionRef.get(endpoints)).find((endpoint) => endpoint.url === error.url)
          failed.push(bad ?? { address: "", port: 0, path: "", url: error.url })
          continue
        }
        const current = opened.success
        const answer = yield* Effect.result(
          Effect.tryPromise({ try: () => f(current.client), catch: (cause) => cause })
        )
        if (answer._tag === "Success") return answer.success
        const cause = answer.failure
        const failure = new McpCallError({
          name: options.name,
          url: current.endpoint.url,
          message: `MCP server ${options.name} at ${current.endpoint.url}: ${cause instanceof Error ? cause.message : String(cause)}`,
          cause
        })
        // the server answered: the answer is the caller's
        if (!isTransportFailure(cause)) return yield* failure
        yield* drop(current)
        failed.push(current.endpoint)
        if (failed.length >= attempts) return yield* failure
        yield* Effect.logWarning(`${failure.message}; trying another endpoint`)
      }
    })

  const listTools = use(async (client) => {
    const tools: Array<Tool> = []
    let cursor: string | undefined
    do {
      const page = await client.listTools(cursor === undefined ? {} : { cursor })
      tools.push(...page.tools)
      cursor = page.nextCursor
    } while (cursor !== undefined)
    return tools
  })

  return {
    name: options.name,
    endpoints,
    current: Effect.map(Ref.get(connection), (open) => open?.endpoint),
    use,
    listTools,
    callTool: (name, args) =>
      Effect.flatMap(
        use((client) => client.callTool({ name, ...(args === undefined ? {} : { arguments: args }) })),
        (answer) =>
          Effect.gen(function* () {
            // the SDK types the answer as the current result or the legacy `toolResult`: decoded as the current one
            const decoded = CallToolResultSchema.safeParse(answer)
            if (decoded.success) return decoded.data
            return yield* new McpCallError({
              name: options.name,
              url: (yield* Ref.get(connection))?.endpoint.url ?? "",
              message: `MCP server ${options.name}: tool ${name} answered no tool result: ${decoded.error.message}`,
              cause: decoded.error
            })
          })
      )
  }
})
