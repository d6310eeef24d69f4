/**
 * Which endpoint of an MCP server a client connects to. Pluggable: anything with a `select` will do; `random` and
 * `roundRobin` are given.
 *
 * @since 0.1.0
 * @module
 */
import * as Effect from "effect/Effect"
import * as Random from "effect/Random"
import type { McpEndpoint } from "./McpEndpoint.ts"

/**
 * Picks one of the endpoints offered (never empty); answers `undefined` to refuse all of them.
 *
 * @example
 * ```ts
 * import { EndpointSelector } from "@effect-nacos/ai/mcp"
 * import { Effect } from "effect"
 *
 * // always the first endpoint whose address is in this zone's subnet, else any
 * const sameZone: EndpointSelector.EndpointSelector = {
 *   name: "same-zone",
 *   select: (endpoints) =>
 *     Effect.succeed(endpoints.find((endpoint) => endpoint.address.startsWith("10.1.")) ?? endpoints[0])
 * }
 * ```
 *
 * @category models
 * @since 0.1.0
 */
export interface EndpointSelector {
  readonly name: string
  readonly select: (endpoints: ReadonlyArray<McpEndpoint>) => Effect.Effect<McpEndpoint | undefined>
}

/**
 * Any endpoint, uniformly at random (Effect's `Random`, so a test can seed it).
 *
 * @category constructors
 * @since 0.1.0
 */
export const random: EndpointSelector = {
  name: "random",
  select: (endpoints) =>
    Effect.map(Random.nextIntBetween(0, endpoints.length, { halfOpen: true }), (index) => endpoints[index])
}

/**
 * Each endpoint in turn (ordered by URL, so a list that comes back in another order keeps the turn); one counter
 * per selector made.
 *
 * @category constructors
 * @since 0.1.0
 */
export const roundRobin = (): EndpointSelector => {
  let turn = 0
  return {
    name: "round-robin",
    select: (endpoints) =>
      Effect.sync(() => {
        const ordered = [...endpoints].sort((a, b) => a.url.localeCompare(b.url))
        return ordered[turn++ % ordered.length]
      })
  }
}
