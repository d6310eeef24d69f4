/**
 * Nacos service discovery: register instances, query and select them, and subscribe to their changes.
 *
 * The Effect form of the Python SDK's `NacosNamingService` (`register_instance`, `batch_register_instances`,
 * `deregister_instance`, `update_instance`, `get_service`, `list_services`, `list_instances`, `subscribe` /
 * `unsubscribe`, `shutdown` = closing the layer's scope), plus what the Java client adds: weighted
 * `selectOneHealthyInstance` and instance selectors.
 * - Ephemeral instances belong to the layer: they are re-registered after every reconnect and deregistered when
 *   its scope closes. Persistent ones (`ephemeral: false`) stay on the server until deregistered.
 * - `subscribe` is a Stream of the service's instances: the current ones first, then every real change, with the
 *   diff on each event. All subscribers of a service share one server subscription. An empty push is never a
 *   silent wipe: the `protect` policy (default) keeps the last view and emits `EmptyPushIgnored`.
 *
 * @since 0.1.0
 * @module
 */

import {
  type AuthError,
  Cache,
  FanOut,
  type InvalidArgumentError,
  NacosMetrics,
  NacosOptions,
  NacosTelemetry,
  NotFoundError,
  type NotSupportedError,
  type ServerError,
  Transport,
  type TransportError,
  Validation
} from "@effect-nacos/core"
import * as Context from "effect/Context"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Random from "effect/Random"
import type * as Schedule from "effect/Schedule"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import type { NamingBackend, OutgoingInstance, ServiceHold } from "./internal/backend.ts"
import * as NamingFuzzyWatch from "./internal/fuzzyWatch.ts"
import * as GrpcOperations from "./internal/grpcOperations.ts"
import { diffInstances } from "./internal/instanceDiff.ts"
import * as MemoryBackend from "./internal/memoryBackend.ts"
import * as Registrations from "./internal/registrations.ts"
import { inClusters, matchesSelector, pickWeighted } from "./internal/selection.ts"
import { describeKey, groupedName, makeKey, type ServiceKey } from "./internal/serviceKey.ts"
import * as SubscriptionRegistry from "./internal/subscriptionRegistry.ts"
import { fromJavaJson } from "./internal/wire.ts"
import type * as Models from "./NamingModels.ts"
import {
  BatchInstancesParams,
  ClusteredServiceParams,
  DEFAULT_CLUSTER,
  type EmptyPushPolicy,
  type Instance,
  type InstanceParams,
  InstanceParams as InstanceParamsSchema,
  type InstanceSelector,
  type InstanceSpec,
  ListInstancesParams,
  ListServicesParams,
  type ServiceEvent,
  type ServiceInfo,
  type ServiceKeysEvent,
  type ServiceList,
  SubscribeParams,
  type WatchServicesParams
} from "./NamingModels.ts"
import * as NamingPolicy from "./NamingPolicy.ts"

// =============================================================================
// Errors
// =============================================================================

/**
 * What registering, deregistering and updating can fail with; `NotSupportedError` when a persistent instance is
 * asked of a server without the `supportPersistentInstanceByGrpc` ability.
 *
 * @category errors
 * @since 0.1.0
 */
export type RegisterError = InvalidArgumentError | NotSupportedError | TransportError | ServerError | AuthError

/**
 * What `updateInstance` can fail with: `NotFoundError` for an ephemeral instance this client did not register.
 *
 * @category errors
 * @since 0.1.0
 */
export type UpdateError = RegisterError | NotFoundError

/**
 * What queries can fail with.
 *
 * @category errors
 * @since 0.1.0
 */
export type QueryError = InvalidArgumentError | TransportError | ServerError | AuthError

/**
 * What `selectOneHealthyInstance` can fail with: `NotFoundError` when no instance is healthy, enabled and weighted.
 *
 * @category errors
 * @since 0.1.0
 */
export type SelectError = QueryError | NotFoundError

// =============================================================================
// Service
// =============================================================================

/**
 * @category models
 * @since 0.1.0
 */
export interface Service {
  /**
   * Registers an instance. Ephemeral (default): owned by this layer — kept across reconnects, deregistered when
   * the layer's scope closes; registering the same ip/port/cluster again replaces it, other instances of the same
   * service are kept (this client's instances of a service are sent together, as one batch when more than one).
   * `ephemeral: false`: a persistent instance (`PersistentInstanceRequest`), stored by the server until
   * deregistered; needs the server ability `supportPersistentInstanceByGrpc`.
   *
   * @example
   * ```ts
   * import { NamingService } from "@effect-nacos/naming"
   * import { Effect } from "effect"
   *
   * const program = Effect.gen(function* () {
   *   const naming = yield* NamingService.NamingService
   *   // ephemeral: deregistered when the layer's scope closes
   *   yield* naming.registerInstance({ serviceName: "orders", ip: "10.0.0.5", port: 8080, metadata: { zone: "a" } })
   *   // persistent: stays until deregistered
   *   yield* naming.registerInstance({ serviceName: "db", ip: "10.0.0.9", port: 5432, ephemeral: false })
   * })
   * ```
   */
  readonly registerInstance: (params: InstanceParams) => Effect.Effect<void, RegisterError>
  /**
   * Registers several ephemeral instances of one service in one request (added to this client's others).
   *
   * @example
   * ```ts
   * import { NamingService } from "@effect-nacos/naming"
   * import { Effect } from "effect"
   *
   * const program = Effect.gen(function* () {
   *   const naming = yield* NamingService.NamingService
   *   yield* naming.batchRegisterInstances({
   *     serviceName: "orders",
   *     instances: [
   *       { ip: "10.0.0.5", port: 8080 },
   *       { ip: "10.0.0.5", port: 8081, weight: 2 }
   *     ]
   *   })
   * })
   * ```
   */
  readonly batchRegisterInstances: (params: BatchInstancesParams) => Effect.Effect<void, RegisterError>
  /**
   * Removes an instance (matched on ip, port and cluster). Ephemeral: only this client's own; the others it
   * registered for the service stay. Persistent: removed from the server, whoever registered it.
   *
   * @example
   * ```ts
   * import { NamingService } from "@effect-nacos/naming"
   * import { Effect } from "effect"
   *
   * const program = Effect.gen(function* () {
   *   const naming = yield* NamingService.NamingService
   *   yield* naming.deregisterInstance({ serviceName: "orders", ip: "10.0.0.5", port: 8080 })
   * })
   * ```
   */
  readonly deregisterInstance: (params: InstanceParams) => Effect.Effect<void, RegisterError>
  /**
   * Removes several of this client's ephemeral instances of one service in one request.
   *
   * @example
   * ```ts
   * import { NamingService } from "@effect-nacos/naming"
   * import { Effect } from "effect"
   *
   * const program = Effect.gen(function* () {
   *   const naming = yield* NamingService.NamingService
   *   yield* naming.batchDeregisterInstances({
   *     serviceName: "orders",
   *     instances: [
   *       { ip: "10.0.0.5", port: 8080 },
   *       { ip: "10.0.0.5", port: 8081 }
   *     ]
   *   })
   * })
   * ```
   */
  readonly batchDeregisterInstances: (params: BatchInstancesParams) => Effect.Effect<void, RegisterError>
  /**
   * Changes an instance's weight, health, enabled flag or metadata. A 3.x server has no update over gRPC, so this
   * is what the server really offers: an ephemeral instance is registered again with the new fields (only one this
   * client registered: `NotFoundError` otherwise); a persistent one is written again (`PersistentInstanceRequest`).
   *
   * @example
   * ```ts
   * import { NamingService } from "@effect-nacos/naming"
   * import { Effect } from "effect"
   *
   * const drain = Effect.gen(function* () {
   *   const naming = yield* NamingService.NamingService
   *   yield* naming.registerInstance({ serviceName: "orders", ip: "10.0.0.5", port: 8080 })
   *   // take it out of the selection without deregistering it
   *   yield* naming.updateInstance({ serviceName: "orders", ip: "10.0.0.5", port: 8080, enabled: false })
   * })
   * ```
   */
  readonly updateInstance: (params: InstanceParams) => Effect.Effect<void, UpdateError>
  /**
   * The service and its enabled instances (of `clusters`, or all), asked of the server.
   *
   * @example
   * ```ts
   * import { NamingService } from "@effect-nacos/naming"
   * import { Effect } from "effect"
   *
   * const program = Effect.gen(function* () {
   *   const naming = yield* NamingService.NamingService
   *   const service = yield* naming.getService({ serviceName: "orders", clusters: ["DEFAULT"] })
   *   yield* Effect.log(`${service.groupName}@@${service.name}: ${service.hosts.length} instances`)
   * })
   * ```
   */
  readonly getService: (params: ClusteredServiceParams) => Effect.Effect<ServiceInfo, QueryError>
  /**
   * One page of a group's service names, and how many there are in all.
   *
   * @example
   * ```ts
   * import { NamingService } from "@effect-nacos/naming"
   * import { Effect } from "effect"
   *
   * const program = Effect.gen(function* () {
   *   const naming = yield* NamingService.NamingService
   *   const page = yield* naming.listServices({ groupName: "DEFAULT_GROUP", pageNo: 1, pageSize: 100 })
   *   yield* Effect.log(`${page.services.join(", ")} (${page.count} in all)`)
   * })
   * ```
   */
  readonly listServices: (params?: ListServicesParams) => Effect.Effect<ServiceList, QueryError>
  /**
   * The enabled instances of a service (see {@link ListInstancesParams} for `healthyOnly` and `subscribe`).
   *
   * @example
   * ```ts
   * import { NamingService } from "@effect-nacos/naming"
   * import { Effect } from "effect"
   *
   * const program = Effect.gen(function* () {
   *   const naming = yield* NamingService.NamingService
   *   const healthy = yield* naming.listInstances({ serviceName: "orders", healthyOnly: true })
   *   yield* Effect.log(healthy.map((instance) => `${instance.ip}:${instance.port}`).join(", "))
   * })
   * ```
   */
  readonly listInstances: (params: ListInstancesParams) => Effect.Effect<ReadonlyArray<Instance>, QueryError>
  /**
   * The instances that pass every criterion of `selector`.
   *
   * @example
   * ```ts
   * import { NamingService } from "@effect-nacos/naming"
   * import { Effect } from "effect"
   *
   * const program = Effect.gen(function* () {
   *   const naming = yield* NamingService.NamingService
   *   const zoneA = yield* naming.selectInstances(
   *     { serviceName: "orders" },
   *     { healthy: true, metadata: { entries: { zone: "a" } } }
   *   )
   *   yield* Effect.log(`${zoneA.length} healthy instances in zone a`)
   * })
   * ```
   */
  readonly selectInstances: (
    params: ClusteredServiceParams,
    selector?: InstanceSelector
  ) => Effect.Effect<ReadonlyArray<Instance>, QueryError>
  /**
   * One healthy, enabled instance, picked at random in proportion to its weight (a zero weight is never picked).
   * The randomness is Effect's `Random` service: `Random.withSeed` makes picks repeatable in tests.
   *
   * @example
   * ```ts
   * import { NamingService } from "@effect-nacos/naming"
   * import { Effect } from "effect"
   *
   * const target = Effect.gen(function* () {
   *   const naming = yield* NamingService.NamingService
   *   const instance = yield* naming.selectOneHealthyInstance({ serviceName: "orders" })
   *   return `http://${instance.ip}:${instance.port}`
   * }).pipe(Effect.catchTag("NotFoundError", () => Effect.succeed("http://fallback:8080")))
   * ```
   */
  readonly selectOneHealthyInstance: (params: ClusteredServiceParams) => Effect.Effect<Instance, SelectError>
  /**
   * The service's instances (of `clusters`, or all): the current ones first, then every change, diffed. The
   * stream never ends by itself; the server subscription ends when the last subscriber of the service closes.
   *
   * @example
   * ```ts
   * import { NamingService } from "@effect-nacos/naming"
   * import { Effect, Stream } from "effect"
   *
   * const program = Effect.gen(function* () {
   *   const naming = yield* NamingService.NamingService
   *   yield* naming.subscribe({ serviceName: "orders" }).pipe(
   *     Stream.runForEach((event) =>
   *       event._tag === "InstancesChanged"
   *         ? Effect.log(`${event.service.hosts.length} instances (+${event.added.length} -${event.removed.length})`)
   *         : Effect.log("empty push ignored: the last instances are kept")
   *     ),
   *     Effect.forkScoped
   *   )
   * })
   * ```
   */
  readonly subscribe: (params: SubscribeParams) => Stream.Stream<ServiceEvent, InvalidArgumentError>
  /**
   * `subscribe` for many services in one Stream: each service's current instances first, then every change of
   * any of them, diffed per service; an event's `service.name` / `service.groupName` say which service it is. A
   * service given twice is subscribed once (the first entry's `clusters` and `emptyPush` apply); any invalid entry
   * fails the stream with `InvalidArgumentError` before anything is subscribed. One stream of 1000 services costs
   * the services' entries (a few hundred bytes each), not 1000 streams. The server subscriptions are shared with
   * every other subscriber of the same services, and end with the last of them.
   *
   * @example
   * ```ts
   * import { NamingService } from "@effect-nacos/naming"
   * import { Effect, Stream } from "effect"
   *
   * const program = Effect.gen(function* () {
   *   const naming = yield* NamingService.NamingService
   *   const services = ["orders", "payments", "stock"].map((serviceName) => ({ serviceName, groupName: "shop" }))
   *   yield* naming.subscribeMany(services).pipe(
   *     Stream.runForEach((event) => Effect.log(`${event.service.name}: ${event.service.hosts.length} instances`)),
   *     Effect.forkScoped // every service's subscription ends with the scope
   *   )
   * })
   * ```
   *
   * @since 0.1.0
   */
  readonly subscribeMany: (params: ReadonlyArray<SubscribeParams>) => Stream.Stream<ServiceEvent, InvalidArgumentError>
  /**
   * The callback form of `subscribe`, for code coming from the other SDKs: `handler` runs for every event (one at
   * a time) until the scope closes. A failing handler is logged and does not stop later events.
   *
   * @example
   * ```ts
   * import { NamingService } from "@effect-nacos/naming"
   * import { Effect } from "effect"
   *
   * const program = Effect.scoped(
   *   Effect.gen(function* () {
   *     const naming = yield* NamingService.NamingService
   *     yield* naming.onChange({ serviceName: "orders" }, (event) => Effect.log(event._tag))
   *     yield* Effect.never
   *   })
   * )
   * ```
   */
  readonly onChange: <R>(
    params: SubscribeParams,
    handler: (event: ServiceEvent) => Effect.Effect<void, unknown, R>
  ) => Effect.Effect<void, InvalidArgumentError, Scope.Scope | R>
  /**
   * Fuzzy watch: the services whose group and name match the patterns (`*`, `x*`, `*x`, `*x*` or a literal), in
   * the client's namespace unless one is given. First a `Snapshot` of the matched services (once the server
   * finished its initial sync; the server counts every service it holds, even one whose instances are gone), then
   * `Added` (a service got its first instance) / `Removed` (it lost its last) — also for changes made while the
   * connection was down, found when it comes back. All watchers of one pattern share one server-side watch; the
   * last one leaving cancels it. Needs a server with the `fuzzyWatch` ability (Nacos 3.x); the server's limits
   * (20 patterns over all its clients, 500 services per pattern) fail the Stream with `ServerError` 50310 / 50311.
   *
   * @example
   * ```ts
   * import { NamingService } from "@effect-nacos/naming"
   * import { Effect, Stream } from "effect"
   *
   * const program = Effect.gen(function* () {
   *   const naming = yield* NamingService.NamingService
   *   yield* naming.watchServices({ groupPattern: "DEFAULT_GROUP", servicePattern: "order*" }).pipe(
   *     Stream.runForEach((event) =>
   *       event._tag === "Snapshot"
   *         ? Effect.log(`${event.services.length} services match`)
   *         : Effect.log(`${event._tag}: ${event.serviceName}`)
   *     ),
   *     Effect.forkScoped
   *   )
   * })
   * ```
   */
  readonly watchServices: (params: WatchServicesParams) => Stream.Stream<ServiceKeysEvent, WatchServicesError>
}

/**
 * What `watchServices` can fail with: a pattern refused before sending (`InvalidArgumentError`), a server without
 * fuzzy watch (`NotSupportedError`) or none reachable to ask (`TransportError`), or the server's refusal
 * (`ServerError` 50310 / 50311, `AuthError`).
 *
 * @category errors
 * @since 0.1.0
 */
export type WatchServicesError = Models.WatchServicesError

// =============================================================================
// Options
// =============================================================================

/**
 * @category models
 * @since 0.1.0
 */
export interface NamingServiceOptions {
  /** What a subscriber does with an empty push unless it says otherwise (default `protect`). */
  readonly emptyPush?: EmptyPushPolicy | undefined
  /** Show a subscribed service's snapshot file until the server answers (default false, as Java). */
  readonly loadCacheAtStart?: boolean | undefined
  /** Retries of redo and first subscribes (default {@link NamingPolicy.redoRetry}). */
  readonly redoRetrySchedule?: Schedule.Schedule<unknown> | undefined
  /** How often subscribed services look for failover files (default {@link NamingPolicy.failoverCheck}). */
  readonly failoverCheckSchedule?: Schedule.Schedule<unknown> | undefined
  /** Budget of the graceful deregistration when the layer closes (default 3 s). */
  readonly closeTimeout?: Duration.Input | undefined
}

// =============================================================================
// Constructors
// =============================================================================

const outgoing = (spec: InstanceSpec, ephemeral: boolean): OutgoingInstance => ({
  ip: spec.ip,
  port: spec.port,
  weight: spec.weight ?? 1,
  healthy: spec.healthy ?? true,
  enabled: spec.enabled ?? true,
  ephemeral,
  clusterName: spec.clusterName ?? DEFAULT_CLUSTER,
  metadata: spec.metadata ?? {}
})

const narrowed = (service: ServiceInfo, clusters: ReadonlyArray<string> | undefined): ServiceInfo => ({
  ...service,
  clusters: [...new Set(clusters ?? [])].sort().join(","),
  hosts: service.hosts.filter(inClusters(clusters))
})

/** What one subscriber of one service asked for. */
interface FollowOptions {
  readonly clusters: ReadonlyArray<string> | undefined
  readonly protect: boolean
}

/**
 * One subscriber's sink on its service's view: the events it sees (the diff against the last view it saw, the
 * empty-push policy, clusters narrowed). A function of its own, holding only its options, `emit` and that last
 * view — for an unfiltered subscriber the shared view itself, not a copy.
 */
const followerSink = (options: FollowOptions, emit: FanOut.Sink<ServiceEvent>): FanOut.Sink<ServiceInfo> => {
  // plain parameters and locals: the sink's state is one closure context (destructured parameters make two)
  const clusters = options.clusters
  const protect = options.protect
  const everyCluster = clusters === undefined || clusters.length === 0
  let last: ServiceInfo | undefined
  return (latest) => {
    const service = everyCluster && latest.clusters === "" ? latest : narrowed(latest, clusters)
    if (last !== undefined && service.hosts.length === 0 && last.hosts.length > 0 && protect) {
      return emit({ _tag: "EmptyPushIgnored", service: last })
    }
    const diff = diffInstances(last?.hosts ?? [], service.hosts)
    const moved = diff.added.length + diff.removed.length + diff.modified.length > 0
    const first = last === undefined
    last = service
    if (first || moved) emit({ _tag: "InstancesChanged", service, ...diff })
  }
}

/** The service over a backend; validation, registration sets, selectors and events are the same for every one. */
const makeService = (
  backend: NamingBackend,
  registrations: Registrations.Registrations,
  cache: Cache.NacosCache["Service"],
  options: NamingServiceOptions
): Omit<Service, "watchServices"> => {
  const { namespace } = backend
  const defaultEmptyPush = options.emptyPush ?? "protect"

  const annotate = NacosTelemetry.withModule("naming")
  /** A hot-path span (see NacosTelemetry.hotSpan) whose log lines carry `nacos.module`. */
  const traced = (name: string) => {
    const span = NacosTelemetry.hotSpan(name)
    return <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> => self.pipe(annotate, span)
  }

  const tracedKey = (serviceName: string, groupName: string | undefined) => {
    const key = makeKey(namespace, serviceName, groupName)
    return Effect.as(
      NacosTelemetry.annotateHotSpan({ "nacos.naming.service": key.serviceName, "nacos.naming.group": key.groupName }),
      key
    )
  }

  const failoverOf = (key: ServiceKey) =>
    Effect.map(cache.readServiceFailover(namespace, groupedName(key)), (json) =>
      Option.flatMap(json, (text) => Option.fromNullishOr(fromJavaJson(text, key)))
    )

  const registerInstance = Effect.fnUntraced(function* (params: InstanceParams): Effect.fn.Return<void, RegisterError> {
    const valid = yield* Validation.validate(InstanceParamsSchema, params)
    const key = yield* tracedKey(valid.serviceName, valid.groupName)
    if (valid.ephemeral === false) return yield* backend.registerPersistent(key, outgoing(valid, false))
    yield* registrations.add(key, [outgoing(valid, true)])
  }, traced("NamingService.registerInstance"))

  const batchRegisterInstances = Effect.fn("NamingService.batchRegisterInstances")(function* (
    params: BatchInstancesParams
  ): Effect.fn.Return<void, RegisterError> {
    const valid = yield* Validation.validate(BatchInstancesParams, params)
    const key = yield* tracedKey(valid.serviceName, valid.groupName)
    yield* registrations.add(
      key,
      valid.instances.map((spec) => outgoing(spec, true))
    )
  }, annotate)

  const deregisterInstance = Effect.fn("NamingService.deregisterInstance")(function* (
    params: InstanceParams
  ): Effect.fn.Return<void, RegisterError> {
    const valid = yield* Validation.validate(InstanceParamsSchema, params)
    const key = yield* tracedKey(valid.serviceName, valid.groupName)
    if (valid.ephemeral === false) return yield* backend.deregisterPersistent(key, outgoing(valid, false))
    yield* registrations.remove(key, [outgoing(valid, true)])
  }, annotate)

  const batchDeregisterInstances = Effect.fn("NamingService.batchDeregisterInstances")(function* (
    params: BatchInstancesParams
  ): Effect.fn.Return<void, RegisterError> {
    const valid = yield* Validation.validate(BatchInstancesParams, params)
    const key = yield* tracedKey(valid.serviceName, valid.groupName)
    yield* registrations.remove(
      key,
      valid.instances.map((spec) => outgoing(spec, true))
    )
  }, annotate)

  const updateInstance = Effect.fn("NamingService.updateInstance")(function* (
    params: InstanceParams
  ): Effect.fn.Return<void, UpdateError> {
    const valid = yield* Validation.validate(InstanceParamsSchema, params)
    const key = yield* tracedKey(valid.serviceName, valid.groupName)
    if (valid.ephemeral === false) return yield* backend.registerPersistent(key, outgoing(valid, false))
    const instance = outgoing(valid, true)
    if (!registrations.has(key, instance)) {
      return yield* new NotFoundError({
        resource: describeKey(key),
        message: `${describeKey(key)}: this client registered no ephemeral instance ${Registrations.instanceKey(instance)} (only its own can be updated)`
      })
    }
    yield* registrations.add(key, [instance])
  }, annotate)

  const getService = Effect.fn("NamingService.getService")(function* (
    params: ClusteredServiceParams
  ): Effect.fn.Return<ServiceInfo, QueryError> {
    const valid = yield* Validation.validate(ClusteredServiceParams, params)
    const key = yield* tracedKey(valid.serviceName, valid.groupName)
    const failover = yield* failoverOf(key)
    if (Option.isSome(failover)) return narrowed(failover.value, valid.clusters)
    return yield* backend.query(key, valid.clusters ?? [], false)
  }, annotate)

  const listServices = Effect.fn("NamingService.listServices")(function* (
    params: ListServicesParams = {}
  ): Effect.fn.Return<ServiceList, QueryError> {
    const valid = yield* Validation.validate(ListServicesParams, params)
    const groupName = makeKey(namespace, "-", valid.groupName).groupName
    return yield* backend.listServices(namespace, groupName, valid.pageNo ?? 1, valid.pageSize ?? 10)
  }, annotate)

  const listInstances = Effect.fnUntraced(function* (
    params: ListInstancesParams
  ): Effect.fn.Return<ReadonlyArray<Instance>, QueryError> {
    const valid = yield* Validation.validate(ListInstancesParams, params)
    const key = yield* tracedKey(valid.serviceName, valid.groupName)
    const healthy = (instance: Instance) => valid.healthyOnly !== true || instance.healthy
    // a subscription's view already shows the failover file when there is one (checked on its own schedule), so
    // the hot path of selectOneHealthyInstance reads no file
    if (valid.subscribe !== false) {
      const subscribed = yield* backend.subscribedView(key)
      if (Option.isSome(subscribed)) return narrowed(subscribed.value, valid.clusters).hosts.filter(healthy)
    }
    const failover = yield* failoverOf(key)
    if (Option.isSome(failover)) return narrowed(failover.value, valid.clusters).hosts.filter(healthy)
    const service = yield* backend.query(key, valid.clusters ?? [], valid.healthyOnly === true)
    return service.hosts
  }, traced("NamingService.listInstances"))

  const selectInstances = Effect.fnUntraced(function* (
    params: ClusteredServiceParams,
    selector: InstanceSelector = {}
  ): Effect.fn.Return<ReadonlyArray<Instance>, QueryError> {
    const all = yield* listInstances(params)
    return all.filter(matchesSelector(selector))
  }, traced("NamingService.selectInstances"))

  const selectOneHealthyInstance = Effect.fnUntraced(function* (
    params: ClusteredServiceParams
  ): Effect.fn.Return<Instance, SelectError> {
    const all = yield* listInstances(params)
    const candidates = all.filter((instance) => instance.healthy && instance.enabled && instance.weight > 0)
    const picked = pickWeighted(candidates, yield* Random.next)
    if (picked === undefined) {
      const key = makeKey(namespace, params.serviceName, params.groupName)
      return yield* new NotFoundError({
        resource: describeKey(key),
        message: `${describeKey(key)} has no healthy, enabled instance with a weight above 0`
      })
    }
    return picked
  }, traced("NamingService.selectOneHealthyInstance"))

  const watchGauge = NacosMetrics.activeWatchUpdates("naming")

  /**
   * Follows `keys` (distinct services) on their shared views, `sinks[i]` following `keys[i]`, in `scope`: one
   * finalizer undoes it all. A sink is handed its view's current value at once, then every later one.
   */
  const followViews = (
    keys: ReadonlyArray<ServiceKey>,
    sinks: ReadonlyArray<FanOut.Sink<ServiceInfo>>,
    scope: Scope.Scope
  ) =>
    Effect.uninterruptible(
      Effect.gen(function* () {
        yield* watchGauge.opened
        const holds = yield* backend.holdServices(keys)
        yield* Scope.addFinalizer(scope, unfollow(holds, sinks))
        holds.forEach((hold, index) => {
          const sink = sinks[index]
          if (sink !== undefined) hold.view.subscribeUnsafe(sink)
        })
      })
    )

  /** The one finalizer of `followViews` (made outside it: it keeps only what it names). */
  const unfollow = (holds: ReadonlyArray<ServiceHold>, sinks: ReadonlyArray<FanOut.Sink<ServiceInfo>>) =>
    Effect.suspend(() => {
      holds.forEach((hold, index) => {
        const sink = sinks[index]
        if (sink !== undefined) hold.view.unsubscribeUnsafe(sink)
      })
      return Effect.andThen(backend.releaseServices(holds), watchGauge.closed)
    })

  /** `followViews` of one service: no arrays kept for a subscriber of one (the usual case). */
  const followView = (key: ServiceKey, sink: FanOut.Sink<ServiceInfo>, scope: Scope.Scope) =>
    Effect.uninterruptible(
      Effect.gen(function* () {
        yield* watchGauge.opened
        const [hold] = yield* backend.holdServices([key])
        if (hold === undefined) return
        yield* Scope.addFinalizer(scope, unfollowOne(hold, sink))
        hold.view.subscribeUnsafe(sink)
      })
    )

  const unfollowOne = (hold: ServiceHold, sink: FanOut.Sink<ServiceInfo>) =>
    Effect.suspend(() => {
      hold.view.unsubscribeUnsafe(sink)
      return Effect.andThen(backend.releaseServices([hold]), watchGauge.closed)
    })

  const followOptions = (valid: SubscribeParams): FollowOptions => ({
    clusters: valid.clusters,
    protect: (valid.emptyPush ?? defaultEmptyPush) === "protect"
  })

  /**
   * Follows one subscribed service from `emit`: the events a subscriber sees (the diff, empty-push policy,
   * clusters narrowed), worked out in the view's fan-out callback — no stream stages, and nothing per subscriber
   * but its options and the last view it saw.
   */
  const followService = (params: SubscribeParams, emit: FanOut.Sink<ServiceEvent>, scope: Scope.Scope) =>
    Effect.flatMap(Validation.validate(SubscribeParams, params), (valid) =>
      followView(
        makeKey(namespace, valid.serviceName, valid.groupName),
        followerSink(followOptions(valid), emit),
        scope
      )
    )

  /**
   * `followService` for many services into one `emit` (a service given twice is followed once, with its first
   * entry's options). A service costs its sink; no name is kept to tell the services apart.
   */
  const followServices = (
    params: ReadonlyArray<SubscribeParams>,
    emit: FanOut.Sink<ServiceEvent>,
    scope: Scope.Scope
  ) =>
    Effect.flatMap(
      // every service is checked before any is subscribed
      Effect.forEach(params, (each) => Validation.validate(SubscribeParams, each)),
      (valid) => {
        const seen = new Set<string>()
        const keys: Array<ServiceKey> = []
        const sinks: Array<FanOut.Sink<ServiceInfo>> = []
        for (const each of valid) {
          const key = makeKey(namespace, each.serviceName, each.groupName)
          const id = groupedName(key)
          if (seen.has(id)) continue
          seen.add(id)
          keys.push(key)
          sinks.push(followerSink(followOptions(each), emit))
        }
        return followViews(keys, sinks, scope)
      }
    )

  const subscribe = (params: SubscribeParams): Stream.Stream<ServiceEvent, InvalidArgumentError> =>
    FanOut.stream((emit: FanOut.Sink<ServiceEvent>, scope) => followService(params, emit, scope))

  const subscribeMany = (params: ReadonlyArray<SubscribeParams>): Stream.Stream<ServiceEvent, InvalidArgumentError> =>
    FanOut.stream((emit: FanOut.Sink<ServiceEvent>, scope) => followServices(params, emit, scope))

  // no stream and no fiber while waiting: a fiber runs only while events are handled. The handler carries the
  // module's log annotation itself: annotating here would give every listener its own copy of the context
  const onChange: Service["onChange"] = (params, handler) =>
    FanOut.listen(
      (emit: FanOut.Sink<ServiceEvent>, scope) => followService(params, emit, scope),
      (event: ServiceEvent) =>
        handler(event).pipe(
          Effect.catchCause((cause) => Effect.logError(`naming ${params.serviceName}: listener failed`, cause)),
          annotate
        )
    )

  return {
    registerInstance,
    batchRegisterInstances,
    deregisterInstance,
    batchDeregisterInstances,
    updateInstance,
    getService,
    listServices,
    listInstances,
    selectInstances,
    selectOneHealthyInstance,
    subscribe,
    subscribeMany,
    onChange
  }
}

/**
 * What the live layers need: `Nacos.layer(options)` provides all of it.
 *
 * @category models
 * @since 0.1.0
 */
export type LiveDependencies = Transport.Transport | Cache.NacosCache | NacosOptions.NacosOptions

/** The live service over the module's own gRPC connection. */
const makeLive = Effect.fnUntraced(function* (
  options: NamingServiceOptions
): Effect.fn.Return<Service, never, LiveDependencies | Scope.Scope> {
  const nacosOptions = yield* NacosOptions.NacosOptions
  const transport = yield* Transport.Transport
  const cache = yield* Cache.NacosCache
  // the server keeps ephemeral instances and subscriptions only for connections labelled module=naming (N3)
  // fuzzyWatch as the Java client announces it (`SdkClientAbilities`); 3.1.0 pushes fuzzy-watch syncs without it too
  const connection = yield* transport.connect({ module: "naming", abilities: { fuzzyWatch: true } })
  const operations = GrpcOperations.make(connection)
  const retry = options.redoRetrySchedule ?? NamingPolicy.redoRetry
  const registrations = yield* Registrations.make({
    operations,
    retry,
    closeTimeout: options.closeTimeout ?? Registrations.CLOSE_TIMEOUT,
    reachable: connection.available
  })
  yield* connection.reconnected.pipe(
    Stream.runForEach(() => registrations.redo),
    Effect.forkScoped
  )
  const registry = yield* SubscriptionRegistry.make({
    namespace: nacosOptions.namespace,
    connection,
    cache,
    loadCacheAtStart: options.loadCacheAtStart ?? false,
    retry,
    failoverCheck: options.failoverCheckSchedule ?? NamingPolicy.failoverCheck
  })
  const backend: NamingBackend = {
    namespace: nacosOptions.namespace,
    ...operations,
    holdServices: registry.holdServices,
    releaseServices: registry.releaseServices,
    subscribedView: registry.subscribedView
  }
  const fuzzyWatch = yield* NamingFuzzyWatch.make(connection, nacosOptions.namespace)
  return { ...makeService(backend, registrations, cache, options), watchServices: fuzzyWatch.watchServices }
}, NacosTelemetry.withModule("naming"))

/**
 * @category models
 * @since 0.1.0
 */
export interface MemoryOptions {
  /** Default `public`. */
  readonly namespace?: string | undefined
  readonly emptyPush?: EmptyPushPolicy | undefined
}

const makeMemory = Effect.fnUntraced(function* (options: MemoryOptions): Effect.fn.Return<Service, never, Scope.Scope> {
  const fuzzyWatch = yield* NamingFuzzyWatch.makeMemory(options.namespace ?? NacosOptions.DEFAULT_NAMESPACE)
  const backend = yield* MemoryBackend.make(
    options.namespace ?? NacosOptions.DEFAULT_NAMESPACE,
    fuzzyWatch.servicePresence
  )
  const registrations = yield* Registrations.make({
    operations: backend,
    retry: NamingPolicy.redoRetry,
    closeTimeout: Registrations.CLOSE_TIMEOUT,
    reachable: Effect.succeed(true)
  })
  // the memory layer has no local files: the store is the only truth
  return {
    ...makeService(backend, registrations, Cache.disabled, { emptyPush: options.emptyPush }),
    watchServices: fuzzyWatch.watchServices
  }
}, NacosTelemetry.withModule("naming"))

// =============================================================================
// Service identifier and layers
// =============================================================================

/**
 * @example
 * ```ts
 * import { Nacos } from "@effect-nacos/core"
 * import { NamingService } from "@effect-nacos/naming"
 * import { Effect } from "effect"
 *
 * const program = Effect.gen(function* () {
 *   const naming = yield* NamingService.NamingService
 *   yield* naming.registerInstance({ serviceName: "orders", ip: "10.0.0.5", port: 8080 })
 *   const target = yield* naming.selectOneHealthyInstance({ serviceName: "orders" })
 *   yield* Effect.log(`calling ${target.ip}:${target.port}`)
 * })
 * program.pipe(Effect.provide(NamingService.layer), Effect.provide(Nacos.layer({ serverAddr: "127.0.0.1:8848" })))
 * // in tests: Effect.provide(NamingService.layerMemory())
 * ```
 *
 * @category services
 * @since 0.1.0
 */
export class NamingService extends Context.Service<NamingService, Service>()("@effect-nacos/naming/NamingService") {}

/**
 * The live service: its own gRPC connection (label `module=naming`), redo after reconnects, the snapshot and
 * failover files; closing it deregisters this client's ephemeral instances, then closes the connection.
 *
 * @category layers
 * @since 0.1.0
 */
export const layerWith = (options: NamingServiceOptions = {}): Layer.Layer<NamingService, never, LiveDependencies> =>
  Layer.effect(NamingService, makeLive(options))

/**
 * The live service with default policies.
 *
 * @category layers
 * @since 0.1.0
 */
export const layer: Layer.Layer<NamingService, never, LiveDependencies> = layerWith()

/**
 * The service in memory, for tests: the live service's semantics (validation, registration sets, server-side
 * filtering, subscribe events with diffs, the push-empty policy, weighted selection) without a server. Each build
 * is a fresh store.
 *
 * @category layers
 * @since 0.1.0
 */
export const layerMemory = (options: MemoryOptions = {}): Layer.Layer<NamingService> =>
  Layer.effect(NamingService, makeMemory(options))
