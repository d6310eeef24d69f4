/**
 * Fuzzy watch (Nacos 3.x): follow the set of keys a wildcard pattern matches — configs for the config module,
 * services for naming — as the server adds and removes them. One mechanism for both: a service describes its
 * module's wire (request and push type names, push Schemas, how its keys read) in a {@link Protocol}, and
 * {@link make} runs the rest over the module's connection:
 *
 * - one server-side watch per pattern, shared by every Stream of that pattern; the last one leaving sends
 *   `CANCEL_WATCH`;
 * - every `*FuzzyWatchSyncRequest` / `*FuzzyWatchChangeNotifyRequest` push is acknowledged;
 * - after a reconnect (and on a slow periodic re-sync) each pattern is watched again with the keys already
 *   received, so the server sends exactly what was added or removed meanwhile;
 * - each Stream starts with a {@link Snapshot} of the matched keys once the server has finished its initial sync
 *   (a watcher joining a watched pattern gets the current set), then one {@link Added} / {@link Removed} per
 *   change.
 *
 * The server's limits — patterns watched on the server (20 by default, counted over all its clients) and keys per
 * pattern (500) — fail the Stream with a `ServerError` carrying errorCode 50310 / 50311.
 *
 * @since 0.1.0
 * @module
 */
import * as Effect from "effect/Effect"
import * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import type * as Stream from "effect/Stream"
import type { AuthResource } from "./Auth.ts"
import type { Connection } from "./Connection.ts"
import * as Pattern from "./internal/fuzzyPattern.ts"
import * as Registry from "./internal/fuzzyWatch.ts"
import type { AuthError, InvalidArgumentError, NotSupportedError, ServerError, TransportError } from "./NacosError.ts"

/**
 * errorCode of a watch the server refused because it already watches as many patterns as it allows
 * (`FUZZY_WATCH_PATTERN_OVER_LIMIT`).
 *
 * @category constants
 * @since 0.1.0
 */
export const PATTERN_OVER_LIMIT = 50310

/**
 * errorCode of a watch whose pattern matches more keys than the server allows
 * (`FUZZY_WATCH_PATTERN_MATCH_COUNT_OVER_LIMIT`).
 *
 * @category constants
 * @since 0.1.0
 */
export const MATCH_COUNT_OVER_LIMIT = 50311

/**
 * The server ability fuzzy watch needs (`SetupAckRequest.abilityTable`).
 *
 * @since 0.1.0
 */
export const ABILITY = "fuzzyWatch"

/**
 * A pattern: the namespace (exact) and the group and name patterns (`*`, `x*`, `*x`, `*x*` or a literal).
 *
 * @category models
 * @since 0.1.0
 */
export interface PatternParts {
  readonly namespace: string
  readonly groupPattern: string
  readonly namePattern: string
}

/**
 * A key's coordinates as the server matches them against a pattern.
 *
 * @category models
 * @since 0.1.0
 */
export interface KeyCoordinates {
  readonly namespace: string
  readonly group: string
  readonly name: string
}

/**
 * How a module's wire keys read (`dataId+group+tenant` for config, `namespace@@group@@service` for naming).
 *
 * @category models
 * @since 0.1.0
 */
export interface KeyCodec<K> {
  /** The key's coordinates and its public form; `undefined` for a string that is not one of this module's keys. */
  readonly parse: (wireKey: string) => (KeyCoordinates & { readonly key: K }) | undefined
}

/**
 * A `*FuzzyWatchSyncRequest` push, read.
 *
 * @since 0.1.0
 */
export interface SyncNotice {
  readonly pattern: string
  readonly syncType: string
  readonly changes: ReadonlyArray<{ readonly key: string; readonly changedType: string }>
}

/**
 * A `*FuzzyWatchChangeNotifyRequest` push, read: it names no pattern, so it is matched against every watch.
 *
 * @since 0.1.0
 */
export interface ChangeNotice {
  readonly key: string
  readonly changedType: string
}

/**
 * One push type of the protocol: registered on the connection for as long as the scope lives, acknowledged with
 * its paired response.
 *
 * @category models
 * @since 0.1.0
 */
export interface PushSpec<A> {
  readonly register: (
    connection: Connection,
    handler: (notice: A) => Effect.Effect<void>
  ) => Effect.Effect<void, never, Scope.Scope>
}

/**
 * A push type decoded with `schema` and read into the mechanism's form with `read`.
 *
 * @category constructors
 * @since 0.1.0
 */
export const pushSpec = <S extends Schema.Codec<unknown, unknown>, A>(options: {
  readonly pushType: string
  readonly responseType: string
  readonly schema: S
  readonly read: (push: S["Type"]) => A
}): PushSpec<A> => ({
  register: (connection, handler) =>
    connection.handlePush(options.pushType, options.schema, options.responseType, (push) =>
      Effect.as(handler(options.read(push)), {})
    )
})

/**
 * What a module tells the mechanism about its wire.
 *
 * @category models
 * @since 0.1.0
 */
export interface Protocol<K> {
  /** For messages and `NotSupportedError`: e.g. "config fuzzy watch". */
  readonly feature: string
  /** `ConfigFuzzyWatchRequest` / `NamingFuzzyWatchRequest`. */
  readonly requestType: string
  /** Fields the module's request carries besides the common ones (naming: `namespace`). */
  readonly requestFields?: ((pattern: PatternParts) => Readonly<Record<string, unknown>>) | undefined
  /** What the request touches, for auth signatures. */
  readonly resource: (pattern: PatternParts) => AuthResource
  readonly syncPush: PushSpec<SyncNotice>
  readonly changePush: PushSpec<ChangeNotice>
  /** `changedType`s that add a key (config: `ADD_CONFIG` and `CONFIG_CHANGED`, the type a new config is pushed with). */
  readonly addedTypes: ReadonlyArray<string>
  /** `changedType`s that remove a key. */
  readonly removedTypes: ReadonlyArray<string>
  readonly keys: KeyCodec<K>
}

/**
 * The first element of every watch: the keys the pattern matches.
 *
 * @category models
 * @since 0.1.0
 */
export interface Snapshot<K> {
  readonly _tag: "Snapshot"
  readonly keys: ReadonlyArray<K>
}

/**
 * A key the pattern now matches (created, or created while disconnected).
 *
 * @category models
 * @since 0.1.0
 */
export interface Added<K> {
  readonly _tag: "Added"
  readonly key: K
}

/**
 * A key the pattern no longer matches (deleted, or deleted while disconnected).
 *
 * @category models
 * @since 0.1.0
 */
export interface Removed<K> {
  readonly _tag: "Removed"
  readonly key: K
}

/**
 * @category models
 * @since 0.1.0
 */
export type Event<K> = Snapshot<K> | Added<K> | Removed<K>

/**
 * What a watch can fail with: the server's refusals (`ServerError` 50310 / 50311 for its limits, `AuthError`), no
 * `fuzzyWatch` ability (`NotSupportedError`), no server to ask whether it has it (`TransportError`), or a pattern
 * that cannot be sent (`InvalidArgumentError`). A connection lost later does not fail it: it is watched again.
 *
 * @category errors
 * @since 0.1.0
 */
export type WatchError = ServerError | AuthError | NotSupportedError | TransportError | InvalidArgumentError

/**
 * @category models
 * @since 0.1.0
 */
export interface FuzzyWatcher<K> {
  readonly watch: (pattern: PatternParts) => Stream.Stream<Event<K>, WatchError>
}

/**
 * @category models
 * @since 0.1.0
 */
export interface Options {
  /** Every pattern is watched again on this schedule as a safety net (default {@link resync}: 3 minutes, as Java). */
  readonly resyncSchedule?: Schedule.Schedule<unknown> | undefined
  /** Pause before a watch that could not reach the server is sent again (default 2 s). */
  readonly retryDelayMillis?: number | undefined
}

/**
 * The Java client's full re-sync interval (`FUZZY_LISTEN_ALL_SYNC_INTERNAL`).
 *
 * @category schedules
 * @since 0.1.0
 */
export const resync: Schedule.Schedule<unknown> = Schedule.spaced("3 minutes")

/**
 * Starts the mechanism on `connection`: it registers the protocol's push handlers (one per push type and
 * connection, so make it once per connection) for as long as the scope lives.
 *
 * @category constructors
 * @since 0.1.0
 */
export const make: <K>(
  connection: Connection,
  protocol: Protocol<K>,
  options?: Options
) => Effect.Effect<FuzzyWatcher<K>, never, Scope.Scope> = Registry.make

/**
 * Why a group or name pattern cannot be sent (`undefined` when it can): `*`, `x*`, `*x`, `*x*` or a literal.
 *
 * @category validation
 * @since 0.1.0
 */
export const wildcardProblem: (part: string) => string | undefined = Pattern.wildcardProblem

/**
 * A group or name pattern as a Schema check: the wildcard shapes the server matches, with `literal` the character
 * rule of the text between the wildcards (described by `rule`).
 *
 * @category validation
 * @since 0.1.0
 */
export const patternSchema = (options: {
  readonly literal: RegExp
  readonly rule: string
  readonly maxLength: number
}) =>
  Schema.String.check(
    Schema.makeFilter((part: string) => Pattern.wildcardProblem(part) ?? true),
    Schema.isMaxLength(options.maxLength, { message: `must be at most ${options.maxLength} characters` }),
    Schema.makeFilter((part: string) => options.literal.test(part.replaceAll("*", "")) || part === "*" || options.rule)
  )

/**
 * Whether the server would count `key` as matched by `pattern`.
 *
 * @category matching
 * @since 0.1.0
 */
export const matches = (pattern: PatternParts, key: KeyCoordinates): boolean =>
  pattern.namespace === key.namespace &&
  Pattern.partMatches(pattern.groupPattern, key.group) &&
  Pattern.partMatches(pattern.namePattern, key.name)

/**
 * The pattern as sent: `namespace>>groupPattern>>namePattern`.
 *
 * @category matching
 * @since 0.1.0
 */
export const patternText = (pattern: PatternParts): string =>
  Pattern.join(pattern.namespace, pattern.groupPattern, pattern.namePattern)
