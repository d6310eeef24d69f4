/**
 * A config store in memory with the server's semantics: md5 per config, compare-and-set publish, tag and beta
 * gray releases beside the formal config, and watchers told only when the formal config's md5 moves.
 */

import { ConflictError, FanOut, FuzzyWatch } from "@effect-nacos/core"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as PubSub from "effect/PubSub"
import * as Stream from "effect/Stream"
import type { ConfigEvent, MemorySeed } from "../ConfigModels.ts"
import { type ConfigBackend, changedEvent, keyEvent, type RemoteConfig } from "./backend.ts"
import { type ConfigKey, describeKey, keyString, makeKey, md5Of } from "./configKey.ts"

export const make = Effect.fnUntraced(function* (
  namespace: string,
  seed: ReadonlyArray<MemorySeed>
): Effect.fn.Return<ConfigBackend> {
  const formal = new Map<string, RemoteConfig>()
  const grays = new Map<string, Map<string, RemoteConfig>>()
  const watchers = new Map<string, FanOut.FanOut<ConfigEvent>>()
  /** Formal configs created or deleted, for the fuzzy watches. */
  const keyChanges = yield* PubSub.unbounded<{ readonly added: boolean; readonly key: ConfigKey }>()
  const startedAt = yield* Clock.currentTimeMillis
  for (const config of seed) {
    const id = keyString(makeKey(namespace, config.dataId, config.group))
    formal.set(id, {
      content: config.content,
      md5: md5Of(config.content),
      type: config.type ?? "text",
      lastModified: startedAt,
      beta: false
    })
  }

  const notify = (id: string, event: ConfigEvent) => {
    const feed = watchers.get(id)
    return feed === undefined ? Effect.void : feed.publish(event)
  }

  const grayName = (request: {
    readonly tag?: string | undefined
    readonly betaIps?: ReadonlyArray<string> | undefined
  }) => (request.tag !== undefined ? `tag_${request.tag}` : request.betaIps !== undefined ? "beta" : undefined)

  return {
    namespace,
    query: (key, tag) =>
      Effect.sync(() => {
        const id = keyString(key)
        // as the server: a tag query answers that tag's release or nothing, never the formal config
        return Option.fromNullishOr(tag === undefined ? formal.get(id) : grays.get(id)?.get(`tag_${tag}`))
      }),
    publish: (key, request) =>
      Effect.gen(function* () {
        const id = keyString(key)
        const target = grayName(request)
        const current = target === undefined ? formal.get(id) : grays.get(id)?.get(target)
        // as the server: a CAS publish of a config that does not exist yet simply creates it
        if (request.casMd5 !== undefined && current !== undefined && request.casMd5 !== current.md5) {
          return yield* new ConflictError({
            resource: describeKey(key),
            message: "Cas publish fail, server md5 may have changed."
          })
        }
        const config: RemoteConfig = {
          content: request.content,
          md5: md5Of(request.content),
          type: request.type ?? "text",
          encryptedDataKey: request.encryptedDataKey,
          lastModified: yield* Clock.currentTimeMillis,
          beta: request.betaIps !== undefined && request.tag === undefined,
          ...(request.tag === undefined ? {} : { tag: request.tag })
        }
        if (target !== undefined) {
          const releases = grays.get(id) ?? new Map<string, RemoteConfig>()
          releases.set(target, config)
          grays.set(id, releases)
          return
        }
        formal.set(id, config)
        if (current === undefined) yield* PubSub.publish(keyChanges, { added: true, key })
        if (current?.md5 !== config.md5) yield* notify(id, changedEvent(key, config))
      }),
    remove: (key, tag) =>
      Effect.gen(function* () {
        const id = keyString(key)
        if (tag !== undefined) {
          grays.get(id)?.delete(`tag_${tag}`)
          return
        }
        grays.delete(id)
        if (formal.delete(id)) {
          yield* PubSub.publish(keyChanges, { added: false, key })
          yield* notify(id, keyEvent("Deleted", key))
        }
      }),
    watchKeys: (keys) =>
      Effect.sync(() =>
        keys.map((key) => {
          const id = keyString(key)
          const existing = watchers.get(id)
          if (existing !== undefined) return existing
          const current = formal.get(id)
          const feed = FanOut.make(current === undefined ? keyEvent("Absent", key) : changedEvent(key, current))
          watchers.set(id, feed)
          return feed
        })
      ),
    // a key's state stays for the layer's life: nothing to give back
    unwatchKeys: () => Effect.void,
    // as the server: the matched set first, then one event per key created or deleted (no limits in memory)
    watchConfigs: (pattern) =>
      Stream.unwrap(
        Effect.gen(function* () {
          const subscription = yield* PubSub.subscribe(keyChanges)
          const matched = new Map<string, ConfigKey>()
          for (const id of formal.keys()) {
            const [dataId = "", group = "", keyNamespace = ""] = id.split("+")
            const key: ConfigKey = { dataId, group, namespace: keyNamespace }
            if (FuzzyWatch.matches(pattern, { namespace: keyNamespace, group, name: dataId })) matched.set(id, key)
          }
          const snapshot: FuzzyWatch.Event<ConfigKey> = { _tag: "Snapshot", keys: [...matched.values()] }
          const later = Stream.fromSubscription(subscription).pipe(
            Stream.map(({ added, key }): ReadonlyArray<FuzzyWatch.Event<ConfigKey>> => {
              const id = keyString(key)
              if (!FuzzyWatch.matches(pattern, { namespace: key.namespace, group: key.group, name: key.dataId })) {
                return []
              }
              if (added === matched.has(id)) return []
              if (added) matched.set(id, key)
              else matched.delete(id)
              return [{ _tag: added ? "Added" : "Removed", key }]
            }),
            Stream.flattenIterable
          )
          return Stream.concat(Stream.make(snapshot), later)
        })
      )
  } satisfies ConfigBackend
})
