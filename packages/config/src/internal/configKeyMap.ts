/**
 * A map by config key with no string made per key: nested by namespace, group and dataId, so an entry reuses the
 * key's own strings. A joined id (`dataId+group+namespace`) cost 40–60 bytes per watched key, kept as long as
 * the watch, and a join on every `get` that updates the snapshot's md5.
 */
import type { ConfigKey } from "./configKey.ts"

export class ConfigKeyMap<V> {
  private readonly byNamespace = new Map<string, Map<string, Map<string, V>>>()
  private count = 0

  get size(): number {
    return this.count
  }

  get(key: ConfigKey): V | undefined {
    return this.byNamespace.get(key.namespace)?.get(key.group)?.get(key.dataId)
  }

  has(key: ConfigKey): boolean {
    return this.byNamespace.get(key.namespace)?.get(key.group)?.has(key.dataId) ?? false
  }

  set(key: ConfigKey, value: V): void {
    let groups = this.byNamespace.get(key.namespace)
    if (groups === undefined) {
      groups = new Map()
      this.byNamespace.set(key.namespace, groups)
    }
    let dataIds = groups.get(key.group)
    if (dataIds === undefined) {
      dataIds = new Map()
      groups.set(key.group, dataIds)
    }
    if (!dataIds.has(key.dataId)) this.count++
    dataIds.set(key.dataId, value)
  }

  /** Whether the key was there. A group or namespace left empty goes too. */
  delete(key: ConfigKey): boolean {
    const groups = this.byNamespace.get(key.namespace)
    const dataIds = groups?.get(key.group)
    if (groups === undefined || dataIds === undefined || !dataIds.delete(key.dataId)) return false
    this.count--
    if (dataIds.size === 0) {
      groups.delete(key.group)
      if (groups.size === 0) this.byNamespace.delete(key.namespace)
    }
    return true
  }

  clear(): void {
    this.byNamespace.clear()
    this.count = 0
  }

  /** In insertion order within a group, groups in the order they were first used. */
  *values(): IterableIterator<V> {
    for (const groups of this.byNamespace.values()) {
      for (const dataIds of groups.values()) yield* dataIds.values()
    }
  }
}
