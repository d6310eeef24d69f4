/**
 * Snapshot writes, skipped when this process already wrote the same md5 for the key: every server read keeps the
 * snapshot current (reference §5.5) without rewriting an unchanged file on every get.
 *
 * Only a write that reached the disk is remembered; one that failed is tried again on the next read of the key,
 * so a disk that recovers gets the current content, not whatever was there before the outage. A disk problem
 * never fails the read that caused the write: it is logged once as a warning (then at debug level until a write
 * succeeds again).
 */
import type { Cache } from "@effect-nacos/core"
import * as Effect from "effect/Effect"
import type { RemoteConfig } from "./backend.ts"
import type { ConfigKey } from "./configKey.ts"
import { ConfigKeyMap } from "./configKeyMap.ts"

export interface Snapshots {
  readonly write: (key: ConfigKey, config: RemoteConfig) => Effect.Effect<void>
  readonly remove: (key: ConfigKey) => Effect.Effect<void>
}

export const make = (cache: Cache.NacosCache["Service"]): Snapshots => {
  const writtenMd5 = new ConfigKeyMap<string>()
  /** Set by a failed write or remove, cleared by the next one that succeeds: one warning per outage. */
  let failing = false

  const succeeded = Effect.sync(() => {
    failing = false
  })
  const failed = (error: Cache.CacheWriteError) =>
    Effect.suspend(() => {
      const first = !failing
      failing = true
      const message = `config snapshot not updated, retried on the next read (${error.message})`
      return first ? Effect.logWarning(message) : Effect.logDebug(message)
    })

  return {
    write: (key, config) =>
      Effect.suspend(() => {
        if (writtenMd5.get(key) === config.md5) return Effect.void
        // forgotten before the write: a failure (or an interruption) must leave nothing recorded
        writtenMd5.delete(key)
        return cache
          .writeConfigSnapshot(key, { content: config.content, encryptedDataKey: config.encryptedDataKey })
          .pipe(
            Effect.matchEffect({
              onSuccess: () =>
                Effect.andThen(
                  succeeded,
                  Effect.sync(() => writtenMd5.set(key, config.md5))
                ),
              onFailure: failed
            })
          )
      }),
    remove: (key) =>
      Effect.suspend(() => {
        writtenMd5.delete(key)
        return cache
          .removeConfigSnapshot(key)
          .pipe(Effect.matchEffect({ onSuccess: () => succeeded, onFailure: failed }))
      })
  }
}
