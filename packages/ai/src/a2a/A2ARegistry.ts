/**
 * The A2A registry plugin: where an agent makes itself findable when it starts and from where it goes when it
 * stops. A registry is a name and a `register(card, transports)` whose registration lives as long as the scope it
 * runs in: closing that scope deregisters. {@link A2ARegistries} holds the registries an application uses (none,
 * one, several); `registerInBackground` (module `BackgroundRegistration`) registers with all of them without
 * making startup wait.
 *
 * A custom registry implements the same interface:
 *
 * ```ts
 * import { A2ARegistry } from "@effect-nacos/ai/a2a"
 * import { Effect } from "effect"
 *
 * const consoleRegistry: A2ARegistry.Registry = {
 *   name: "console",
 *   register: (card, transports) =>
 *     Effect.acquireRelease(
 *       Effect.log(`${card.name} ${card.version} at ${transports.map((t) => `${t.host}:${t.port}`).join(", ")}`),
 *       () => Effect.log(`${card.name} ${card.version} gone`)
 *     )
 * }
 * const Registries = A2ARegistry.layer([consoleRegistry])
 * ```
 *
 * @since 0.1.0
 * @module
 */
import { InvalidArgumentError, Nacos, type TransportError } from "@effect-nacos/core"
import * as Config from "effect/Config"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type * as Scope from "effect/Scope"
import type { ReleasableAgentCard } from "../AgentCardModels.ts"
import * as AiService from "../AiService.ts"
import type { A2ARegistryError, ResolvedTransport } from "./A2AModels.ts"
import * as NacosA2ARegistry from "./NacosA2ARegistry.ts"

/**
 * A registry of A2A agents. `register` publishes the card and its transports (every default filled in) and keeps
 * them published while its scope is open; closing the scope takes them back. It fails with `A2ARegistryError`,
 * and may be tried again (a failed attempt's scope is closed before the next one).
 *
 * @category models
 * @since 0.1.0
 */
export interface Registry {
  readonly name: string
  readonly register: (
    card: ReleasableAgentCard,
    transports: ReadonlyArray<ResolvedTransport>
  ) => Effect.Effect<void, A2ARegistryError, Scope.Scope>
}

/**
 * The registries an application registers its agents with (empty: registration does nothing).
 *
 * @category services
 * @since 0.1.0
 */
export class A2ARegistries extends Context.Service<A2ARegistries, ReadonlyArray<Registry>>()(
  "@effect-nacos/ai/a2a/A2ARegistries"
) {}

/**
 * These registries, given in code.
 *
 * @category layers
 * @since 0.1.0
 */
export const layer = (registries: ReadonlyArray<Registry>): Layer.Layer<A2ARegistries> =>
  Layer.succeed(A2ARegistries, registries)

/**
 * No registry: agents serve without registering anywhere.
 *
 * @category layers
 * @since 0.1.0
 */
export const layerNone: Layer.Layer<A2ARegistries> = layer([])

/**
 * The Nacos registry as the only registry, over the AiService in context.
 *
 * @example
 * ```ts
 * import { AiService } from "@effect-nacos/ai"
 * import { A2ARegistry } from "@effect-nacos/ai/a2a"
 * import { Nacos } from "@effect-nacos/core"
 * import { Layer } from "effect"
 *
 * const Registries = A2ARegistry.layerNacos({ setAsLatest: true }).pipe(
 *   Layer.provide(AiService.layer),
 *   Layer.provide(Nacos.layer({ serverAddr: "127.0.0.1:8848" }))
 * )
 * ```
 *
 * @category layers
 * @since 0.1.0
 */
export const layerNacos = (
  options: NacosA2ARegistry.NacosA2ARegistryOptions = {}
): Layer.Layer<A2ARegistries, never, AiService.AiService> =>
  Layer.effect(
    A2ARegistries,
    Effect.map(Effect.service(AiService.AiService), (ai) => [NacosA2ARegistry.make(ai, options)])
  )

/**
 * The registry types `A2A_REGISTRY_TYPE` may name.
 *
 * @category constants
 * @since 0.1.0
 */
export const REGISTRY_TYPES = ["nacos"] as const

/**
 * @category models
 * @since 0.1.0
 */
export interface FromEnvOptions {
  /** Registries given in code: when present (even empty), the environment is not read at all. */
  readonly registries?: ReadonlyArray<Registry> | undefined
  /** Options of the Nacos registry the environment may ask for. */
  readonly nacos?: NacosA2ARegistry.NacosA2ARegistryOptions | undefined
}

/**
 * What the environment asks for: which registry types, in order (empty: none).
 *
 * - `A2A_REGISTRY_ENABLED=false` turns registration off, whatever else is set;
 * - `A2A_REGISTRY_TYPE` (comma list, e.g. `nacos`) names the registries, and turns registration on;
 * - `A2A_REGISTRY_ENABLED=true` without a type means `nacos`;
 * - neither set: no registry. A `NACOS_*` variable alone does not turn registration on (an application may use
 *   Nacos for its configuration only).
 *
 * An unknown type fails with `InvalidArgumentError` (field `A2A_REGISTRY_TYPE`).
 *
 * @category config
 * @since 0.1.0
 */
export const registryTypesConfig: Effect.Effect<
  ReadonlyArray<(typeof REGISTRY_TYPES)[number]>,
  InvalidArgumentError | Config.ConfigError
> = Effect.gen(function* () {
  const enabled = yield* Config.option(Config.Boolean("A2A_REGISTRY_ENABLED"))
  const typeList = yield* Config.option(Config.String("A2A_REGISTRY_TYPE"))
  if (Option.isSome(enabled) && !enabled.value) return []
  const named = Option.match(typeList, {
    onNone: () => [],
    onSome: (list) =>
      list
        .split(",")
        .map((type) => type.trim().toLowerCase())
        .filter((type) => type !== "")
  })
  if (named.length === 0) return Option.isSome(enabled) ? ["nacos"] : []
  const types: Array<(typeof REGISTRY_TYPES)[number]> = []
  for (const type of named) {
    const known = REGISTRY_TYPES.find((candidate) => candidate === type)
    if (known === undefined) {
      return yield* new InvalidArgumentError({
        field: "A2A_REGISTRY_TYPE",
        message: `A2A_REGISTRY_TYPE: unknown registry type "${type}" (known: ${REGISTRY_TYPES.join(", ")})`
      })
    }
    if (!types.includes(known)) types.push(known)
  }
  return types
})

/**
 * The registries the environment asks for (see {@link registryTypesConfig}), read through the current
 * `ConfigProvider` (process.env by default). The `nacos` registry runs over an AiService of its own, configured
 * by the `NACOS_*` variables of `Nacos.layerConfig` (`NACOS_SERVER_ADDR`, `NACOS_USERNAME`, `NACOS_PASSWORD`,
 * `NACOS_NAMESPACE_ID`, `NACOS_ACCESS_KEY`, `NACOS_SECRET_KEY`, …) and closed with the layer; a missing
 * `NACOS_SERVER_ADDR` fails the build with `InvalidArgumentError`. Building never waits for a server: a server
 * that is down only makes the registration retry.
 *
 * Registries given in code (`options.registries`) win: the environment is then not read.
 *
 * @example
 * ```ts
 * import { A2ARegistry } from "@effect-nacos/ai/a2a"
 * import { ConfigProvider, Layer } from "effect"
 *
 * // A2A_REGISTRY_TYPE=nacos NACOS_SERVER_ADDR=127.0.0.1:8848 node agent.ts
 * const Registries = A2ARegistry.layerFromEnv()
 * // in a test, from a fixed environment
 * const ForTest = A2ARegistry.layerFromEnv().pipe(
 *   Layer.provide(ConfigProvider.layer(ConfigProvider.fromEnv({ env: { A2A_REGISTRY_ENABLED: "false" } })))
 * )
 * ```
 *
 * @category layers
 * @since 0.1.0
 */
export const layerFromEnv = (
  options: FromEnvOptions = {}
): Layer.Layer<A2ARegistries, InvalidArgumentError | TransportError | Config.ConfigError> =>
  Layer.effect(
    A2ARegistries,
    Effect.gen(function* () {
      if (options.registries !== undefined) return options.registries
      const types = yield* registryTypesConfig
      const registries: Array<Registry> = []
      for (const type of types) {
        switch (type) {
          case "nacos": {
            const context = yield* Layer.build(AiService.layer.pipe(Layer.provide(Nacos.layerConfig)))
            registries.push(NacosA2ARegistry.make(Context.get(context, AiService.AiService), options.nacos))
          }
        }
      }
      return registries
    })
  )
