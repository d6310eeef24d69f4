/**
 * One line to a working client: options + server list + auth + cache + transport + HTTP, with platform defaults
 * (an HTTP client over `node:http`/`node:https` that honours the `tls` option, Node's file system for the cache).
 * Every piece stays swappable: build your own stack from {@link layerWithoutPlatform} and the individual modules'
 * layers.
 *
 * @since 0.1.0
 * @module
 */
import type * as Config from "effect/Config"
import * as Effect from "effect/Effect"
import type * as FileSystem from "effect/FileSystem"
import * as HttpClient from "effect/http/HttpClient"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type * as Path from "effect/Path"
import * as Auth from "./Auth.ts"
import * as Cache from "./Cache.ts"
import * as NodeFileSystem from "./internal/nodeFileSystem.ts"
import * as NodeHttpClient from "./internal/nodeHttpClient.ts"
import { readTlsMaterial } from "./internal/tls.ts"
import { InvalidArgumentError, type TransportError } from "./NacosError.ts"
import * as NacosHttp from "./NacosHttp.ts"
import * as NacosOptions from "./NacosOptions.ts"
import * as ServerList from "./ServerList.ts"
import * as Transport from "./Transport.ts"

/**
 * Everything the service layers (config, naming, AI) need.
 *
 * @since 0.1.0
 */
export type NacosServices =
  | NacosOptions.NacosOptions
  | ServerList.ServerList
  | Auth.Auth
  | Cache.NacosCache
  | Transport.Transport
  | NacosHttp.NacosHttp

/**
 * The platform pieces {@link layer} provides by default.
 *
 * @since 0.1.0
 */
export type NacosPlatform = HttpClient.HttpClient | FileSystem.FileSystem | Path.Path

/**
 * The client stack over given options, leaving the platform (HTTP client, file system) to the caller.
 *
 * @category layers
 * @since 0.1.0
 */
export const fromOptionsLayer = <E, R>(
  options: Layer.Layer<NacosOptions.NacosOptions, E, R>
): Layer.Layer<NacosServices, E | InvalidArgumentError | TransportError, R | NacosPlatform> => {
  const serverList = ServerList.layer
  const auth = Auth.layer.pipe(Layer.provide(serverList))
  const core = Layer.mergeAll(
    Transport.layer.pipe(Layer.provide([serverList, auth])),
    NacosHttp.layer.pipe(Layer.provide([serverList, auth])),
    Cache.layer,
    serverList,
    auth
  )
  return core.pipe(Layer.provideMerge(options))
}

/**
 * @category layers
 * @since 0.1.0
 */
export const layerWithoutPlatform = (
  options: NacosOptions.NacosOptionsInput
): Layer.Layer<NacosServices, InvalidArgumentError | TransportError, NacosPlatform> =>
  fromOptionsLayer(NacosOptions.layer(options))

/**
 * The HTTP client the default stack uses (login, HTTP fallback, address server), over `node:http`/`node:https`.
 *
 * With the `tls` option every request is https, verified against `tls.caFile` (the system roots when unset) and
 * sent with the client certificate and key when set; a plain `http:` request is refused, never sent. The files are
 * read and checked when the layer is built: an unreadable or unusable one fails the build with an
 * `InvalidArgumentError` naming the option (`tls.caFile`, `tls.certFile`, `tls.keyFile`) and the file.
 *
 * A stack built with {@link layerWithoutPlatform} and another HttpClient (e.g. `FetchHttpClient`) still talks https
 * to https addresses, but cannot use a custom CA or client certificate.
 *
 * @category layers
 * @since 0.1.0
 */
export const httpClientLayer: Layer.Layer<HttpClient.HttpClient, InvalidArgumentError, NacosOptions.NacosOptions> =
  Layer.effect(
    HttpClient.HttpClient,
    Effect.gen(function* () {
      const options = yield* NacosOptions.NacosOptions
      const material = Option.isSome(options.tls)
        ? yield* readTlsMaterial(options.tls.value).pipe(
            Effect.mapError((failure) => new InvalidArgumentError({ field: failure.field, message: failure.message }))
          )
        : undefined
      return yield* NodeHttpClient.make(material)
    })
  )

/**
 * {@link httpClientLayer} for HTTP, Node's file system for the snapshot cache.
 *
 * The `FileSystem` here implements what the cache uses (whole-file reads and writes, `makeDirectory`, `rename`,
 * `remove`, `exists`, `access`) over `node:fs/promises`, so that the package needs no platform package; its other
 * operations fail as not found. For a complete Node `FileSystem`, provide `NodeFileSystem.layer` and
 * `NodePath.layer` from `@effect/platform-node` with {@link layerWithoutPlatform}.
 *
 * @category layers
 * @since 0.1.0
 */
export const platformLayer: Layer.Layer<NacosPlatform, InvalidArgumentError, NacosOptions.NacosOptions> =
  Layer.mergeAll(httpClientLayer, NodeFileSystem.layer)

/** The whole stack over an options layer, with the platform configured by the same options (built once). */
const withPlatform = <E, R>(
  options: Layer.Layer<NacosOptions.NacosOptions, E, R>
): Layer.Layer<NacosServices, E | InvalidArgumentError | TransportError, R> =>
  fromOptionsLayer(options).pipe(Layer.provide(platformLayer.pipe(Layer.provide(options))))

/**
 * The whole client stack from options.
 *
 * @example
 * ```ts
 * import { ConfigService } from "@effect-nacos/config"
 * import { Nacos } from "@effect-nacos/core"
 * import { Effect, Layer, Redacted } from "effect"
 *
 * const NacosLive = Nacos.layer({
 *   serverAddr: "10.0.0.1:8848,10.0.0.2:8848",
 *   namespace: "dev",
 *   username: "nacos",
 *   password: Redacted.make("secret")
 * })
 * const ConfigLive = ConfigService.layer.pipe(Layer.provide(NacosLive))
 *
 * const program = Effect.gen(function* () {
 *   const config = yield* ConfigService.ConfigService
 *   return yield* config.get({ dataId: "app.yaml" })
 * })
 * program.pipe(Effect.provide(ConfigLive), Effect.runPromise)
 * ```
 *
 * @category layers
 * @since 0.1.0
 */
export const layer = (
  options: NacosOptions.NacosOptionsInput
): Layer.Layer<NacosServices, InvalidArgumentError | TransportError> => withPlatform(NacosOptions.layer(options))

/**
 * The whole client stack from the `NACOS_*` environment (see `NacosOptions.layerConfig`).
 *
 * @example
 * ```ts
 * // NACOS_SERVER_ADDR=127.0.0.1:8848 NACOS_NAMESPACE_ID=dev NACOS_USERNAME=nacos NACOS_PASSWORD=… node app.ts
 * import { ConfigService } from "@effect-nacos/config"
 * import { Nacos } from "@effect-nacos/core"
 * import { Layer } from "effect"
 *
 * const ConfigLive = ConfigService.layer.pipe(Layer.provide(Nacos.layerConfig))
 * ```
 *
 * @category layers
 * @since 0.1.0
 */
export const layerConfig: Layer.Layer<NacosServices, InvalidArgumentError | TransportError | Config.ConfigError> =
  withPlatform(NacosOptions.layerConfig)
