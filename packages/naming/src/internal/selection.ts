/**
 * Choosing instances: the selector criteria of `selectInstances` and the weighted pick of
 * `selectOneHealthyInstance` (Java's `Balancer.RandomByWeight`).
 */
import type { Instance, InstanceSelector } from "../NamingModels.ts"

export const inClusters = (clusters: ReadonlyArray<string> | undefined) => {
  const wanted = new Set(clusters ?? [])
  return (instance: Instance) => wanted.size === 0 || wanted.has(instance.clusterName)
}

/** The instance `random` (in [0, 1)) falls on when the weights are laid end to end. */
export const pickWeighted = (instances: ReadonlyArray<Instance>, random: number): Instance | undefined => {
  const weighted = instances.filter((instance) => instance.weight > 0)
  const total = weighted.reduce((sum, instance) => sum + instance.weight, 0)
  let point = random * total
  for (const instance of weighted) {
    if (point < instance.weight) return instance
    point -= instance.weight
  }
  return weighted.at(-1)
}

export const matchesSelector = (selector: InstanceSelector) => (instance: Instance) => {
  if (!inClusters(selector.clusters)(instance)) return false
  if (selector.healthy !== undefined && instance.healthy !== selector.healthy) return false
  if (selector.enabled !== undefined && instance.enabled !== selector.enabled) return false
  if (selector.ip !== undefined && !selector.ip(instance.ip)) return false
  if (selector.metadata !== undefined) {
    const entries = Object.entries(selector.metadata.entries)
    const holds = ([key, value]: [string, string]) => instance.metadata[key] === value
    const ok = selector.metadata.match === "any" ? entries.some(holds) : entries.every(holds)
    if (!ok) return false
  }
  return true
}
