/**
 * One line to a working client: options + server list + auth + cache + transport + HTTP, with platform defaults
 * (global `fetch` for HTTP, Node's file system for the cache). Every piece stays swappable: build your own
 * stack from {@link layerWithoutPlatform} and the individual modules' layers.
 *
 * @since 0.1.0
 */
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as NodePath from "@effect/platform-node/NodePath"
import type * as Config from "effect/Config"
import type * as FileSystem from "effect/FileSystem"
import * as FetchHttpClient from "effect/http/FetchHttpClient"
import type * as HttpClient from "effect/http/HttpClient"
import * as Layer from "effect/Layer"
import type * as Path from "effect/Path"
import * as Auth from "./Auth.ts"
import * as Cache from "./Cache.ts"
import type { InvalidArgumentError, TransportError } from "./NacosError.ts"
import * as NacosHttp from "./NacosHttp.ts"
import * as NacosOptions from "./NacosOptions.ts"
import * as ServerList from "./ServerList.ts"
import * as Transport from "./Transport.ts"

/** Everything the service layers (config, naming, AI) need. */
export type NacosServices =
  | NacosOptions.NacosOptions
  | ServerList.ServerList
  | Auth.Auth
  | Cache.NacosCache
  | Transport.Transport
  | NacosHttp.NacosHttp

/** The platform pieces {@link layer} provides by default. */
export type NacosPlatform = HttpClient.HttpClient | FileSystem.FileSystem | Path.Path

/**
 * The client stack over given options, leaving the platform (HTTP client, file system) to the caller.
 *
 * @category layers
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
 */
export const layerWithoutPlatform = (
  options: NacosOptions.NacosOptionsInput
): Layer.Layer<NacosServices, InvalidArgumentError | TransportError, NacosPlatform> =>
  fromOptionsLayer(NacosOptions.layer(options))

/** Global `fetch` for HTTP, Node's file system for the snapshot cache. */
export const platformLayer: Layer.Layer<NacosPlatform> = Layer.mergeAll(
  FetchHttpClient.layer,
  NodeFileSystem.layer,
  NodePath.layer
)

/**
 * The whole client stack from options.
 *
 * @example
 * ```ts
 * program.pipe(Effect.provide(ConfigService.layer), Effect.provide(Nacos.layer({ serverAddr: "127.0.0.1:8848" })))
 * ```
 * @category layers
 */
export const layer = (
  options: NacosOptions.NacosOptionsInput
): Layer.Layer<NacosServices, InvalidArgumentError | TransportError> =>
  layerWithoutPlatform(options).pipe(Layer.provide(platformLayer))

/**
 * The whole client stack from the `NACOS_*` environment (see `NacosOptions.layerConfig`).
 *
 * @category layers
 */
export const layerConfig: Layer.Layer<NacosServices, InvalidArgumentError | TransportError | Config.ConfigError> =
  fromOptionsLayer(NacosOptions.layerConfig).pipe(Layer.provide(platformLayer))
