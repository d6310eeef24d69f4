/**
 * Config fuzzy watch over the module's connection: the config wire (protocol reference §5.2 / §5.9 as the 3.1.0
 * server sends it) for core's shared mechanism. Keys are group keys `dataId+group+tenant` (`+` and `%` escaped as
 * `%2B` / `%25`; a key without tenant is in `public`).
 *
 * What 3.1.0 really pushes (`ConfigFuzzyWatchChangeNotifier`): a config created after the watch comes as
 * `CONFIG_CHANGED` (the server cannot tell a creation from an update; it pushes only when the key is new to the
 * pattern), a deletion as `DELETE_CONFIG`; the sync pushes say `ADD_CONFIG` / `DELETE_CONFIG`.
 */

import { type Connection, FuzzyWatch } from "@effect-nacos/core"
import type * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import type { ConfigKey } from "./configKey.ts"

const nullable = <S extends Schema.Top>(schema: S) => Schema.optional(Schema.NullOr(schema))

/** `ConfigFuzzyWatchSyncRequest`: the initial set in batches, then a finish mark; or a re-sync difference. */
export const ConfigFuzzyWatchSyncRequest = Schema.Struct({
  groupKeyPattern: Schema.String,
  syncType: Schema.String,
  contexts: nullable(Schema.Array(Schema.Struct({ groupKey: Schema.String, changedType: Schema.String })))
})

/** `ConfigFuzzyWatchChangeNotifyRequest`: one key came or went (note `changeType`, not `changedType`). */
export const ConfigFuzzyWatchChangeNotifyRequest = Schema.Struct({
  groupKey: Schema.String,
  changeType: Schema.String
})

/** `GroupKey.parseKey`: `dataId+group[+tenant]`, unescaping `%2B` and `%25`. */
export const parseGroupKey = (groupKey: string): ConfigKey | undefined => {
  const parts = groupKey.split("+").map((part) => part.replaceAll("%2B", "+").replaceAll("%25", "%"))
  if (parts.length < 2 || parts.length > 3) return undefined
  const [dataId = "", group = "", tenant = ""] = parts
  if (dataId === "" || group === "") return undefined
  return { dataId, group, namespace: tenant === "" ? "public" : tenant }
}

export const protocol: FuzzyWatch.Protocol<ConfigKey> = {
  feature: "config fuzzy watch",
  requestType: "ConfigFuzzyWatchRequest",
  // as Java (`ClientWorker#resourceBuild`): a fuzzy watch is signed as a config request naming no key
  resource: () => ({ module: "config" }),
  syncPush: FuzzyWatch.pushSpec({
    pushType: "ConfigFuzzyWatchSyncRequest",
    responseType: "ConfigFuzzyWatchSyncResponse",
    schema: ConfigFuzzyWatchSyncRequest,
    read: (push) => ({
      pattern: push.groupKeyPattern,
      syncType: push.syncType,
      changes: (push.contexts ?? []).map((context) => ({ key: context.groupKey, changedType: context.changedType }))
    })
  }),
  changePush: FuzzyWatch.pushSpec({
    pushType: "ConfigFuzzyWatchChangeNotifyRequest",
    responseType: "ConfigFuzzyWatchChangeNotifyResponse",
    schema: ConfigFuzzyWatchChangeNotifyRequest,
    read: (push) => ({ key: push.groupKey, changedType: push.changeType })
  }),
  addedTypes: ["ADD_CONFIG", "CONFIG_CHANGED"],
  removedTypes: ["DELETE_CONFIG"],
  keys: {
    parse: (wireKey) => {
      const key = parseGroupKey(wireKey)
      return key === undefined ? undefined : { namespace: key.namespace, group: key.group, name: key.dataId, key }
    }
  }
}

/** The mechanism on the config connection (once per connection: it owns the two push types). */
export const make = (
  connection: Connection.Connection,
  options?: FuzzyWatch.Options
): Effect.Effect<FuzzyWatch.FuzzyWatcher<ConfigKey>, never, Scope.Scope> =>
  FuzzyWatch.make(connection, protocol, options)
