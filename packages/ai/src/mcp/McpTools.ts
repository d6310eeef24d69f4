/**
 * The tools of an `@modelcontextprotocol/sdk` server as Nacos stores them: asked of a fresh instance of the server
 * through the SDK's own `tools/list` (an in-memory client), so the list is exactly what an MCP client would see —
 * name, description, JSON input schema (and output schema when the tool has one).
 *
 * @since 0.1.0
 * @module
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js"
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js"
import type { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import { McpTool, type McpToolSpecification } from "../McpModels.ts"

/**
 * The SDK server could not be built or would not list its tools.
 *
 * @category errors
 * @since 0.1.0
 */
export class ToolListError extends Data.TaggedError("ToolListError")<{
  readonly message: string
  readonly cause?: unknown
}> {}

/**
 * Builds one SDK server (the stateless streamable HTTP transport serves every request with a fresh one).
 *
 * @category models
 * @since 0.1.0
 */
export type McpServerFactory = () => McpServer | Promise<McpServer>

const decodeTool = Schema.decodeUnknownEffect(McpTool)

/**
 * Every tool a fresh instance of the server lists (all pages), decoded as Nacos' `McpTool`.
 *
 * @category constructors
 * @since 0.1.0
 */
export const listTools = (createServer: McpServerFactory): Effect.Effect<ReadonlyArray<McpTool>, ToolListError> =>
  Effect.acquireUseRelease(
    Effect.tryPromise({
      try: async () => {
        const server = await createServer()
        const client = new Client({ name: "effect-nacos-tool-lister", version: "0.1.0" })
        const [clientSide, serverSide] = InMemoryTransport.createLinkedPair()
        await server.connect(serverSide)
        await client.connect(clientSide)
        return { server, client }
      },
      catch: (cause) => new ToolListError({ message: `the MCP server could not be started: ${String(cause)}`, cause })
    }),
    ({ client }) =>
      Effect.gen(function* () {
        const tools: Array<McpTool> = []
        let cursor: string | undefined
        do {
          const page = yield* Effect.tryPromise({
            try: () => client.listTools(cursor === undefined ? {} : { cursor }),
            catch: (cause) => new ToolListError({ message: `tools/list failed: ${String(cause)}`, cause })
          })
          for (const tool of page.tools) {
            tools.push(
              yield* decodeTool({
                name: tool.name,
                description: tool.description,
                inputSchema: tool.inputSchema,
                outputSchema: tool.outputSchema
              }).pipe(
                Effect.mapError((cause) => new ToolListError({ message: `tool ${tool.name}: ${cause.message}`, cause }))
              )
            )
          }
          cursor = page.nextCursor
        } while (cursor !== undefined)
        return tools
      }),
    ({ server, client }) => Effect.promise(() => Promise.allSettled([client.close(), server.close()]))
  )

/**
 * The tool specification released with the server.
 *
 * @category constructors
 * @since 0.1.0
 */
export const toSpecification = (tools: ReadonlyArray<McpTool>): McpToolSpecification => ({ tools: [...tools] })
