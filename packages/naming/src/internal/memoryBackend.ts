/**
 * Instances in memory with the server's semantics: one ephemeral publish per service (replaced by every register,
 * cleared by a deregister), persistent instances keyed by ip:port:cluster, server-side filtering (clusters,
 * disabled instances never returned, `healthyOnly`), generated instance ids, and subscribers told when a
 * service's instances change.
 */

import { FanOut, InvalidArgumentError } from "@effect-nacos/core"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import type { Instance, ServiceInfo } from "../NamingModels.ts"
import type { NamingBackend, OutgoingInstance, ServiceHold } from "./backend.ts"
import { instanceKey } from "./registrations.ts"
import { groupedName, type ServiceKey } from "./serviceKey.ts"

interface StoredService {
  readonly key: ServiceKey
  ephemeral: ReadonlyArray<OutgoingInstance>
  readonly persistent: Map<string, OutgoingInstance>
}

export const make = Effect.fnUntraced(function* (
  namespace: string,
  /** Told after every change whether the service has instances (the fuzzy watches follow it). */
  servicePresence: (key: ServiceKey, hasInstances: boolean) => Effect.Effect<void> = () => Effect.void
): Effect.fn.Return<NamingBackend> {
  const services = new Map<string, StoredService>()
  const views = new Map<string, ServiceHold>()

  const stored = (key: ServiceKey) => {
    const id = groupedName(key)
    const existing = services.get(id)
    if (existing !== undefined) return existing
    const created: StoredService = { key, ephemeral: [], persistent: new Map() }
    services.set(id, created)
    return created
  }

  const toInstance = (key: ServiceKey, instance: OutgoingInstance, ephemeral: boolean): Instance => ({
    ...instance,
    ephemeral,
    metadata: { ...instance.metadata },
    serviceName: key.serviceName,
    // the server's generated id (`DefaultInstanceIdGenerator`)
    instanceId: `${instance.ip}#${instance.port}#${instance.clusterName}#${groupedName(key)}`
  })

  /** Every enabled instance (the server never returns disabled ones over gRPC). */
  const serviceInfo = (key: ServiceKey, now: number): ServiceInfo => {
    const service = services.get(groupedName(key))
    const hosts =
      service === undefined
        ? []
        : [
            ...service.ephemeral.map((instance) => toInstance(key, instance, true)),
            ...[...service.persistent.values()].map((instance) => toInstance(key, instance, false))
          ].filter((instance) => instance.enabled)
    return {
      name: key.serviceName,
      groupName: key.groupName,
      clusters: "",
      hosts,
      lastRefTime: now,
      reachProtectionThreshold: false
    }
  }

  const changed = (key: ServiceKey) =>
    Effect.gen(function* () {
      const service = services.get(groupedName(key))
      const hasInstances = service !== undefined && (service.ephemeral.length > 0 || service.persistent.size > 0)
      yield* servicePresence({ ...key, namespace: key.namespace || namespace }, hasInstances)
      const held = views.get(groupedName(key))
      if (held === undefined) return
      yield* held.view.publish(serviceInfo(key, yield* Clock.currentTimeMillis))
    })

  /** As the server: a service holding persistent instances refuses ephemeral ones, and the reverse (N5). */
  const kindClash = (key: ServiceKey, persistent: boolean) => {
    const service = services.get(groupedName(key))
    const clash = persistent ? (service?.ephemeral.length ?? 0) > 0 : (service?.persistent.size ?? 0) > 0
    const kind = persistent ? "ephemeral" : "persistent"
    return clash
      ? Effect.fail(
          new InvalidArgumentError({
            field: "ephemeral",
            message: `Current service ${groupedName(key)} is ${kind} service, can't register ${persistent ? "persistent" : "ephemeral"} instance.`
          })
        )
      : Effect.void
  }

  const publish = (key: ServiceKey, instances: ReadonlyArray<OutgoingInstance>) =>
    Effect.andThen(
      instances.length === 0 ? Effect.void : kindClash(key, false),
      Effect.suspend(() => {
        stored(key).ephemeral = instances.map((instance) => ({ ...instance, ephemeral: true }))
        return changed(key)
      })
    )

  const hold = (key: ServiceKey, now: number) => {
    const id = groupedName(key)
    const existing = views.get(id)
    if (existing !== undefined) return existing
    const created: ServiceHold = { id, view: FanOut.make(serviceInfo(key, now)) }
    views.set(id, created)
    return created
  }

  return {
    namespace,
    register: (key, instance) => publish(key, [instance]),
    batchRegister: publish,
    deregister: (key) => publish(key, []),
    registerPersistent: (key, instance) =>
      Effect.andThen(
        kindClash(key, true),
        Effect.suspend(() => {
          stored(key).persistent.set(instanceKey(instance), { ...instance, ephemeral: false })
          return changed(key)
        })
      ),
    deregisterPersistent: (key, instance) =>
      Effect.suspend(() => {
        stored(key).persistent.delete(instanceKey(instance))
        return changed(key)
      }),
    query: (key, clusters, healthyOnly) =>
      Effect.map(Clock.currentTimeMillis, (now) => {
        const all = serviceInfo(key, now)
        const wanted = new Set(clusters)
        return {
          ...all,
          clusters: [...wanted].sort().join(","),
          hosts: all.hosts.filter(
            (host) => (wanted.size === 0 || wanted.has(host.clusterName)) && (!healthyOnly || host.healthy)
          )
        }
      }),
    listServices: (_namespace, groupName, pageNo, pageSize) =>
      Effect.sync(() => {
        const names = [...services.values()]
          .filter(
            (service) =>
              service.key.groupName === groupName && (service.ephemeral.length > 0 || service.persistent.size > 0)
          )
          .map((service) => service.key.serviceName)
          .sort()
        return { count: names.length, services: names.slice((pageNo - 1) * pageSize, pageNo * pageSize) }
      }),
    holdServices: (keys) => Effect.map(Clock.currentTimeMillis, (now) => keys.map((key) => hold(key, now))),
    // a view stays with its service (the store is never emptied): nothing to give back
    releaseServices: () => Effect.void,
    subscribedView: (key) =>
      Effect.suspend(() => {
        const existing = views.get(groupedName(key))
        return existing === undefined ? Effect.succeedNone : Effect.sync(() => existing.view.current())
      })
  } satisfies NamingBackend
})
