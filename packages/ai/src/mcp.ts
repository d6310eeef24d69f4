/**
 * `@effect-nacos/ai/mcp` — Nacos as the registry of `@modelcontextprotocol/sdk` servers: a streamable HTTP server
 * that registers itself (tools and endpoint) once listening and deregisters when it closes, and a client that finds
 * a server by name and connects to one of its endpoints. The Effect way (scoped resources over `AiService`) and the
 * plain-Promise way (`serveMcpServer`, `connectMcpClient`).
 *
 * @since 0.1.0
 * @module
 */
export * as EndpointSelector from "./EndpointSelector.ts"
export * as McpClient from "./mcp/McpClient.ts"
export * as McpEndpoint from "./mcp/McpEndpoint.ts"
export * as McpHttpServer from "./mcp/McpHttpServer.ts"
export * as McpPolicy from "./mcp/McpPolicy.ts"
export * as McpPromise from "./mcp/McpPromise.ts"
export {
  /** @since 0.1.0 */
  connectMcpClient,
  /** @since 0.1.0 */
  serveMcpServer
} from "./mcp/McpPromise.ts"
export * as McpServerRegistration from "./mcp/McpServerRegistration.ts"
export * as McpTools from "./mcp/McpTools.ts"
export * as RegistrationStatus from "./RegistrationStatus.ts"
