/**
 * The inputs and results of the config service, as Schemas.
 *
 * Input schemas carry the server's own rules (protocol reference §5.8, §5.2 `additionMap`), so a request the server
 * would reject is refused before anything is sent, with an `InvalidArgumentError` naming the field.
 *
 * @since 0.1.0
 * @module
 */
import { FuzzyWatch } from "@effect-nacos/core"
import * as Schema from "effect/Schema"

/**
 * The group used when none (or an empty one) is given, as in every Nacos SDK.
 *
 * @category constants
 * @since 0.1.0
 */
export const DEFAULT_GROUP = "DEFAULT_GROUP"

/** The server's character rule for dataId, group and tag (`ParamUtils.isValid` + the default param checker). */
const NAME_PATTERN = /^[A-Za-z0-9\-_.:]+$/
const NAME_RULE = "may contain only ASCII letters, digits and - _ . :"

const nacosName = (maxLength: number) =>
  Schema.String.check(
    Schema.isNonEmpty({ message: "must not be empty" }),
    Schema.isMaxLength(maxLength, { message: `must be at most ${maxLength} characters` }),
    Schema.isPattern(NAME_PATTERN, { message: NAME_RULE })
  )

/**
 * A dataId: 1..256 characters of `[A-Za-z0-9-_.:]`.
 *
 * @category schemas
 * @since 0.1.0
 */
export const DataId = nacosName(256)

/**
 * A group: 1..128 characters of `[A-Za-z0-9-_.:]`. Omitted or empty means {@link DEFAULT_GROUP}.
 *
 * @category schemas
 * @since 0.1.0
 */
export const Group = Schema.String.check(
  Schema.isMaxLength(128, { message: "must be at most 128 characters" }),
  Schema.makeFilter((group: string) => group === "" || NAME_PATTERN.test(group) || NAME_RULE)
)

/**
 * A gray-release tag: 1..16 characters of `[A-Za-z0-9-_.:]` (the server publishes it as gray rule `tag_<tag>`).
 *
 * @category schemas
 * @since 0.1.0
 */
export const Tag = nacosName(16)

/**
 * Content types the server knows; anything else is stored as `text`.
 *
 * @category schemas
 * @since 0.1.0
 */
export const ConfigType = Schema.Literals(["text", "json", "xml", "yaml", "html", "properties", "toml"])
/** @since 0.1.0 */
export type ConfigType = typeof ConfigType.Type

/** The server's content limit (`PropertyUtil.maxContent`). */
const MAX_CONTENT_BYTES = 10 * 1024 * 1024

/**
 * Content the server accepts: not blank, at most 10 MiB of UTF-8 (`PropertyUtil.maxContent`). Over gRPC the whole
 * request must also fit one message (`grpc.maxReceiveMessageLength`, 10 MiB by default) with the JSON escapes and
 * the envelope, so the live service refuses somewhat less than 10 MiB before sending. Content returned by a
 * `beforePublish` filter is checked the same way.
 *
 * @category schemas
 * @since 0.1.0
 */
export const ConfigContent = Schema.String.check(
  Schema.makeFilter((content: string) => content.trim() !== "" || "must not be blank"),
  Schema.makeFilter(
    (content: string) => Buffer.byteLength(content, "utf8") <= MAX_CONTENT_BYTES || "must be at most 10 MiB"
  )
)

/** A list entry the server joins with commas: so no commas (or spaces) inside. */
const listItem = (maxLength: number) =>
  Schema.String.check(
    Schema.isNonEmpty({ message: "must not be empty" }),
    Schema.isMaxLength(maxLength, { message: `must be at most ${maxLength} characters` }),
    Schema.makeFilter((item: string) => !/[,\s]/.test(item) || "must not contain commas or whitespace")
  )

/**
 * Identifies one config in the client's namespace.
 *
 * @category schemas
 * @since 0.1.0
 */
export const ConfigKeyParams = Schema.Struct({
  dataId: DataId,
  group: Schema.optionalKey(Group)
})
/** @since 0.1.0 */
export type ConfigKeyParams = typeof ConfigKeyParams.Type

/**
 * `get` / `getInfo`: `tag` asks for the content of that tag's gray release.
 *
 * @category schemas
 * @since 0.1.0
 */
export const GetConfigParams = Schema.Struct({
  dataId: DataId,
  group: Schema.optionalKey(Group),
  tag: Schema.optionalKey(Tag)
})
/** @since 0.1.0 */
export type GetConfigParams = typeof GetConfigParams.Type

/**
 * `publish`: creates or overwrites a config.
 *
 * - `casMd5`: publish only if the server's current md5 is this one (compare-and-set); else `ConflictError`.
 *   As on the server, a CAS publish of a config that does not exist yet creates it. No CR or LF.
 * - `tag`: publish as the gray release of that tag instead of the formal config.
 * - `betaIps`: publish as a beta served only to these client IPs.
 * - `configTags`: at most 5 labels of at most 64 characters.
 * - `encryptedDataKey`: stored as given; normally set by a cipher filter (see `ConfigFilter.cipher`).
 *
 * @category schemas
 * @since 0.1.0
 */
export const PublishConfigParams = Schema.Struct({
  dataId: DataId,
  group: Schema.optionalKey(Group),
  content: ConfigContent,
  type: Schema.optionalKey(ConfigType),
  appName: Schema.optionalKey(Schema.String.check(Schema.isMaxLength(128))),
  srcUser: Schema.optionalKey(Schema.String.check(Schema.isMaxLength(128))),
  tag: Schema.optionalKey(Tag),
  betaIps: Schema.optionalKey(
    Schema.Array(listItem(128)).check(Schema.isNonEmpty({ message: "must list at least one IP" }))
  ),
  casMd5: Schema.optionalKey(
    Schema.String.check(
      Schema.isNonEmpty({ message: "must not be empty" }),
      // it travels as an HTTP header on the fallback: a line break would split it into another header
      Schema.makeFilter((md5: string) => !/[\r\n]/.test(md5) || "must not contain CR or LF")
    )
  ),
  desc: Schema.optionalKey(Schema.String.check(Schema.isMaxLength(128, { message: "must be at most 128 characters" }))),
  configTags: Schema.optionalKey(
    Schema.Array(listItem(64)).check(Schema.isMaxLength(5, { message: "at most 5 config tags" }))
  ),
  encryptedDataKey: Schema.optionalKey(Schema.String)
})
/** @since 0.1.0 */
export type PublishConfigParams = typeof PublishConfigParams.Type

/**
 * `remove`: deletes the config, or only its `tag` gray release.
 *
 * @category schemas
 * @since 0.1.0
 */
export const RemoveConfigParams = Schema.Struct({
  dataId: DataId,
  group: Schema.optionalKey(Group),
  tag: Schema.optionalKey(Tag)
})
/** @since 0.1.0 */
export type RemoveConfigParams = typeof RemoveConfigParams.Type

/**
 * Where a `getInfo` result came from: the user's failover file, the server, or the last-known-good snapshot
 * (served when the server could not be asked).
 *
 * @category schemas
 * @since 0.1.0
 */
export const ConfigSource = Schema.Literals(["failover", "server", "snapshot"])
/** @since 0.1.0 */
export type ConfigSource = typeof ConfigSource.Type

/**
 * A config with its metadata. `md5` is the lowercase hex MD5 of the content as stored on the server (before
 * filters such as decryption). `beta`/`tag` say a gray release was served instead of the formal config.
 *
 * @category schemas
 * @since 0.1.0
 */
export const ConfigInfo = Schema.Struct({
  dataId: Schema.String,
  group: Schema.String,
  namespace: Schema.String,
  content: Schema.String,
  md5: Schema.String,
  type: Schema.optionalKey(Schema.String),
  encryptedDataKey: Schema.optionalKey(Schema.String),
  lastModified: Schema.optionalKey(Schema.Number),
  beta: Schema.Boolean,
  tag: Schema.optionalKey(Schema.String),
  source: ConfigSource
})
/** @since 0.1.0 */
export type ConfigInfo = typeof ConfigInfo.Type

/**
 * A config the in-memory service (`ConfigService.layerMemory`) holds from the start, in the `namespace` of its
 * options.
 *
 * @example
 * ```ts
 * import { ConfigService } from "@effect-nacos/config"
 *
 * const ConfigTest = ConfigService.layerMemory({
 *   configs: [{ dataId: "app.yaml", content: "greeting: hello", type: "yaml" }]
 * })
 * ```
 *
 * @category models
 * @since 0.1.0
 */
export interface MemorySeed {
  readonly dataId: string
  /** Default `DEFAULT_GROUP`. */
  readonly group?: string | undefined
  readonly content: string
  /** Default `text`. */
  readonly type?: string | undefined
}

const eventKey = { dataId: Schema.String, group: Schema.String, namespace: Schema.String }

/**
 * What `watch` emits:
 * - `Changed`: the current content (first event) or a new one (its md5 differs from the previous event's);
 * - `Absent`: first event only — the config does not exist (yet);
 * - `Deleted`: the config was removed while watched.
 *
 * @category schemas
 * @since 0.1.0
 */
export const ConfigEvent = Schema.TaggedUnion({
  Changed: {
    ...eventKey,
    content: Schema.String,
    md5: Schema.String,
    type: Schema.optionalKey(Schema.String),
    encryptedDataKey: Schema.optionalKey(Schema.String),
    lastModified: Schema.optionalKey(Schema.Number)
  },
  Absent: eventKey,
  Deleted: eventKey
})
/** @since 0.1.0 */
export type ConfigEvent = typeof ConfigEvent.Type
/** @since 0.1.0 */
export type ConfigChanged = Extract<ConfigEvent, { readonly _tag: "Changed" }>

/** A fuzzy-watch pattern part: `*`, `x*`, `*x`, `*x*` or a literal, the text in the dataId/group characters. */
const configPattern = (maxLength: number) =>
  FuzzyWatch.patternSchema({ literal: NAME_PATTERN, rule: NAME_RULE, maxLength })

/**
 * `watchConfigs`: the configs of the client's namespace whose group and dataId match. Each pattern is `*` (any),
 * `x*` (starts with), `*x` (ends with), `*x*` (contains) or a literal; no other use of `*` (the server would
 * match nothing).
 *
 * @category schemas
 * @since 0.1.0
 */
export const WatchConfigsParams = Schema.Struct({
  groupPattern: configPattern(128),
  dataIdPattern: configPattern(256)
})
/** @since 0.1.0 */
export type WatchConfigsParams = typeof WatchConfigsParams.Type

/**
 * A config's coordinates, as fuzzy watch reports them.
 *
 * @category schemas
 * @since 0.1.0
 */
export const ConfigCoordinates = Schema.Struct(eventKey)
/** @since 0.1.0 */
export type ConfigCoordinates = typeof ConfigCoordinates.Type

/**
 * What `watchConfigs` emits:
 * - `Snapshot`: first event only — every config the pattern matches once the server finished its initial sync
 *   (possibly none);
 * - `Added`: a config now matches (created; or created while the connection was down);
 * - `Removed`: a config no longer matches (deleted; or deleted while the connection was down).
 * Content changes of a matched config are not reported: `watch` that config for those.
 *
 * @category schemas
 * @since 0.1.0
 */
export const ConfigKeysEvent = Schema.TaggedUnion({
  Snapshot: { configs: Schema.Array(ConfigCoordinates) },
  Added: eventKey,
  Removed: eventKey
})
/** @since 0.1.0 */
export type ConfigKeysEvent = typeof ConfigKeysEvent.Type
