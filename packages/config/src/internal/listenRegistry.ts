/**
 * The listen machinery of the live service (protocol reference §5.6).
 *
 * A registry of watched keys, each with the md5 of what its watchers last saw ("" = absent). One fiber runs
 * listen rounds when rung. A round drops listens nobody needs (`listen=false`), then takes every key that may be
 * stale: it reads the key's failover file first, as `get` does (while one exists the watch shows it and the server
 * is not asked), and sends `ConfigBatchListenRequest(listen=true)` for the others — in chunks of at most 3000 —
 * re-reading exactly the keys the server reports as changed and emitting only when the md5 moved. Rounds are rung
 * by a new watcher, a `ConfigChangeNotifyRequest` push (acknowledged at once, before any re-read), every reconnect
 * (all keys: whatever changed while disconnected is caught, since the server compares against the md5 we hold)
 * and the periodic full sync (all keys, so it also bounds how late a failover file that came or went is noticed).
 *
 * Failures are per key: a listen the server refused or could not answer, or a failed re-read, holds back only the
 * keys concerned. They stay dirty and are retried at the retry schedule's pace, while every other key keeps being
 * listened and delivered.
 *
 * All watchers of a key share its entry (counted, not an RcMap: 10 000 keys must stay small), its one server-side
 * listen and its {@link FanOut}; the last one leaving drops the key and the next round un-listens it.
 */

import {
  type AuthError,
  type Cache,
  type Connection,
  FanOut,
  type ServerError,
  type TransportError
} from "@effect-nacos/core"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Queue from "effect/Queue"
import * as Schedule from "effect/Schedule"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import type { ConfigEvent } from "../ConfigModels.ts"
import { changedEvent, keyEvent, type QueryError, type RemoteConfig } from "./backend.ts"
import { type ConfigKey, makeKey, md5Of } from "./configKey.ts"
import { ConfigKeyMap } from "./configKeyMap.ts"
import type { GrpcConfigOperations } from "./grpcOperations.ts"
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
  /** Re-reads (and failover file reads) in flight at once during a round. */
  readonly queryConcurrency: number
}

export interface ListenRegistry {
  /** The shared state of each key (in the order given) until `unwatchKeys` (see `ConfigBackend.watchKeys`). */
  readonly watchKeys: (keys: ReadonlyArray<ConfigKey>) => Effect.Effect<ReadonlyArray<FanOut.FanOut<ConfigEvent>>>
  readonly unwatchKeys: (keys: ReadonlyArray<ConfigKey>) => Effect.Effect<void>
}

/**
 * One watched key, and the fan-out of its events (no value until the first event, current value or Absent, then
 * the latest): one object per key. Mutated only by the round fiber, the push handler and watch/unwatch (never
 * concurrently).
 */
class WatchedKey extends FanOut.Followed<ConfigEvent> {
  readonly key: ConfigKey
  /** The watchers sharing the entry; at 0 it goes. */
  watchers = 1
  /**
   * md5 of the content last emitted (from the server, the failover file or the snapshot); "" while absent;
   * undefined until a first event (current value or Absent) was emitted.
   */
  md5: string | undefined = undefined
  /** Whether the snapshot was already tried for a first value (once per key is enough). */
  localTried = false
  /** Whether the last event came from the failover file (the server's value is not known to be shown). */
  fromFailover = false
  /** Bumped by every reason to re-listen; the key is clean once a round listened at this version. */
  dirtyVersion = 1
  cleanVersion = 0
  constructor(key: ConfigKey) {
    super(Option.none())
    this.key = key
  }
}

interface DueKey {
  readonly entry: WatchedKey
  readonly version: number
}

type ListenError = TransportError | ServerError | AuthError

/** What went wrong in one round: enough for one log line and the retry schedule's input. */
interface RoundFailures {
  keys: number
  first: ListenError | QueryError | undefined
}

const chunksOf = <A>(items: ReadonlyArray<A>, size: number): ReadonlyArray<ReadonlyArray<A>> => {
  const chunks: Array<ReadonlyArray<A>> = []
  for (let start = 0; start < items.length; start += size) chunks.push(items.slice(start, start + size))
  return chunks
}

/** A local file's content as the event a watcher sees. */
const localEvent = (key: ConfigKey, local: Cache.CachedConfig, md5: string): ConfigEvent =>
  changedEvent(key, { content: local.content, md5, encryptedDataKey: local.encryptedDataKey, beta: false })

export const make = Effect.fnUntraced(function* (
  options: ListenRegistryOptions
): Effect.fn.Return<ListenRegistry, never, Scope.Scope> {
  const { namespace, connection, operations, cache } = options
  const watched = new ConfigKeyMap<WatchedKey>()
  /** Keys nobody watches any more, to un-listen in the next round. */
  const unlistenPending = new ConfigKeyMap<ConfigKey>()
  /** Keys whose listen or re-read failed: left out of rounds until the retry schedule releases them. */
  const heldBack = new Set<WatchedKey>()
  let fullSyncDue = false
  // Capacity 1, sliding, so rings that arrive while a round runs cause exactly one more round.
  const bell = yield* Queue.sliding<void>(1)
  const ring = Effect.asVoid(Queue.offer(bell, undefined))

  const isCurrent = (entry: WatchedKey) => watched.get(entry.key) === entry
  const markDirty = (entry: WatchedKey) => {
    entry.dirtyVersion++
  }
  const markClean = (due: DueKey) => {
    if (isCurrent(due.entry) && due.entry.cleanVersion < due.version) due.entry.cleanVersion = due.version
  }
  const emit = (entry: WatchedKey, event: ConfigEvent) => entry.publish(event)

  const holdBack = (keys: ReadonlyArray<DueKey>, error: ListenError | QueryError, failures: RoundFailures) =>
    Effect.sync(() => {
      for (const due of keys) if (isCurrent(due.entry)) heldBack.add(due.entry)
      failures.keys += keys.length
      failures.first ??= error
    })

  /** A re-read's answer: update the md5, keep the snapshot in step, emit if something a watcher sees moved. */
  const applyQueried = (entry: WatchedKey, answer: Option.Option<RemoteConfig>) =>
    Effect.gen(function* () {
      if (!isCurrent(entry)) return
      if (Option.isSome(answer)) {
        const config = answer.value
        const moved = entry.md5 !== config.md5
        entry.md5 = config.md5
        entry.fromFailover = false
        yield* options.snapshots.write(entry.key, config)
        if (moved) yield* emit(entry, changedEvent(entry.key, config))
        return
      }
      const first = entry.md5 === undefined
      const wasPresent = entry.md5 !== undefined && entry.md5 !== ""
      entry.md5 = ""
      entry.fromFailover = false
      yield* options.snapshots.remove(entry.key)
      if (first) yield* emit(entry, keyEvent("Absent", entry.key))
      else if (wasPresent) yield* emit(entry, keyEvent("Deleted", entry.key))
    })

  /**
   * A due key's failover file, read first as `get` does: while it exists the watch shows it (emitting when its
   * content moved) and the key is not listened. Once it is gone, the key is listened again with the md5 last
   * shown, so the server's value comes back exactly when it differs from what the watchers saw.
   */
  const servedByFailover = (due: DueKey): Effect.Effect<boolean> =>
    Effect.gen(function* () {
      const failover = yield* cache.readConfigFailover(due.entry.key)
      if (Option.isNone(failover)) return false
      const { entry } = due
      if (!isCurrent(entry)) return true
      const md5 = md5Of(failover.value.content)
      entry.fromFailover = true
      if (entry.md5 !== md5) {
        entry.md5 = md5
        yield* emit(entry, localEvent(entry.key, failover.value, md5))
      }
      markClean(due)
      return true
    })

  /** The keys of a listened chunk: re-read those reported changed; a failed re-read holds back that key only. */
  const settleListened = (
    chunk: ReadonlyArray<DueKey>,
    changed: ReadonlyArray<{ readonly dataId: string; readonly group: string }>,
    failures: RoundFailures
  ) => {
    const changedEntries = new Set<WatchedKey>()
    for (const config of changed) {
      const entry = watched.get(makeKey(namespace, config.dataId, config.group))
      if (entry !== undefined) changedEntries.add(entry)
    }
    return Effect.forEach(
      chunk,
      (due) => {
        if (changedEntries.has(due.entry)) {
          return operations.query(due.entry.key, undefined).pipe(
            Effect.flatMap((answer) => applyQueried(due.entry, answer)),
            Effect.andThen(Effect.sync(() => markClean(due))),
            Effect.catch((error) => holdBack([due], error, failures))
          )
        }
        // The server holds the md5 we sent (the failover file's too): what the watchers saw is the server's value,
        // and a key we never saw and listened with "" does not exist.
        return Effect.suspend(() => {
          const { entry } = due
          entry.fromFailover = false
          const first = entry.md5 === undefined && isCurrent(entry)
          entry.md5 ??= ""
          markClean(due)
          return first ? emit(entry, keyEvent("Absent", entry.key)) : Effect.void
        })
      },
      { concurrency: options.queryConcurrency, discard: true }
    )
  }

  /** One listen request for `chunk`, then its re-reads; `Some(error)` when the listen itself failed. */
  const listenOnce = (chunk: ReadonlyArray<DueKey>, failures: RoundFailures) =>
    Effect.gen(function* () {
      const answer = yield* Effect.result(
        operations.batchListen(
          chunk.map((due) => ({ key: due.entry.key, md5: due.entry.md5 ?? "" })),
          true
        )
      )
      if (answer._tag === "Failure") return Option.some(answer.failure)
      yield* settleListened(chunk, answer.success, failures)
      return Option.none<ListenError>()
    })

  /**
   * Listens one chunk. When the server refuses it, the two halves are sent apart, then the halves of the refused
   * half while its sibling is accepted: a single key the server will not take is narrowed down to itself in about
   * 2·log2(3000) requests, and the rest of its chunk is listened in this round. Both halves refused (the server
   * refuses everything, or more than one key) or a connection failure: the keys are held back.
   */
  const listenChunk = (chunk: ReadonlyArray<DueKey>, failures: RoundFailures) =>
    Effect.gen(function* () {
      const failure = yield* listenOnce(chunk, failures)
      if (Option.isNone(failure)) return
      let refused = chunk
      let error = failure.value
      while (refused.length > 1 && error._tag !== "TransportError") {
        const middle = Math.ceil(refused.length / 2)
        const left = refused.slice(0, middle)
        const right = refused.slice(middle)
        const leftFailure = yield* listenOnce(left, failures)
        const rightFailure = yield* listenOnce(right, failures)
        if (Option.isSome(leftFailure) && Option.isSome(rightFailure)) break
        if (Option.isSome(leftFailure)) {
          refused = left
          error = leftFailure.value
        } else if (Option.isSome(rightFailure)) {
          refused = right
          error = rightFailure.value
        } else {
          return
        }
      }
      yield* holdBack(refused, error, failures)
    })

  const unlistenDropped = (failures: RoundFailures) =>
    Effect.gen(function* () {
      const dropping = [...unlistenPending.values()].filter((key) => !watched.has(key))
      unlistenPending.clear()
      for (const chunk of chunksOf(dropping, LISTEN_CHUNK_SIZE)) {
        const answer = yield* Effect.result(
          operations.batchListen(
            chunk.map((key) => ({ key, md5: "" })),
            false
          )
        )
        if (answer._tag === "Success") continue
        // tried again in the next round (unless watched again meanwhile); the other chunks go on
        for (const key of chunk) if (!watched.has(key)) unlistenPending.set(key, key)
        failures.first ??= answer.failure
      }
    })

  /**
   * A held-back key gets the snapshot (the failover file was found absent in this round), as `get` would serve
   * it, when it has shown nothing yet or its last event came from a failover file that is gone. The md5 of that
   * copy is what the next listen compares against.
   */
  const seedFromSnapshots = Effect.gen(function* () {
    for (const entry of [...heldBack]) {
      const known = entry.md5 !== undefined
      if (known ? !entry.fromFailover : entry.localTried) continue
      entry.localTried = true
      const snapshot = yield* cache.readConfigSnapshot(entry.key)
      // a server answer may have come meanwhile
      if (Option.isNone(snapshot) || !isCurrent(entry) || (entry.md5 !== undefined && !entry.fromFailover)) continue
      const md5 = md5Of(snapshot.value.content)
      const moved = entry.md5 !== md5
      entry.md5 = md5
      entry.fromFailover = false
      if (moved) yield* emit(entry, localEvent(entry.key, snapshot.value, md5))
    }
  })

  const round = Effect.gen(function* () {
    const failures: RoundFailures = { keys: 0, first: undefined }
    yield* unlistenDropped(failures)
    if (fullSyncDue) {
      fullSyncDue = false
      for (const entry of watched.values()) markDirty(entry)
    }
    const due: Array<DueKey> = []
    for (const entry of watched.values()) {
      if (entry.dirtyVersion > entry.cleanVersion && !heldBack.has(entry)) {
        due.push({ entry, version: entry.dirtyVersion })
      }
    }
    const served = yield* Effect.forEach(due, servedByFailover, { concurrency: options.queryConcurrency })
    const toListen = due.filter((_, index) => !served[index])
    for (const chunk of chunksOf(toListen, LISTEN_CHUNK_SIZE)) yield* listenChunk(chunk, failures)
    if (failures.keys > 0) yield* seedFromSnapshots
    return failures
  })

  // The retry schedule paces the held-back keys: one streak of steps from the first failure until a round leaves
  // nothing held back. Rounds rung meanwhile (pushes, new watchers) go on without the held-back keys.
  const startStreak = Schedule.toStep(options.retrySchedule)
  let retryStep: Effect.Success<typeof startStreak> | undefined
  let retryAt: number | undefined

  const releaseHeldBack = () => {
    heldBack.clear()
    retryAt = undefined
  }

  /** Waits for a ring, or for the pending retry's time (which releases the held-back keys). */
  const nextRound = Effect.gen(function* () {
    if (retryAt === undefined) return yield* Queue.take(bell)
    const wait = retryAt - (yield* Clock.currentTimeMillis)
    const rung = wait > 0 ? yield* Effect.timeoutOption(Queue.take(bell), Duration.millis(wait)) : Option.none()
    if (Option.isNone(rung)) releaseHeldBack()
  })

  const afterRound = (failures: RoundFailures) =>
    Effect.gen(function* () {
      if (failures.first === undefined && heldBack.size === 0) {
        if (retryStep !== undefined) yield* Effect.logInfo("config listen: every watched key is listened again")
        retryStep = undefined
        return
      }
      if (failures.first !== undefined) {
        const what = failures.keys > 0 ? `${failures.keys} watched key(s) held back` : "an un-listen failed"
        const message = `config listen: ${what} (${failures.first.message}); retrying`
        // one warning per streak of failures; the retries of the same outage are logged at debug level
        yield* retryStep === undefined ? Effect.logWarning(message) : Effect.logDebug(message)
      }
      if (retryAt !== undefined) return
      if (retryStep === undefined) retryStep = yield* startStreak
      const now = yield* Clock.currentTimeMillis
      const step = yield* Effect.result(retryStep(now, failures.first))
      if (step._tag === "Success") {
        const [, delay] = step.success
        retryAt = now + Duration.toMillis(delay)
        return
      }
      // the schedule is over: the held-back keys stay dirty and go with the next round that is rung
      releaseHeldBack()
      retryStep = undefined
      yield* Effect.logWarning("config listen: retries exhausted; held-back keys wait for the next trigger")
    })

  yield* nextRound.pipe(
    Effect.andThen(round),
    Effect.flatMap(afterRound),
    Effect.catchCause((cause) => Effect.logWarning("config listen round failed", cause)),
    Effect.forever,
    Effect.forkScoped
  )

  yield* connection.handlePush(
    "ConfigChangeNotifyRequest",
    ConfigChangeNotifyRequest,
    "ConfigChangeNotifyResponse",
    // acknowledged as soon as this returns; the re-read happens in the next round
    (push) =>
      Effect.gen(function* () {
        const entry = watched.get(makeKey(namespace, push.dataId, push.group))
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
        // a fresh session: everything is worth asking again at once, held back or not
        for (const entry of watched.values()) markDirty(entry)
        releaseHeldBack()
      }).pipe(Effect.andThen(ring))
    ),
    Effect.forkScoped
  )

  yield* Effect.sync(() => {
    fullSyncDue = true
  }).pipe(Effect.andThen(ring), Effect.repeat(options.fullSyncSchedule), Effect.forkScoped)

  /** Counts one more watcher of the key; whether the entry is new (a round is due). */
  const acquire = (key: ConfigKey): { readonly entry: WatchedKey; readonly created: boolean } => {
    const existing = watched.get(key)
    if (existing !== undefined) {
      existing.watchers++
      return { entry: existing, created: false }
    }
    const entry = new WatchedKey(key)
    watched.set(key, entry)
    unlistenPending.delete(key)
    return { entry, created: true }
  }

  /** One watcher less; whether the key went (the next round un-listens it). */
  const release = (entry: WatchedKey): boolean => {
    entry.watchers--
    if (entry.watchers > 0 || !isCurrent(entry)) return false
    watched.delete(entry.key)
    heldBack.delete(entry)
    unlistenPending.set(entry.key, entry.key)
    return true
  }

  /**
   * All keys at once, one ring: what 10 000 keys in one watch cost is the entries. The array is made at its size
   * (`map`): a pushed-to array reserves room for 17.
   */
  const watchKeys: ListenRegistry["watchKeys"] = (keys) =>
    Effect.suspend(() => {
      let created = false
      const feeds = keys.map((key) => {
        const acquired = acquire(key)
        created ||= acquired.created
        return acquired.entry
      })
      return created ? Effect.as(ring, feeds) : Effect.succeed(feeds)
    })

  /** A watcher holds its keys' entries, so each key still names the entry it was given. */
  const unwatchKeys: ListenRegistry["unwatchKeys"] = (keys) =>
    Effect.suspend(() => {
      let dropped = false
      for (const key of keys) {
        const entry = watched.get(key)
        if (entry !== undefined) dropped = release(entry) || dropped
      }
      return dropped ? ring : Effect.void
    })

  return { watchKeys, unwatchKeys }
})
