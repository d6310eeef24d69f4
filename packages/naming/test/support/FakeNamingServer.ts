/**
 * An in-test Nacos naming server: the core's FakeNacosServer (Payload protocol, pushes, acks, stream drops) with
 * the naming module's semantics on top — one ephemeral publish per service per connection, persistent instances,
 * server-side query filtering, subscriptions and `NotifySubscriberRequest` pushes.
 *
 * Faults a real server cannot be made to produce on demand live here: dropped connections (losing every
 * ephemeral instance and subscription), empty pushes, silent changes.
 */

import { FakeNacosServer, type Received } from "@effect-nacos/core/testing"
import * as Schema from "effect/Schema"

const KeyFields = {
  namespace: Schema.optional(Schema.NullOr(Schema.String)),
  groupName: Schema.String,
  serviceName: Schema.String
}
const InstanceBody = Schema.Struct({
  ip: Schema.String,
  port: Schema.Number,
  weight: Schema.Number,
  healthy: Schema.Boolean,
  enabled: Schema.Boolean,
  ephemeral: Schema.Boolean,
  clusterName: Schema.String,
  metadata: Schema.Record(Schema.String, Schema.String)
})
type InstanceBody = typeof InstanceBody.Type
const InstanceRequest = Schema.Struct({ ...KeyFields, type: Schema.String, instance: InstanceBody })
const BatchRequest = Schema.Struct({ ...KeyFields, type: Schema.String, instances: Schema.Array(InstanceBody) })
const QueryRequest = Schema.Struct({ ...KeyFields, cluster: Schema.String, healthyOnly: Schema.Boolean })
const SubscribeRequest = Schema.Struct({ ...KeyFields, subscribe: Schema.Boolean, clusters: Schema.String })
const ListRequest = Schema.Struct({
  namespace: Schema.String,
  groupName: Schema.String,
  pageNo: Schema.Number,
  pageSize: Schema.Number
})

interface StoredService {
  readonly namespace: string
  readonly groupName: string
  readonly serviceName: string
  /** peer → what that connection published. */
  readonly publishers: Map<string, ReadonlyArray<InstanceBody>>
  readonly persistent: Map<string, InstanceBody>
  readonly subscribers: Set<string>
}

/** The server's refusal to mix kinds in one service (verification N5): an ErrorResponse 400. */
const kindClash = (service: StoredService, persistent: boolean) => ({
  type: "ErrorResponse",
  body: {
    resultCode: 400,
    errorCode: 400,
    message: `Current service ${service.groupName}@@${service.serviceName} is ${persistent ? "persistent" : "ephemeral"} service, can't register ${persistent ? "ephemeral" : "persistent"} instance.`
  }
})

const ok = (type: string, body: Record<string, unknown> = {}) => ({
  type,
  body: { resultCode: 200, errorCode: 0, ...body }
})

export class FakeNamingServer {
  readonly nacos: FakeNacosServer
  readonly services = new Map<string, StoredService>()
  /** requestIds of the NotifySubscriberRequest pushes sent. */
  readonly pushes: Array<string> = []
  /** How many more Instance/BatchInstance requests to refuse with a server error (as a struggling server). */
  refuseRegistrations = 0

  constructor(options: { readonly persistentAbility?: boolean } = {}) {
    this.nacos = new FakeNacosServer({
      setupAck: options.persistentAbility === false ? {} : { supportPersistentInstanceByGrpc: true },
      onRequest: (type, json, peer) => this.answer(type, json, peer)
    })
  }

  async start(): Promise<this> {
    await this.nacos.start()
    return this
  }

  stop(): Promise<void> {
    return this.nacos.stop()
  }

  get address(): string {
    return this.nacos.address
  }

  received(type: string): Array<Received> {
    return this.nacos.typesReceived(type)
  }

  /** The instances of a service as a query of all clusters would return them. */
  instancesOf(serviceName: string, groupName = "DEFAULT_GROUP", namespace = "public"): ReadonlyArray<InstanceBody> {
    const service = this.services.get(`${namespace}/${groupName}@@${serviceName}`)
    return service === undefined ? [] : this.all(service)
  }

  subscribersOf(serviceName: string, groupName = "DEFAULT_GROUP", namespace = "public"): number {
    return this.services.get(`${namespace}/${groupName}@@${serviceName}`)?.subscribers.size ?? 0
  }

  /**
   * Drops every connection as a server restart would: every ephemeral instance and subscription goes (pushed to
   * nobody, since nobody is subscribed any more).
   */
  dropConnections(): void {
    for (const service of this.services.values()) {
      service.publishers.clear()
      service.subscribers.clear()
    }
    this.nacos.dropStreams()
  }

  /** Adds an instance as if another client published it, pushing to subscribers. */
  publishAsOther(serviceName: string, instances: ReadonlyArray<InstanceBody>, groupName = "DEFAULT_GROUP"): void {
    const service = this.service("public", groupName, serviceName)
    service.publishers.set("other-client", instances)
    this.notify(service)
  }

  /** Pushes the service's current state (or, with `hosts`, whatever is given) to its subscribers. */
  notify(service: StoredService, hosts?: ReadonlyArray<InstanceBody>): string | undefined {
    if (service.subscribers.size === 0) return undefined
    const requestId = this.nacos.push("NotifySubscriberRequest", {
      serviceInfo: this.serviceInfo(service, hosts ?? this.all(service))
    })
    this.pushes.push(requestId)
    return requestId
  }

  /** Pushes an empty host list for a subscribed service, whatever it holds. */
  pushEmpty(serviceName: string, groupName = "DEFAULT_GROUP"): string | undefined {
    return this.notify(this.service("public", groupName, serviceName), [])
  }

  private service(namespace: string, groupName: string, serviceName: string): StoredService {
    const id = `${namespace}/${groupName}@@${serviceName}`
    const existing = this.services.get(id)
    if (existing !== undefined) return existing
    const created: StoredService = {
      namespace,
      groupName,
      serviceName,
      publishers: new Map(),
      persistent: new Map(),
      subscribers: new Set()
    }
    this.services.set(id, created)
    return created
  }

  private all(service: StoredService): ReadonlyArray<InstanceBody> {
    return [
      ...[...service.publishers.values()].flat().map((instance) => ({ ...instance, ephemeral: true })),
      ...[...service.persistent.values()].map((instance) => ({ ...instance, ephemeral: false }))
    ].filter((instance) => instance.enabled)
  }

  private serviceInfo(service: StoredService, hosts: ReadonlyArray<InstanceBody>, clusters = "") {
    const grouped = `${service.groupName}@@${service.serviceName}`
    return {
      name: service.serviceName,
      groupName: service.groupName,
      clusters,
      cacheMillis: 10000,
      hosts: hosts.map((host) => ({
        ...host,
        instanceId: `${host.ip}#${host.port}#${host.clusterName}#${grouped}`,
        serviceName: grouped
      })),
      lastRefTime: Date.now(),
      checksum: "",
      allIps: false,
      reachProtectionThreshold: false,
      valid: true
    }
  }

  private answer(type: string, json: unknown, peer: string) {
    if ((type === "InstanceRequest" || type === "BatchInstanceRequest") && this.refuseRegistrations > 0) {
      this.refuseRegistrations--
      return { type: "ErrorResponse", body: { resultCode: 500, errorCode: 500, message: "refused by test" } }
    }
    switch (type) {
      case "InstanceRequest": {
        const request = Schema.decodeUnknownSync(InstanceRequest)(json)
        const service = this.service(request.namespace ?? "", request.groupName, request.serviceName)
        if (request.type === "registerInstance" && service.persistent.size > 0) return kindClash(service, true)
        if (request.type === "registerInstance") service.publishers.set(peer, [request.instance])
        else service.publishers.delete(peer)
        this.notify(service)
        return ok("InstanceResponse", { type: request.type })
      }
      case "BatchInstanceRequest": {
        const request = Schema.decodeUnknownSync(BatchRequest)(json)
        if (request.type !== "batchRegisterInstance") {
          return { type: "ErrorResponse", body: { resultCode: 400, errorCode: 400, message: "unsupported type" } }
        }
        const service = this.service(request.namespace ?? "", request.groupName, request.serviceName)
        if (service.persistent.size > 0) return kindClash(service, true)
        service.publishers.set(peer, request.instances)
        this.notify(service)
        return ok("BatchInstanceResponse", { type: request.type })
      }
      case "PersistentInstanceRequest": {
        const request = Schema.decodeUnknownSync(InstanceRequest)(json)
        const service = this.service(request.namespace ?? "", request.groupName, request.serviceName)
        const id = `${request.instance.ip}:${request.instance.port}:${request.instance.clusterName}`
        const ephemeralHeld = [...service.publishers.values()].some((instances) => instances.length > 0)
        if (request.type === "registerInstance" && ephemeralHeld) return kindClash(service, false)
        if (request.type === "registerInstance") service.persistent.set(id, request.instance)
        else service.persistent.delete(id)
        this.notify(service)
        return ok("InstanceResponse", { type: request.type })
      }
      case "ServiceQueryRequest": {
        const request = Schema.decodeUnknownSync(QueryRequest)(json)
        const service = this.service(request.namespace ?? "", request.groupName, request.serviceName)
        const clusters = new Set(request.cluster.split(",").filter((cluster) => cluster !== ""))
        const hosts = this.all(service).filter(
          (host) => (clusters.size === 0 || clusters.has(host.clusterName)) && (!request.healthyOnly || host.healthy)
        )
        return ok("QueryServiceResponse", { serviceInfo: this.serviceInfo(service, hosts, request.cluster) })
      }
      case "SubscribeServiceRequest": {
        const request = Schema.decodeUnknownSync(SubscribeRequest)(json)
        const service = this.service(request.namespace ?? "", request.groupName, request.serviceName)
        if (request.subscribe) service.subscribers.add(peer)
        else service.subscribers.delete(peer)
        return ok("SubscribeServiceResponse", { serviceInfo: this.serviceInfo(service, this.all(service)) })
      }
      case "ServiceListRequest": {
        const request = Schema.decodeUnknownSync(ListRequest)(json)
        const names = [...this.services.values()]
          .filter(
            (service) =>
              service.namespace === request.namespace &&
              service.groupName === request.groupName &&
              this.all(service).length > 0
          )
          .map((service) => service.serviceName)
          .sort()
        const start = (request.pageNo - 1) * request.pageSize
        return ok("ServiceListResponse", {
          count: names.length,
          serviceNames: names.slice(start, start + request.pageSize)
        })
      }
      default:
        return undefined
    }
  }
}
