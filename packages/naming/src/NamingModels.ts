/**
 * The inputs, results and events of the naming service, as Schemas.
 *
 * Input schemas carry the server's own rules (protocol reference §6.7, corrected by the 3.1 verification N8), so a
 * request the server would refuse is refused before anything is sent, with an `InvalidArgumentError` naming the
 * field.
 *
 * @since 0.1.0
 * @module
 */
import { FuzzyWatch, type InvalidArgumentError } from "@effect-nacos/core"
import * as Schema from "effect/Schema"

/**
 * The group used when none (or an empty one) is given.
 *
 * @category constants
 * @since 0.1.0
 */
export const DEFAULT_GROUP = "DEFAULT_GROUP"

/**
 * The cluster an instance belongs to when none is given (the server would store `DEFAULT` too, but would put a
 * literal `null` into the instance id: the client always sends it).
 *
 * @category constants
 * @since 0.1.0
 */
export const DEFAULT_CLUSTER = "DEFAULT"

const nonBlank = Schema.makeFilter((value: string) => value.trim() !== "" || "must not be blank")

/**
 * A service name: not blank, at most 512 characters, not starting with `@`, no `@@`, no whitespace and no CJK
 * ideographs (the server's `serviceNamePattern`).
 *
 * @category schemas
 * @since 0.1.0
 */
export const ServiceName = Schema.String.check(
  nonBlank,
  Schema.isMaxLength(512, { message: "must be at most 512 characters" }),
  Schema.makeFilter((name: string) => !name.startsWith("@") || "must not start with @"),
  Schema.makeFilter((name: string) => !name.includes("@@") || "must not contain @@"),
  Schema.makeFilter(
    (name: string) => !/[\s\u4E00-\u9FA5]/.test(name) || "must not contain whitespace or CJK ideographs"
  )
)

/**
 * A group: at most 128 characters of `[A-Za-z0-9-_:.]`. Omitted or empty means {@link DEFAULT_GROUP}.
 *
 * @category schemas
 * @since 0.1.0
 */
export const GroupName = Schema.String.check(
  Schema.isMaxLength(128, { message: "must be at most 128 characters" }),
  Schema.makeFilter(
    (group: string) => /^[a-zA-Z0-9\-_:.]*$/.test(group) || "may contain only ASCII letters, digits and - _ : ."
  )
)

/**
 * A cluster name: 1..64 characters of `[0-9a-zA-Z-]` — no underscore: the server's register check is stricter
 * than its parameter checker (verification N8).
 *
 * @category schemas
 * @since 0.1.0
 */
export const ClusterName = Schema.String.check(
  Schema.isMaxLength(64, { message: "must be at most 64 characters" }),
  Schema.isPattern(/^[0-9a-zA-Z-]+$/, { message: "may contain only ASCII letters, digits and -" })
)

/**
 * An instance address: not blank, at most 128 characters, no whitespace.
 *
 * @category schemas
 * @since 0.1.0
 */
export const Ip = Schema.String.check(
  nonBlank,
  Schema.isMaxLength(128, { message: "must be at most 128 characters" }),
  Schema.makeFilter((ip: string) => !/\s/.test(ip) || "must not contain whitespace")
)

/**
 * A port: an integer 1..65535.
 *
 * @category schemas
 * @since 0.1.0
 */
export const Port = Schema.Number.check(
  Schema.isInt({ message: "must be an integer" }),
  Schema.isBetween({ minimum: 1, maximum: 65535 }, { message: "must be between 1 and 65535" })
)

/**
 * A weight: 0..10000 (a zero-weight instance is never selected).
 *
 * @category schemas
 * @since 0.1.0
 */
export const Weight = Schema.Number.check(
  Schema.makeFilter((weight: number) => Number.isFinite(weight) || "must be a finite number"),
  Schema.isBetween({ minimum: 0, maximum: 10000 }, { message: "must be between 0 and 10000" })
)

/**
 * Instance metadata: string keys and string values, at most 1024 characters in all (the server's
 * `nacos.naming.service.metadata.length`).
 *
 * @category schemas
 * @since 0.1.0
 */
export const Metadata = Schema.Record(Schema.String, Schema.String).check(
  Schema.makeFilter(
    (metadata: Readonly<Record<string, string>>) =>
      Object.entries(metadata).reduce((sum, [key, value]) => sum + key.length + value.length, 0) <= 1024 ||
      "must be at most 1024 characters of keys and values in all"
  )
)

/**
 * Names a service. `groupName` defaults to {@link DEFAULT_GROUP}.
 *
 * @category schemas
 * @since 0.1.0
 */
export const ServiceParams = Schema.Struct({
  serviceName: ServiceName,
  groupName: Schema.optional(GroupName)
})
/** @since 0.1.0 */
export type ServiceParams = typeof ServiceParams.Type

/**
 * One instance as the caller describes it. Defaults: weight 1, healthy, enabled, ephemeral, cluster `DEFAULT`,
 * no metadata.
 *
 * @category schemas
 * @since 0.1.0
 */
export const InstanceSpec = Schema.Struct({
  ip: Ip,
  port: Port,
  weight: Schema.optional(Weight),
  healthy: Schema.optional(Schema.Boolean),
  enabled: Schema.optional(Schema.Boolean),
  clusterName: Schema.optional(ClusterName),
  metadata: Schema.optional(Metadata)
})
/** @since 0.1.0 */
export type InstanceSpec = typeof InstanceSpec.Type

/**
 * `registerInstance` / `deregisterInstance` / `updateInstance`. `ephemeral: false` makes a persistent instance
 * (stored by the server until deregistered, never tied to this client).
 *
 * @category schemas
 * @since 0.1.0
 */
export const InstanceParams = Schema.Struct({
  ...ServiceParams.fields,
  ...InstanceSpec.fields,
  ephemeral: Schema.optional(Schema.Boolean)
})
/** @since 0.1.0 */
export type InstanceParams = typeof InstanceParams.Type

/**
 * `batchRegisterInstances` / `batchDeregisterInstances`: ephemeral instances of one service.
 *
 * @category schemas
 * @since 0.1.0
 */
export const BatchInstancesParams = Schema.Struct({
  ...ServiceParams.fields,
  instances: Schema.Array(InstanceSpec)
})
/** @since 0.1.0 */
export type BatchInstancesParams = typeof BatchInstancesParams.Type

/** A cluster list; empty or omitted means every cluster. */
const Clusters = Schema.Array(ClusterName)

/**
 * A service, optionally narrowed to some clusters.
 *
 * @category schemas
 * @since 0.1.0
 */
export const ClusteredServiceParams = Schema.Struct({
  ...ServiceParams.fields,
  clusters: Schema.optional(Clusters)
})
/** @since 0.1.0 */
export type ClusteredServiceParams = typeof ClusteredServiceParams.Type

/**
 * `listInstances`: `healthyOnly` keeps healthy instances only; `subscribe` (default true) answers from this
 * client's live subscription of the service when there is one, `false` always asks the server.
 *
 * @category schemas
 * @since 0.1.0
 */
export const ListInstancesParams = Schema.Struct({
  ...ClusteredServiceParams.fields,
  healthyOnly: Schema.optional(Schema.Boolean),
  subscribe: Schema.optional(Schema.Boolean)
})
/** @since 0.1.0 */
export type ListInstancesParams = typeof ListInstancesParams.Type

/**
 * `listServices`: one page (1-based, default 1; size default 10, at most 1000) of a group's service names.
 *
 * @category schemas
 * @since 0.1.0
 */
export const ListServicesParams = Schema.Struct({
  groupName: Schema.optional(GroupName),
  pageNo: Schema.optional(Schema.Number.check(Schema.isInt(), Schema.isGreaterThanOrEqualTo(1))),
  pageSize: Schema.optional(Schema.Number.check(Schema.isInt(), Schema.isBetween({ minimum: 1, maximum: 1000 })))
})
/** @since 0.1.0 */
export type ListServicesParams = typeof ListServicesParams.Type

/**
 * What happens when the server says a subscribed service has no instance left: `protect` keeps the last
 * non-empty view and emits `EmptyPushIgnored`; `deliver` emits the empty view.
 *
 * @category schemas
 * @since 0.1.0
 */
export const EmptyPushPolicy = Schema.Literals(["protect", "deliver"])
/** @since 0.1.0 */
export type EmptyPushPolicy = typeof EmptyPushPolicy.Type

/**
 * `subscribe` / `onChange`. `emptyPush` defaults to the layer's policy (`protect` unless configured).
 *
 * @category schemas
 * @since 0.1.0
 */
export const SubscribeParams = Schema.Struct({
  ...ClusteredServiceParams.fields,
  emptyPush: Schema.optional(EmptyPushPolicy)
})
/** @since 0.1.0 */
export type SubscribeParams = typeof SubscribeParams.Type

// =============================================================================
// Results
// =============================================================================

/**
 * An instance as the server holds it.
 *
 * @category schemas
 * @since 0.1.0
 */
export const Instance = Schema.Struct({
  instanceId: Schema.String,
  ip: Schema.String,
  port: Schema.Number,
  weight: Schema.Number,
  healthy: Schema.Boolean,
  enabled: Schema.Boolean,
  ephemeral: Schema.Boolean,
  clusterName: Schema.String,
  /** The plain service name (the server sends `group@@service`; the group is on the ServiceInfo). */
  serviceName: Schema.String,
  metadata: Schema.Record(Schema.String, Schema.String)
})
/** @since 0.1.0 */
export type Instance = typeof Instance.Type

/**
 * A service and its instances.
 *
 * @category schemas
 * @since 0.1.0
 */
export const ServiceInfo = Schema.Struct({
  name: Schema.String,
  groupName: Schema.String,
  /** The clusters asked for, comma-joined; "" = all. */
  clusters: Schema.String,
  hosts: Schema.Array(Instance),
  lastRefTime: Schema.Number,
  /** The server returned every instance as healthy because too few were (the service's protect threshold). */
  reachProtectionThreshold: Schema.Boolean
})
/** @since 0.1.0 */
export type ServiceInfo = typeof ServiceInfo.Type

/**
 * One page of `listServices`; `count` is the number of services in the group, over all pages.
 *
 * @category schemas
 * @since 0.1.0
 */
export const ServiceList = Schema.Struct({
  count: Schema.Number,
  services: Schema.Array(Schema.String)
})
/** @since 0.1.0 */
export type ServiceList = typeof ServiceList.Type

// =============================================================================
// Events
// =============================================================================

/**
 * The instances of a subscribed service: the first event has every instance in `added`; later ones carry what
 * changed since the previous event (modified = same ip, port and cluster, other fields differ).
 *
 * @category schemas
 * @since 0.1.0
 */
export const InstancesChanged = Schema.TaggedStruct("InstancesChanged", {
  service: ServiceInfo,
  added: Schema.Array(Instance),
  removed: Schema.Array(Instance),
  modified: Schema.Array(Instance)
})
/** @since 0.1.0 */
export type InstancesChanged = typeof InstancesChanged.Type

/**
 * The server said the service has no instance left and the `protect` policy kept the last view (`service`).
 *
 * @category schemas
 * @since 0.1.0
 */
export const EmptyPushIgnored = Schema.TaggedStruct("EmptyPushIgnored", {
  service: ServiceInfo
})
/** @since 0.1.0 */
export type EmptyPushIgnored = typeof EmptyPushIgnored.Type

/**
 * @category schemas
 * @since 0.1.0
 */
export const ServiceEvent = Schema.Union([InstancesChanged, EmptyPushIgnored])
/** @since 0.1.0 */
export type ServiceEvent = typeof ServiceEvent.Type

// =============================================================================
// Selectors
// =============================================================================

/**
 * Narrows `selectInstances`. Every criterion given must hold. `metadata` matches all entries (default) or any.
 *
 * @category models
 * @since 0.1.0
 */
export interface InstanceSelector {
  readonly clusters?: ReadonlyArray<string> | undefined
  readonly healthy?: boolean | undefined
  readonly enabled?: boolean | undefined
  readonly metadata?:
    | { readonly entries: Readonly<Record<string, string>>; readonly match?: "all" | "any" | undefined }
    | undefined
  readonly ip?: ((ip: string) => boolean) | undefined
}

// =============================================================================
// Fuzzy watch
// =============================================================================

const GROUP_LITERAL = /^[a-zA-Z0-9\-_:.]+$/
const SERVICE_LITERAL = /^(?!@)(?!.*@@)[^\s\u4E00-\u9FA5]+$/

/**
 * `watchServices`: the services whose group and name match. Each pattern is `*` (any), `x*` (starts with), `*x`
 * (ends with), `*x*` (contains) or a literal; no other use of `*`. `namespace` defaults to the client's.
 *
 * @category schemas
 * @since 0.1.0
 */
export const WatchServicesParams = Schema.Struct({
  namespace: Schema.optionalKey(
    Schema.String.check(
      Schema.isNonEmpty({ message: "must not be empty" }),
      Schema.makeFilter(
        (namespace: string) => /^[\w-]+$/.test(namespace) || "may contain only letters, digits, _ and -"
      )
    )
  ),
  groupPattern: FuzzyWatch.patternSchema({
    literal: GROUP_LITERAL,
    rule: "may contain only ASCII letters, digits and - _ : . besides its wildcards",
    maxLength: 128
  }),
  servicePattern: FuzzyWatch.patternSchema({
    literal: SERVICE_LITERAL,
    rule: "must not start with @, contain @@, whitespace or CJK ideographs",
    maxLength: 512
  })
})
/** @since 0.1.0 */
export type WatchServicesParams = typeof WatchServicesParams.Type

const serviceFields = { namespace: Schema.String, groupName: Schema.String, serviceName: Schema.String }

/**
 * A service's coordinates, as fuzzy watch reports them.
 *
 * @category schemas
 * @since 0.1.0
 */
export const ServiceCoordinates = Schema.Struct(serviceFields)
/** @since 0.1.0 */
export type ServiceCoordinates = typeof ServiceCoordinates.Type

/**
 * What `watchServices` emits: first a `Snapshot` of the services the pattern matches (once the server finished its
 * initial sync), then `Added` (a service got its first instance) / `Removed` (it lost its last) — also for changes
 * made while the connection was down, found when it comes back.
 *
 * @category schemas
 * @since 0.1.0
 */
export const ServiceKeysEvent = Schema.TaggedUnion({
  Snapshot: { services: Schema.Array(ServiceCoordinates) },
  Added: serviceFields,
  Removed: serviceFields
})
/** @since 0.1.0 */
export type ServiceKeysEvent = typeof ServiceKeysEvent.Type

/**
 * What `watchServices` can fail with: a pattern refused before sending (`InvalidArgumentError`), a server without
 * fuzzy watch (`NotSupportedError`) or none reachable to ask (`TransportError`), or the server's refusal
 * (`ServerError` 50310 / 50311, `AuthError`) — see `FuzzyWatch.WatchError`.
 *
 * @category errors
 * @since 0.1.0
 */
export type WatchServicesError = FuzzyWatch.WatchError | InvalidArgumentError
