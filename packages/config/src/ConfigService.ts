/**
 * Nacos configuration: read, publish, remove and watch configs.
 *
 * The Effect form of the Python SDK's `NacosConfigService` (`get_config`, `publish_config`, `remove_config`,
 * `add_listener` / `remove_listener`):
 * - `get` reads the user's failover file first, then the server, then the last-known-good snapshot (written after
 *   every server read, removed when the server itself says the config is gone, or after `remove`);
 * - `watch` is a Stream: the current value (or `Absent`) first, then every change, and `Deleted` on removal. All
 *   watchers of one key share one server-side listen, which survives reconnects without re-subscribing;
 * - gRPC is the transport; when it cannot be reached within its policy, get/publish/remove go over HTTP.
 *
 * @since 0.1.0
 * @module
 */

import {
  type AuthError,
  Cache,
  type ConflictError,
  FanOut,
  type FuzzyWatch,
  type InvalidArgumentError,
  NacosHttp,
  NacosMetrics,
  NacosOptions,
  NacosTelemetry,
  NotFoundError,
  type ServerError,
  Transport,
  TransportError,
  Validation
} from "@effect-nacos/core"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import { identity } from "effect/Function"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Result from "effect/Result"
import type * as Schedule from "effect/Schedule"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import { applyAfterGet, applyBeforePublish, type ConfigFilter } from "./ConfigFilter.ts"
import {
  ConfigContent,
  type ConfigEvent,
  type ConfigInfo,
  ConfigKeyParams,
  type ConfigKeysEvent,
  GetConfigParams,
  type MemorySeed,
  PublishConfigParams,
  RemoveConfigParams,
  WatchConfigsParams
} from "./ConfigModels.ts"
import * as ConfigPolicy from "./ConfigPolicy.ts"
import {
  type ConfigBackend,
  configFields,
  type PublishRequest,
  type RemoteConfig,
  type UnconfirmedPublish
} from "./internal/backend.ts"
import type { ConfigKey } from "./internal/configKey.ts"
import { describeKey, keyString, makeKey, md5Of, resolveGroup } from "./internal/configKey.ts"
import * as ConfigFuzzyWatch from "./internal/fuzzyWatch.ts"
import * as GrpcOperations from "./internal/grpcOperations.ts"
import { withHttpFallback } from "./internal/httpFallback.ts"
import * as HttpOperations from "./internal/httpOperations.ts"
import * as ListenRegistry from "./internal/listenRegistry.ts"
import * as MemoryBackend from "./internal/memoryBackend.ts"
import * as Snapshots from "./internal/snapshots.ts"

// =============================================================================
// Service
// =============================================================================

/**
 * What `get` / `getInfo` can fail with.
 *
 * @category errors
 * @since 0.1.0
 */
export type GetConfigError =
  | NotFoundError
  | InvalidArgumentError
  | TransportError
  | ServerError
  | AuthError
  | ConflictError

/**
 * What `publish` can fail with; a compare-and-set mismatch is a `ConflictError`.
 *
 * @category errors
 * @since 0.1.0
 */
export type PublishConfigError = ConflictError | InvalidArgumentError | TransportError | ServerError | AuthError

/**
 * What `remove` can fail with.
 *
 * @category errors
 * @since 0.1.0
 */
export type RemoveConfigError = InvalidArgumentError | TransportError | ServerError | AuthError

/**
 * What `watchConfigs` can fail with: a pattern refused before sending (`InvalidArgumentError`), a server without
 * fuzzy watch (`NotSupportedError`) or none reachable to ask (`TransportError`), or the server's refusal —
 * `ServerError` 50310 (it watches as many patterns as it allows, 20 by default over all its clients) or 50311 (the
 * pattern matches more than 500 configs).
 *
 * @category errors
 * @since 0.1.0
 */
export type WatchConfigsError = FuzzyWatch.WatchError

/**
 * @category models
 * @since 0.1.0
 */
export interface Service {
  /**
   * The content of a config: failover file → server → snapshot. A config the server does not have fails with
   * `NotFoundError` (and its snapshot is removed). With `tag`, the content of that tag's gray release, from the
   * server only.
   *
   * @example
   * ```ts
   * import { ConfigService } from "@effect-nacos/config"
   * import { Effect } from "effect"
   *
   * const port = Effect.gen(function* () {
   *   const config = yield* ConfigService.ConfigService
   *   const yaml = yield* config.get({ dataId: "app.yaml" }) // group: DEFAULT_GROUP
   *   return /port: (\d+)/.exec(yaml)?.[1]
   * }).pipe(Effect.catchTag("NotFoundError", () => Effect.succeed("8080")))
   * ```
   */
  readonly get: (params: GetConfigParams) => Effect.Effect<string, GetConfigError>
  /**
   * `get`, with md5, type, encryptedDataKey, lastModified, beta/tag and where it came from.
   *
   * @example
   * ```ts
   * import { ConfigService } from "@effect-nacos/config"
   * import { Effect } from "effect"
   *
   * const program = Effect.gen(function* () {
   *   const config = yield* ConfigService.ConfigService
   *   const info = yield* config.getInfo({ dataId: "app.yaml", group: "orders" })
   *   // source: "failover" (a file you put there), "server", or "snapshot" (the server could not be reached)
   *   yield* Effect.log(`${info.dataId} md5=${info.md5} from ${info.source}`)
   * })
   * ```
   */
  readonly getInfo: (params: GetConfigParams) => Effect.Effect<ConfigInfo, GetConfigError>
  /**
   * Creates or overwrites a config (or its tag / beta gray release). Sent once: when the answer is lost (timeout,
   * connection cut after sending) it is not re-sent, the server's md5 is checked instead — a match is success,
   * anything else a `TransportError` saying the outcome is unknown. The time allowed grows with the size (see
   * {@link ConfigServiceOptions.publishTimeoutMillisPerMiB}).
   *
   * The server answers a read from a cache it refreshes right after a publish (about 100 ms on Nacos 3.1): a `get`
   * just after `publish` may still return the previous content, from this client or any other. Watchers are told
   * once the new content is readable. To read your own write, retry until it shows (see the example) or `watch`.
   *
   * @example
   * ```ts
   * import { ConfigService } from "@effect-nacos/config"
   * import { Effect, Schedule } from "effect"
   *
   * const program = Effect.gen(function* () {
   *   const config = yield* ConfigService.ConfigService
   *   yield* config.publish({ dataId: "app.yaml", content: "port: 8080", type: "yaml" })
   *   // compare-and-set: fails with ConflictError when the server's md5 is not casMd5 any more
   *   const { md5 } = yield* config.getInfo({ dataId: "app.yaml" })
   *   yield* config.publish({ dataId: "app.yaml", content: "port: 8081", type: "yaml", casMd5: md5 })
   *   // the read-after-write lag: retry until the new content shows
   *   yield* config.get({ dataId: "app.yaml" }).pipe(
   *     Effect.filterOrFail((content) => content === "port: 8081"),
   *     Effect.retry({ schedule: Schedule.spaced("100 millis"), times: 20 })
   *   )
   * })
   * ```
   */
  readonly publish: (params: PublishConfigParams) => Effect.Effect<void, PublishConfigError>
  /**
   * Deletes a config (or only its tag gray release); deleting the config deletes its snapshot too. Deleting a
   * missing config succeeds. (Nacos 3.1 fails every tag removal with a server-side NullPointerException; the
   * ServerError says so.)
   *
   * @example
   * ```ts
   * import { ConfigService } from "@effect-nacos/config"
   * import { Effect } from "effect"
   *
   * const program = Effect.gen(function* () {
   *   const config = yield* ConfigService.ConfigService
   *   yield* config.remove({ dataId: "app.yaml" })
   *   yield* config.remove({ dataId: "app.yaml" }) // already gone: succeeds as well
   * })
   * ```
   */
  readonly remove: (params: RemoveConfigParams) => Effect.Effect<void, RemoveConfigError>
  /**
   * The config's current value (`Changed`, or `Absent`), then every change and `Deleted` on removal. The stream
   * never ends by itself; the server-side listen stops when the last watcher of the key closes.
   *
   * @example
   * ```ts
   * import { ConfigService } from "@effect-nacos/config"
   * import { Effect, Stream } from "effect"
   *
   * const program = Effect.gen(function* () {
   *   const config = yield* ConfigService.ConfigService
   *   yield* config.watch({ dataId: "app.yaml" }).pipe(
   *     Stream.runForEach((event) =>
   *       event._tag === "Changed" ? Effect.log(`now: ${event.content}`) : Effect.log(event._tag) // Absent | Deleted
   *     ),
   *     Effect.forkScoped // the watch (and the server-side listen) ends with the scope
   *   )
   * })
   * ```
   */
  readonly watch: (params: ConfigKeyParams) => Stream.Stream<ConfigEvent, InvalidArgumentError>
  /**
   * `watch` for many keys in one Stream: each key's current value (`Changed`, or `Absent`) first, then every
   * change of any of them; an event's `dataId` / `group` say which key it is. One watch of 10 000 keys costs
   * the keys' entries (a few hundred bytes each), not 10 000 streams. A key given twice is watched once; any
   * invalid key fails the stream before anything is watched. The server-side listens are shared with every other
   * watch of the same keys, and end with the last of them.
   *
   * @example
   * ```ts
   * import { ConfigService } from "@effect-nacos/config"
   * import { Effect, Stream } from "effect"
   *
   * const program = Effect.gen(function* () {
   *   const config = yield* ConfigService.ConfigService
   *   const keys = ["db.yaml", "cache.yaml", "features.json"].map((dataId) => ({ dataId, group: "orders" }))
   *   yield* config.watchMany(keys).pipe(
   *     Stream.runForEach((event) => Effect.log(`${event.dataId}: ${event._tag}`)),
   *     Effect.forkScoped // every key's watch ends with the scope
   *   )
   * })
   * ```
   */
  readonly watchMany: (keys: ReadonlyArray<ConfigKeyParams>) => Stream.Stream<ConfigEvent, InvalidArgumentError>
  /**
   * The callback form of `watch`, for code coming from the other SDKs: `handler` runs for every event (one at a
   * time) until the scope closes. A failing handler is logged and does not stop later events.
   *
   * @example
   * ```ts
   * import { ConfigService } from "@effect-nacos/config"
   * import { Effect } from "effect"
   *
   * const program = Effect.scoped(
   *   Effect.gen(function* () {
   *     const config = yield* ConfigService.ConfigService
   *     yield* config.listen({ dataId: "app.yaml" }, (event) => Effect.log(event._tag))
   *     yield* Effect.never // listening until this scope closes
   *   })
   * )
   * ```
   */
  readonly listen: <R>(
    params: ConfigKeyParams,
    handler: (event: ConfigEvent) => Effect.Effect<void, unknown, R>
  ) => Effect.Effect<void, InvalidArgumentError, Scope.Scope | R>
  /**
   * Fuzzy watch: the configs of the namespace whose group and dataId match the patterns (`*`, `x*`, `*x`, `*x*`
   * or a literal). First a `Snapshot` of the matched configs (once the server finished its initial sync), then
   * `Added` / `Removed` as configs are created and deleted — also those created or deleted while the connection
   * was down, found when it comes back. All watchers of one pattern share one server-side watch; the last one
   * leaving cancels it. Needs a server with the `fuzzyWatch` ability (Nacos 3.x).
   *
   * @example
   * ```ts
   * import { ConfigService } from "@effect-nacos/config"
   * import { Effect, Stream } from "effect"
   *
   * const program = Effect.gen(function* () {
   *   const config = yield* ConfigService.ConfigService
   *   yield* config.watchConfigs({ groupPattern: "orders", dataIdPattern: "*.yaml" }).pipe(
   *     Stream.runForEach((event) =>
   *       event._tag === "Snapshot"
   *         ? Effect.log(`${event.configs.length} configs match`)
   *         : Effect.log(`${event._tag}: ${event.group}/${event.dataId}`)
   *     ),
   *     Effect.forkScoped
   *   )
   * })
   * ```
   */
  readonly watchConfigs: (params: WatchConfigsParams) => Stream.Stream<ConfigKeysEvent, WatchConfigsError>
}

// =============================================================================
// Options
// =============================================================================

/**
 * @category models
 * @since 0.1.0
 */
export interface ConfigServiceOptions {
  /** Applied after get (and to watch events) and before publish. */
  readonly filters?: ReadonlyArray<ConfigFilter> | undefined
  /**
   * More gRPC attempts before HTTP (see {@link ConfigPolicy.httpFallback}); `false` never uses HTTP.
   */
  readonly httpFallback?: Schedule.Schedule<unknown> | false | undefined
  /** Re-listen of every watched key as a safety net (default {@link ConfigPolicy.fullSync}). */
  readonly fullSyncSchedule?: Schedule.Schedule<unknown> | undefined
  /** Pause after a failed listen round (default {@link ConfigPolicy.listenRetry}). */
  readonly listenRetrySchedule?: Schedule.Schedule<unknown> | undefined
  /** Re-reads in flight at once while catching up with changed keys (default 32). */
  readonly queryConcurrency?: number | undefined
  /**
   * Extra time a publish may take per MiB of request, on top of `grpc.timeoutMillis` (default
   * {@link DEFAULT_PUBLISH_TIMEOUT_MILLIS_PER_MIB}): a large config takes the server a while to store, and a
   * publish that runs out of time ends with its outcome unknown. With the defaults an 8 MiB publish gets 3 s + 16 s.
   */
  readonly publishTimeoutMillisPerMiB?: number | undefined
}

/**
 * Default extra publish time per MiB. Measured against Nacos 3.1.0 on 2 cores: 8 MiB stored in about 2.6 s when
 * idle, 9.9 MiB in more than 13 s under a load average of 12; this leaves room for a busy server.
 *
 * @category constants
 * @since 0.1.0
 */
export const DEFAULT_PUBLISH_TIMEOUT_MILLIS_PER_MIB = 2000

const MIB = 1024 * 1024

// =============================================================================
// Constructors
// =============================================================================

const toInfo = (key: ConfigKey, config: RemoteConfig, source: ConfigInfo["source"]): ConfigInfo => ({
  ...configFields(key, config),
  beta: config.beta,
  ...(config.tag === undefined ? {} : { tag: config.tag }),
  source
})

/** Only "could not ask" failures fall back to the snapshot; a server's refusal or conflict is the answer. */
const snapshotMayAnswer = (error: GetConfigError): boolean =>
  error._tag === "TransportError" || error._tag === "ServerError"

/** The service over a backend; validation, filters and local files are the same for every backend. */
const makeService = (
  backend: ConfigBackend,
  cache: Cache.NacosCache["Service"],
  snapshots: Snapshots.Snapshots,
  filters: ReadonlyArray<ConfigFilter> = []
): Service => {
  const { namespace } = backend

  const filtered = (info: ConfigInfo) =>
    filters.length === 0
      ? Effect.succeed(info)
      : Effect.map(applyAfterGet(filters, info), (after) => ({
          ...info,
          content: after.content,
          ...(after.encryptedDataKey === undefined ? {} : { encryptedDataKey: after.encryptedDataKey })
        }))

  const annotate = NacosTelemetry.withModule("config")
  /** A hot-path span (see NacosTelemetry.hotSpan) whose log lines carry `nacos.module`. */
  const traced = (name: string) => {
    const span = NacosTelemetry.hotSpan(name)
    return <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> => self.pipe(annotate, span)
  }
  /** What a watch's span names before validation: the caller's dataId and group as given. */
  const keyAttributes = (params: ConfigKeyParams) => ({
    "nacos.config.dataId": params.dataId,
    "nacos.config.group": resolveGroup(params.group),
    [NacosTelemetry.NamespaceKey]: namespace
  })

  /** The key of a validated request, named on the current span. */
  const tracedKey = (dataId: string, group: string | undefined) => {
    const key = makeKey(namespace, dataId, group)
    return Effect.as(
      NacosTelemetry.annotateHotSpan({
        "nacos.config.dataId": key.dataId,
        "nacos.config.group": key.group,
        [NacosTelemetry.NamespaceKey]: key.namespace
      }),
      key
    )
  }

  // get, publish and remove are hot paths: their spans are made only for a tracing backend (NacosTelemetry.hotSpan)
  const getInfo = Effect.fnUntraced(function* (params: GetConfigParams): Effect.fn.Return<ConfigInfo, GetConfigError> {
    const valid = yield* Validation.validate(GetConfigParams, params)
    const key = yield* tracedKey(valid.dataId, valid.group)
    const formal = valid.tag === undefined
    if (formal) {
      const failover = yield* cache.readConfigFailover(key)
      if (Option.isSome(failover)) {
        const { content, encryptedDataKey } = failover.value
        return yield* filtered(toInfo(key, { content, md5: md5Of(content), encryptedDataKey, beta: false }, "failover"))
      }
    }
    const answer = yield* Effect.result(backend.query(key, valid.tag))
    if (answer._tag === "Success") {
      if (Option.isSome(answer.success)) {
        const config = answer.success.value
        if (formal) yield* snapshots.write(key, config)
        return yield* filtered(toInfo(key, config, "server"))
      }
      if (formal) yield* snapshots.remove(key)
      return yield* new NotFoundError({
        resource: describeKey(key),
        message: `config ${key.dataId} (group ${key.group}${valid.tag === undefined ? "" : `, tag ${valid.tag}`}) does not exist`
      })
    }
    const error = answer.failure
    if (formal && snapshotMayAnswer(error)) {
      const snapshot = yield* cache.readConfigSnapshot(key)
      if (Option.isSome(snapshot)) {
        yield* Effect.logDebug(`config ${key.dataId}: serving the snapshot (${error.message})`)
        const { content, encryptedDataKey } = snapshot.value
        return yield* filtered(toInfo(key, { content, md5: md5Of(content), encryptedDataKey, beta: false }, "snapshot"))
      }
    }
    return yield* error
  }, traced("ConfigService.getInfo"))

  const get = (params: GetConfigParams) => Effect.map(getInfo(params), (info) => info.content)

  const publish = Effect.fnUntraced(function* (
    params: PublishConfigParams
  ): Effect.fn.Return<void, PublishConfigError> {
    const { dataId, group, ...request } = yield* Validation.validate(PublishConfigParams, params)
    const key = yield* tracedKey(dataId, group)
    const sealed = yield* applyBeforePublish(filters, {
      ...key,
      content: request.content,
      encryptedDataKey: request.encryptedDataKey
    })
    // what a filter returns is sent as is: it must pass the same rules as the caller's content
    const content =
      filters.length === 0
        ? sealed.content
        : yield* Validation.validateValue(
            ConfigContent,
            sealed.content,
            "content",
            "content returned by the beforePublish filters"
          )
    const sent: PublishRequest = {
      ...request,
      content,
      ...(sealed.encryptedDataKey === undefined ? {} : { encryptedDataKey: sealed.encryptedDataKey })
    }
    yield* backend
      .publish(key, sent)
      .pipe(Effect.catchTag("UnconfirmedPublish", (unconfirmed) => confirmPublished(key, sent, unconfirmed)))
  }, traced("ConfigService.publish"))

  /**
   * A publish whose answer was lost: the server's md5 says whether it was applied. Anything but a match (another
   * value, no config, no answer, a beta release that cannot be read back) leaves the outcome unknown.
   */
  const confirmPublished = (
    key: ConfigKey,
    sent: PublishRequest,
    unconfirmed: UnconfirmedPublish
  ): Effect.Effect<void, TransportError> =>
    Effect.gen(function* () {
      const outcomeUnknown = (detail: string) =>
        new TransportError({ message: `${unconfirmed.error.message} (${detail})`, cause: unconfirmed.error })
      if (sent.betaIps !== undefined && sent.tag === undefined) {
        return yield* outcomeUnknown("a beta release cannot be read back to check it")
      }
      const found = yield* Effect.result(backend.query(key, sent.tag))
      if (found._tag === "Failure") {
        return yield* outcomeUnknown(`could not check the server's md5: ${found.failure.message}`)
      }
      const expected = md5Of(sent.content)
      if (Option.exists(found.success, (config) => config.md5 === expected)) {
        return yield* Effect.logDebug(`config ${key.dataId}: the publish whose answer was lost is on the server`)
      }
      return yield* outcomeUnknown(
        `the server's md5 of ${describeKey(key)} is ${Option.match(found.success, { onNone: () => "absent", onSome: (config) => config.md5 })}, not ${expected} as sent; the publish may still arrive, so it was not re-sent`
      )
    })

  const remove = Effect.fnUntraced(function* (params: RemoveConfigParams): Effect.fn.Return<void, RemoveConfigError> {
    const valid = yield* Validation.validate(RemoveConfigParams, params)
    const key = yield* tracedKey(valid.dataId, valid.group)
    yield* backend.remove(key, valid.tag)
    // the snapshot is the formal config's: removing only a tag release leaves it
    if (valid.tag === undefined) yield* snapshots.remove(key)
  }, traced("ConfigService.remove"))

  /** A Changed event through the afterGet filters; a filter failure drops the event (logged). */
  const filterEvent = (event: ConfigEvent): Effect.Effect<Option.Option<ConfigEvent>> => {
    if (event._tag !== "Changed" || filters.length === 0) return Effect.succeed(Option.some(event))
    return applyAfterGet(filters, event).pipe(
      Effect.map((after) =>
        Option.some<ConfigEvent>({
          ...event,
          content: after.content,
          ...(after.encryptedDataKey === undefined ? {} : { encryptedDataKey: after.encryptedDataKey })
        })
      ),
      Effect.catch((error) =>
        Effect.logWarning(`config ${event.dataId}: a filter refused a change (${error.message}); not delivered`).pipe(
          annotate,
          Effect.as(Option.none())
        )
      )
    )
  }

  const activeWatch = NacosMetrics.activeWatchUpdates("config")

  /**
   * What a watch of `keys` hands its consumer: each key's events, the first one of a key that was deleted
   * meanwhile shown as Absent. Subscribed in `scope`, undone when it closes — by one finalizer, which also gives
   * the keys back and closes the gauge (each finalizer more is a scope entry more per watch).
   */
  const subscribeKeys = (keys: ReadonlyArray<ConfigKey>, emit: FanOut.Sink<ConfigEvent>, scope: Scope.Scope) =>
    Effect.uninterruptible(
      Effect.flatMap(backend.watchKeys(keys), (feeds) => {
        // one sink for every key, nothing kept per key: a key's first event comes from here, and is Absent for a
        // key deleted before this watch (the first event of a new key is never Deleted)
        for (const feed of feeds) {
          const current = feed.current()
          if (Option.isSome(current)) {
            emit(current.value._tag === "Deleted" ? { ...current.value, _tag: "Absent" } : current.value)
          }
          feed.subscribeUnsafe(emit, false)
        }
        return Effect.andThen(
          activeWatch.opened,
          Scope.addFinalizer(
            scope,
            Effect.suspend(() => {
              for (const feed of feeds) feed.unsubscribeUnsafe(emit)
              return Effect.andThen(backend.unwatchKeys(keys), activeWatch.closed)
            })
          )
        )
      })
    )

  /** What starts a watch of validated keys in the stream's scope: its span (when traced), then the keys. */
  const startWatch = (
    keys: ReadonlyArray<ConfigKey>,
    emit: FanOut.Sink<ConfigEvent>,
    scope: Scope.Scope,
    spanName: string,
    attributes: () => Record<string, unknown>
  ) =>
    NacosTelemetry.hotSpanScoped(spanName, () => ({ attributes: attributes() })).pipe(
      Scope.provide(scope),
      Effect.andThen(subscribeKeys(keys, emit, scope))
    )

  /**
   * The events of the keys `start` subscribes as one Stream: each key's current value (or Absent) first, then its
   * changes. Built on core's FanOut — no PubSub, queue or fiber per watcher, one finalizer for all the keys — so a
   * watch costs its consumer and a few hundred bytes. A stream not yet run holds `start` and what it captures (the
   * caller's params), nothing built ahead: 10 000 watches are 10 000 of them.
   */
  const followKeys = (
    start: (emit: FanOut.Sink<ConfigEvent>, scope: Scope.Scope) => Effect.Effect<void, InvalidArgumentError>
  ): Stream.Stream<ConfigEvent, InvalidArgumentError> => {
    const followed = FanOut.stream(start)
    // without filters, no stage more per watcher
    return filters.length === 0
      ? followed
      : followed.pipe(
          Stream.filterMapEffect((event) =>
            Effect.map(
              filterEvent(event),
              Result.fromOption(() => undefined)
            )
          )
        )
  }

  const validKey = (params: ConfigKeyParams) =>
    Effect.map(Validation.validate(ConfigKeyParams, params), (valid) => makeKey(namespace, valid.dataId, valid.group))

  /**
   * The caller's params validated on a stream's first run, then only the result kept (a watch is kept as long as
   * it runs: 10 000 of them kept two copies of their params each). A failure is validated again on each run.
   */
  const validatedOnce = <P, A>(params: P, validate: (params: P) => Effect.Effect<A, InvalidArgumentError>) => {
    let state: { readonly params: P } | { readonly valid: A } = { params }
    return Effect.suspend(() => {
      const current = state
      if ("valid" in current) return Effect.succeed(current.valid)
      return Effect.map(validate(current.params), (checked) => {
        state = { valid: checked }
        return checked
      })
    })
  }

  const watch = (params: ConfigKeyParams): Stream.Stream<ConfigEvent, InvalidArgumentError> => {
    const key = validatedOnce(params, validKey)
    return followKeys((emit, scope) =>
      Effect.flatMap(key, (valid) =>
        startWatch([valid], emit, scope, "ConfigService.watch", () => keyAttributes(valid))
      )
    )
  }

  /** Each key once, in the order first given. */
  const validKeys = (keys: ReadonlyArray<ConfigKeyParams>) =>
    Effect.map(Effect.forEach(keys, validKey), (valid) => {
      const unique = new Map(valid.map((key) => [keyString(key), key]))
      return [...unique.values()]
    })

  const watchMany = (keys: ReadonlyArray<ConfigKeyParams>): Stream.Stream<ConfigEvent, InvalidArgumentError> => {
    const count = keys.length
    const valid = validatedOnce(keys, validKeys)
    return followKeys((emit, scope) =>
      Effect.flatMap(valid, (checked) =>
        startWatch(checked, emit, scope, "ConfigService.watchMany", () => ({
          "nacos.config.keys": count,
          [NacosTelemetry.NamespaceKey]: namespace
        }))
      )
    )
  }

  // no stream and no fiber while waiting: a fiber runs only while events are handled (10 000 listeners are
  // 10 000 small records, not 10 000 suspended fibers)
  const listen: Service["listen"] = (params, handler) =>
    Effect.gen(function* () {
      const key = yield* validKey(params)
      const scope = yield* Effect.scope
      const span = yield* NacosTelemetry.hotSpanScoped("ConfigService.listen", () => ({
        attributes: keyAttributes(params)
      }))
      const handle = (event: ConfigEvent) =>
        Effect.flatMap(filterEvent(event), (filteredEvent) =>
          Option.isNone(filteredEvent)
            ? Effect.void
            : handler(filteredEvent.value).pipe(
                Effect.catchCause((cause) => Effect.logError(`config ${event.dataId}: listener failed`, cause))
              )
        ).pipe(Option.isSome(span) ? Effect.withParentSpan(span.value) : identity, annotate)
      yield* FanOut.listen((emit: FanOut.Sink<ConfigEvent>) => subscribeKeys([key], emit, scope), handle)
    })

  const watchConfigs = (params: WatchConfigsParams): Stream.Stream<ConfigKeysEvent, WatchConfigsError> =>
    Stream.unwrap(
      Effect.map(Validation.validate(WatchConfigsParams, params), (valid) =>
        backend.watchConfigs({ namespace, groupPattern: valid.groupPattern, namePattern: valid.dataIdPattern }).pipe(
          Stream.map(
            (event): ConfigKeysEvent =>
              event._tag === "Snapshot"
                ? {
                    _tag: "Snapshot",
                    configs: event.keys.map(({ dataId, group, namespace }) => ({ dataId, group, namespace }))
                  }
                : {
                    _tag: event._tag,
                    dataId: event.key.dataId,
                    group: event.key.group,
                    namespace: event.key.namespace
                  }
          )
        )
      )
    )

  return { get, getInfo, publish, remove, watch, watchMany, listen, watchConfigs }
}

/** The live service over the module's own gRPC connection. */
const makeLive = Effect.fnUntraced(function* (
  options: ConfigServiceOptions
): Effect.fn.Return<Service, never, LiveDependencies | Scope.Scope> {
  const nacosOptions = yield* NacosOptions.NacosOptions
  const transport = yield* Transport.Transport
  const cache = yield* Cache.NacosCache
  const http = yield* NacosHttp.NacosHttp
  const connection = yield* transport.connect({
    module: "config",
    tenant: nacosOptions.namespace,
    labels: { taskId: "0" },
    // as the Java client announces (`SdkClientAbilities`); 3.1.0 pushes fuzzy-watch syncs without it too
    abilities: { fuzzyWatch: true }
  })
  const perMiB = options.publishTimeoutMillisPerMiB ?? DEFAULT_PUBLISH_TIMEOUT_MILLIS_PER_MIB
  const publishTimeoutMillis = (requestBytes: number) =>
    nacosOptions.grpc.timeoutMillis + Math.ceil((requestBytes / MIB) * perMiB)
  const grpc = GrpcOperations.make(connection, {
    maxMessageBytes: nacosOptions.grpc.maxReceiveMessageLength,
    publishTimeoutMillis
  })
  const operations =
    options.httpFallback === false
      ? grpc
      : withHttpFallback(
          grpc,
          HttpOperations.make(http, publishTimeoutMillis),
          options.httpFallback ?? ConfigPolicy.httpFallback,
          connection.available
        )
  const snapshots = Snapshots.make(cache)
  const registry = yield* ListenRegistry.make({
    namespace: nacosOptions.namespace,
    connection,
    operations: grpc,
    cache,
    snapshots,
    fullSyncSchedule: options.fullSyncSchedule ?? ConfigPolicy.fullSync,
    retrySchedule: options.listenRetrySchedule ?? ConfigPolicy.listenRetry,
    queryConcurrency: options.queryConcurrency ?? 32
  })
  const fuzzyWatcher = yield* ConfigFuzzyWatch.make(connection)
  const backend: ConfigBackend = {
    namespace: nacosOptions.namespace,
    ...operations,
    watchKeys: registry.watchKeys,
    unwatchKeys: registry.unwatchKeys,
    watchConfigs: fuzzyWatcher.watch
  }
  return makeService(backend, cache, snapshots, options.filters)
}, NacosTelemetry.withModule("config"))

/**
 * @category models
 * @since 0.1.0
 */
export interface MemoryOptions {
  /** Default `public`. */
  readonly namespace?: string | undefined
  /** Configs present from the start. */
  readonly configs?: ReadonlyArray<MemorySeed> | undefined
  readonly filters?: ReadonlyArray<ConfigFilter> | undefined
}

/** The memory layer has no local files: the store is the only truth. */
const noLocalFiles = Cache.disabled

const makeMemory = (options: MemoryOptions): Effect.Effect<Service> =>
  Effect.map(
    MemoryBackend.make(options.namespace ?? NacosOptions.DEFAULT_NAMESPACE, options.configs ?? []),
    (backend) => makeService(backend, noLocalFiles, Snapshots.make(noLocalFiles), options.filters)
  )

/**
 * What the live layers need: `Nacos.layer(options)` provides all of it.
 *
 * @category models
 * @since 0.1.0
 */
export type LiveDependencies = Transport.Transport | Cache.NacosCache | NacosOptions.NacosOptions | NacosHttp.NacosHttp

// =============================================================================
// Service identifier and layers
// =============================================================================

/**
 * @example
 * ```ts
 * import { ConfigService } from "@effect-nacos/config"
 * import { Nacos } from "@effect-nacos/core"
 * import { Effect, Stream } from "effect"
 *
 * const program = Effect.gen(function* () {
 *   const config = yield* ConfigService.ConfigService
 *   yield* config.publish({ dataId: "app.yaml", content: "port: 8080" })
 *   yield* config.watch({ dataId: "app.yaml" }).pipe(Stream.runForEach(Effect.log), Effect.forkScoped)
 * })
 * program.pipe(Effect.provide(ConfigService.layer), Effect.provide(Nacos.layer({ serverAddr: "127.0.0.1:8848" })))
 * // in tests: Effect.provide(ConfigService.layerMemory())
 * ```
 *
 * @category services
 * @since 0.1.0
 */
export class ConfigService extends Context.Service<ConfigService, Service>()("@effect-nacos/config/ConfigService") {}

/**
 * The live service: its own gRPC connection (labels `module=config`, `taskId=0`, tenant = the namespace), the
 * HTTP fallback, the local files and the listen machinery, all released with the layer.
 *
 * @example
 * ```ts
 * import { ConfigService } from "@effect-nacos/config"
 * import { Nacos } from "@effect-nacos/core"
 * import { Layer, Schedule } from "effect"
 *
 * const ConfigLive = ConfigService.layerWith({
 *   httpFallback: Schedule.recurs(2), // two more gRPC attempts before HTTP; `false`: never HTTP
 *   fullSyncSchedule: Schedule.spaced("1 minute")
 * }).pipe(Layer.provide(Nacos.layerConfig))
 * ```
 *
 * @category layers
 * @since 0.1.0
 */
export const layerWith = (options: ConfigServiceOptions = {}): Layer.Layer<ConfigService, never, LiveDependencies> =>
  Layer.effect(ConfigService, makeLive(options))

/**
 * The live service with default policies.
 *
 * @example
 * ```ts
 * import { ConfigService } from "@effect-nacos/config"
 * import { Nacos } from "@effect-nacos/core"
 * import { Layer } from "effect"
 *
 * const ConfigLive = ConfigService.layer.pipe(Layer.provide(Nacos.layer({ serverAddr: "127.0.0.1:8848" })))
 * ```
 *
 * @category layers
 * @since 0.1.0
 */
export const layer: Layer.Layer<ConfigService, never, LiveDependencies> = layerWith()

/**
 * The service in memory, for tests: the live service's semantics (validation, md5 change detection,
 * `Absent` / `Changed` / `Deleted` events, compare-and-set, tag releases, filters) without a server. Each build is
 * a fresh store.
 *
 * @example
 * ```ts
 * import { it } from "@effect/vitest"
 * import { ConfigService } from "@effect-nacos/config"
 * import { Effect } from "effect"
 *
 * it.effect("reads the seeded config", () =>
 *   Effect.gen(function* () {
 *     const config = yield* ConfigService.ConfigService
 *     yield* config.get({ dataId: "app.yaml" })
 *   }).pipe(Effect.provide(ConfigService.layerMemory({ configs: [{ dataId: "app.yaml", content: "port: 8080" }] })))
 * )
 * ```
 *
 * @category layers
 * @since 0.1.0
 */
export const layerMemory = (options: MemoryOptions = {}): Layer.Layer<ConfigService> =>
  Layer.effect(ConfigService, makeMemory(options))
