/**
 * Naming requests over the module's gRPC connection (reference §6.1 as corrected by verification §1.3): namespace
 * and group are always sent (a blank namespace is a namespace of its own on the server, N4), and the server's
 * parameter refusals (400) become `InvalidArgumentError`.
 */

import { type Connection, InvalidArgumentError, type ServerError } from "@effect-nacos/core"
import * as Effect from "effect/Effect"
import type { NamingOperations, OutgoingInstance } from "./backend.ts"
import type { ServiceKey } from "./serviceKey.ts"
import { Acknowledged, ServiceInfoResponse, ServiceListResponse, toServiceInfo } from "./wire.ts"

/** The server's parameter check and its naming handlers answer a refused argument with errorCode 400 (N9). */
const INVALID_PARAM = 400
/** A persistent instance on the connection's gRPC path needs this server ability (N6). */
export const PERSISTENT_ABILITY = "supportPersistentInstanceByGrpc"

const resourceOf = (key: ServiceKey) =>
  ({ module: "naming", namespace: key.namespace, group: key.groupName, name: key.serviceName }) as const

const keyFields = (key: ServiceKey) => ({
  namespace: key.namespace,
  groupName: key.groupName,
  serviceName: key.serviceName
})

/**
 * A service is ephemeral or persistent from its first instance on; the other kind is refused with 400 "Current
 * service … is persistent service, can't register ephemeral instance." (or the reverse, verification N5).
 */
const KIND_CLASH = /is (persistent|ephemeral) service/i

const invalidParam = (error: ServerError) =>
  error.errorCode !== INVALID_PARAM
    ? error
    : new InvalidArgumentError({
        field: KIND_CLASH.test(error.message) ? "ephemeral" : "request",
        message: error.message
      })

/**
 * The instance without `serviceName`, as the Java client sends it: the server fills a blank one with
 * `group@@service` and builds the instance id from it. A plain name would give ids without the group
 * (`ip#port#cluster#service`), and `group@@service` is refused by the parameter check ("illegal characters"),
 * both seen on 3.1.0.
 */
const wireInstance = (instance: OutgoingInstance) => instance

export const make = (connection: Connection.Connection): NamingOperations => {
  const send = (requestType: string, key: ServiceKey, body: Record<string, unknown>) =>
    connection.request(requestType, { ...keyFields(key), ...body }, Acknowledged, { resource: resourceOf(key) }).pipe(
      Effect.asVoid,
      Effect.catchTag("ServerError", (error) => Effect.fail(invalidParam(error)))
    )

  const persistent = (type: "registerInstance" | "deregisterInstance", key: ServiceKey, instance: OutgoingInstance) =>
    connection.requireAbility(PERSISTENT_ABILITY, "persistent instances over gRPC").pipe(
      Effect.andThen(
        send("PersistentInstanceRequest", key, {
          type,
          instance: wireInstance({ ...instance, ephemeral: false })
        })
      )
    )

  return {
    register: (key, instance) =>
      send("InstanceRequest", key, { type: "registerInstance", instance: wireInstance(instance) }),
    batchRegister: (key, instances) =>
      send("BatchInstanceRequest", key, {
        type: "batchRegisterInstance",
        instances: instances.map((instance) => wireInstance(instance))
      }),
    deregister: (key, instance) =>
      send("InstanceRequest", key, { type: "deregisterInstance", instance: wireInstance(instance) }),
    registerPersistent: (key, instance) => persistent("registerInstance", key, instance),
    deregisterPersistent: (key, instance) => persistent("deregisterInstance", key, instance),
    query: (key, clusters, healthyOnly) =>
      connection
        .request(
          "ServiceQueryRequest",
          { ...keyFields(key), cluster: [...new Set(clusters)].sort().join(","), healthyOnly, udpPort: 0 },
          ServiceInfoResponse,
          { resource: resourceOf(key) }
        )
        .pipe(
          Effect.map((answer) => toServiceInfo(answer.serviceInfo ?? {}, key)),
          Effect.catchTag("ServerError", (error) => Effect.fail(invalidParam(error)))
        ),
    listServices: (namespace, groupName, pageNo, pageSize) =>
      connection
        .request(
          "ServiceListRequest",
          { namespace, groupName, serviceName: "", pageNo, pageSize },
          ServiceListResponse,
          { resource: { module: "naming", namespace, group: groupName } }
        )
        .pipe(
          Effect.map((answer) => ({ count: answer.count ?? 0, services: answer.serviceNames ?? [] })),
          Effect.catchTag("ServerError", (error) => Effect.fail(invalidParam(error)))
        )
  }
}

/** `SubscribeServiceRequest`: subscribe (the current instances are the answer) or unsubscribe. */
export const subscribeRequest = (connection: Connection.Connection, key: ServiceKey, subscribe: boolean) =>
  connection
    .request(
      "SubscribeServiceRequest",
      // clusters "" as the 3.x Java client: one server subscription for every cluster, filtered here (N12)
      { ...keyFields(key), subscribe, clusters: "" },
      ServiceInfoResponse,
      { resource: resourceOf(key) }
    )
    .pipe(Effect.map((answer) => toServiceInfo(answer.serviceInfo ?? {}, key)))
