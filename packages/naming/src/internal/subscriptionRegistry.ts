/**
 * The subscribe machinery of the live service (reference §6.5, verification N11/N12/N17).
 *
 * One entry per subscribed service, shared (counted) by every subscriber of that service: the first one
 * sends `SubscribeServiceRequest(subscribe=true, clusters="")` (all clusters; each subscriber filters its own),
 * the last one leaving sends `subscribe=false`. `NotifySubscriberRequest` pushes update the entry and are acked
 * at once. After every reconnect each entry is subscribed again and the answer applied, so whatever changed while
 * disconnected reaches the subscribers (the Java client discards that answer and waits for a push; the diff makes
 * applying it harmless).
 *
 * Local files: every server view is written through to the snapshot; with `loadCacheAtStart` a new entry shows
 * the snapshot until the server answers; while a failover file exists for the service (and the failover switch
 * is on) the entry shows the file instead of the server, checked on `failoverCheck`.
 */

import { type Cache, type Connection, FanOut } from "@effect-nacos/core"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import type * as Schedule from "effect/Schedule"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import type { ServiceInfo } from "../NamingModels.ts"
import { subscribeRequest } from "./grpcOperations.ts"
import { fingerprint } from "./instanceDiff.ts"
import { groupedName, makeKey, type ServiceKey } from "./serviceKey.ts"
import { fromJavaJson, NotifySubscriberRequest, toJavaJson, toServiceInfo } from "./wire.ts"

export interface SubscriptionRegistryOptions {
  readonly namespace: string
  readonly connection: Connection.Connection
  readonly cache: Cache.NacosCache["Service"]
  readonly loadCacheAtStart: boolean
  readonly retry: Schedule.Schedule<unknown>
  readonly failoverCheck: Schedule.Schedule<unknown>
}

export interface SubscriptionRegistry {
  readonly watchService: (key: ServiceKey) => Effect.Effect<FanOut.FanOut<ServiceInfo>, never, Scope.Scope>
  readonly subscribedView: (key: ServiceKey) => Effect.Effect<Option.Option<ServiceInfo>>
}

interface Subscribed {
  readonly key: ServiceKey
  /** No value until the first view (server, failover file or snapshot), then the latest: core's shared fan-out. */
  readonly view: FanOut.FanOut<ServiceInfo>
  /** The server's last answer, shown again when a failover file goes away. */
  server: Option.Option<ServiceInfo>
  fromFailover: boolean
  fromServer: boolean
  /** The subscribers sharing the entry; at 0 it goes. */
  subscribers: number
  /** The first subscribe (retried until it succeeds), stopped if the last subscriber leaves before. */
  subscribing: Fiber.Fiber<void> | undefined
}

/** Same instances, same order-insensitive content: nothing for a subscriber to see. */
const sameView = (left: ServiceInfo, right: ServiceInfo) => {
  if (left.hosts.length !== right.hosts.length) return false
  const canonical = (service: ServiceInfo) => service.hosts.map(fingerprint).sort().join("\n")
  return canonical(left) === canonical(right)
}

export const make = Effect.fnUntraced(function* (
  options: SubscriptionRegistryOptions
): Effect.fn.Return<SubscriptionRegistry, never, Scope.Scope> {
  const { namespace, connection, cache } = options
  const entries = new Map<string, Subscribed>()
  let snapshotFailing = false

  const show = (entry: Subscribed, service: ServiceInfo) =>
    Effect.gen(function* () {
      const current = entry.view.current()
      if (Option.isSome(current) && sameView(current.value, service)) return
      yield* entry.view.publish(service)
    })

  const writeSnapshot = (key: ServiceKey, service: ServiceInfo) =>
    cache.writeServiceSnapshot(namespace, groupedName(key), toJavaJson(service)).pipe(
      Effect.matchEffect({
        onSuccess: () =>
          Effect.sync(() => {
            snapshotFailing = false
          }),
        onFailure: (error) =>
          Effect.suspend(() => {
            const first = !snapshotFailing
            snapshotFailing = true
            const message = `naming snapshot not updated (${error.message})`
            return first ? Effect.logWarning(message) : Effect.logDebug(message)
          })
      })
    )

  const readFailover = (key: ServiceKey) =>
    Effect.map(cache.readServiceFailover(namespace, groupedName(key)), (json) =>
      Option.flatMap(json, (text) => Option.fromNullishOr(fromJavaJson(text, key)))
    )

  /** A server view: remembered, written through, shown unless a failover file overrides it. */
  const applyServer = (entry: Subscribed, service: ServiceInfo) =>
    Effect.gen(function* () {
      if (entries.get(groupedName(entry.key)) !== entry) return
      const previous = entry.server
      entry.server = Option.some(service)
      entry.fromServer = true
      if (Option.isNone(previous) || !sameView(previous.value, service)) yield* writeSnapshot(entry.key, service)
      const failover = yield* readFailover(entry.key)
      if (Option.isSome(failover)) {
        entry.fromFailover = true
        return yield* show(entry, failover.value)
      }
      entry.fromFailover = false
      yield* show(entry, service)
    })

  const subscribe = (entry: Subscribed) =>
    subscribeRequest(connection, entry.key, true).pipe(
      Effect.flatMap((service) => applyServer(entry, service)),
      Effect.tapError((error) =>
        Effect.logDebug(`naming subscribe of ${entry.key.serviceName} failed, retrying (${error.message})`)
      ),
      Effect.retry(options.retry),
      Effect.catch((error) =>
        Effect.logWarning(`naming subscribe of ${entry.key.serviceName} gave up (${error.message})`)
      )
    )

  const checkFailover = Effect.suspend(() =>
    Effect.forEach(
      [...entries.values()],
      (entry) =>
        Effect.gen(function* () {
          const failover = yield* readFailover(entry.key)
          if (Option.isSome(failover)) {
            entry.fromFailover = true
            return yield* show(entry, failover.value)
          }
          if (entry.fromFailover && Option.isSome(entry.server)) {
            entry.fromFailover = false
            yield* show(entry, entry.server.value)
          }
        }),
      { discard: true }
    )
  )

  yield* checkFailover.pipe(Effect.repeat(options.failoverCheck), Effect.forkScoped)

  yield* connection.handlePush("NotifySubscriberRequest", NotifySubscriberRequest, "NotifySubscriberResponse", (push) =>
    Effect.gen(function* () {
      const wire = push.serviceInfo
      if (wire === null || wire === undefined) return {}
      const service = toServiceInfo(wire, { serviceName: "", groupName: "" })
      const entry = entries.get(groupedName(makeKey(namespace, service.name, service.groupName)))
      // a host list of null means "nothing known" (Java ignores it); an empty list is a real empty push
      if (entry !== undefined && wire.hosts !== null && wire.hosts !== undefined) {
        yield* applyServer(entry, { ...service, name: entry.key.serviceName, groupName: entry.key.groupName })
      }
      return {}
    })
  )

  yield* connection.reconnected.pipe(
    Stream.runForEach(() =>
      Effect.forEach([...entries.values()], subscribe, { concurrency: 16, discard: true }).pipe(Effect.forkScoped)
    ),
    Effect.forkScoped
  )

  const registryScope = yield* Effect.scope
  // the service closing before its subscribers' scopes (a layer provided inside them): every subscription still
  // held is dropped now, while the connection is up, as its last subscriber would have
  yield* Effect.addFinalizer(() => Effect.forEach([...entries.values()], drop, { concurrency: 16, discard: true }))

  /** One subscriber more; the first one creates the entry, shows what local files hold and subscribes. */
  const acquire = (id: string) =>
    Effect.gen(function* () {
      const existing = entries.get(id)
      if (existing !== undefined) {
        existing.subscribers++
        return existing
      }
      const [groupName = "", serviceName = ""] = id.split("@@")
      const key = makeKey(namespace, serviceName, groupName)
      const entry: Subscribed = {
        key,
        view: FanOut.make<ServiceInfo>(),
        server: Option.none(),
        fromFailover: false,
        fromServer: false,
        subscribers: 1,
        subscribing: undefined
      }
      entries.set(id, entry)
      const failover = yield* readFailover(key)
      if (Option.isSome(failover)) {
        entry.fromFailover = true
        yield* show(entry, failover.value)
      } else if (options.loadCacheAtStart) {
        const snapshot = yield* cache.readServiceSnapshot(namespace, id)
        const cached = Option.flatMap(snapshot, (json) => Option.fromNullishOr(fromJavaJson(json, key)))
        if (Option.isSome(cached) && !entry.fromServer) yield* show(entry, cached.value)
      }
      if (entries.get(id) === entry) entry.subscribing = yield* Effect.forkIn(subscribe(entry), registryScope)
      return entry
    })

  /** One subscriber less; the last one stops the first subscribe if still running and unsubscribes. */
  const release = (entry: Subscribed) =>
    Effect.suspend(() => {
      entry.subscribers--
      if (entry.subscribers > 0) return Effect.void
      return drop(entry)
    })

  /** The entry goes: its first subscribe stops, the server is told (once; a dropped entry is not dropped again). */
  const drop = (entry: Subscribed) =>
    Effect.suspend(() => {
      const id = groupedName(entry.key)
      if (entries.get(id) !== entry) return Effect.void
      entries.delete(id)
      const subscribing = entry.subscribing
      entry.subscribing = undefined
      // without a session the server has already forgotten the subscription with the connection
      const unsubscribe = Effect.flatMap(connection.available, (available) =>
        available
          ? subscribeRequest(connection, entry.key, false).pipe(
              Effect.timeout("3 seconds"),
              Effect.catchCause(() => Effect.void)
            )
          : Effect.void
      )
      return subscribing === undefined ? unsubscribe : Effect.andThen(Fiber.interrupt(subscribing), unsubscribe)
    })

  return {
    // a count per service, not an RcMap: 1000 subscribed services must stay small
    watchService: (key) =>
      Effect.uninterruptible(
        Effect.flatMap(acquire(groupedName(key)), (entry) =>
          Effect.as(
            Effect.addFinalizer(() => release(entry)),
            entry.view
          )
        )
      ),
    subscribedView: (key) =>
      Effect.suspend(() => {
        const entry = entries.get(groupedName(key))
        return entry === undefined ? Effect.succeedNone : Effect.sync(() => entry.view.current())
      })
  }
})
