/**
 * Local copies of server data: user-maintained failover files (read first) and client-written snapshots
 * (last known good, served when the server cannot be reached).
 *
 * @since 0.1.0
 * @module
 */
import { createHash, randomUUID } from "node:crypto"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as FileSystem from "effect/FileSystem"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Path from "effect/Path"
import * as Ref from "effect/Ref"
import * as Schema from "effect/Schema"
import { NacosOptions, type ResolvedNacosOptions } from "./NacosOptions.ts"
import * as NacosTelemetry from "./NacosTelemetry.ts"

/**
 * A config's coordinates. `namespace` is the tenant (`public` by default).
 *
 * @category models
 * @since 0.1.0
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
 * @since 0.1.0
 */
export interface CachedConfig {
  readonly content: string
  readonly encryptedDataKey?: string | undefined
}

/**
 * A snapshot file that could not be written or removed (disk full, no permission, a name that would leave the
 * cache directory). The message names the file; it never holds the content.
 *
 * @category errors
 * @since 0.1.0
 */
export class CacheWriteError extends Schema.TaggedError<CacheWriteError>()("CacheWriteError", {
  message: Schema.String,
  cause: Schema.optional(Schema.Defect())
}) {}

/**
 * A read that cannot be done is `None` (logged when it is not simply a missing file). A write or remove that
 * cannot be done fails with {@link CacheWriteError} and logs nothing: the caller knows whether the file is
 * current, retries later, and decides how loud to be.
 *
 * @category services
 * @since 0.1.0
 */
export class NacosCache extends Context.Service<
  NacosCache,
  {
    readonly readConfigFailover: (key: ConfigKey) => Effect.Effect<Option.Option<CachedConfig>>
    readonly readConfigSnapshot: (key: ConfigKey) => Effect.Effect<Option.Option<CachedConfig>>
    readonly writeConfigSnapshot: (key: ConfigKey, value: CachedConfig) => Effect.Effect<void, CacheWriteError>
    readonly removeConfigSnapshot: (key: ConfigKey) => Effect.Effect<void, CacheWriteError>
    /** Naming: the last ServiceInfo JSON of `group@@service`, per namespace. */
    readonly readServiceSnapshot: (namespace: string, groupedName: string) => Effect.Effect<Option.Option<string>>
    readonly writeServiceSnapshot: (
      namespace: string,
      groupedName: string,
      json: string
    ) => Effect.Effect<void, CacheWriteError>
    /** Naming failover: `Some(json)` only while the failover switch is on and a file exists for the service. */
    readonly readServiceFailover: (namespace: string, groupedName: string) => Effect.Effect<Option.Option<string>>
  }
>()("@effect-nacos/core/Cache") {}

// =============================================================================
// Layout
// =============================================================================

/** Java's `ParamUtil.MAX_ENV_NAME_LENGTH`: longer env names are cut and suffixed with their md5. */
const MAX_ENV_NAME_LENGTH = 50

/**
 * The naming failover switch file (Java `UtilAndComs.FAILOVER_SWITCH`); a line `1` turns failover on, `0` off.
 *
 * @category layout
 * @since 0.1.0
 */
export const NAMING_FAILOVER_SWITCH_FILE = "00-00---000-VIPSRV_FAILOVER_SWITCH-000---00-00"

/**
 * Java's `ParamUtil.simplyEnvNameIfOverLimit`: names over 50 characters become their first 50 characters plus the
 * md5 hex of the whole name, so distinct long names stay distinct.
 *
 * @category layout
 * @since 0.1.0
 */
export const simplifyEnvName = (name: string): string =>
  name.length > MAX_ENV_NAME_LENGTH
    ? name.slice(0, MAX_ENV_NAME_LENGTH) + createHash("md5").update(name, "utf8").digest("hex")
    : name

/**
 * The config env name the Java client uses for its local-file directory (`{envName}_nacos`), so both clients
 * share snapshot and failover files:
 * `Config-fixed-{namespace}-{host_port joined by "-"}` for a static list, or
 * `Config-custom-{host}_{port}_{contextPath}_serverlist_{namespace}` for an address server, with `/` and `:` → `_`,
 * then shortened by {@link simplifyEnvName}.
 *
 * @category layout
 * @since 0.1.0
 */
export const configEnvName = (
  options: Pick<ResolvedNacosOptions, "serverAddresses" | "endpoint" | "namespace">
): string => {
  const providerName = Option.match(options.endpoint, {
    onNone: () =>
      `fixed-${options.namespace}-${options.serverAddresses.map((address) => address.authority.replaceAll(":", "_")).join("-")}`,
    onSome: (endpoint) =>
      `custom-${[endpoint.address.host, String(endpoint.address.port), endpoint.contextPath.replace(/^\//, ""), "serverlist"].join("_")}_${options.namespace}`
  })
  return simplifyEnvName(`Config-${providerName}`.replace(/[/:]/g, "_"))
}

/**
 * `java.net.URLEncoder.encode(s, "UTF-8")`: like `encodeURIComponent`, but also escapes `!'()~`, keeps `*`, and
 * writes a space as `+`. Naming cache file names use it (`group@@service` → `group%40%40service`).
 *
 * @category layout
 * @since 0.1.0
 */
export const javaUrlEncode = (value: string): string =>
  encodeURIComponent(value)
    .replace(/[!'()~]/g, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`)
    .replaceAll("%20", "+")
    .replaceAll("%2A", "*")

/**
 * A name that can be one path segment without leaving its directory. The server only allows
 * `[A-Za-z0-9-_.:]` in dataId/group, but a cache must not trust that: `..`, separators and NUL are refused.
 */
const isSafeSegment = (segment: string): boolean =>
  segment !== "" && segment !== "." && segment !== ".." && !/[/\\\0]/.test(segment)

/** Directories under `{envName}_nacos` per config file kind, with and without a tenant (Java's two layouts). */
const CONFIG_DIRECTORIES = {
  snapshot: { tenant: ["snapshot-tenant"], blank: ["snapshot"] },
  failover: { tenant: ["data", "config-data-tenant"], blank: ["data", "config-data"] },
  keySnapshot: { tenant: ["encrypted-data-key", "snapshot-tenant"], blank: ["encrypted-data-key", "snapshot"] },
  keyFailover: { tenant: ["encrypted-data-key", "failover-tenant"], blank: ["encrypted-data-key", "failover"] }
} as const

/** Segments under `{envName}_nacos` for one config file kind; a blank tenant uses the Java non-tenant directory. */
const configSegments = (
  kind: keyof typeof CONFIG_DIRECTORIES,
  key: ConfigKey
): Option.Option<ReadonlyArray<string>> => {
  const tenant = key.namespace.trim()
  const segments = [...(tenant === "" ? [] : [tenant]), key.group, key.dataId]
  if (!segments.every(isSafeSegment)) return Option.none()
  return Option.some([...CONFIG_DIRECTORIES[kind][tenant === "" ? "blank" : "tenant"], ...segments])
}

/** Segments under `naming/` for a service file; `failover` also names the failover directory, so it is refused. */
const serviceSegments = (
  kind: "snapshot" | "failover",
  namespace: string,
  groupedName: string
): Option.Option<ReadonlyArray<string>> => {
  const fileName = javaUrlEncode(groupedName)
  if (!isSafeSegment(namespace) || !isSafeSegment(fileName) || fileName === "failover") return Option.none()
  return Option.some(kind === "snapshot" ? [namespace, fileName] : [namespace, "failover", fileName])
}

const unsafeName = (what: string) =>
  new CacheWriteError({ message: `nacos cache: refusing to write ${what}: not a name that can be a file in the cache` })

/** Java `DiskFailoverDataSource`: each line `1` turns failover on, `0` off; the last such line wins. */
const parseFailoverSwitch = (content: string): boolean =>
  content
    .split(/\r?\n/)
    .map((line) => line.trim())
    .reduce((on, line) => (line === "1" ? true : line === "0" ? false : on), false)

// =============================================================================
// File system implementation
// =============================================================================

/**
 * Where the files live: `{cacheDir}/config/{envName}_nacos/…` and `{cacheDir}/naming/{namespace}/…`.
 *
 * @category models
 * @since 0.1.0
 */
export interface DiskCacheOptions {
  readonly cacheDir: string
  /** See {@link configEnvName}. */
  readonly envName: string
}

/**
 * The file-backed cache in the Java client's layout (reference §5.7, §6.6). Writes go to a temporary file in the
 * target directory and are renamed into place, so a reader never sees half a file.
 *
 * @category constructors
 * @since 0.1.0
 */
export const makeDisk = Effect.fnUntraced(function* (
  options: DiskCacheOptions
): Effect.fn.Return<NacosCache["Service"], never, FileSystem.FileSystem | Path.Path> {
  const fs = yield* FileSystem.FileSystem
  const path = yield* Path.Path
  const configRoot = path.resolve(options.cacheDir, "config", `${options.envName}_nacos`)
  const namingRoot = path.resolve(options.cacheDir, "naming")

  // the lexical check is a second line of defence behind isSafeSegment
  const within = (root: string, segments: Option.Option<ReadonlyArray<string>>): Option.Option<string> =>
    Option.flatMap(segments, (parts) => path.resolveWithin(root, path.join(...parts)))
  const configFile = (kind: keyof typeof CONFIG_DIRECTORIES, key: ConfigKey) =>
    within(configRoot, configSegments(kind, key))
  const serviceFile = (kind: "snapshot" | "failover", namespace: string, groupedName: string) =>
    within(namingRoot, serviceSegments(kind, namespace, groupedName))

  const readText = (file: Option.Option<string>): Effect.Effect<Option.Option<string>> =>
    Option.match(file, {
      onNone: () => Effect.succeedNone,
      onSome: (name) =>
        fs.readFileString(name, "utf-8").pipe(
          Effect.map(Option.some),
          Effect.catch((error) =>
            error.reason._tag === "NotFound"
              ? Effect.succeedNone
              : Effect.logWarning(`nacos cache: cannot read ${name}: ${error.message}`).pipe(
                  NacosTelemetry.withModule("cache"),
                  Effect.as(Option.none())
                )
          )
        )
    })

  /** Directories this layer made (or found) while writing: the snapshot trees, a few per namespace and group. */
  const madeDirectories = new Set<string>()
  const writeText = (
    file: Option.Option<string>,
    what: string,
    content: string
  ): Effect.Effect<void, CacheWriteError> =>
    Option.match(file, {
      onNone: () => Effect.fail(unsafeName(what)),
      onSome: (name) => {
        const directory = path.dirname(name)
        const makeDirectory = fs.makeDirectory(directory, { recursive: true })
        const written = Effect.suspend(() => {
          const temporary = path.join(directory, `.${path.basename(name)}.${randomUUID()}.tmp`)
          return fs.writeFileString(temporary, content, { flag: "wx" }).pipe(
            Effect.andThen(fs.rename(temporary, name)),
            Effect.onError(() => Effect.ignore(fs.remove(temporary, { force: true })))
          )
        })
        // a directory made once is not made again on every write (a mkdir each time was a visible share of a
        // subscribe storm); should it have gone since, the failed write makes it and writes once more
        const known = madeDirectories.has(directory)
        return (
          known
            ? Effect.catch(written, () => Effect.andThen(makeDirectory, written))
            : Effect.andThen(makeDirectory, written)
        ).pipe(
          Effect.tap(() => Effect.sync(() => madeDirectories.add(directory))),
          Effect.tapError(() => Effect.sync(() => madeDirectories.delete(directory))),
          Effect.mapError(
            (error) =>
              new CacheWriteError({ message: `nacos cache: cannot write ${name}: ${error.message}`, cause: error })
          )
        )
      }
    })

  const removeFile = (file: Option.Option<string>): Effect.Effect<void, CacheWriteError> =>
    Option.match(file, {
      onNone: () => Effect.void,
      onSome: (name) =>
        fs
          .remove(name, { force: true })
          .pipe(
            Effect.mapError(
              (error) =>
                new CacheWriteError({ message: `nacos cache: cannot remove ${name}: ${error.message}`, cause: error })
            )
          )
    })

  /**
   * A failover file is read on every `get` and nearly never exists: an existence check first (one stat) spares
   * the failed open, and the errors it would build, on every call. A file that goes between the check and the read
   * is a miss, as it would be a moment later.
   */
  const exists = (name: string) => fs.exists(name).pipe(Effect.catch(() => Effect.succeed(true)))
  const readIfExists = (file: Option.Option<string>): Effect.Effect<Option.Option<string>> =>
    Option.match(file, {
      onNone: () => Effect.succeedNone,
      onSome: (name) => Effect.flatMap(exists(name), (found) => (found ? readText(file) : Effect.succeedNone))
    })

  /** `data/` holds every config failover file: without it (the usual case) no file name need be worked out. */
  const failoverRoot = path.join(configRoot, CONFIG_DIRECTORIES.failover.blank[0])

  const readConfig = (contentKind: "snapshot" | "failover", keyKind: "keySnapshot" | "keyFailover") =>
    Effect.fnUntraced(function* (key: ConfigKey) {
      if (contentKind === "failover" && !(yield* exists(failoverRoot))) return Option.none<CachedConfig>()
      const content = yield* (contentKind === "failover" ? readIfExists : readText)(configFile(contentKind, key))
      if (Option.isNone(content)) return Option.none<CachedConfig>()
      const encryptedDataKey = yield* readText(configFile(keyKind, key))
      return Option.some<CachedConfig>({
        content: content.value,
        encryptedDataKey: Option.getOrUndefined(encryptedDataKey)
      })
    })

  return NacosCache.of({
    readConfigFailover: readConfig("failover", "keyFailover"),
    readConfigSnapshot: readConfig("snapshot", "keySnapshot"),
    writeConfigSnapshot: (key, value) =>
      Effect.andThen(
        // as in Java, a config without a data key must not keep a stale key from an earlier version
        value.encryptedDataKey === undefined
          ? removeFile(configFile("keySnapshot", key))
          : writeText(configFile("keySnapshot", key), `data key of ${key.dataId}`, value.encryptedDataKey),
        writeText(configFile("snapshot", key), `snapshot of ${key.dataId}`, value.content)
      ),
    removeConfigSnapshot: (key) =>
      Effect.andThen(removeFile(configFile("snapshot", key)), removeFile(configFile("keySnapshot", key))),
    readServiceSnapshot: (namespace, groupedName) => readText(serviceFile("snapshot", namespace, groupedName)),
    writeServiceSnapshot: (namespace, groupedName, json) =>
      writeText(serviceFile("snapshot", namespace, groupedName), `service ${groupedName}`, json),
    readServiceFailover: Effect.fnUntraced(function* (namespace: string, groupedName: string) {
      if (!isSafeSegment(namespace)) return Option.none()
      const switchFile = path.resolveWithin(namingRoot, path.join(namespace, "failover", NAMING_FAILOVER_SWITCH_FILE))
      const switchContent = yield* readIfExists(switchFile)
      if (!Option.exists(switchContent, parseFailoverSwitch)) return Option.none()
      return yield* readText(serviceFile("failover", namespace, groupedName))
    })
  })
})

/**
 * Snapshot and failover files under `options.cacheDir`, named for the options' server list (see
 * {@link configEnvName}). Needs a `FileSystem` and a `Path`, e.g. `NodeServices.layer` (or `NodeFileSystem.layer`
 * + `NodePath.layer`) from `@effect/platform-node`.
 *
 * @category layers
 * @since 0.1.0
 */
export const layer: Layer.Layer<NacosCache, never, NacosOptions | FileSystem.FileSystem | Path.Path> = Layer.effect(
  NacosCache,
  Effect.gen(function* () {
    const options = yield* NacosOptions
    return yield* makeDisk({ cacheDir: options.cacheDir, envName: configEnvName(options) })
  })
)

// =============================================================================
// In-memory implementation
// =============================================================================

/**
 * What an in-memory cache starts with. `serviceFailoverSwitch` defaults to on when `serviceFailover` entries are
 * given (the usual intent of seeding them), off otherwise.
 *
 * @category models
 * @since 0.1.0
 */
export interface MemoryCacheSeed {
  readonly configFailover?: ReadonlyArray<{ readonly key: ConfigKey; readonly value: CachedConfig }> | undefined
  readonly configSnapshots?: ReadonlyArray<{ readonly key: ConfigKey; readonly value: CachedConfig }> | undefined
  readonly serviceFailover?:
    | ReadonlyArray<{ readonly namespace: string; readonly groupedName: string; readonly json: string }>
    | undefined
  readonly serviceSnapshots?:
    | ReadonlyArray<{ readonly namespace: string; readonly groupedName: string; readonly json: string }>
    | undefined
  readonly serviceFailoverSwitch?: boolean | undefined
}

/**
 * The hand a test uses to play the user who maintains failover files, next to an in-memory {@link NacosCache}.
 *
 * @category services
 * @since 0.1.0
 */
export class NacosCacheMemory extends Context.Service<
  NacosCacheMemory,
  {
    /**
     * Puts a config failover file in place: `get` serves it before asking the server, `watch` emits it.
     *
     * @example
     * ```ts
     * import { Cache } from "@effect-nacos/core"
     * import { Effect } from "effect"
     *
     * const serveFromFailover = Effect.gen(function* () {
     *   const files = yield* Cache.NacosCacheMemory
     *   const key = { namespace: "public", group: "DEFAULT_GROUP", dataId: "app.yaml" }
     *   yield* files.putConfigFailover(key, { content: "port: 9090" })
     * })
     * ```
     */
    readonly putConfigFailover: (key: ConfigKey, value: CachedConfig) => Effect.Effect<void>
    /**
     * Takes a config failover file away: the server is the source again.
     *
     * @example
     * ```ts
     * import { Cache } from "@effect-nacos/core"
     * import { Effect } from "effect"
     *
     * const backToServer = Effect.flatMap(Cache.NacosCacheMemory, (files) =>
     *   files.removeConfigFailover({ namespace: "public", group: "DEFAULT_GROUP", dataId: "app.yaml" })
     * )
     * ```
     */
    readonly removeConfigFailover: (key: ConfigKey) => Effect.Effect<void>
    /**
     * Puts a service failover file (a `ServiceInfo` JSON) in place, used while the failover switch is on.
     *
     * @example
     * ```ts
     * import { Cache } from "@effect-nacos/core"
     * import { Effect } from "effect"
     *
     * const pinOrders = Effect.flatMap(Cache.NacosCacheMemory, (files) =>
     *   files.putServiceFailover("public", "DEFAULT_GROUP@@orders", JSON.stringify({ name: "orders", hosts: [] }))
     * )
     * ```
     */
    readonly putServiceFailover: (namespace: string, groupedName: string, json: string) => Effect.Effect<void>
    /**
     * Takes a service failover file away.
     *
     * @example
     * ```ts
     * import { Cache } from "@effect-nacos/core"
     * import { Effect } from "effect"
     *
     * const unpinOrders = Effect.flatMap(Cache.NacosCacheMemory, (files) =>
     *   files.removeServiceFailover("public", "DEFAULT_GROUP@@orders")
     * )
     * ```
     */
    readonly removeServiceFailover: (namespace: string, groupedName: string) => Effect.Effect<void>
    /**
     * The Java client's failover switch file for naming: service failover files are read only while it is on.
     *
     * @example
     * ```ts
     * import { Cache } from "@effect-nacos/core"
     * import { Effect } from "effect"
     *
     * const failoverOff = Effect.flatMap(Cache.NacosCacheMemory, (files) => files.setServiceFailoverSwitch(false))
     * ```
     */
    readonly setServiceFailoverSwitch: (on: boolean) => Effect.Effect<void>
  }
>()("@effect-nacos/core/Cache/NacosCacheMemory") {}

const configMapKey = (key: ConfigKey): string => JSON.stringify([key.namespace.trim(), key.group, key.dataId])
const serviceMapKey = (namespace: string, groupedName: string): string => JSON.stringify([namespace, groupedName])

/**
 * An in-memory cache with the disk cache's semantics (including refusing names that could not be files) and its
 * control hand. Nothing is shared between two calls.
 *
 * @category constructors
 * @since 0.1.0
 */
export const makeMemory = Effect.fnUntraced(function* (seed: MemoryCacheSeed = {}) {
  const configKeyOk = (key: ConfigKey) => Option.isSome(configSegments("snapshot", key))
  const serviceKeyOk = (namespace: string, groupedName: string) =>
    Option.isSome(serviceSegments("snapshot", namespace, groupedName))
  const configFailover = new Map((seed.configFailover ?? []).map(({ key, value }) => [configMapKey(key), value]))
  const configSnapshots = new Map((seed.configSnapshots ?? []).map(({ key, value }) => [configMapKey(key), value]))
  const serviceFailover = new Map(
    (seed.serviceFailover ?? []).map(({ namespace, groupedName, json }) => [
      serviceMapKey(namespace, groupedName),
      json
    ])
  )
  const serviceSnapshots = new Map(
    (seed.serviceSnapshots ?? []).map(({ namespace, groupedName, json }) => [
      serviceMapKey(namespace, groupedName),
      json
    ])
  )
  const failoverSwitch = yield* Ref.make(seed.serviceFailoverSwitch ?? seed.serviceFailover !== undefined)

  const read = <A>(map: Map<string, A>, mapKey: string, allowed: boolean) =>
    Effect.sync(() => (allowed ? Option.fromNullishOr(map.get(mapKey)) : Option.none<A>()))

  const cache = NacosCache.of({
    readConfigFailover: (key) => read(configFailover, configMapKey(key), configKeyOk(key)),
    readConfigSnapshot: (key) => read(configSnapshots, configMapKey(key), configKeyOk(key)),
    writeConfigSnapshot: (key, value) =>
      configKeyOk(key)
        ? Effect.sync(() => void configSnapshots.set(configMapKey(key), { ...value }))
        : Effect.fail(unsafeName(`snapshot of ${key.dataId}`)),
    removeConfigSnapshot: (key) => Effect.sync(() => void configSnapshots.delete(configMapKey(key))),
    readServiceSnapshot: (namespace, groupedName) =>
      read(serviceSnapshots, serviceMapKey(namespace, groupedName), serviceKeyOk(namespace, groupedName)),
    writeServiceSnapshot: (namespace, groupedName, json) =>
      serviceKeyOk(namespace, groupedName)
        ? Effect.sync(() => void serviceSnapshots.set(serviceMapKey(namespace, groupedName), json))
        : Effect.fail(unsafeName(`service ${groupedName}`)),
    readServiceFailover: (namespace, groupedName) =>
      Effect.flatMap(Ref.get(failoverSwitch), (on) =>
        read(serviceFailover, serviceMapKey(namespace, groupedName), on && serviceKeyOk(namespace, groupedName))
      )
  })
  const control = NacosCacheMemory.of({
    putConfigFailover: (key, value) => Effect.sync(() => void configFailover.set(configMapKey(key), { ...value })),
    removeConfigFailover: (key) => Effect.sync(() => void configFailover.delete(configMapKey(key))),
    putServiceFailover: (namespace, groupedName, json) =>
      Effect.sync(() => void serviceFailover.set(serviceMapKey(namespace, groupedName), json)),
    removeServiceFailover: (namespace, groupedName) =>
      Effect.sync(() => void serviceFailover.delete(serviceMapKey(namespace, groupedName))),
    setServiceFailoverSwitch: (on) => Ref.set(failoverSwitch, on)
  })
  return { cache, control } as const
})

/**
 * An in-memory cache for tests: the {@link NacosCache} plus its {@link NacosCacheMemory} control, optionally seeded.
 *
 * @example
 * ```ts
 * import { Cache } from "@effect-nacos/core"
 * import { Effect } from "effect"
 *
 * const test = Effect.gen(function* () {
 *   const control = yield* Cache.NacosCacheMemory
 *   yield* control.putConfigFailover({ namespace: "public", group: "DEFAULT_GROUP", dataId: "a" }, { content: "x" })
 * }).pipe(Effect.provide(Cache.layerMemory()))
 * ```
 *
 * @category layers
 * @since 0.1.0
 */
export const layerMemory = (seed?: MemoryCacheSeed): Layer.Layer<NacosCache | NacosCacheMemory> =>
  Layer.effectContext(
    Effect.map(makeMemory(seed), ({ cache, control }) =>
      Context.make(NacosCache, cache).pipe(Context.add(NacosCacheMemory, control))
    )
  )

// =============================================================================
// Disabled
// =============================================================================

/**
 * A cache that keeps nothing: reads are `None`, writes do nothing.
 *
 * @category constructors
 * @since 0.1.0
 */
export const disabled: NacosCache["Service"] = {
  readConfigFailover: () => Effect.succeedNone,
  readConfigSnapshot: () => Effect.succeedNone,
  writeConfigSnapshot: () => Effect.void,
  removeConfigSnapshot: () => Effect.void,
  readServiceSnapshot: () => Effect.succeedNone,
  writeServiceSnapshot: () => Effect.void,
  readServiceFailover: () => Effect.succeedNone
}

/**
 * No local files at all: every read is `None`, every write does nothing.
 *
 * @category layers
 * @since 0.1.0
 */
export const layerDisabled: Layer.Layer<NacosCache> = Layer.sync(NacosCache, () => disabled)
