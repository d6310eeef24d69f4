/**
 * @effect-nacos/core — options, errors, server list, auth, cache and the gRPC/HTTP transport shared by the
 * config, naming and AI services.
 *
 * @since 0.1.0
 */
export * as Auth from "./Auth.ts"
export * as Cache from "./Cache.ts"
export * as Connection from "./Connection.ts"
export * as FanOut from "./FanOut.ts"
export * as FuzzyWatch from "./FuzzyWatch.ts"
export * as Nacos from "./Nacos.ts"
export type { NacosError as AnyNacosError } from "./NacosError.ts"
export * as NacosError from "./NacosError.ts"
export {
  AuthError,
  ConflictError,
  InvalidArgumentError,
  NotFoundError,
  NotSupportedError,
  ServerError,
  TransportError
} from "./NacosError.ts"
export * as NacosHttp from "./NacosHttp.ts"
export * as NacosMetrics from "./NacosMetrics.ts"
export * as NacosOptions from "./NacosOptions.ts"
export * as NacosTelemetry from "./NacosTelemetry.ts"
export * as Policy from "./Policy.ts"
export * as ServerAddress from "./ServerAddress.ts"
export * as ServerList from "./ServerList.ts"
export * as Transport from "./Transport.ts"
export * as Validation from "./Validation.ts"
