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
import { Nacos, type NacosOptions } from "@effect-nacos/core"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Schema from "effect/Schema"
import * as Scope from "effect/Scope"
import * as AiService from "../AiService.ts"
import * as EndpointSelector from "../EndpointSelector.ts"
import type { NacosAgentCardResolver, ResolveError } from "./NacosAgentCardResolver.ts"
import * as NacosAgentCardResolverModule from "./NacosAgentCardResolver.ts"

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
          message:
            card.supportedInterfaces.length === 0
              ? `agent ${agentName}: no instance has an endpoint registered`
              : `agent ${agentName}: its card lists no endpoint over ${[...usable].join(" or ")}`
        })
      }
      const entry = entryFor(`${agentName}\u0000${version ?? ""}`, [first, ...rest])
      const endpoint = yield* selector.select(agentName, [first, ...rest])
      if (endpoint === undefined) {
        return yield* new AgentClientError({
          agent: agentName,
          message: `agent ${agentName}: the ${selector.name} selector took none of its endpoints`
        })
      }
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

/**
 * @category models
 * @since 0.1.0
 */
export interface OpenOptions {
  /** The Nacos server to resolve agents on (default: the `NACOS_*` environment, `Nacos.layerConfig`). */
  readonly nacos?: NacosOptions.NacosOptionsInput | undefined
  /** An AiService to resolve agents with instead (e.g. `AiService.layerMemory()`); wins over `nacos`. */
  readonly ai?: Layer.Layer<AiService.AiService, unknown> | undefined
  readonly factory?: ClientFactory | undefined
  readonly selector?: EndpointSelector.EndpointSelector | undefined
}

/**
 * A resolver and clients, for code without Effect.
 *
 * @category models
 * @since 0.1.0
 */
export interface OpenedClients {
  readonly resolver: NacosAgentCardResolver
  readonly clients: AgentClients
  /** Stops the card watches and closes the Nacos client. */
  readonly close: () => Promise<void>
}

/**
 * A resolver and clients over a Nacos client of their own, as Promises: `resolver.resolve(name)`,
 * `clients.clientFor(name)`; `close()` when done.
 *
 * @example
 * ```ts
 * import { AgentClients } from "@effect-nacos/ai/a2a"
 *
 * const { clients, close } = await AgentClients.open({ nacos: { serverAddr: "127.0.0.1:8848" } })
 * const client = await clients.clientFor("echo")
 * // client.sendMessage(...)
 * await close()
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const open = async (options: OpenOptions = {}): Promise<OpenedClients> => {
  const ai =
    options.ai ??
    AiService.layer.pipe(Layer.provide(options.nacos === undefined ? Nacos.layerConfig : Nacos.layer(options.nacos)))
  const runtime = ManagedRuntime.make(ai)
  const scope = Scope.makeUnsafe()
  const close = async () => {
    // the scope needs nothing of the runtime: it closes even when the runtime's layer failed to build
    await Effect.runPromise(Scope.close(scope, Exit.void))
    await runtime.dispose()
  }
  try {
    const resolver = await runtime.runPromise(Scope.provide(NacosAgentCardResolverModule.make, scope))
    return {
      resolver,
      clients: make({ resolver, factory: options.factory, selector: options.selector }),
      close
    }
  } catch (error) {
    await close()
    throw error
  }
}
