/**
 * What the server answers to the AI requests, as Schemas (protocol reference §1.2). Jackson omits nulls but some
 * paths write them, so optional fields accept `null` too.
 */
import * as Schema from "effect/Schema"
import { AgentCardDetail } from "../AgentCardModels.ts"
import { McpServerDetail } from "../McpModels.ts"
import { Prompt } from "../PromptModels.ts"

const nullable = <S extends Schema.Top>(schema: S) => Schema.optional(Schema.NullOr(schema))

export const QueryMcpServerResponse = Schema.Struct({ mcpServerDetailInfo: nullable(McpServerDetail) })
export const ReleaseMcpServerResponse = Schema.Struct({ mcpId: nullable(Schema.String) })
export const QueryAgentCardResponse = Schema.Struct({ agentCardDetailInfo: nullable(AgentCardDetail) })
export const QueryPromptResponse = Schema.Struct({ promptInfo: nullable(Prompt) })
/** Any successful answer whose body we do not need. */
export const Acknowledged = Schema.Struct({})
