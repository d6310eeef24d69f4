/**
 * Which endpoint a client goes to when Nacos lists several for an agent or an MCP server (one per running
 * instance): at random ({@link random}), in turn ({@link roundRobin}), or by a rule of your own — anything with a
 * `name` and a `select`. The A2A clients (`@effect-nacos/ai/a2a`) and the MCP client (`@effect-nacos/ai/mcp`) take
 * the same selectors.
 *
 * @example
 * ```ts
 * import { EndpointSelector } from "@effect-nacos/ai"
 * import { Effect } from "effect"
 *
 * // the first endpoint in this zone's subnet, else any
 * const sameZone: EndpointSelector.EndpointSelector = {
 *   name: "same-zone",
 *   select: (_key, endpoints) =>
 *     Effect.succeed(endpoints.find((endpoint) => endpoint.url.startsWith("http://10.1.")) ?? endpoints[0])
 * }
 * ```
 *
 * @since 0.1.0
 * @module
 */
import * as Effect from "effect/Effect"
import * as Random from "effect/Random"

/**
 * What a selector needs of an endpoint: its URL (an A2A interface, an MCP endpoint).
 *
 * @category models
 * @since 0.1.0
 */
export interface Endpoint {
  readonly url: string
}

/**
 * Picks one of the endpoints offered (never empty) for `key` (the agent's or MCP server's name), or answers
 * `undefined` to refuse them all.
 *
 * @category models
 * @since 0.1.0
 */
export interface EndpointSelector {
  readonly name: string
  readonly select: <E extends Endpoint>(
    key: string,
    endpoints: readonly [E, ...ReadonlyArray<E>]
  ) => Effect.Effect<E | undefined>
}

/**
 * Any endpoint, uniformly at random (Effect's `Random`, so a test can seed it with `Random.withSeed`).
 *
 * @category constructors
 * @since 0.1.0
 */
export const random: EndpointSelector = {
  name: "random",
  select: (_key, endpoints) =>
    Effect.map(Random.nextIntBetween(0, endpoints.length, { halfOpen: true }), (index) => endpoints[index])
}

/**
 * Each key's endpoints in turn, ordered by URL (a list that comes back in another order keeps the turn); one
 * counter per key and selector made.
 *
 * @category constructors
 * @since 0.1.0
 */
export const roundRobin = (): EndpointSelector => {
  const turns = new Map<string, number>()
  return {
    name: "round-robin",
    select: (key, endpoints) =>
      Effect.sync(() => {
        const turn = turns.get(key) ?? 0
        turns.set(key, turn + 1)
        const ordered = [...endpoints].sort((a, b) => a.url.localeCompare(b.url))
        return ordered[turn % ordered.length]
      })
  }
}
