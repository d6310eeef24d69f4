/**
 * Which of an agent's endpoints a client goes to, when Nacos lists several (one per running instance): at random
 * ({@link random}), in turn ({@link roundRobin}), or by a rule of your own (implement {@link EndpointSelector}).
 *
 * @since 0.1.0
 * @module
 */
import type { AgentInterface } from "@a2a-js/sdk"

/**
 * Picks one endpoint of an agent; `endpoints` is never empty.
 *
 * @category models
 * @since 0.1.0
 */
export interface EndpointSelector {
  readonly select: (
    agent: string,
    endpoints: readonly [AgentInterface, ...ReadonlyArray<AgentInterface>]
  ) => AgentInterface
}

/**
 * Any endpoint, uniformly at random (`draw` in [0, 1), default `Math.random`).
 *
 * @category constructors
 * @since 0.1.0
 */
export const random = (draw: () => number = Math.random): EndpointSelector => ({
  select: (_agent, endpoints) => endpoints[Math.min(endpoints.length - 1, Math.floor(draw() * endpoints.length))]!
})

/**
 * Each agent's endpoints in turn (a counter per agent; the list is taken in the order given, which is the card's).
 *
 * @category constructors
 * @since 0.1.0
 */
export const roundRobin = (): EndpointSelector => {
  const next = new Map<string, number>()
  return {
    select: (agent, endpoints) => {
      const turn = next.get(agent) ?? 0
      next.set(agent, turn + 1)
      return endpoints[turn % endpoints.length]!
    }
  }
}
