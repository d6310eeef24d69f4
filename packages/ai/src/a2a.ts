/**
 * `@effect-nacos/ai/a2a` — Nacos as the registry of A2A agents, and the `@a2a-js/sdk` glue:
 *
 * - {@link A2ARegistry}: the pluggable registry service (`name`, `register(card, transports)` in a scope), the
 *   Nacos registry (`layerNacos`) and the environment setup (`layerFromEnv`: `A2A_REGISTRY_ENABLED`,
 *   `A2A_REGISTRY_TYPE`, `NACOS_*`);
 * - {@link BackgroundRegistration}: `registerInBackground`, retried, with a status per registry;
 * - {@link A2AServer}: serves an SDK agent over Express and registers it once it listens (Effect or Promise);
 * - {@link NacosAgentCardResolver} and {@link AgentClients}: the SDK's card resolver over Nacos (by agent name,
 *   kept live) and SDK clients at one of the agent's endpoints ({@link EndpointSelector}).
 *
 * Needs the optional peers `@a2a-js/sdk` (1.3+) and `express` (5+).
 *
 * @since 0.1.0
 * @module
 */
export * as A2AModels from "./a2a/A2AModels.ts"
export * as A2ARegistry from "./a2a/A2ARegistry.ts"
export * as A2AServer from "./a2a/A2AServer.ts"
export * as AgentClients from "./a2a/AgentClients.ts"
export * as BackgroundRegistration from "./a2a/BackgroundRegistration.ts"
export * as CardConversion from "./a2a/CardConversion.ts"
export * as NacosA2ARegistry from "./a2a/NacosA2ARegistry.ts"
export * as NacosAgentCardResolver from "./a2a/NacosAgentCardResolver.ts"
export * as EndpointSelector from "./EndpointSelector.ts"
export * as RegistrationStatus from "./RegistrationStatus.ts"
