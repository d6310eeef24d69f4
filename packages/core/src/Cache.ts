/**
 * Local copies of server data: user-maintained failover files (read first) and client-written snapshots
 * (last known good, served when the server cannot be reached).
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import type * as Option from "effect/Option"

/**
 * A config's coordinates. `namespace` is the tenant (`public` by default).
 *
 * @category models
 */
export interface ConfigKey {
  readonly namespace: string
  readonly group: string
  readonly dataId: string
}

/**
 * Content and, for encrypted configs, the data key that goes with it.
 *
 * @category models
 */
export interface CachedConfig {
  readonly content: string
  readonly encryptedDataKey?: string | undefined
}

/**
 * A cache never fails its caller: a read that cannot be done is `None`, a write that cannot be done is logged.
 *
 * @category services
 */
export class NacosCache extends Context.Service<
  NacosCache,
  {
    readonly readConfigFailover: (key: ConfigKey) => Effect.Effect<Option.Option<CachedConfig>>
    readonly readConfigSnapshot: (key: ConfigKey) => Effect.Effect<Option.Option<CachedConfig>>
    readonly writeConfigSnapshot: (key: ConfigKey, value: CachedConfig) => Effect.Effect<void>
    readonly removeConfigSnapshot: (key: ConfigKey) => Effect.Effect<void>
    /** Naming: the last ServiceInfo JSON of `group@@service`, per namespace. */
    readonly readServiceSnapshot: (namespace: string, groupedName: string) => Effect.Effect<Option.Option<string>>
    readonly writeServiceSnapshot: (namespace: string, groupedName: string, json: string) => Effect.Effect<void>
    /** Naming failover: `Some(json)` only while the failover switch is on and a file exists for the service. */
    readonly readServiceFailover: (namespace: string, groupedName: string) => Effect.Effect<Option.Option<string>>
  }
>()("@effect-nacos/core/Cache") {}
