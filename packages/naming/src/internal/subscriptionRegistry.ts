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
import type { ServiceHold } from "./backend.ts"
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
  /** See `NamingBackend.holdServices`: the holds are the entries themselves, one counted subscriber more each. */
  readonly holdServices: (keys: ReadonlyArray<ServiceKey>) => Effect.Effect<ReadonlyArray<ServiceHold>>
  readonly releaseServices: (holds: ReadonlyArray<ServiceHold>) => Effect.Effect<void>
  readonly subscribedView: (key: ServiceKey) => Effect.Effect<Option.Option<ServiceInfo>>
}

/** One subscribed service; its fields are plain values (no Option, no fiber once subscribed) to stay small. */
interface Subscribed extends ServiceHold {
  readonly key: ServiceKey
  /** The server's last answer, shown again when a failover file goes away. */
  server: ServiceInfo | undefined
  fromFailover: boolean
  /** The subscribers sharing the entry; at 0 it goes. */
  subscribers: number
  /** The first subscribe while it runs (retried until it succeeds), stopped if the last subscriber leaves before. */
  subscribing: Fiber.Fiber<void> | undefined
}

/** Same instances, same order-insensitive content: nothing for a subscriber to see. */
const sameView = (left: ServiceInfo, right: ServiceInfo) => {
  if (left.hosts.length !== right.hosts.length) return false
  const canonical = (service: ServiceInfo) => service.hosts.map(fingerprint).sort().join("\n")
  return canonical(left) === canonical(right)
}

/**
 * A view as subscribers see it: named with its entry's own strings, whatever a file or the server spelled (the
 * decoded copies of the names are then not kept for as long as the view lives).
 */
const named = (key: ServiceKey, service: ServiceInfo): ServiceInfo => ({
  ...service,
  name: key.serviceName,
  groupName: key.groupName
})

export const make = Effect.fnUntraced(function* (
  options: SubscriptionRegistryOptions
): Effect.fn.Return<SubscriptionRegistry, never, Scope.Scope> {
  const { namespace, connection, cache } = options
  const entries = new Map<string, Subscribed>()
  let snapshotFailing = false

  const live = (entry: Subscribed) => entries.get(entry.id) === entry

  /** Publishes `service` (already {@link named}) unless subscribers would see no difference. */
  const show = (entry: Subscribed, service: ServiceInfo) =>
    Effect.suspend(() => {
      const current = entry.view.current()
      if (Option.isSome(current) && sameView(current.value, service)) return Effect.void
      return entry.view.publish(service)
    })

  const writeSnapshot = (id: string, service: ServiceInfo) =>
    cache.writeServiceSnapshot(namespace, id, toJavaJson(service)).pipe(
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

  // Snapshot writes (a mkdir, a write and a rename each) are kept off the way of subscribers and pushes: the
  // latest view per service waits here, and one fiber writes them while there are any
  const unwritten = new Map<string, ServiceInfo>()
  let writing = false
  const writeUnwritten: Effect.Effect<void> = Effect.suspend(() => {
    const next = unwritten.entries().next()
    if (next.done === true) {
      writing = false
      return Effect.void
    }
    const [id, service] = next.value
    unwritten.delete(id)
    return Effect.andThen(writeSnapshot(id, service), writeUnwritten)
  })
  const registryScope = yield* Effect.scope
  // what is still waiting when the service closes is written then
  yield* Effect.addFinalizer(() =>
    Effect.suspend(() => {
      writing = true
      return writeUnwritten
    })
  )
  const queueSnapshot = (entry: Subscribed, service: ServiceInfo) =>
    Effect.suspend(() => {
      unwritten.set(entry.id, service)
      if (writing) return Effect.void
      writing = true
      return Effect.asVoid(Effect.forkIn(writeUnwritten, registryScope))
    })

  /** A local file's view, named for the entry. */
  const fromFile = (entry: Subscribed, json: Option.Option<string>) =>
    Option.flatMap(json, (text) =>
      Option.map(Option.fromNullishOr(fromJavaJson(text, entry.key)), (service) => named(entry.key, service))
    )

  const readFailover = (entry: Subscribed) =>
    Effect.map(cache.readServiceFailover(namespace, entry.id), (json) => fromFile(entry, json))

  /** A server view: remembered, written through, shown unless a failover file overrides it. */
  const applyServer = (entry: Subscribed, answer: ServiceInfo) =>
    Effect.gen(function* () {
      if (!live(entry)) return
      const previous = entry.server
      // the same view again (the push that follows every subscribe, a re-subscribe's answer): nothing to write or
      // show, and the failover file has its own schedule — a push costs no file read
      if (previous !== undefined && sameView(previous, answer)) return
      const service = named(entry.key, answer)
      entry.server = service
      yield* queueSnapshot(entry, service)
      const failover = yield* readFailover(entry)
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
          const failover = yield* readFailover(entry)
          if (Option.isSome(failover)) {
            entry.fromFailover = true
            return yield* show(entry, failover.value)
          }
          if (entry.fromFailover && entry.server !== undefined) {
            entry.fromFailover = false
            yield* show(entry, entry.server)
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
      if (entry !== undefined && wire.hosts !== null && wire.hosts !== undefined) yield* applyServer(entry, service)
      return {}
    })
  )

  yield* connection.reconnected.pipe(
    Stream.runForEach(() =>
      Effect.forEach([...entries.values()], subscribe, { concurrency: 16, discard: true }).pipe(Effect.forkScoped)
    ),
    Effect.forkScoped
  )

  // the service closing before its subscribers' scopes (a layer provided inside them): every subscription still
  // held is dropped now, while the connection is up, as its last subscriber would have
  yield* Effect.addFinalizer(() => dropAll([...entries.values()]))

  /**
   * The first subscribe, in the registry's scope, unless the entry went meanwhile (the service closing); the entry
   * forgets the fiber when it ends (a finished fiber is still 1 KiB).
   */
  const startSubscribe = (entry: Subscribed) =>
    Effect.suspend(() =>
      live(entry)
        ? Effect.map(Effect.forkIn(subscribe(entry), registryScope), (fiber) => {
            entry.subscribing = fiber
            fiber.addObserver(() => {
              if (entry.subscribing === fiber) entry.subscribing = undefined
            })
          })
        : Effect.void
    )

  /** A new entry shows what local files hold until the server answers. */
  const showLocal = (entry: Subscribed) =>
    Effect.gen(function* () {
      const failover = yield* readFailover(entry)
      if (Option.isSome(failover)) {
        entry.fromFailover = true
        return yield* show(entry, failover.value)
      }
      if (!options.loadCacheAtStart) return
      const cached = fromFile(entry, yield* cache.readServiceSnapshot(namespace, entry.id))
      if (Option.isSome(cached) && entry.server === undefined) yield* show(entry, cached.value)
    })

  /** One subscriber more; the first one creates the entry, shows what local files hold and subscribes. */
  const acquire = (key: ServiceKey) =>
    Effect.suspend(() => {
      const id = groupedName(key)
      const existing = entries.get(id)
      if (existing !== undefined) {
        existing.subscribers++
        return Effect.succeed(existing)
      }
      const entry: Subscribed = {
        id,
        key,
        view: FanOut.make<ServiceInfo>(),
        server: undefined,
        fromFailover: false,
        subscribers: 1,
        subscribing: undefined
      }
      entries.set(id, entry)
      return showLocal(entry).pipe(Effect.andThen(startSubscribe(entry)), Effect.as(entry))
    })

  /** One subscriber less; whether it was the last (the entry is then gone from `entries`, to be dropped). */
  const release = (entry: Subscribed) => {
    entry.subscribers--
    if (entry.subscribers > 0 || !live(entry)) return false
    entries.delete(entry.id)
    return true
  }

  /** A removed entry goes: its first subscribe stops, the server is told. */
  const unsubscribe = (entry: Subscribed) =>
    Effect.suspend(() => {
      const subscribing = entry.subscribing
      entry.subscribing = undefined
      // without a session the server has already forgotten the subscription with the connection
      const tell = Effect.flatMap(connection.available, (available) =>
        available
          ? subscribeRequest(connection, entry.key, false).pipe(
              Effect.timeout("3 seconds"),
              Effect.catchCause(() => Effect.void)
            )
          : Effect.void
      )
      return subscribing === undefined ? tell : Effect.andThen(Fiber.interrupt(subscribing), tell)
    })

  const dropAll = (dropped: ReadonlyArray<Subscribed>) =>
    Effect.suspend(() => {
      for (const entry of dropped) entries.delete(entry.id)
      return Effect.forEach(dropped, unsubscribe, { concurrency: 16, discard: true })
    })

  return {
    // a count per service, not an RcMap, and the holds are the entries: a subscriber keeps nothing of its own here
    holdServices: (keys) => Effect.forEach(keys, acquire),
    releaseServices: (holds) =>
      Effect.suspend(() => {
        const dropped: Array<Subscribed> = []
        for (const hold of holds) {
          // a hold on an entry already dropped (the service closed first) has nothing left to give back
          const entry = entries.get(hold.id)
          if (entry === hold && release(entry)) dropped.push(entry)
        }
        return dropped.length === 0
          ? Effect.void
          : Effect.forEach(dropped, unsubscribe, { concurrency: 16, discard: true })
      }),
    subscribedView: (key) =>
      Effect.sync(() => {
        const entry = entries.get(groupedName(key))
        return entry === undefined ? Option.none() : entry.view.current()
      })
  }
})
