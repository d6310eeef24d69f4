/**
 * @effect-nacos/config — Nacos configuration over gRPC: get / publish / remove / watch, with failover and snapshot
 * files, filters (including a user-supplied cipher) and an HTTP fallback.
 *
 * @since 0.1.0
 */
export * as ConfigFilter from "./ConfigFilter.ts"
export type { ConfigEvent, ConfigInfo } from "./ConfigModels.ts"
export * as ConfigModels from "./ConfigModels.ts"
export * as ConfigPolicy from "./ConfigPolicy.ts"
export * as ConfigService from "./ConfigService.ts"
