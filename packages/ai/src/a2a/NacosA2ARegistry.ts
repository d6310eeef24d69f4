/**
 * The Nacos A2A registry over {@link AiService}: registering an agent releases its card (registration type
 * `SERVICE`: consumers get the card's interfaces from the registered endpoints) and then publishes one endpoint
 * per transport; closing the registration's scope deregisters the endpoints (the card stays: it is the agent's
 * published description, not its presence).
 *
 * What the server does, and so what this registry does (Nacos 3.1.0, checked against the real server):
 * - a card version is released once; a version the server already has is kept as it is (a second instance of the
 *   agent, or a restart, registers its endpoints under the existing card);
 * - `setAsLatest` (default `false`, as agentscope-runtime and the official SDKs): the first release of an agent is
 *   its latest whatever the flag says; a later version released with `false` does **not** become what a consumer
 *   resolving the agent without a version gets — those consumers keep getting the old latest version (and its
 *   endpoints). Pass `setAsLatest: true` to move them to the new version.
 * - several transports go in one `BatchAgentEndpointRequest` where the server has it (3.2+). A 3.1 server has no
 *   batch request and keeps one endpoint per connection and agent version: the registry then registers the
 *   transports one by one, the preferred (first) one last, so that it is the one that stays.
 * - one AiService (one connection) publishes one endpoint per agent version: two instances of an agent in one
 *   process need one registry (one AiService layer) each.
 *
 * @since 0.1.0
 * @module
 */
import * as Effect from "effect/Effect"
import * as Ref from "effect/Ref"
import * as Schedule from "effect/Schedule"
import type { AgentEndpoint, ReleasableAgentCard } from "../AgentCardModels.ts"
import type * as AiService from "../AiService.ts"
import { A2ARegistryError, type ResolvedTransport } from "./A2AModels.ts"
import type { Registry } from "./A2ARegistry.ts"

/**
 * @category models
 * @since 0.1.0
 */
export interface NacosA2ARegistryOptions {
  /** Whether a released card version becomes the agent's latest (default `false`; see the module's notes). */
  readonly setAsLatest?: boolean | undefined
  /** The registry's name in statuses and logs (default `nacos`). */
  readonly name?: string | undefined
}

/**
 * The name a Nacos registry has unless told otherwise.
 *
 * @category constants
 * @since 0.1.0
 */
export const DEFAULT_NAME = "nacos"

// after a refused batch request, the 3.1.0 server answers -401 ("client not connected") on that connection for
// about 2 s: the single registrations that follow wait that out
const afterRefusedBatch = Schedule.spaced("500 millis").pipe(Schedule.upTo({ times: 10 }))

const endpointOf = (version: string, transport: ResolvedTransport): AgentEndpoint => ({
  version,
  address: transport.host,
  port: transport.port,
  path: transport.path,
  supportTls: transport.supportTls,
  transport: transport.transportType
})

/**
 * A Nacos registry over an AiService.
 *
 * @example
 * ```ts
 * import { AiService } from "@effect-nacos/ai"
 * import { NacosA2ARegistry } from "@effect-nacos/ai/a2a"
 * import { Effect } from "effect"
 *
 * const program = Effect.gen(function* () {
 *   const registry = NacosA2ARegistry.make(yield* AiService.AiService, { setAsLatest: true })
 *   yield* Effect.scoped(
 *     registry.register(
 *       { name: "echo", version: "1.0.0", protocolVersion: "0.3.0", preferredTransport: "JSONRPC", url: "http://10.0.0.5:8080/a2a" },
 *       [{ host: "10.0.0.5", port: 8080, path: "/a2a", supportTls: false, transportType: "JSONRPC", extra: {} }]
 *     ).pipe(Effect.andThen(Effect.never))
 *   )
 * })
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const make = (ai: AiService.Service, options: NacosA2ARegistryOptions = {}): Registry => {
  const name = options.name ?? DEFAULT_NAME
  /** Whether the server took a batch request; unknown until the first registration of several transports. */
  const batchSupported = Ref.makeUnsafe<boolean | undefined>(undefined)

  const registerEndpoints = (card: ReleasableAgentCard, endpoints: ReadonlyArray<AgentEndpoint>) =>
    Effect.gen(function* () {
      const one = (endpoint: AgentEndpoint) => ai.registerAgentEndpoint({ name: card.name, endpoint })
      if (endpoints.length === 1) return yield* one(endpoints[0]!)
      if ((yield* Ref.get(batchSupported)) !== false) {
        const batch = yield* Effect.result(ai.registerAgentEndpoints({ name: card.name, endpoints }))
        if (batch._tag === "Success") return yield* Ref.set(batchSupported, true)
        if (batch.failure._tag !== "NotSupportedError") return yield* Effect.fail(batch.failure)
        yield* Ref.set(batchSupported, false)
        yield* Effect.logInfo(
          `${name}: the server has no batch endpoint registration; it keeps one endpoint per agent version and ` +
            `connection, so ${card.name} ${card.version} stays reachable at its preferred transport only`
        )
      }
      // one by one, the preferred (first) transport last: a 3.1 server keeps the last one
      for (const endpoint of [...endpoints].reverse()) {
        yield* one(endpoint).pipe(
          Effect.retry({ schedule: afterRefusedBatch, while: (error) => error._tag === "ServerError" })
        )
      }
    })

  const register: Registry["register"] = (card, transports) =>
    Effect.gen(function* () {
      yield* ai
        .releaseAgentCard({ card, registrationType: "SERVICE", setAsLatest: options.setAsLatest ?? false })
        .pipe(
          Effect.catchTag("ConflictError", () =>
            Effect.logDebug(`${name}: ${card.name} ${card.version} is released already; registering its endpoints`)
          )
        )
      if (transports.length === 0) return
      // added before the endpoints go out, so that a registration that fails half way is taken back too; the
      // server removes whatever this connection published for the version
      yield* Effect.addFinalizer(() =>
        ai.deregisterAgentEndpoint({ name: card.name, version: card.version }).pipe(
          Effect.timeout("5 seconds"),
          Effect.catchCause((cause) =>
            Effect.logDebug(`${name}: deregistering ${card.name} ${card.version} failed`, cause)
          )
        )
      )
      yield* registerEndpoints(
        card,
        transports.map((transport) => endpointOf(card.version, transport))
      )
    }).pipe(
      Effect.mapError(
        (error) =>
          new A2ARegistryError({
            registry: name,
            message: `agent ${card.name} ${card.version}: ${error.message}`,
            cause: error
          })
      ),
      Effect.withSpan("NacosA2ARegistry.register", {
        attributes: { "nacos.ai.agent": card.name, "nacos.ai.version": card.version }
      })
    )

  return { name, register }
}
