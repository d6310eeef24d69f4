/**
 * AI requests over the module's gRPC connection (protocol reference §1.2, corrected by the verified reference
 * §2): MCP and A2A calls are gated on the server's `mcp` / `agent` abilities, as the Java client does;
 * prompts have no ability, so a server that lacks them is known by its 302 answer, remembered for the session.
 */
import { type Connection, NotFoundError } from "@effect-nacos/core"
import * as Effect from "effect/Effect"
import * as Ref from "effect/Ref"
import type { AgentEndpoint } from "../AgentCardModels.ts"
import type { McpServerEndpointParams, ReleaseMcpServerParams } from "../McpModels.ts"
import type { AiBackend, CallError, PromptAnswer } from "./backend.ts"
import { classifyQuery, classifyRelease, classifyWrite, NO_HANDLER, NOT_MODIFIED, notSupported } from "./errors.ts"
import {
  Acknowledged,
  QueryAgentCardResponse,
  QueryMcpServerResponse,
  QueryPromptResponse,
  ReleaseMcpServerResponse
} from "./wire.ts"

/** `AbilityKey.SERVER_MCP_REGISTRY` / `SERVER_AGENT_REGISTRY`. */
export const MCP_ABILITY = "mcp"
export const AGENT_ABILITY = "agent"
/** What a prompt-less server is told apart by (no ability exists for prompts). */
export const PROMPT_FEATURE = "prompts"
export const PROMPT_REQUIREMENT = "QueryPromptRequest (Nacos 3.2+)"

/** `AiRemoteConstants.REGISTER_ENDPOINT` / `DE_REGISTER_ENDPOINT`. */
const REGISTER_ENDPOINT = "registerEndpoint"
const DEREGISTER_ENDPOINT = "deregisterEndpoint"
export const BATCH_REQUIREMENT = "BatchAgentEndpointRequest (Nacos 3.2+)"

/** The group every AI resource is signed under (`RequestResource.aiBuilder().setGroup(DEFAULT_GROUP)`). */
const AI_GROUP = "DEFAULT_GROUP"

export type GrpcAiOperations = Omit<AiBackend, "downloadSkillZip">

export const make = Effect.fnUntraced(function* (connection: Connection.Connection, namespace: string) {
  /** The sessions (connection ids) whose server answered that it has no prompt handler. */
  const promptlessSessions = yield* Ref.make<ReadonlySet<string>>(new Set())

  const resourceOf = (name: string) => ({ module: "ai", namespace, group: AI_GROUP, name }) as const

  const queryMcpServer: AiBackend["queryMcpServer"] = (name, version) =>
    connection.requireAbility(MCP_ABILITY, "the MCP registry").pipe(
      Effect.andThen(
        connection.request(
          "QueryMcpServerRequest",
          { namespaceId: namespace, mcpName: name, ...(version === undefined ? {} : { version }) },
          QueryMcpServerResponse,
          { resource: resourceOf(name) }
        )
      ),
      Effect.catchTag("ServerError", (error) => Effect.fail(classifyQuery(`mcp:${namespace}/${name}`, error))),
      Effect.flatMap((answer) =>
        answer.mcpServerDetailInfo === undefined || answer.mcpServerDetailInfo === null
          ? Effect.fail(
              new NotFoundError({ resource: `mcp:${namespace}/${name}`, message: `MCP server ${name} not found` })
            )
          : Effect.succeed(answer.mcpServerDetailInfo)
      )
    )

  const releaseMcpServer = (params: ReleaseMcpServerParams) =>
    connection.requireAbility(MCP_ABILITY, "the MCP registry").pipe(
      Effect.andThen(
        connection.request(
          "ReleaseMcpServerRequest",
          {
            namespaceId: namespace,
            mcpName: params.server.name,
            serverSpecification: {
              ...params.server,
              namespaceId: namespace,
              // the 3.1.0 server dereferences it for every remote server (NullPointerException without one); it
              // fills in the serviceRef of its own `mcp-endpoints` service
              ...(params.server.protocol !== "stdio" && params.server.remoteServerConfig == null
                ? { remoteServerConfig: {} }
                : {})
            },
            ...(params.tools === undefined ? {} : { toolSpecification: params.tools }),
            ...(params.endpoint === undefined ? {} : { endpointSpecification: params.endpoint })
          },
          ReleaseMcpServerResponse,
          // a release is a write the server refuses to repeat (409): never re-sent after a lost answer
          { resource: resourceOf(params.server.name), retry: false }
        )
      ),
      Effect.map((answer) => answer.mcpId ?? ""),
      Effect.catchTag("ServerError", (error) =>
        Effect.fail(classifyRelease(`mcp:${namespace}/${params.server.name}`, error))
      )
    )

  const queryAgentCard: AiBackend["queryAgentCard"] = (name, version, registrationType) =>
    connection.requireAbility(AGENT_ABILITY, "the A2A agent registry").pipe(
      Effect.andThen(
        connection.request(
          "QueryAgentCardRequest",
          {
            namespaceId: namespace,
            agentName: name,
            ...(version === undefined ? {} : { version }),
            ...(registrationType === undefined ? {} : { registrationType })
          },
          QueryAgentCardResponse,
          { resource: resourceOf(name) }
        )
      ),
      Effect.catchTag("ServerError", (error) => Effect.fail(classifyQuery(`agent:${namespace}/${name}`, error))),
      Effect.flatMap((answer) =>
        answer.agentCardDetailInfo === undefined || answer.agentCardDetailInfo === null
          ? Effect.fail(
              new NotFoundError({ resource: `agent:${namespace}/${name}`, message: `agent ${name} not found` })
            )
          : Effect.succeed(answer.agentCardDetailInfo)
      )
    )

  const releaseAgentCard: AiBackend["releaseAgentCard"] = (card, registrationType, setAsLatest) =>
    connection.requireAbility(AGENT_ABILITY, "the A2A agent registry").pipe(
      Effect.andThen(
        connection.request(
          "ReleaseAgentCardRequest",
          { namespaceId: namespace, agentName: card.name, agentCard: card, registrationType, setAsLatest },
          Acknowledged,
          { resource: resourceOf(card.name), retry: false }
        )
      ),
      Effect.asVoid,
      Effect.catchTag("ServerError", (error) => Effect.fail(classifyRelease(`agent:${namespace}/${card.name}`, error)))
    )

  /** The endpoint as 3.1.0's `AgentEndpoint` has it (defaults of the Java/Python clients filled in). */
  const endpointWire = (endpoint: AgentEndpoint) => ({
    version: endpoint.version,
    address: endpoint.address,
    port: endpoint.port,
    transport: endpoint.transport ?? "JSONRPC",
    path: endpoint.path ?? "",
    supportTls: endpoint.supportTls ?? false
  })

  const agentEndpoint = (type: string, name: string, endpoint: AgentEndpoint) =>
    connection.requireAbility(AGENT_ABILITY, "the A2A agent registry").pipe(
      Effect.andThen(
        connection.request(
          "AgentEndpointRequest",
          { namespaceId: namespace, agentName: name, type, endpoint: endpointWire(endpoint) },
          Acknowledged,
          { resource: resourceOf(name) }
        )
      ),
      Effect.asVoid,
      Effect.catchTag("ServerError", (error) => Effect.fail(classifyWrite(error)))
    )

  const registerAgentEndpoints: AiBackend["registerAgentEndpoints"] = (name, endpoints) =>
    connection.requireAbility(AGENT_ABILITY, "the A2A agent registry").pipe(
      Effect.andThen(
        connection.request(
          "BatchAgentEndpointRequest",
          {
            namespaceId: namespace,
            agentName: name,
            type: "batchRegisterEndpoint",
            endpoints: endpoints.map(endpointWire)
          },
          Acknowledged,
          { resource: resourceOf(name) }
        )
      ),
      Effect.asVoid,
      Effect.catchTag("ServerError", (error) =>
        Effect.fail(
          error.errorCode === NO_HANDLER
            ? notSupported(
                "batch agent endpoints",
                BATCH_REQUIREMENT,
                `the server answered: ${error.message}; register one endpoint per version (registerAgentEndpoint)`
              )
            : classifyWrite(error)
        )
      )
    )

  const mcpEndpoint = (type: string, params: McpServerEndpointParams) =>
    connection.requireAbility(MCP_ABILITY, "the MCP registry").pipe(
      Effect.andThen(
        connection.request(
          "McpServerEndpointRequest",
          {
            namespaceId: namespace,
            mcpName: params.name,
            address: params.address,
            port: params.port,
            ...(params.version === undefined ? {} : { version: params.version }),
            type
          },
          Acknowledged,
          { resource: resourceOf(params.name) }
        )
      ),
      Effect.asVoid,
      Effect.catchTag("ServerError", (error) => Effect.fail(classifyQuery(`mcp:${namespace}/${params.name}`, error)))
    )

  const queryPrompt: AiBackend["queryPrompt"] = (query) =>
    Effect.gen(function* () {
      const session = yield* connection.awaitSession()
      if ((yield* Ref.get(promptlessSessions)).has(session.connectionId)) {
        return yield* notSupported(PROMPT_FEATURE, PROMPT_REQUIREMENT, `${session.server} has no prompt handler`)
      }
      const resource = `prompt:${namespace}/${query.key}`
      return yield* connection
        .request(
          "QueryPromptRequest",
          {
            namespaceId: namespace,
            promptKey: query.key,
            ...(query.version === undefined ? {} : { version: query.version }),
            ...(query.label === undefined ? {} : { label: query.label }),
            ...(query.md5 === undefined ? {} : { md5: query.md5 })
          },
          QueryPromptResponse,
          { resource: resourceOf(query.key) }
        )
        .pipe(
          Effect.flatMap(
            (answer): Effect.Effect<PromptAnswer, NotFoundError> =>
              answer.promptInfo === undefined || answer.promptInfo === null
                ? Effect.fail(new NotFoundError({ resource, message: `prompt ${query.key} not found` }))
                : Effect.succeed({ _tag: "Found", prompt: answer.promptInfo })
          ),
          Effect.catchTag("ServerError", (error): Effect.Effect<PromptAnswer, NotFoundError | CallError> => {
            if (error.errorCode === NOT_MODIFIED) return Effect.succeed<PromptAnswer>({ _tag: "NotModified" })
            if (error.errorCode === NO_HANDLER) {
              return Ref.update(promptlessSessions, (known) => new Set([...known, session.connectionId])).pipe(
                Effect.andThen(
                  Effect.fail(
                    notSupported(PROMPT_FEATURE, PROMPT_REQUIREMENT, `${session.server} answered: ${error.message}`)
                  )
                )
              )
            }
            return Effect.fail(classifyQuery(resource, error))
          })
        )
    })

  return {
    namespace,
    queryMcpServer,
    releaseMcpServer,
    queryAgentCard,
    releaseAgentCard,
    registerAgentEndpoint: (name, endpoint) => agentEndpoint(REGISTER_ENDPOINT, name, endpoint),
    registerAgentEndpoints,
    deregisterAgentEndpoint: (name, endpoint) => agentEndpoint(DEREGISTER_ENDPOINT, name, endpoint),
    registerMcpServerEndpoint: (params) => mcpEndpoint(REGISTER_ENDPOINT, params),
    deregisterMcpServerEndpoint: (params) => mcpEndpoint(DEREGISTER_ENDPOINT, params),
    queryPrompt
  } satisfies GrpcAiOperations
})
