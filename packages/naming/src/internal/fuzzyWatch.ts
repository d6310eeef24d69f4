/**
 * Naming fuzzy watch over the module's connection: the naming wire (protocol reference §6.1 as corrected by the
 * 3.1.0 verification N16) for core's shared mechanism, and the `watchServices` front end with its models.
 *
 * Keys are service keys `namespace@@group@@service`. A service is added when it gets its first instance (or exists
 * on the server when the watch starts — the server matches every service it holds, even one whose instances are
 * gone), removed when its last one goes. The server ignores the request's `namespace` field (the namespace is the
 * pattern's first part); it is sent anyway, as Java does.
 */

import { type Connection, FuzzyWatch, Validation } from "@effect-nacos/core"
import * as Effect from "effect/Effect"
import * as PubSub from "effect/PubSub"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import { type ServiceKeysEvent, type WatchServicesError, WatchServicesParams } from "../NamingModels.ts"
import type { ServiceKey } from "./serviceKey.ts"
import { groupedName } from "./serviceKey.ts"

const nullable = <S extends Schema.Top>(schema: S) => Schema.optional(Schema.NullOr(schema))

/** `NamingFuzzyWatchSyncRequest`: the initial set in batches of 10, then a finish mark; or a re-sync difference. */
export const NamingFuzzyWatchSyncRequest = Schema.Struct({
  groupKeyPattern: Schema.String,
  syncType: Schema.String,
  contexts: nullable(Schema.Array(Schema.Struct({ serviceKey: Schema.String, changedType: Schema.String })))
})

/** `NamingFuzzyWatchChangeNotifyRequest`: one service came (`ADD_SERVICE`) or went (`DELETE_SERVICE`). */
export const NamingFuzzyWatchChangeNotifyRequest = Schema.Struct({
  serviceKey: Schema.String,
  changedType: Schema.String
})

/** `NamingUtils.getServiceKey`: `namespace@@group@@service` (a service name never contains `@@`). */
export const parseServiceKey = (serviceKey: string): ServiceKey | undefined => {
  const [namespace, groupName, ...rest] = serviceKey.split("@@")
  const serviceName = rest.join("@@")
  if (namespace === undefined || namespace === "" || groupName === undefined || groupName === "" || serviceName === "")
    return undefined
  return { namespace, groupName, serviceName }
}

export const protocol: FuzzyWatch.Protocol<ServiceKey> = {
  feature: "naming fuzzy watch",
  requestType: "NamingFuzzyWatchRequest",
  requestFields: (pattern) => ({ namespace: pattern.namespace }),
  // as Java (`NamingGrpcClientProxy#requestToServer`): signed over the namespace only
  resource: (pattern) => ({ module: "naming", namespace: pattern.namespace }),
  syncPush: FuzzyWatch.pushSpec({
    pushType: "NamingFuzzyWatchSyncRequest",
    responseType: "NamingFuzzyWatchSyncResponse",
    schema: NamingFuzzyWatchSyncRequest,
    read: (push) => ({
      pattern: push.groupKeyPattern,
      syncType: push.syncType,
      changes: (push.contexts ?? []).map((context) => ({ key: context.serviceKey, changedType: context.changedType }))
    })
  }),
  changePush: FuzzyWatch.pushSpec({
    pushType: "NamingFuzzyWatchChangeNotifyRequest",
    responseType: "NamingFuzzyWatchChangeNotifyResponse",
    schema: NamingFuzzyWatchChangeNotifyRequest,
    read: (push) => ({ key: push.serviceKey, changedType: push.changedType })
  }),
  addedTypes: ["ADD_SERVICE"],
  removedTypes: ["DELETE_SERVICE"],
  keys: {
    parse: (wireKey) => {
      const key = parseServiceKey(wireKey)
      return key === undefined
        ? undefined
        : { namespace: key.namespace, group: key.groupName, name: key.serviceName, key }
    }
  }
}

export interface NamingFuzzyWatch {
  readonly watchServices: (params: WatchServicesParams) => Stream.Stream<ServiceKeysEvent, WatchServicesError>
}

const toEvent = (event: FuzzyWatch.Event<ServiceKey>): ServiceKeysEvent =>
  event._tag === "Snapshot"
    ? {
        _tag: "Snapshot",
        services: event.keys.map(({ namespace, groupName, serviceName }) => ({ namespace, groupName, serviceName }))
      }
    : {
        _tag: event._tag,
        namespace: event.key.namespace,
        groupName: event.key.groupName,
        serviceName: event.key.serviceName
      }

/**
 * The naming front end on `connection` (once per connection: it owns the two push types); `namespace` is the
 * client's, used when a watch names none.
 */
export const make = Effect.fnUntraced(function* (
  connection: Connection.Connection,
  namespace: string,
  options?: FuzzyWatch.Options
): Effect.fn.Return<NamingFuzzyWatch, never, Scope.Scope> {
  const watcher = yield* FuzzyWatch.make(connection, protocol, options)
  const watchServices = (params: WatchServicesParams) =>
    Stream.unwrap(
      Effect.map(Validation.validate(WatchServicesParams, params), (valid) =>
        watcher
          .watch({
            namespace: valid.namespace ?? namespace,
            groupPattern: valid.groupPattern,
            namePattern: valid.servicePattern
          })
          .pipe(Stream.map(toEvent))
      )
    )
  return { watchServices }
})

/** The memory layer's fuzzy watch: fed by the memory store whenever a service's instances change. */
export interface MemoryNamingFuzzyWatch extends NamingFuzzyWatch {
  /** Tells the watches whether `key` has instances now (as the server: added on the first, removed on the last). */
  readonly servicePresence: (key: ServiceKey, hasInstances: boolean) => Effect.Effect<void>
}

const serviceId = (key: ServiceKey) => `${key.namespace}@@${groupedName(key)}`

/** Fuzzy watch over a store in memory, with the live layer's validation and events (no server limits). */
export const makeMemory = Effect.fnUntraced(function* (namespace: string): Effect.fn.Return<MemoryNamingFuzzyWatch> {
  const present = new Map<string, ServiceKey>()
  const changes = yield* PubSub.unbounded<{ readonly key: ServiceKey; readonly hasInstances: boolean }>()

  const servicePresence = (key: ServiceKey, hasInstances: boolean) =>
    Effect.suspend(() => {
      const id = serviceId(key)
      if (hasInstances === present.has(id)) return Effect.void
      if (hasInstances) present.set(id, key)
      else present.delete(id)
      return PubSub.publish(changes, { key, hasInstances })
    })

  const watchServices = (params: WatchServicesParams): Stream.Stream<ServiceKeysEvent, WatchServicesError> =>
    Stream.unwrap(
      Effect.gen(function* () {
        const valid = yield* Validation.validate(WatchServicesParams, params)
        const pattern = {
          namespace: valid.namespace ?? namespace,
          groupPattern: valid.groupPattern,
          namePattern: valid.servicePattern
        }
        const matches = (key: ServiceKey) =>
          FuzzyWatch.matches(pattern, { namespace: key.namespace, group: key.groupName, name: key.serviceName })
        const subscription = yield* PubSub.subscribe(changes)
        const matched = new Map([...present].filter(([, key]) => matches(key)))
        const snapshot = toEvent({ _tag: "Snapshot", keys: [...matched.values()] })
        const later = Stream.fromSubscription(subscription).pipe(
          Stream.map(({ key, hasInstances }): ReadonlyArray<ServiceKeysEvent> => {
            const id = serviceId(key)
            if (!matches(key) || hasInstances === matched.has(id)) return []
            if (hasInstances) matched.set(id, key)
            else matched.delete(id)
            return [toEvent({ _tag: hasInstances ? "Added" : "Removed", key })]
          }),
          Stream.flattenIterable
        )
        return Stream.concat(Stream.make(snapshot), later)
      })
    )

  return { watchServices, servicePresence }
})
