/**
 * Snapshot writes, skipped when this process already wrote the same md5 for the key: every server read keeps the
 * snapshot current (reference §5.5) without rewriting an unchanged file on every get.
 */

import type { Cache } from "@effect-nacos/core"
import * as Effect from "effect/Effect"
import type { RemoteConfig } from "./backend.ts"
import { type ConfigKey, keyString } from "./configKey.ts"

export interface Snapshots {
  readonly write: (key: ConfigKey, config: RemoteConfig) => Effect.Effect<void>
  readonly remove: (key: ConfigKey) => Effect.Effect<void>
}

export const make = (cache: Cache.NacosCache["Service"]): Snapshots => {
  const writtenMd5 = new Map<string, string>()
  return {
    write: (key, config) =>
      Effect.suspend(() => {
        const id = keyString(key)
        if (writtenMd5.get(id) === config.md5) return Effect.void
        return cache
          .writeConfigSnapshot(key, { content: config.content, encryptedDataKey: config.encryptedDataKey })
          .pipe(Effect.andThen(Effect.sync(() => writtenMd5.set(id, config.md5))))
      }),
    remove: (key) =>
      Effect.suspend(() => {
        writtenMd5.delete(keyString(key))
        return cache.removeConfigSnapshot(key)
      })
  }
}
