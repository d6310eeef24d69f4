/**
 * What the service needs from wherever configs live (a Nacos server, or memory): the three operations and a
 * shared, change-detected view of one key. Validation, filters and the local failover/snapshot files are the
 * service's job, so every backend gets them the same way.
 */

import type {
  AuthError,
  ConflictError,
  FanOut,
  FuzzyWatch,
  InvalidArgumentError,
  ServerError,
  TransportError
} from "@effect-nacos/core"
import * as Data from "effect/Data"
import type * as Effect from "effect/Effect"
import type * as Option from "effect/Option"
import type * as Stream from "effect/Stream"
import type { ConfigEvent, PublishConfigParams } from "../ConfigModels.ts"
import type { ConfigKey } from "./configKey.ts"

/** A config as the server holds it (content before filters). */
export interface RemoteConfig {
  readonly content: string
  readonly md5: string
  readonly type?: string | undefined
  readonly encryptedDataKey?: string | undefined
  readonly lastModified?: number | undefined
  readonly beta: boolean
  readonly tag?: string | undefined
}

/** Everything publish sends besides the key, after filters. */
export type PublishRequest = Omit<PublishConfigParams, "dataId" | "group">

/**
 * A publish that was sent but got no answer (timeout, connection lost mid-call): the server may have applied it.
 * Never re-sent blindly (a CAS publish would conflict with itself, a large one could be refused by the next
 * transport after the first stored it); the service checks the server's md5 instead. `error` says what happened,
 * in words a user may see.
 */
export class UnconfirmedPublish extends Data.TaggedError("UnconfirmedPublish")<{ readonly error: TransportError }> {}

export type QueryError = TransportError | ServerError | AuthError | ConflictError | InvalidArgumentError
/** A `TransportError` here means the publish surely did not reach a server, so another transport may send it. */
export type PublishError =
  | TransportError
  | ServerError
  | AuthError
  | ConflictError
  | InvalidArgumentError
  | UnconfirmedPublish
export type RemoveError = TransportError | ServerError | AuthError | InvalidArgumentError

/** The three unary operations; `None` from `query` means the server does not have the config. */
export interface ConfigOperations {
  readonly query: (key: ConfigKey, tag: string | undefined) => Effect.Effect<Option.Option<RemoteConfig>, QueryError>
  readonly publish: (key: ConfigKey, request: PublishRequest) => Effect.Effect<void, PublishError>
  readonly remove: (key: ConfigKey, tag: string | undefined) => Effect.Effect<void, RemoveError>
}

export interface ConfigBackend extends ConfigOperations {
  readonly namespace: string
  /**
   * The shared state of each watched key (in the order given) until the same keys are given to `unwatchKeys`: no
   * value until the first is known, then the latest event (unfiltered). Any number of callers share one
   * server-side listen. A caller gives its keys back once, from the one finalizer that also undoes its own part of
   * the watch (nothing per watch is kept for it): run this uninterruptibly with registering that finalizer.
   */
  readonly watchKeys: (keys: ReadonlyArray<ConfigKey>) => Effect.Effect<ReadonlyArray<FanOut.FanOut<ConfigEvent>>>
  /** One watcher less for each of `keys`, given to `watchKeys` before. */
  readonly unwatchKeys: (keys: ReadonlyArray<ConfigKey>) => Effect.Effect<void>
  /**
   * The keys a fuzzy-watch pattern matches: a `Snapshot` first, then `Added` / `Removed`. Any number of callers
   * of one pattern share one server-side watch.
   */
  readonly watchConfigs: (
    pattern: FuzzyWatch.PatternParts
  ) => Stream.Stream<FuzzyWatch.Event<ConfigKey>, FuzzyWatch.WatchError>
}

/** The fields a config's key and content give every result and event. */
export const configFields = (key: ConfigKey, config: RemoteConfig) => ({
  dataId: key.dataId,
  group: key.group,
  namespace: key.namespace,
  content: config.content,
  md5: config.md5,
  ...(config.type === undefined ? {} : { type: config.type }),
  ...(config.encryptedDataKey === undefined ? {} : { encryptedDataKey: config.encryptedDataKey }),
  ...(config.lastModified === undefined ? {} : { lastModified: config.lastModified })
})

/** A server answer turned into the event a watcher sees. */
export const changedEvent = (key: ConfigKey, config: RemoteConfig): ConfigEvent => ({
  _tag: "Changed",
  ...configFields(key, config)
})

export const keyEvent = (tag: "Absent" | "Deleted", key: ConfigKey): ConfigEvent => ({
  _tag: tag,
  dataId: key.dataId,
  group: key.group,
  namespace: key.namespace
})
