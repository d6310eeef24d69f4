/**
 * SDK `Client`s for agents found by name in Nacos: {@link make} hands out a `Client` for an agent, connected to
 * one of the endpoints its live card lists (chosen by an {@link EndpointSelector.EndpointSelector}, round-robin by
 * default), and builds the clients again when the card's endpoints change — an instance that stopped is not
 * handed out once the card's watch has seen it go (about 0.6 s on 3.1.0, see `NacosAgentCardResolver`).
 *
 * The default client factory speaks JSON-RPC and HTTP+JSON, A2A 1.0 and 0.3 (the SDK's `legacyCompat`), so that
 * agents registered with the 0.3 card Nacos stores are reached over the protocol version they declare.
 *
 * @since 0.1.0
 * @module
 */
import type { AgentInterface, AgentCard as SdkAgentCard } from "@a2a-js/sdk"
import {
  type Client,
  ClientFactory,
  ClientFactoryOptions,
  JsonRpcTransportFactory,
  RestTransportFactory
} from "@a2a-js/sdk/client"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import * as EndpointSelector from "./EndpointSelector.ts"
import type { NacosAgentCardResolver, ResolveError } from "./NacosAgentCardResolver.ts"

/**
 * The agent's card lists no endpoint this client can use, or the SDK could not build a client for it.
 *
 * @category errors
 * @since 0.1.0
 */
export class AgentClientError extends Schema.TaggedError<AgentClientError>()("AgentClientError", {
  agent: Schema.String,
  message: Schema.String,
  cause: Schema.optional(Schema.Defect())
}) {}

/**
 * @category models
 * @since 0.1.0
 */
export interface AgentClientsOptions {
  readonly resolver: NacosAgentCardResolver
  /** Default: JSON-RPC and HTTP+JSON, with `legacyCompat` (A2A 0.3 and 1.0). */
  readonly factory?: ClientFactory | undefined
  /** Default: {@link EndpointSelector.roundRobin}. */
  readonly selector?: EndpointSelector.EndpointSelector | undefined
}

/**
 * A client and the endpoint it goes to.
 *
 * @category models
 * @since 0.1.0
 */
export interface PickedClient {
  readonly client: Client
  readonly endpoint: AgentInterface
}

/**
 * @category models
 * @since 0.1.0
 */
export interface AgentClients {
  /** A client for the agent (`version`, else its latest) at one of its endpoints, with that endpoint. */
  readonly pick: (agentName: string, version?: string) => Effect.Effect<PickedClient, ResolveError | AgentClientError>
  /** A client for the agent at one of its endpoints. */
  readonly client: (agentName: string, version?: string) => Effect.Effect<Client, ResolveError | AgentClientError>
  /** `client` as a Promise. */
  readonly clientFor: (agentName: string, version?: string) => Promise<Client>
}

/**
 * The factory used unless one is given: JSON-RPC and HTTP+JSON, A2A 1.0 and 0.3.
 *
 * @category constructors
 * @since 0.1.0
 */
export const defaultFactory = (): ClientFactory =>
  new ClientFactory(
    ClientFactoryOptions.createFrom(ClientFactoryOptions.default, {
      transports: [
        new JsonRpcTransportFactory({ legacyCompat: { enabled: true } }),
        new RestTransportFactory({ legacyCompat: { enabled: true } })
      ]
    })
  )

interface AgentEntry {
  /** The endpoints the clients were built for (their URLs and transports, in order). */
  readonly endpointsKey: string
  readonly clients: Map<string, Client>
}

const endpointKey = (endpoint: AgentInterface) =>
  `${endpoint.protocolBinding.toUpperCase()} ${endpoint.protocolVersion} ${endpoint.url}`

/**
 * Clients for agents resolved through the resolver.
 *
 * @example
 * ```ts
 * import { AgentClients, NacosAgentCardResolver } from "@effect-nacos/ai/a2a"
 * import { Effect } from "effect"
 *
 * const program = Effect.gen(function* () {
 *   const resolver = yield* NacosAgentCardResolver.make
 *   const clients = AgentClients.make({ resolver })
 *   const client = yield* clients.client("echo")
 *   const answer = yield* Effect.promise(() =>
 *     client.sendMessage({
 *       tenant: "",
 *       message: {
 *         messageId: crypto.randomUUID(),
 *         contextId: "",
 *         taskId: "",
 *         role: 1,
 *         parts: [{ content: { $case: "text", value: "hello" }, metadata: undefined, filename: "", mediaType: "text/plain" }],
 *         metadata: undefined,
 *         extensions: [],
 *         referenceTaskIds: []
 *       },
 *       configuration: undefined,
 *       metadata: undefined
 *     })
 *   )
 * })
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const make = (options: AgentClientsOptions): AgentClients => {
  const factory = options.factory ?? defaultFactory()
  const selector = options.selector ?? EndpointSelector.roundRobin()
  const usable = new Set(factory.options.transports.map((transport) => transport.protocolName.toUpperCase()))
  const agents = new Map<string, AgentEntry>()

  const entryFor = (key: string, endpoints: ReadonlyArray<AgentInterface>): AgentEntry => {
    const endpointsKey = endpoints.map(endpointKey).join("\n")
    const known = agents.get(key)
    if (known !== undefined && known.endpointsKey === endpointsKey) return known
    // the endpoints changed: every client of the agent is built again from the new card
    const entry: AgentEntry = { endpointsKey, clients: new Map() }
    agents.set(key, entry)
    return entry
  }

  const build = (agentName: string, card: SdkAgentCard, endpoint: AgentInterface) =>
    Effect.tryPromise({
      // a card of this one endpoint: the factory connects to it
      try: () => factory.createFromAgentCard({ ...card, supportedInterfaces: [endpoint] }),
      catch: (cause) =>
        new AgentClientError({
          agent: agentName,
          message: `agent ${agentName}: no client for ${endpoint.url}: ${cause instanceof Error ? cause.message : String(cause)}`,
          cause
        })
    })

  const pick = (agentName: string, version?: string) =>
    Effect.gen(function* () {
      const card = yield* options.resolver.card(agentName, version)
      const [first, ...rest] = card.supportedInterfaces.filter((endpoint) =>
        usable.has(endpoint.protocolBinding.toUpperCase())
      )
      if (first === undefined) {
        return yield* new AgentClientError({
          agent: agentName,
          message: `agent ${agentName}: its card lists no endpoint over ${[...usable].join(" or ")}`
        })
      }
      const entry = entryFor(`${agentName}\u0000${version ?? ""}`, [first, ...rest])
      const endpoint = selector.select(agentName, [first, ...rest])
      const key = endpointKey(endpoint)
      const known = entry.clients.get(key)
      if (known !== undefined) return { client: known, endpoint }
      const client = yield* build(agentName, card, endpoint)
      entry.clients.set(key, client)
      return { client, endpoint }
    }).pipe(Effect.withSpan("AgentClients.pick", { attributes: { "a2a.agent": agentName } }))

  return {
    pick,
    client: (agentName, version) => Effect.map(pick(agentName, version), (picked) => picked.client),
    clientFor: (agentName, version) =>
      Effect.runPromise(Effect.map(pick(agentName, version), (picked) => picked.client))
  }
}
