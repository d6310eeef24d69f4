/**
 * The listen machinery of the live service (protocol reference §5.6).
 *
 * A registry of watched keys, each with the md5 the client last saw ("" = absent). One fiber runs listen rounds
 * when rung: it drops listens nobody needs (`listen=false`), then sends `ConfigBatchListenRequest(listen=true)`
 * for every key that may be stale — in chunks of at most 3000 — and re-reads exactly the keys the server reports
 * as changed, emitting only when the md5 moved. Rounds are rung by a new watcher, a `ConfigChangeNotifyRequest`
 * push (acknowledged at once, before any re-read), every reconnect (all keys: whatever changed while
 * disconnected is caught, since the server compares against the md5 we hold) and the periodic full sync.
 *
 * A key is watched through an RcMap, so all watchers of a key share its entry and its one server-side listen; the
 * last one leaving drops the key and the next round un-listens it.
 */

import type { Cache, Connection } from "@effect-nacos/core"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Queue from "effect/Queue"
import * as RcMap from "effect/RcMap"
import type * as Schedule from "effect/Schedule"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import * as SubscriptionRef from "effect/SubscriptionRef"
import type { ConfigEvent } from "../ConfigModels.ts"
import { changedEvent, keyEvent, type RemoteConfig } from "./backend.ts"
import { type ConfigKey, keyString, makeKey, md5Of } from "./configKey.ts"
import type { GrpcConfigOperations, ListenContext } from "./grpcOperations.ts"
import type { Snapshots } from "./snapshots.ts"
import { ConfigChangeNotifyRequest } from "./wire.ts"

/** The Java client's `PER_TASK_CONFIG_SIZE`: listen contexts per request. */
export const LISTEN_CHUNK_SIZE = 3000

export interface ListenRegistryOptions {
  readonly namespace: string
  readonly connection: Connection.Connection
  readonly operations: GrpcConfigOperations
  readonly cache: Cache.NacosCache["Service"]
  readonly snapshots: Snapshots
  readonly fullSyncSchedule: Schedule.Schedule<unknown>
  readonly retrySchedule: Schedule.Schedule<unknown>
  /** Re-reads in flight at once during a round. */
  readonly queryConcurrency: number
}

export interface ListenRegistry {
  readonly watchKey: (
    key: ConfigKey
  ) => Effect.Effect<SubscriptionRef.SubscriptionRef<Option.Option<ConfigEvent>>, never, Scope.Scope>
}

/** One watched key. Mutated only by the round fiber, the push handler and the RcMap hooks (never concurrently). */
interface WatchedKey {
  readonly id: string
  readonly key: ConfigKey
  readonly events: SubscriptionRef.SubscriptionRef<Option.Option<ConfigEvent>>
  /** md5 of the content last emitted; "" while absent. */
  md5: string
  /** Whether a first event (current value or Absent) was emitted. */
  known: boolean
  /** Whether the local files were already tried for a first value (once per key is enough). */
  localTried: boolean
  /** Bumped by every reason to re-listen; the key is clean once a round listened at this version. */
  dirtyVersion: number
  cleanVersion: number
}

interface DueKey {
  readonly entry: WatchedKey
  readonly version: number
  readonly md5: string
}

const chunksOf = <A>(items: ReadonlyArray<A>, size: number): ReadonlyArray<ReadonlyArray<A>> => {
  const chunks: Array<ReadonlyArray<A>> = []
  for (let start = 0; start < items.length; start += size) chunks.push(items.slice(start, start + size))
  return chunks
}

/** Ids are `dataId+group+namespace`; `+` cannot occur in any of them (validated), so the split is exact. */
const keyFromId = (id: string): ConfigKey => {
  const [dataId = "", group = "", namespace = ""] = id.split("+")
  return { dataId, group, namespace }
}

export const make = Effect.fnUntraced(function* (
  options: ListenRegistryOptions
): Effect.fn.Return<ListenRegistry, never, Scope.Scope> {
  const { namespace, connection, operations, cache } = options
  const watched = new Map<string, WatchedKey>()
  /** Keys nobody watches any more, to un-listen in the next round. */
  const unlistenPending = new Map<string, ConfigKey>()
  let fullSyncDue = false
  // Capacity 1, sliding, so rings that arrive while a round runs cause exactly one more round.
  const bell = yield* Queue.sliding<void>(1)
  const ring = Effect.asVoid(Queue.offer(bell, undefined))

  const isCurrent = (entry: WatchedKey) => watched.get(entry.id) === entry
  const markDirty = (entry: WatchedKey) => {
    entry.dirtyVersion++
  }
  const emit = (entry: WatchedKey, event: ConfigEvent) => SubscriptionRef.set(entry.events, Option.some(event))

  /** A re-read's answer: update the md5, keep the snapshot in step, emit if something a watcher sees moved. */
  const applyQueried = (entry: WatchedKey, answer: Option.Option<RemoteConfig>) =>
    Effect.gen(function* () {
      if (!isCurrent(entry)) return
      if (Option.isSome(answer)) {
        const config = answer.value
        const moved = !entry.known || entry.md5 !== config.md5
        entry.md5 = config.md5
        entry.known = true
        yield* options.snapshots.write(entry.key, config)
        if (moved) yield* emit(entry, changedEvent(entry.key, config))
        return
      }
      const first = !entry.known
      const wasPresent = entry.known && entry.md5 !== ""
      entry.md5 = ""
      entry.known = true
      yield* options.snapshots.remove(entry.key)
      if (first) yield* emit(entry, keyEvent("Absent", entry.key))
      else if (wasPresent) yield* emit(entry, keyEvent("Deleted", entry.key))
    })

  const markClean = (due: DueKey) =>
    Effect.sync(() => {
      if (isCurrent(due.entry) && due.entry.cleanVersion < due.version) due.entry.cleanVersion = due.version
    })

  const listenChunk = (chunk: ReadonlyArray<DueKey>) =>
    Effect.gen(function* () {
      const contexts: Array<ListenContext> = chunk.map((due) => ({ key: due.entry.key, md5: due.md5 }))
      const changed = yield* operations.batchListen(contexts, true)
      const changedIds = new Set(changed.map((config) => keyString(makeKey(namespace, config.dataId, config.group))))
      const outcomes = yield* Effect.forEach(
        chunk,
        (due) => {
          if (changedIds.has(due.entry.id)) {
            return operations.query(due.entry.key, undefined).pipe(
              Effect.flatMap((answer) => applyQueried(due.entry, answer)),
              Effect.andThen(markClean(due)),
              Effect.result
            )
          }
          // The server holds the md5 we sent: a key we never saw and listened with "" does not exist.
          const settle =
            due.entry.known || !isCurrent(due.entry)
              ? Effect.void
              : Effect.sync(() => {
                  due.entry.known = true
                }).pipe(Effect.andThen(emit(due.entry, keyEvent("Absent", due.entry.key))))
          return settle.pipe(Effect.andThen(markClean(due)), Effect.result)
        },
        { concurrency: options.queryConcurrency }
      )
      // Keys that could not be re-read stay dirty; failing the round schedules a retry for them.
      for (const outcome of outcomes) {
        if (outcome._tag === "Failure") return yield* Effect.fail(outcome.failure)
      }
    })

  const unlistenDropped = Effect.gen(function* () {
    const dropping = [...unlistenPending.entries()].filter(([id]) => !watched.has(id))
    unlistenPending.clear()
    const chunks = chunksOf(dropping, LISTEN_CHUNK_SIZE)
    for (const [index, chunk] of chunks.entries()) {
      yield* operations
        .batchListen(
          chunk.map(([, key]) => ({ key, md5: "" })),
          false
        )
        .pipe(
          // this chunk and the ones not sent yet wait for the next round (unless watched again meanwhile)
          Effect.tapError(() =>
            Effect.sync(() => {
              for (const [id, key] of chunks.slice(index).flat()) if (!watched.has(id)) unlistenPending.set(id, key)
            })
          )
        )
    }
  })

  const round = Effect.gen(function* () {
    yield* unlistenDropped
    const full = fullSyncDue
    fullSyncDue = false
    const due: Array<DueKey> = []
    for (const entry of watched.values()) {
      if (full || entry.dirtyVersion > entry.cleanVersion) {
        due.push({ entry, version: entry.dirtyVersion, md5: entry.md5 })
      }
    }
    yield* Effect.forEach(chunksOf(due, LISTEN_CHUNK_SIZE), listenChunk, { discard: true }).pipe(
      Effect.tapError(() =>
        Effect.sync(() => {
          if (full) fullSyncDue = true
        })
      )
    )
  })

  /**
   * While the server cannot be asked, a watcher that has seen nothing yet gets the local copy (failover file,
   * else snapshot) as its current value; the md5 of that copy is what the next listen compares against.
   */
  const seedFromLocalFiles = Effect.gen(function* () {
    for (const entry of [...watched.values()]) {
      if (entry.known || entry.localTried) continue
      entry.localTried = true
      const failover = yield* cache.readConfigFailover(entry.key)
      const local = Option.isSome(failover) ? failover : yield* cache.readConfigSnapshot(entry.key)
      if (Option.isNone(local) || !isCurrent(entry) || entry.known) continue
      const md5 = md5Of(local.value.content)
      entry.md5 = md5
      entry.known = true
      yield* emit(
        entry,
        changedEvent(entry.key, {
          content: local.value.content,
          md5,
          encryptedDataKey: local.value.encryptedDataKey,
          beta: false
        })
      )
    }
  })

  const roundWithRetry = round.pipe(
    Effect.tapError((error) =>
      Effect.logWarning(`config listen round failed (${error.message}); retrying`).pipe(
        Effect.andThen(seedFromLocalFiles)
      )
    ),
    Effect.retry(options.retrySchedule),
    Effect.catchCause((cause) => Effect.logWarning("config listen round gave up until the next trigger", cause))
  )

  yield* Queue.take(bell).pipe(Effect.andThen(roundWithRetry), Effect.forever, Effect.forkScoped)

  yield* connection.handlePush(
    "ConfigChangeNotifyRequest",
    ConfigChangeNotifyRequest,
    "ConfigChangeNotifyResponse",
    // acknowledged as soon as this returns; the re-read happens in the next round
    (push) =>
      Effect.gen(function* () {
        const entry = watched.get(keyString(makeKey(namespace, push.dataId, push.group)))
        if (entry !== undefined) {
          markDirty(entry)
          yield* ring
        }
        return {}
      })
  )

  yield* connection.reconnected.pipe(
    Stream.runForEach(() =>
      Effect.sync(() => {
        for (const entry of watched.values()) markDirty(entry)
      }).pipe(Effect.andThen(ring))
    ),
    Effect.forkScoped
  )

  yield* Effect.sync(() => {
    fullSyncDue = true
  }).pipe(Effect.andThen(ring), Effect.repeat(options.fullSyncSchedule), Effect.forkScoped)

  const keys = yield* RcMap.make({
    lookup: (id: string) =>
      Effect.acquireRelease(
        Effect.gen(function* () {
          const entry: WatchedKey = {
            id,
            key: keyFromId(id),
            events: yield* SubscriptionRef.make(Option.none<ConfigEvent>()),
            md5: "",
            known: false,
            localTried: false,
            dirtyVersion: 1,
            cleanVersion: 0
          }
          watched.set(id, entry)
          unlistenPending.delete(id)
          yield* ring
          return entry
        }),
        (entry) =>
          Effect.sync(() => {
            watched.delete(entry.id)
            unlistenPending.set(entry.id, entry.key)
          }).pipe(Effect.andThen(ring))
      )
  })

  return {
    watchKey: (key) => Effect.map(RcMap.get(keys, keyString(key)), (entry) => entry.events)
  }
})
