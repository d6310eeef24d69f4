/**
 * Filters that rewrite config content on its way out of the client (`beforePublish`) and back in (`afterGet`,
 * also applied to `watch` events). The Java client's `IConfigFilter` chain, as Effects.
 *
 * The built-in {@link cipher} filter encrypts `cipher-*` dataIds with a cipher the user supplies (no cloud-vendor
 * SDK): the content is stored encrypted and the `encryptedDataKey` travels next to it, as in the Java KMS plugin.
 *
 * @since 0.1.0
 * @module
 */

import type { InvalidArgumentError } from "@effect-nacos/core"
import * as Effect from "effect/Effect"

/**
 * The config a filter sees and returns. `encryptedDataKey` is passed through unless a filter replaces it.
 *
 * @category models
 * @since 0.1.0
 */
export interface ConfigFilterContext {
  readonly dataId: string
  readonly group: string
  readonly namespace: string
  readonly content: string
  readonly encryptedDataKey?: string | undefined
}

/**
 * One filter. Both hooks are optional; a failing hook fails the operation (publish is not sent; get/watch
 * deliver nothing for that value). What the `beforePublish` chain returns must pass the caller's content rules
 * (not blank, at most 10 MiB), else the publish fails with an `InvalidArgumentError` for `content`.
 *
 * @category models
 * @since 0.1.0
 */
export interface ConfigFilter {
  /** For logs and errors. */
  readonly name: string
  /** Lower runs first before publish, last after get (the chain unwinds in reverse). Default 0. */
  readonly order?: number | undefined
  readonly beforePublish?:
    | ((config: ConfigFilterContext) => Effect.Effect<ConfigFilterContext, InvalidArgumentError>)
    | undefined
  readonly afterGet?:
    | ((config: ConfigFilterContext) => Effect.Effect<ConfigFilterContext, InvalidArgumentError>)
    | undefined
}

/**
 * A user-supplied cipher. `encrypt` returns the stored content and the data key to keep with it; `decrypt` gets
 * both back.
 *
 * @category models
 * @since 0.1.0
 */
export interface ConfigCipher {
  readonly encrypt: (
    config: ConfigFilterContext
  ) => Effect.Effect<{ readonly content: string; readonly encryptedDataKey: string }, InvalidArgumentError>
  readonly decrypt: (
    config: ConfigFilterContext & { readonly encryptedDataKey: string }
  ) => Effect.Effect<string, InvalidArgumentError>
}

/**
 * The prefix that marks a dataId as encrypted (Java `CIPHER_PREFIX`).
 *
 * @category constants
 * @since 0.1.0
 */
export const CIPHER_PREFIX = "cipher-"

/**
 * Encrypts `cipher-*` dataIds before publish and decrypts them after get. Content without a data key (published
 * by someone else in clear) is passed through unchanged.
 *
 * @example
 * ```ts
 * import { ConfigFilter, ConfigService } from "@effect-nacos/config"
 * import { Effect } from "effect"
 *
 * // a toy cipher: bring your own (examples/filters.ts has AES-256-GCM envelope encryption)
 * const reversing: ConfigFilter.ConfigCipher = {
 *   encrypt: (config) =>
 *     Effect.succeed({ content: [...config.content].reverse().join(""), encryptedDataKey: "toy-key" }),
 *   decrypt: (config) => Effect.succeed([...config.content].reverse().join(""))
 * }
 * const ConfigTest = ConfigService.layerMemory({ filters: [ConfigFilter.cipher(reversing)] })
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const cipher = (implementation: ConfigCipher): ConfigFilter => ({
  name: "cipher",
  beforePublish: (config) =>
    config.dataId.startsWith(CIPHER_PREFIX)
      ? Effect.map(implementation.encrypt(config), (sealed) => ({ ...config, ...sealed }))
      : Effect.succeed(config),
  afterGet: (config) =>
    config.dataId.startsWith(CIPHER_PREFIX) && config.encryptedDataKey !== undefined && config.encryptedDataKey !== ""
      ? Effect.map(implementation.decrypt({ ...config, encryptedDataKey: config.encryptedDataKey }), (content) => ({
          ...config,
          content
        }))
      : Effect.succeed(config)
})

const byOrder = (filters: ReadonlyArray<ConfigFilter>): ReadonlyArray<ConfigFilter> =>
  [...filters].sort((a, b) => (a.order ?? 0) - (b.order ?? 0))

/**
 * Runs every `beforePublish` hook, lowest order first.
 *
 * @category combinators
 * @since 0.1.0
 */
export const applyBeforePublish = (
  filters: ReadonlyArray<ConfigFilter>,
  config: ConfigFilterContext
): Effect.Effect<ConfigFilterContext, InvalidArgumentError> =>
  Effect.reduce(
    byOrder(filters),
    () => config,
    (current, filter) => (filter.beforePublish === undefined ? Effect.succeed(current) : filter.beforePublish(current))
  )

/**
 * Runs every `afterGet` hook, highest order first (undoing `beforePublish` in reverse).
 *
 * @category combinators
 * @since 0.1.0
 */
export const applyAfterGet = (
  filters: ReadonlyArray<ConfigFilter>,
  config: ConfigFilterContext
): Effect.Effect<ConfigFilterContext, InvalidArgumentError> =>
  Effect.reduce(
    [...byOrder(filters)].reverse(),
    () => config,
    (current, filter) => (filter.afterGet === undefined ? Effect.succeed(current) : filter.afterGet(current))
  )
