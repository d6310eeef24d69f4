/**
 * What the service needs from wherever the AI registry lives (a Nacos server, or memory). Validation, the
 * version rules, watches and ZIP extraction are the service's job, so every backend gets them the same way.
 */
import type {
  AuthError,
  ConflictError,
  InvalidArgumentError,
  NotFoundError,
  NotSupportedError,
  ServerError,
  TransportError
} from "@effect-nacos/core"
import type * as Effect from "effect/Effect"
import type { AgentCardDetail, AgentEndpoint, RegistrationType, ReleasableAgentCard } from "../AgentCardModels.ts"
import type { McpServerDetail, McpServerEndpointParams, ReleaseMcpServerParams } from "../McpModels.ts"
import type { Prompt } from "../PromptModels.ts"

/** Everything a call to the registry can fail with besides its own answers. */
export type CallError = TransportError | ServerError | AuthError | InvalidArgumentError | NotSupportedError

/** A prompt query's answer: the prompt, or "the md5 you sent is still current". */
export type PromptAnswer = { readonly _tag: "Found"; readonly prompt: Prompt } | { readonly _tag: "NotModified" }

export interface PromptQuery {
  readonly key: string
  readonly version?: string | undefined
  readonly label?: string | undefined
  /** The md5 the caller holds: an unchanged prompt answers `NotModified`. */
  readonly md5?: string | undefined
}

export interface SkillQuery {
  readonly name: string
  readonly version?: string | undefined
  readonly label?: string | undefined
}

export interface AiBackend {
  readonly namespace: string
  readonly queryMcpServer: (
    name: string,
    version: string | undefined
  ) => Effect.Effect<McpServerDetail, NotFoundError | CallError>
  /** Answers the server's id for the MCP server; an existing version is a `ConflictError`. */
  readonly releaseMcpServer: (params: ReleaseMcpServerParams) => Effect.Effect<string, ConflictError | CallError>
  readonly queryAgentCard: (
    name: string,
    version: string | undefined,
    registrationType: RegistrationType | undefined
  ) => Effect.Effect<AgentCardDetail, NotFoundError | CallError>
  /** Stores a version; the service has checked that it is new. */
  readonly releaseAgentCard: (
    card: ReleasableAgentCard,
    registrationType: RegistrationType,
    setAsLatest: boolean
  ) => Effect.Effect<void, ConflictError | CallError>
  /** Publishes one endpoint of `endpoint.version` (replacing what this client published for that version). */
  readonly registerAgentEndpoint: (name: string, endpoint: AgentEndpoint) => Effect.Effect<void, CallError>
  /** Publishes several endpoints of one version at once (the batch request; not on 3.1 servers). */
  readonly registerAgentEndpoints: (
    name: string,
    endpoints: ReadonlyArray<AgentEndpoint>
  ) => Effect.Effect<void, CallError>
  /** Removes what this client published for the version. */
  readonly deregisterAgentEndpoint: (name: string, endpoint: AgentEndpoint) => Effect.Effect<void, CallError>
  readonly registerMcpServerEndpoint: (
    params: McpServerEndpointParams
  ) => Effect.Effect<void, NotFoundError | CallError>
  readonly deregisterMcpServerEndpoint: (
    params: McpServerEndpointParams
  ) => Effect.Effect<void, NotFoundError | CallError>
  readonly queryPrompt: (query: PromptQuery) => Effect.Effect<PromptAnswer, NotFoundError | CallError>
  readonly downloadSkillZip: (query: SkillQuery) => Effect.Effect<Uint8Array, NotFoundError | CallError>
}
