/**
 * One logical connection to a Nacos server for one module (`config`, `naming`, `ai`): the request channel, the
 * push handlers, and the observable state of a lifecycle that reconnects by itself.
 *
 * @since 0.1.0
 * @module
 */
import * as Data from "effect/Data"
import type * as Effect from "effect/Effect"
import type * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import type * as Stream from "effect/Stream"
import type * as SubscriptionRef from "effect/SubscriptionRef"
import type { AuthResource } from "./Auth.ts"
import type { AuthError, InvalidArgumentError, NotSupportedError, ServerError, TransportError } from "./NacosError.ts"
import type { ServerAddress } from "./ServerAddress.ts"

/**
 * Abilities negotiated with the server (`SetupAckRequest.abilityTable`); a missing key means "not supported".
 *
 * @since 0.1.0
 */
export type Abilities = Readonly<Record<string, boolean>>

/**
 * A live session with one server.
 *
 * @since 0.1.0
 */
export interface Session {
  readonly server: ServerAddress
  readonly connectionId: string
  readonly abilities: Abilities
}

/**
 * `Connecting` (first attempt) → `Connected` ⇄ `Reconnecting` → `Closed` (scope closed). `Failed` is terminal:
 * the reconnect schedule ended without a session; every request fails at once from then on.
 *
 * @category models
 * @since 0.1.0
 */
export type ConnectionState = Data.TaggedEnum<{
  Connecting: {}
  Connected: { readonly session: Session }
  Reconnecting: { readonly reason: string }
  Failed: { readonly reason: string }
  Closed: {}
}>

/** @since 0.1.0 */
export const ConnectionState = Data.taggedEnum<ConnectionState>()

/**
 * What a service asks for when it opens its connection.
 *
 * @category models
 * @since 0.1.0
 */
export interface ConnectionSpec {
  /** The `module` label: the server ties listen state and ephemeral instances to the module's connection. */
  readonly module: "config" | "naming" | "ai" | "lock"
  /** Extra labels (`AppName` and `source=sdk` are always sent). */
  readonly labels?: Readonly<Record<string, string>> | undefined
  /** Client abilities to announce; an empty table still asks the server for its `SetupAckRequest`. */
  readonly abilities?: Abilities | undefined
  /** `ConnectionSetupRequest.tenant`: the namespace for config connections. */
  readonly tenant?: string | undefined
}

/**
 * @category models
 * @since 0.1.0
 */
export interface RequestOptions {
  /** Overall budget for the call (waiting for a connection, retries included). Default: the gRPC timeout option. */
  readonly timeoutMillis?: number | undefined
  /** Extra `metadata.headers` (e.g. `notify` on ConfigQueryRequest). */
  readonly headers?: Readonly<Record<string, string>> | undefined
  /** What the request touches, for auth signatures. */
  readonly resource?: AuthResource | undefined
  /** Retry on transport errors (default true). Set false for non-idempotent calls where a duplicate matters. */
  readonly retry?: boolean | undefined
}

/**
 * Base fields of every Nacos response.
 *
 * @since 0.1.0
 */
export interface ResponseBase {
  readonly resultCode?: number | undefined
  readonly errorCode?: number | undefined
  readonly message?: string | undefined
}

/**
 * What {@link Connection.request} fails with. Only `TransportError` is retried (and worth another transport):
 * the others are final answers.
 *
 * @category errors
 * @since 0.1.0
 */
export type RequestError = TransportError | ServerError | AuthError | InvalidArgumentError

/**
 * Handles one kind of server push. The returned record is the body of the paired response (the core adds
 * `requestId` and `resultCode`); keep the handler fast — hand slow work to a fiber or queue.
 *
 * @since 0.1.0
 */
export type PushHandler<A> = (push: A) => Effect.Effect<Record<string, unknown>>

/**
 * @category models
 * @since 0.1.0
 */
export interface Connection {
  readonly module: ConnectionSpec["module"]
  /**
   * The lifecycle state: current value first, then every change.
   *
   * @example
   * ```ts
   * import type { Connection } from "@effect-nacos/core"
   * import { Effect, Stream, SubscriptionRef } from "effect"
   *
   * const logStates = (connection: Connection.Connection) =>
   *   SubscriptionRef.changes(connection.state).pipe(
   *     Stream.runForEach((state) => Effect.log(`connection: ${state._tag}`)),
   *     Effect.forkScoped
   *   )
   * ```
   */
  readonly state: SubscriptionRef.SubscriptionRef<ConnectionState>
  /**
   * One element per successful re-handshake after the first: services redo their server-side state on it.
   *
   * @example
   * ```ts
   * import type { Connection } from "@effect-nacos/core"
   * import { Effect, Stream } from "effect"
   *
   * const redoOnReconnect = (connection: Connection.Connection, redo: Effect.Effect<void>) =>
   *   connection.reconnected.pipe(
   *     Stream.runForEach((session) => Effect.andThen(Effect.log(`new session ${session.connectionId}`), redo)),
   *     Effect.forkScoped
   *   )
   * ```
   */
  readonly reconnected: Stream.Stream<Session>
  /**
   * Whether gRPC is usable as far as the lifecycle knows: `false` once a connect attempt failed or the session was
   * lost, until a session is up again; `true` while connected and before the first attempt has finished. Cheap:
   * callers may consult it before every call (e.g. to go straight to an HTTP fallback).
   */
  readonly available: Effect.Effect<boolean>
  /**
   * The current session, waiting (at most `timeoutMillis`) for one while disconnected; fails at once once the
   * lifecycle has `Failed` or the connection is closed.
   *
   * @example
   * ```ts
   * import type { Connection } from "@effect-nacos/core"
   * import { Effect } from "effect"
   *
   * const connectedTo = (connection: Connection.Connection) =>
   *   Effect.map(connection.awaitSession(3_000), (session) => session.server.authority)
   * ```
   */
  readonly awaitSession: (timeoutMillis?: number) => Effect.Effect<Session, TransportError>
  /**
   * Fails with `NotSupportedError` when the connected server lacks `ability`.
   *
   * @example
   * ```ts
   * import type { Connection } from "@effect-nacos/core"
   *
   * const needFuzzyWatch = (connection: Connection.Connection) => connection.requireAbility("fuzzyWatch", "fuzzy watch")
   * ```
   */
  readonly requireAbility: (ability: string, feature: string) => Effect.Effect<void, NotSupportedError | TransportError>
  /**
   * Sends `requestType` with `body` and decodes the answer. Failures: `TransportError` (no connection within the
   * timeout, stream trouble, 301, the session ended mid-call), `AuthError` (errorCode 403; a re-login is requested),
   * `ServerError` (any other non-success answer, with the server's errorCode and message), `InvalidArgumentError`
   * (a message over the gRPC size limit: field `request` when the request is too large for either side,
   * `grpc.maxReceiveMessageLength` when the server's answer is — the server did handle the request then).
   *
   * @example
   * ```ts
   * import type { Connection } from "@effect-nacos/core"
   * import { Schema } from "effect"
   *
   * const ConfigQueryResponse = Schema.Struct({ content: Schema.String, md5: Schema.String })
   * const query = (connection: Connection.Connection, dataId: string) =>
   *   connection.request("ConfigQueryRequest", { dataId, group: "DEFAULT_GROUP", tenant: "" }, ConfigQueryResponse, {
   *     resource: { module: "config", group: "DEFAULT_GROUP", name: dataId }
   *   })
   * ```
   */
  readonly request: <S extends Schema.Codec<unknown, unknown>>(
    requestType: string,
    body: Readonly<Record<string, unknown>>,
    responseSchema: S,
    options?: RequestOptions
  ) => Effect.Effect<S["Type"], RequestError>
  /**
   * Registers the handler for a push type for as long as the scope lives. Every push is acknowledged with
   * `responseType` carrying the push's `requestId`.
   *
   * @example
   * ```ts
   * import type { Connection } from "@effect-nacos/core"
   * import { Effect, Schema } from "effect"
   *
   * const ConfigChangeNotify = Schema.Struct({ dataId: Schema.String, group: Schema.String, tenant: Schema.String })
   * const onConfigChange = (connection: Connection.Connection) =>
   *   connection.handlePush("ConfigChangeNotifyRequest", ConfigChangeNotify, "ConfigChangeNotifyResponse", (push) =>
   *     Effect.as(Effect.log(`changed: ${push.dataId}`), {})
   *   )
   * ```
   */
  readonly handlePush: <S extends Schema.Codec<unknown, unknown>>(
    pushType: string,
    pushSchema: S,
    responseType: string,
    handler: PushHandler<S["Type"]>
  ) => Effect.Effect<void, never, Scope.Scope>
  /**
   * Drops the current session and reconnects (e.g. the caller saw the server misbehave). Does nothing while no
   * session is live: a reconnect is then already under way, and the next session must not be cut.
   *
   * @example
   * ```ts
   * import type { Connection } from "@effect-nacos/core"
   *
   * const startOver = (connection: Connection.Connection) => connection.reconnect("answers out of order")
   * ```
   */
  readonly reconnect: (reason: string) => Effect.Effect<void>
}
