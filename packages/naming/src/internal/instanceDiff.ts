/**
 * What changed between two views of a service, as a subscriber's event carries it (Java's `InstancesDiffer`):
 * instances are the same when ip, port and cluster match; modified when any other field differs.
 */
import type { Instance } from "../NamingModels.ts"
import { instanceKey } from "./registrations.ts"

const instanceId = (instance: Instance) => instanceKey(instance)

/** Every field of an instance, metadata in key order: equal exactly when a subscriber could see no difference. */
export const fingerprint = (instance: Instance): string =>
  JSON.stringify([
    instance.instanceId,
    instance.ip,
    instance.port,
    instance.weight,
    instance.healthy,
    instance.enabled,
    instance.ephemeral,
    instance.clusterName,
    instance.serviceName,
    Object.entries(instance.metadata).sort(([left], [right]) => (left < right ? -1 : left > right ? 1 : 0))
  ])

/** What moved between two views (keyed on ip/port/cluster). */
export const diffInstances = (before: ReadonlyArray<Instance>, after: ReadonlyArray<Instance>) => {
  const previous = new Map(before.map((instance) => [instanceId(instance), instance]))
  const next = new Map(after.map((instance) => [instanceId(instance), instance]))
  const added = after.filter((instance) => !previous.has(instanceId(instance)))
  const removed = before.filter((instance) => !next.has(instanceId(instance)))
  const modified = after.filter((instance) => {
    const old = previous.get(instanceId(instance))
    return old !== undefined && fingerprint(old) !== fingerprint(instance)
  })
  return { added, removed, modified }
}
