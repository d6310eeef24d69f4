/**
 * @effect-nacos/ai — the Nacos 3.x AI registry: MCP servers and A2A agent cards over gRPC, prompts (with render)
 * and skill ZIPs, watched as Streams.
 *
 * @since 0.1.0
 */
export * as AgentCardModels from "./AgentCardModels.ts"
export * as AiPolicy from "./AiPolicy.ts"
export * as AiService from "./AiService.ts"
export * as EndpointSelector from "./EndpointSelector.ts"
export * as McpModels from "./McpModels.ts"
export * as PromptModels from "./PromptModels.ts"
export * as RegistrationStatus from "./RegistrationStatus.ts"
export * as SkillModels from "./SkillModels.ts"
