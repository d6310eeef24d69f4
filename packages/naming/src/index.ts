/**
 * @effect-nacos/naming — Nacos service discovery over gRPC: register, deregister and batch instances (ephemeral,
 * owned by the layer, or persistent), queries and weighted selection, and subscriptions as Streams with an explicit
 * push-empty policy, redone after every reconnect.
 *
 * @since 0.1.0
 * @module
 */
export type { Instance, ServiceEvent, ServiceInfo } from "./NamingModels.ts"
export * as NamingModels from "./NamingModels.ts"
export * as NamingPolicy from "./NamingPolicy.ts"
export * as NamingService from "./NamingService.ts"
