/**
 * What the server sends for naming, as Schemas (protocol reference §6.1–§6.3). Jackson omits nulls but some paths
 * send them, so every optional field also accepts `null`; `toServiceInfo` fills the defaults once.
 */
import * as Schema from "effect/Schema"
import { DEFAULT_CLUSTER, type Instance, type ServiceInfo } from "../NamingModels.ts"

const nullable = <S extends Schema.Top>(schema: S) => Schema.optional(Schema.NullOr(schema))

/** `Instance` JSON (§6.2). */
export const WireInstance = Schema.Struct({
  instanceId: nullable(Schema.String),
  ip: Schema.String,
  port: Schema.Number,
  weight: nullable(Schema.Number),
  healthy: nullable(Schema.Boolean),
  enabled: nullable(Schema.Boolean),
  ephemeral: nullable(Schema.Boolean),
  clusterName: nullable(Schema.String),
  serviceName: nullable(Schema.String),
  metadata: nullable(Schema.Record(Schema.String, Schema.String))
})
export type WireInstance = typeof WireInstance.Type

/** `ServiceInfo` JSON (§6.3). */
export const WireServiceInfo = Schema.Struct({
  name: nullable(Schema.String),
  groupName: nullable(Schema.String),
  clusters: nullable(Schema.String),
  hosts: nullable(Schema.Array(WireInstance)),
  lastRefTime: nullable(Schema.Number),
  reachProtectionThreshold: nullable(Schema.Boolean)
})
export type WireServiceInfo = typeof WireServiceInfo.Type

/** `QueryServiceResponse` / `SubscribeServiceResponse`. */
export const ServiceInfoResponse = Schema.Struct({ serviceInfo: nullable(WireServiceInfo) })

/** `ServiceListResponse`. */
export const ServiceListResponse = Schema.Struct({
  count: nullable(Schema.Number),
  serviceNames: nullable(Schema.Array(Schema.String))
})

/** The `NotifySubscriberRequest` push. */
export const NotifySubscriberRequest = Schema.Struct({ serviceInfo: nullable(WireServiceInfo) })

/** Any successful answer whose body we do not need. */
export const Acknowledged = Schema.Struct({})

/** `group@@service` → `service`; a plain name stays as it is. */
const plainName = (name: string) => {
  const at = name.indexOf("@@")
  return at === -1 ? name : name.slice(at + 2)
}

export const toInstance = (wire: WireInstance, serviceName: string): Instance => ({
  instanceId: wire.instanceId ?? "",
  ip: wire.ip,
  port: wire.port,
  weight: wire.weight ?? 1,
  healthy: wire.healthy ?? true,
  enabled: wire.enabled ?? true,
  ephemeral: wire.ephemeral ?? true,
  clusterName: wire.clusterName ?? DEFAULT_CLUSTER,
  serviceName: wire.serviceName === null || wire.serviceName === undefined ? serviceName : plainName(wire.serviceName),
  metadata: wire.metadata ?? {}
})

/** A server ServiceInfo for the service asked about (a push does not fill namespace fields; names may be grouped). */
export const toServiceInfo = (
  wire: WireServiceInfo,
  fallback: { readonly serviceName: string; readonly groupName: string }
): ServiceInfo => {
  const name =
    wire.name === null || wire.name === undefined || wire.name === "" ? fallback.serviceName : plainName(wire.name)
  return {
    name,
    groupName: wire.groupName ?? fallback.groupName,
    clusters: wire.clusters ?? "",
    hosts: (wire.hosts ?? []).map((host) => toInstance(host, name)),
    lastRefTime: wire.lastRefTime ?? 0,
    reachProtectionThreshold: wire.reachProtectionThreshold ?? false
  }
}

/** The JSON the Java client writes to the snapshot and failover files (its `ServiceInfo` serialisation). */
export const toJavaJson = (service: ServiceInfo): string =>
  JSON.stringify({
    name: service.name,
    groupName: service.groupName,
    clusters: service.clusters,
    cacheMillis: 10000,
    hosts: service.hosts.map((host) => ({ ...host, serviceName: `${service.groupName}@@${host.serviceName}` })),
    lastRefTime: service.lastRefTime,
    checksum: "",
    allIps: false,
    reachProtectionThreshold: service.reachProtectionThreshold,
    valid: true
  })

const decodeFileJson = Schema.decodeUnknownOption(Schema.fromJsonString(WireServiceInfo))

/** A snapshot or failover file's content; `undefined` when it is not a ServiceInfo. */
export const fromJavaJson = (
  json: string,
  fallback: { readonly serviceName: string; readonly groupName: string }
): ServiceInfo | undefined => {
  const decoded = decodeFileJson(json)
  return decoded._tag === "Some" ? toServiceInfo(decoded.value, fallback) : undefined
}
