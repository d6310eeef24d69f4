/**
 * The fuzzy-watch registry behind `FuzzyWatch.make` (protocol reference §5.9 / §6.1 as corrected by the 3.1.0
 * verification N16; server `*FuzzyWatchRequestHandler`, `*FuzzyWatchSyncNotifier`, client
 * `*FuzzyWatch*Holder`).
 *
 * Patterns are entries of an RcMap keyed by the pattern text: every Stream of a pattern shares the entry, its set of
 * received keys and its one server-side watch. One fiber sends the watches when rung — a new pattern, a reconnect
 * (the server forgot the old connection's watches), the periodic re-sync, a retry after a transport failure — each
 * with `receivedGroupKeys` = the keys held, so the server answers with the difference only (`*FuzzyWatchSyncRequest`
 * with `FUZZY_WATCH_INIT_NOTIFY` batches then `FINISH_FUZZY_WATCH_INIT_NOTIFY` while initializing, else
 * `FUZZY_WATCH_DIFF_SYNC_NOTIFY`). Later creations and deletions come as `*FuzzyWatchChangeNotifyRequest`, which
 * names no pattern: it is matched against every watched pattern, as the server does.
 *
 * The entry's state is the whole key set; each Stream diffs it against what it last emitted, so a watcher that
 * falls behind still emits exactly the net changes, and a watcher that joins late starts from the current set.
 */

import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Queue from "effect/Queue"
import * as RcMap from "effect/RcMap"
import * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import * as SubscriptionRef from "effect/SubscriptionRef"
import type { Connection, RequestError } from "../Connection.ts"
import type {
  ChangeNotice,
  Event,
  FuzzyWatcher,
  Options,
  PatternParts,
  Protocol,
  SyncNotice,
  WatchError
} from "../FuzzyWatch.ts"
import { InvalidArgumentError, ServerError } from "../NacosError.ts"
import * as Pattern from "./fuzzyPattern.ts"

const ABILITY = "fuzzyWatch"
const PATTERN_OVER_LIMIT = 50310
const MATCH_COUNT_OVER_LIMIT = 50311
const FINISH_INIT = "FINISH_FUZZY_WATCH_INIT_NOTIFY"
const DEFAULT_RETRY_DELAY_MILLIS = 2000
const DEFAULT_RESYNC = "3 minutes"

/** The watch answer carries nothing but the base fields, which the connection already checked. */
const WatchAnswer = Schema.Struct({})

interface PatternState<K> {
  /** Whether the server finished the initial sync: Streams emit nothing before. */
  readonly initialized: boolean
  readonly keys: ReadonlyMap<string, K>
  readonly failure: WatchError | undefined
}

/** One watched pattern; mutated only by the push handlers, the sending fiber and the RcMap hooks. */
interface WatchedPattern<K> {
  readonly text: string
  readonly parts: PatternParts
  /** Wire key → public key: what `receivedGroupKeys` reports on the next watch. */
  readonly received: Map<string, K>
  /** Until `FINISH_FUZZY_WATCH_INIT_NOTIFY`: the next watch says `initializing`, and Streams wait. */
  initializing: boolean
  /** Whether the current session's server holds this watch. */
  consistent: boolean
  failure: WatchError | undefined
  readonly state: SubscriptionRef.SubscriptionRef<PatternState<K>>
}

const patternProblem = (parts: PatternParts): InvalidArgumentError | undefined => {
  const checks: ReadonlyArray<readonly [string, string | undefined]> = [
    ["namespace", Pattern.namespaceProblem(parts.namespace)],
    ["groupPattern", Pattern.wildcardProblem(parts.groupPattern)],
    ["namePattern", Pattern.wildcardProblem(parts.namePattern)]
  ]
  for (const [field, problem] of checks) {
    if (problem !== undefined) return new InvalidArgumentError({ field, message: `${field} ${problem}` })
  }
  return undefined
}

const matches = (parts: PatternParts, key: { namespace: string; group: string; name: string }) =>
  parts.namespace === key.namespace &&
  Pattern.partMatches(parts.groupPattern, key.group) &&
  Pattern.partMatches(parts.namePattern, key.name)

/** The server's refusal of a watch, in words that say what to do about it. */
const refusal = (feature: string, text: string, error: Exclude<RequestError, { _tag: "TransportError" }>) => {
  if (error._tag !== "ServerError") return error
  if (error.errorCode === PATTERN_OVER_LIMIT) {
    return new ServerError({
      errorCode: error.errorCode,
      requestType: error.requestType,
      message: `${feature} of ${text} refused: the server already watches as many patterns as it allows (20 by default, counted over all its clients; nacos.*.fuzzy.watch.max.pattern.count) — server said "${error.message}"`
    })
  }
  if (error.errorCode === MATCH_COUNT_OVER_LIMIT) {
    return new ServerError({
      errorCode: error.errorCode,
      requestType: error.requestType,
      message: `${feature} of ${text} refused: the pattern matches more keys than the server follows per pattern (500 by default; nacos.*.fuzzy.watch.max.pattern.match.*.count), narrow it — server said "${error.message}"`
    })
  }
  return error
}

export const make = Effect.fnUntraced(function* <K>(
  connection: Connection,
  protocol: Protocol<K>,
  options: Options = {}
): Effect.fn.Return<FuzzyWatcher<K>, never, Scope.Scope> {
  const watched = new Map<string, WatchedPattern<K>>()
  /** Patterns nobody watches any more: `CANCEL_WATCH` in the next round (unless watched again first). */
  const cancelPending = new Map<string, PatternParts>()
  let resyncDue = false
  /** Bumped by every reconnect: a watch answered before it does not make the pattern consistent afterwards. */
  let sessionEpoch = 0
  let retryAt: number | undefined
  const retryDelayMillis = options.retryDelayMillis ?? DEFAULT_RETRY_DELAY_MILLIS
  const bell = yield* Queue.sliding<void>(1)
  const ring = Effect.asVoid(Queue.offer(bell, undefined))

  const publish = (entry: WatchedPattern<K>) =>
    SubscriptionRef.set(entry.state, {
      initialized: !entry.initializing,
      keys: new Map(entry.received),
      failure: entry.failure
    })

  const request = (parts: PatternParts, body: Readonly<Record<string, unknown>>) =>
    connection.request(
      protocol.requestType,
      {
        ...protocol.requestFields?.(parts),
        groupKeyPattern: Pattern.join(parts.namespace, parts.groupPattern, parts.namePattern),
        ...body
      },
      WatchAnswer,
      { resource: protocol.resource(parts) }
    )

  /** Sends one watch; `true` when it could not reach the server (to be retried). */
  const sendWatch = (entry: WatchedPattern<K>) => {
    const epoch = sessionEpoch
    return request(entry.parts, {
      receivedGroupKeys: [...entry.received.keys()],
      watchType: "WATCH",
      initializing: entry.initializing
    }).pipe(
      Effect.as(false),
      Effect.tap(() =>
        Effect.sync(() => {
          if (watched.get(entry.text) === entry && epoch === sessionEpoch) entry.consistent = true
        })
      ),
      Effect.catch((error) => {
        if (error._tag === "TransportError") {
          return Effect.as(Effect.logDebug(`${protocol.feature} of ${entry.text}: ${error.message}; retrying`), true)
        }
        entry.failure = refusal(protocol.feature, entry.text, error)
        return Effect.as(
          Effect.andThen(
            Effect.logWarning(`${protocol.feature} of ${entry.text} refused: ${error.message}`),
            publish(entry)
          ),
          false
        )
      })
    )
  }

  const sendCancels = Effect.gen(function* () {
    const cancelling = [...cancelPending.entries()].filter(([text]) => !watched.has(text))
    cancelPending.clear()
    for (const [text, parts] of cancelling) {
      // best effort: a connection that is gone took the watch with it
      yield* request(parts, { receivedGroupKeys: [], watchType: "CANCEL_WATCH", initializing: false }).pipe(
        Effect.catch((error) => Effect.logDebug(`${protocol.feature}: cancel of ${text} failed (${error.message})`))
      )
    }
  })

  const round = Effect.gen(function* () {
    yield* sendCancels
    const resyncing = resyncDue
    resyncDue = false
    let unreachable = false
    for (const entry of [...watched.values()]) {
      if (entry.failure !== undefined || (entry.consistent && !resyncing)) continue
      if (yield* sendWatch(entry)) unreachable = true
    }
    retryAt = unreachable ? (yield* Clock.currentTimeMillis) + retryDelayMillis : undefined
  })

  const nextRound = Effect.gen(function* () {
    if (retryAt === undefined) return yield* Queue.take(bell)
    const wait = retryAt - (yield* Clock.currentTimeMillis)
    if (wait > 0) yield* Effect.timeoutOption(Queue.take(bell), Duration.millis(wait))
  })

  yield* nextRound.pipe(
    Effect.andThen(round),
    Effect.catchCause((cause) => Effect.logWarning(`${protocol.feature} round failed`, cause)),
    Effect.forever,
    Effect.forkScoped
  )

  const applyChange = (entry: WatchedPattern<K>, wireKey: string, changedType: string): boolean => {
    if (protocol.addedTypes.includes(changedType)) {
      if (entry.received.has(wireKey)) return false
      const parsed = protocol.keys.parse(wireKey)
      if (parsed === undefined) return false
      entry.received.set(wireKey, parsed.key)
      return true
    }
    if (protocol.removedTypes.includes(changedType)) return entry.received.delete(wireKey)
    return false
  }

  const onSync = (notice: SyncNotice) =>
    Effect.suspend(() => {
      const entry = watched.get(notice.pattern)
      if (entry === undefined) return Effect.void
      let moved = false
      for (const change of notice.changes) moved = applyChange(entry, change.key, change.changedType) || moved
      if (notice.syncType === FINISH_INIT && entry.initializing) {
        entry.initializing = false
        moved = true
      }
      return moved ? publish(entry) : Effect.void
    })

  const onChange = (notice: ChangeNotice) =>
    Effect.suspend(() => {
      const parsed = protocol.keys.parse(notice.key)
      if (parsed === undefined) return Effect.logDebug(`${protocol.feature}: unreadable key ${notice.key}`)
      const moved = [...watched.values()].filter(
        (entry) => matches(entry.parts, parsed) && applyChange(entry, notice.key, notice.changedType)
      )
      return Effect.forEach(moved, publish, { discard: true })
    })

  yield* protocol.syncPush.register(connection, onSync)
  yield* protocol.changePush.register(connection, onChange)

  yield* connection.reconnected.pipe(
    Stream.runForEach(() =>
      Effect.sync(() => {
        // the server dropped the old connection's watches: every pattern is watched again with what it holds
        sessionEpoch++
        for (const entry of watched.values()) entry.consistent = false
        retryAt = undefined
      }).pipe(Effect.andThen(ring))
    ),
    Effect.forkScoped
  )

  yield* Effect.sync(() => {
    resyncDue = true
  }).pipe(
    Effect.andThen(ring),
    Effect.repeat(options.resyncSchedule ?? Schedule.spaced(DEFAULT_RESYNC)),
    Effect.forkScoped
  )

  const patterns = yield* RcMap.make({
    lookup: (text: string) =>
      Effect.acquireRelease(
        Effect.gen(function* () {
          const entry: WatchedPattern<K> = {
            text,
            parts: Pattern.split(text),
            received: new Map(),
            initializing: true,
            consistent: false,
            failure: undefined,
            state: yield* SubscriptionRef.make<PatternState<K>>({
              initialized: false,
              keys: new Map(),
              failure: undefined
            })
          }
          watched.set(text, entry)
          cancelPending.delete(text)
          yield* ring
          return entry
        }),
        (entry) =>
          Effect.sync(() => {
            watched.delete(entry.text)
            cancelPending.set(entry.text, entry.parts)
          }).pipe(Effect.andThen(ring))
      )
  })

  /** What one Stream emits for a new state: the Snapshot first, then the difference from what it emitted. */
  const eventsFor = (previous: ReadonlyMap<string, K> | undefined, next: ReadonlyMap<string, K>) => {
    if (previous === undefined) return [{ _tag: "Snapshot", keys: [...next.values()] } satisfies Event<K>]
    const events: Array<Event<K>> = []
    for (const [wireKey, key] of previous) if (!next.has(wireKey)) events.push({ _tag: "Removed", key })
    for (const [wireKey, key] of next) if (!previous.has(wireKey)) events.push({ _tag: "Added", key })
    return events
  }

  const watch = (parts: PatternParts): Stream.Stream<Event<K>, WatchError> =>
    Stream.unwrap(
      Effect.gen(function* () {
        const problem = patternProblem(parts)
        if (problem !== undefined) return yield* problem
        yield* connection.requireAbility(ABILITY, protocol.feature)
        const entry = yield* RcMap.get(patterns, Pattern.join(parts.namespace, parts.groupPattern, parts.namePattern))
        let emitted: ReadonlyMap<string, K> | undefined
        return SubscriptionRef.changes(entry.state).pipe(
          Stream.mapEffect((state): Effect.Effect<ReadonlyArray<Event<K>>, WatchError> => {
            if (state.failure !== undefined) return Effect.fail(state.failure)
            if (!state.initialized) return Effect.succeed([])
            const events = eventsFor(emitted, state.keys)
            emitted = state.keys
            return Effect.succeed(events)
          }),
          Stream.flattenIterable
        )
      })
    )

  return { watch }
})
