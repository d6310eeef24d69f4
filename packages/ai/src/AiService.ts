/**
 * The Nacos AI registry: MCP servers, A2A agent cards, prompts and skills.
 *
 * The Effect form of the Python SDK's `NacosAIService`:
 * - `getMcpServer` / `releaseMcpServer` (ability `mcp`), `getAgentCard` / `releaseAgentCard` (ability `agent`,
 *   Nacos 3.1+), over the module's own gRPC connection (label `module=ai`);
 * - `getPrompt` / `watchPrompt` (Nacos 3.2+): gRPC `QueryPromptRequest` with an HTTP fallback
 *   (`GET /v3/client/ai/prompt`), or HTTP only; the watch polls with the md5 it holds;
 * - `downloadSkillZip` / `downloadSkill` / `watchSkill` (Nacos 3.2+): the skill's ZIP over HTTP, extracted with
 *   path checks, polled for changes.
 *
 * A server without a feature fails the call at once with `NotSupportedError { feature, ability }`: MCP and A2A
 * by the abilities the server announced, prompts and skills by the server's answer (no ability exists for them;
 * a 3.1 server has no handler and no such HTTP API).
 *
 * @since 0.1.0
 * @module
 */

import {
  type AuthError,
  type Cache,
  ConflictError,
  InvalidArgumentError,
  NacosHttp,
  NacosOptions,
  type NotFoundError,
  type NotSupportedError,
  ServerError,
  Transport,
  type TransportError,
  Validation
} from "@effect-nacos/core"
import { NamingService } from "@effect-nacos/naming"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import type * as FileSystem from "effect/FileSystem"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type * as Path from "effect/Path"
import type * as PlatformError from "effect/PlatformError"
import * as Ref from "effect/Ref"
import type * as Schedule from "effect/Schedule"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import {
  type AgentCardDetail,
  type AgentEndpoint,
  DeregisterAgentEndpointParams,
  GetAgentCardParams,
  RegisterAgentEndpointParams,
  RegisterAgentEndpointsParams,
  ReleaseAgentCardParams
} from "./AgentCardModels.ts"
import * as AiPolicy from "./AiPolicy.ts"
import type { AiBackend } from "./internal/backend.ts"
import * as EndpointNames from "./internal/endpointNames.ts"
import * as GrpcOperations from "./internal/grpcOperations.ts"
import * as HttpOperations from "./internal/httpOperations.ts"
import * as MemoryBackend from "./internal/memoryBackend.ts"
import * as PromptTransport from "./internal/promptTransport.ts"
import * as SkillArchive from "./internal/skillArchive.ts"
import * as WatchRegistry from "./internal/watchRegistry.ts"
import {
  GetMcpServerParams,
  type McpServerDetail,
  McpServerEndpointParams,
  ReleaseMcpServerParams
} from "./McpModels.ts"
import { GetPromptParams, type MemoryPrompt, type Prompt, type PromptEvent } from "./PromptModels.ts"
import {
  DownloadSkillParams,
  type ExtractedSkill,
  GetSkillParams,
  type MemorySkill,
  type SkillArchive as SkillArchiveModel,
  type SkillEvent
} from "./SkillModels.ts"

// =============================================================================
// Errors
// =============================================================================

/**
 * What every call can fail with besides its own answers: input refused before sending, a server without the
 * feature, no server reachable, the server's refusal, auth.
 *
 * @category errors
 * @since 0.1.0
 */
export type CallError = InvalidArgumentError | NotSupportedError | TransportError | ServerError | AuthError

/**
 * What the reads (`getMcpServer`, `getAgentCard`, `getPrompt`, `downloadSkillZip`) can fail with: `NotFoundError`
 * for an unknown name or version.
 *
 * @category errors
 * @since 0.1.0
 */
export type GetError = NotFoundError | CallError

/**
 * What the releases can fail with: `ConflictError` for a version that exists (versions are never re-released).
 *
 * @category errors
 * @since 0.1.0
 */
export type ReleaseError = ConflictError | CallError

/**
 * What `downloadSkill` can fail with: `ServerError` also for a ZIP that is damaged or breaks a path rule
 * (nothing of it is written), `PlatformError` for the file system.
 *
 * @category errors
 * @since 0.1.0
 */
export type DownloadSkillError = GetError | PlatformError.PlatformError

/**
 * What the watches fail with: the first read's failures (a missing prompt or skill is `Absent`, not a failure);
 * later polls that fail are logged and retried at the next poll, except `NotSupportedError`, which ends the stream.
 *
 * @category errors
 * @since 0.1.0
 */
export type WatchError = CallError

// =============================================================================
// Service
// =============================================================================

/**
 * @category models
 * @since 0.1.0
 */
export interface Service {
  /**
   * An MCP server, by name; without `version`, its latest version.
   *
   * @example
   * ```ts
   * import { AiService } from "@effect-nacos/ai"
   * import { Effect } from "effect"
   *
   * const program = Effect.gen(function* () {
   *   const ai = yield* AiService.AiService
   *   const latest = yield* ai.getMcpServer({ name: "weather" })
   *   const pinned = yield* ai.getMcpServer({ name: "weather", version: "1.0.0" })
   * })
   * ```
   */
  readonly getMcpServer: (params: GetMcpServerParams) => Effect.Effect<McpServerDetail, GetError>
  /**
   * Releases a version of an MCP server (with its tools and where its endpoints are); answers the server's id.
   * The last version released is the latest: the 3.1.0 server ignores `versionDetail.is_latest` on release.
   *
   * @example
   * ```ts
   * import { AiService } from "@effect-nacos/ai"
   * import { Effect } from "effect"
   *
   * const program = Effect.gen(function* () {
   *   const ai = yield* AiService.AiService
   *   const id = yield* ai.releaseMcpServer({
   *     server: { name: "weather", protocol: "mcp-sse", description: "forecasts", versionDetail: { version: "1.0.0" } }
   *   })
   * })
   * ```
   */
  readonly releaseMcpServer: (params: ReleaseMcpServerParams) => Effect.Effect<string, ReleaseError>
  /**
   * An agent's card; without `version`, the agent's latest ("default published") version. For a `SERVICE` card
   * with registered endpoints the server fills `url` / `additionalInterfaces` from them.
   *
   * @example
   * ```ts
   * import { AiService } from "@effect-nacos/ai"
   * import { Effect } from "effect"
   *
   * const program = Effect.gen(function* () {
   *   const ai = yield* AiService.AiService
   *   const latest = yield* ai.getAgentCard({ name: "planner" })
   *   const pinned = yield* ai.getAgentCard({ name: "planner", version: "1.0.0" })
   * })
   * ```
   */
  readonly getAgentCard: (params: GetAgentCardParams) => Effect.Effect<AgentCardDetail, GetError>
  /**
   * Releases a new version of an agent's card (`registrationType` default `SERVICE`). A version is released once:
   * an existing one is a `ConflictError` (checked first: the 3.1 server itself answers success and keeps the old
   * card). The first release is the agent's latest; a later one only with `setAsLatest: true`.
   *
   * @example
   * ```ts
   * import { AiService } from "@effect-nacos/ai"
   * import { Effect } from "effect"
   *
   * const program = Effect.gen(function* () {
   *   const ai = yield* AiService.AiService
   *   yield* ai.releaseAgentCard({
   *     card: {
   *       name: "planner",
   *       version: "1.1.0",
   *       protocolVersion: "0.3.0",
   *       preferredTransport: "JSONRPC",
   *       url: "http://10.0.0.5:8080/a2a"
   *     },
   *     setAsLatest: true
   *   })
   * })
   * ```
   */
  readonly releaseAgentCard: (params: ReleaseAgentCardParams) => Effect.Effect<void, ReleaseError>
  /**
   * A prompt (Nacos 3.2+): by version, else by label, else the latest. Render it with `PromptModels.render`.
   *
   * @example
   * ```ts
   * import { AiService, PromptModels } from "@effect-nacos/ai"
   * import { Effect } from "effect"
   *
   * const program = Effect.gen(function* () {
   *   const ai = yield* AiService.AiService
   *   const prompt = yield* ai.getPrompt({ key: "greeting", label: "stable" })
   *   const text = PromptModels.render(prompt, { name: "Alice" })
   * })
   * ```
   */
  readonly getPrompt: (params: GetPromptParams) => Effect.Effect<Prompt, GetError>
  /**
   * The prompt (`Changed`) or `Absent` first, then every change of its content and `Deleted` when it goes away,
   * polled (default every 10 s, {@link AiPolicy.promptPoll}) with the md5 held, so an unchanged prompt is not sent.
   *
   * @example
   * ```ts
   * import { AiService } from "@effect-nacos/ai"
   * import { Effect, Stream } from "effect"
   *
   * const program = Effect.gen(function* () {
   *   const ai = yield* AiService.AiService
   *   yield* ai.watchPrompt({ key: "greeting" }).pipe(
   *     Stream.runForEach((event) => Effect.log(event._tag)),
   *     Effect.forkScoped
   *   )
   * })
   * ```
   */
  readonly watchPrompt: (params: GetPromptParams) => Stream.Stream<PromptEvent, WatchError>
  /**
   * The skill's ZIP (Nacos 3.2+, HTTP), checked: a ZIP whose entries break a path rule is refused.
   *
   * @example
   * ```ts
   * import { AiService } from "@effect-nacos/ai"
   * import { Effect } from "effect"
   *
   * const program = Effect.gen(function* () {
   *   const ai = yield* AiService.AiService
   *   const archive = yield* ai.downloadSkillZip({ name: "pdf-tools", version: "1.0.0" })
   * })
   * ```
   */
  readonly downloadSkillZip: (params: GetSkillParams) => Effect.Effect<SkillArchiveModel, GetError>
  /**
   * Downloads the skill and extracts it under `directory` through the `FileSystem` service. Every entry is
   * checked first (no `..`, no absolute path, inside the directory): an unsafe ZIP writes nothing.
   *
   * @example
   * ```ts
   * import { AiService } from "@effect-nacos/ai"
   * import { Effect } from "effect"
   *
   * const program = Effect.gen(function* () {
   *   const ai = yield* AiService.AiService
   *   // needs a FileSystem and a Path, e.g. NodeServices.layer from @effect/platform-node
   *   const extracted = yield* ai.downloadSkill({ name: "pdf-tools", directory: "./skills/pdf-tools" })
   * })
   * ```
   */
  readonly downloadSkill: (
    params: DownloadSkillParams
  ) => Effect.Effect<ExtractedSkill, DownloadSkillError, FileSystem.FileSystem | Path.Path>
  /**
   * The skill's archive (`Changed`) or `Absent` first, then every change of its bytes and `Deleted`, polled
   * (default every 10 s, {@link AiPolicy.skillPoll}).
   *
   * @example
   * ```ts
   * import { AiService } from "@effect-nacos/ai"
   * import { Effect, Stream } from "effect"
   *
   * const program = Effect.gen(function* () {
   *   const ai = yield* AiService.AiService
   *   yield* ai.watchSkill({ name: "pdf-tools" }).pipe(
   *     Stream.runForEach((event) => Effect.log(event._tag)),
   *     Effect.forkScoped
   *   )
   * })
   * ```
   */
  readonly watchSkill: (params: GetSkillParams) => Stream.Stream<SkillEvent, WatchError>
  /**
   * Publishes one endpoint (transport) of the agent's card version `endpoint.version`, owned by the layer: it is
   * published again after every reconnect and deregistered when the layer's scope closes. The server keeps one
   * endpoint per agent version and client: a second registration for the version replaces the first.
   *
   * @example
   * ```ts
   * import { AiService } from "@effect-nacos/ai"
   * import { Effect } from "effect"
   *
   * const program = Effect.gen(function* () {
   *   const ai = yield* AiService.AiService
   *   // deregistered when the layer's scope closes
   *   yield* ai.registerAgentEndpoint({
   *     name: "planner",
   *     endpoint: { version: "1.0.0", address: "10.0.0.5", port: 8080, path: "/a2a" }
   *   })
   * })
   * ```
   */
  readonly registerAgentEndpoint: (params: RegisterAgentEndpointParams) => Effect.Effect<void, CallError>
  /**
   * Publishes several transports of one agent version at once (`BatchAgentEndpointRequest`, Nacos 3.2+), owned
   * like `registerAgentEndpoint`. A 3.1 server has no batch request: `NotSupportedError` (feature
   * `batch agent endpoints`); one endpoint is sent as a single registration, so it works everywhere.
   *
   * @example
   * ```ts
   * import { AiService } from "@effect-nacos/ai"
   * import { Effect } from "effect"
   *
   * const program = Effect.gen(function* () {
   *   const ai = yield* AiService.AiService
   *   yield* ai.registerAgentEndpoints({
   *     name: "planner",
   *     endpoints: [
   *       { version: "1.0.0", address: "10.0.0.5", port: 8080, transport: "JSONRPC" },
   *       { version: "1.0.0", address: "10.0.0.5", port: 8081, transport: "GRPC" }
   *     ]
   *   })
   * })
   * ```
   */
  readonly registerAgentEndpoints: (params: RegisterAgentEndpointsParams) => Effect.Effect<void, CallError>
  /**
   * Removes what this client published for the agent's `version` (the server ignores the address).
   *
   * @example
   * ```ts
   * import { AiService } from "@effect-nacos/ai"
   * import { Effect } from "effect"
   *
   * const program = Effect.gen(function* () {
   *   const ai = yield* AiService.AiService
   *   yield* ai.deregisterAgentEndpoint({ name: "planner", version: "1.0.0" })
   * })
   * ```
   */
  readonly deregisterAgentEndpoint: (params: DeregisterAgentEndpointParams) => Effect.Effect<void, CallError>
  /**
   * Publishes an address of an MCP server (an instance of its `serviceRef`), owned by the layer as the agent
   * endpoints are. `NotFoundError` for an unknown server or version.
   *
   * @example
   * ```ts
   * import { AiService } from "@effect-nacos/ai"
   * import { Effect } from "effect"
   *
   * const program = Effect.gen(function* () {
   *   const ai = yield* AiService.AiService
   *   yield* ai.registerMcpServerEndpoint({ name: "weather", address: "10.0.0.7", port: 9000, version: "1.0.0" })
   * })
   * ```
   */
  readonly registerMcpServerEndpoint: (params: McpServerEndpointParams) => Effect.Effect<void, GetError>
  /**
   * Removes what this client published for the MCP server.
   *
   * @example
   * ```ts
   * import { AiService } from "@effect-nacos/ai"
   * import { Effect } from "effect"
   *
   * const program = Effect.gen(function* () {
   *   const ai = yield* AiService.AiService
   *   yield* ai.deregisterMcpServerEndpoint({ name: "weather", address: "10.0.0.7", port: 9000, version: "1.0.0" })
   * })
   * ```
   */
  readonly deregisterMcpServerEndpoint: (params: McpServerEndpointParams) => Effect.Effect<void, GetError>
  /**
   * The card (`version`, else the latest) first, then every change of it, deduplicated. Endpoint changes come by
   * push: the live layer subscribes (through a NamingService of its own, connection `module=naming`, opened on the
   * first watch) to the naming service the server keeps the version's endpoints in (group `agent-endpoints`,
   * `{encodedName}::{version}`), and reads the card again on each push (~0.6 s after the change on 3.1.0). Content
   * and which version is latest are read again on a Schedule (default every 10 s, {@link AiPolicy.agentCardPoll});
   * a watch without `version` follows the endpoints of the version that was latest when it started. A read that
   * fails is logged and tried again at the next one; `NotSupportedError` ends the stream. Watches of one agent
   * (and version) share one read, poll and push subscription: a watch started while others run begins with the
   * card they hold.
   *
   * @example
   * ```ts
   * import { AiService } from "@effect-nacos/ai"
   * import { Effect, Stream } from "effect"
   *
   * const program = Effect.gen(function* () {
   *   const ai = yield* AiService.AiService
   *   yield* ai.watchAgentCard({ name: "planner" }).pipe(
   *     Stream.runForEach((card) => Effect.log(card.url)),
   *     Effect.forkScoped
   *   )
   * })
   * ```
   */
  readonly watchAgentCard: (params: WatchAgentCardParams) => Stream.Stream<AgentCardDetail, GetError>
  /**
   * The MCP server's detail first, then every change, deduplicated: pushed when the instances of its `serviceRef`
   * change (as `watchAgentCard`), else re-read every 10 s ({@link AiPolicy.mcpServerPoll}). Watches of one server
   * (and version) share one read, poll and push subscription, as `watchAgentCard`'s do.
   *
   * @example
   * ```ts
   * import { AiService } from "@effect-nacos/ai"
   * import { Effect, Stream } from "effect"
   *
   * const program = Effect.gen(function* () {
   *   const ai = yield* AiService.AiService
   *   yield* ai.watchMcpServer({ name: "weather" }).pipe(
   *     Stream.runForEach((detail) => Effect.log(detail.versionDetail?.version)),
   *     Effect.forkScoped
   *   )
   * })
   * ```
   */
  readonly watchMcpServer: (params: GetMcpServerParams) => Stream.Stream<McpServerDetail, GetError>
}

/**
 * `watchAgentCard`: an agent's card, by version or the latest.
 *
 * @category models
 * @since 0.1.0
 */
export interface WatchAgentCardParams {
  readonly name: string
  readonly version?: string | undefined
}

// =============================================================================
// Options
// =============================================================================

/**
 * @category models
 * @since 0.1.0
 */
export interface AiServiceOptions {
  /**
   * The prompt transport (Java's `nacosAiTransportMode`): `grpc` (default; HTTP when gRPC cannot be reached, see
   * `promptHttpFallback`) or `http`. Skills always go over HTTP; MCP and A2A always over gRPC.
   */
  readonly promptTransport?: "grpc" | "http" | undefined
  /** More gRPC attempts before HTTP (default {@link AiPolicy.promptHttpFallback}); `false` never uses HTTP. */
  readonly promptHttpFallback?: Schedule.Schedule<unknown> | false | undefined
  /** Poll cadence of `watchPrompt` (default {@link AiPolicy.promptPoll}). */
  readonly promptPollSchedule?: Schedule.Schedule<unknown> | undefined
  /** Poll cadence of `watchSkill` (default {@link AiPolicy.skillPoll}). */
  readonly skillPollSchedule?: Schedule.Schedule<unknown> | undefined
  /** Poll cadence of `watchAgentCard` (default {@link AiPolicy.agentCardPoll}). */
  readonly agentCardPollSchedule?: Schedule.Schedule<unknown> | undefined
  /** Poll cadence of `watchMcpServer` (default {@link AiPolicy.mcpServerPoll}). */
  readonly mcpServerPollSchedule?: Schedule.Schedule<unknown> | undefined
}

/**
 * What the live layers need: `Nacos.layer(options)` provides all of it.
 *
 * @category models
 * @since 0.1.0
 */
export type LiveDependencies = Transport.Transport | NacosOptions.NacosOptions | NacosHttp.NacosHttp | Cache.NacosCache

// =============================================================================
// Constructors
// =============================================================================

interface Schedules {
  readonly promptPoll: Schedule.Schedule<unknown>
  readonly skillPoll: Schedule.Schedule<unknown>
  readonly agentCardPoll: Schedule.Schedule<unknown>
  readonly mcpServerPoll: Schedule.Schedule<unknown>
}

/** The push sources of the watched things: the endpoints' naming services (live), the registry itself (memory). */
interface WatchPushes {
  readonly agentCard: (name: string, detail: AgentCardDetail) => WatchRegistry.PushSource
  readonly mcpServer: (name: string, detail: McpServerDetail) => WatchRegistry.PushSource
}

/**
 * The shared watches of a service: one entry per watched agent (and version) or MCP server (and version), whatever
 * the number of Streams watching it. Made before anything they use is opened, so they close after it.
 */
interface Watches {
  readonly agentCards: WatchRegistry.WatchRegistry<AgentCardDetail, GetError>
  readonly mcpServers: WatchRegistry.WatchRegistry<McpServerDetail, GetError>
}

const makeWatches = (): Effect.Effect<Watches, never, Scope.Scope> =>
  Effect.all({
    agentCards: WatchRegistry.make<AgentCardDetail, GetError>({ isFinal }),
    mcpServers: WatchRegistry.make<McpServerDetail, GetError>({ isFinal })
  })

/** A poll that failed: kept quiet unless it will never work. */
const isFinal = (error: { readonly _tag: string }) =>
  error._tag === "NotSupportedError" || error._tag === "InvalidArgumentError"

/**
 * A polled watch: the first read (`None` = absent), then each poll's answer (`None` = gone, `Some(None)` = no
 * change) turned into events.
 */
const polledWatch = <A, Event, E extends { readonly _tag: string; readonly message: string }>(options: {
  readonly label: string
  readonly first: Effect.Effect<Option.Option<A>, E>
  readonly poll: (last: Option.Option<A>) => Effect.Effect<Option.Option<Option.Option<A>>, E>
  readonly changed: (previous: A, next: A) => boolean
  readonly present: (value: A) => Event
  readonly absent: Event
  readonly deleted: Event
  readonly schedule: Schedule.Schedule<unknown>
}): Stream.Stream<Event, E> =>
  Stream.unwrap(
    Effect.gen(function* () {
      const current = yield* options.first
      const last = yield* Ref.make(current)
      const step = Effect.gen(function* () {
        const previous = yield* Ref.get(last)
        const answer = yield* Effect.result(options.poll(previous))
        if (answer._tag === "Failure") {
          if (isFinal(answer.failure)) return yield* Effect.fail(answer.failure)
          yield* Effect.logWarning(`${options.label}: poll failed (${answer.failure.message}); trying again later`)
          return []
        }
        if (Option.isNone(answer.success)) return []
        const next = answer.success.value
        yield* Ref.set(last, next)
        if (Option.isNone(next)) return Option.isSome(previous) ? [options.deleted] : []
        if (Option.isSome(previous) && !options.changed(previous.value, next.value)) return []
        return [options.present(next.value)]
      })
      const first = Option.match(current, { onNone: () => options.absent, onSome: options.present })
      return Stream.make(first).pipe(
        Stream.concat(
          Stream.fromSchedule(options.schedule).pipe(
            Stream.mapEffect(() => step),
            Stream.flatMap((events) => Stream.fromIterable(events))
          )
        )
      )
    })
  )

const notFoundAsNone = <A, E extends { readonly _tag: string }>(effect: Effect.Effect<A, E>) =>
  effect.pipe(
    Effect.map(Option.some),
    Effect.catchIf(
      (error): error is Extract<E, { readonly _tag: "NotFoundError" }> => error._tag === "NotFoundError",
      () => Effect.succeed(Option.none<A>())
    )
  )

/**
 * The endpoints a layer owns: each with how to publish it again (after a reconnect) and how to take it back (when
 * the layer's scope closes).
 */
interface Owned {
  readonly register: Effect.Effect<void, unknown>
  readonly deregister: Effect.Effect<void, unknown>
}

interface Ownership {
  readonly own: (key: string, owned: Owned) => Effect.Effect<void>
  readonly disown: (key: string) => Effect.Effect<void>
}

/** The layer's endpoints: deregistered when the scope closes (before the connection it was opened after). */
const makeOwnership = Effect.fnUntraced(function* (label: string) {
  const table = yield* Ref.make<ReadonlyMap<string, Owned>>(new Map())
  yield* Effect.addFinalizer(() =>
    Effect.flatMap(Ref.getAndSet(table, new Map()), (owned) =>
      Effect.forEach(owned.values(), (entry) => entry.deregister.pipe(Effect.timeout("3 seconds"), Effect.ignore), {
        discard: true
      })
    )
  )
  const redo = Effect.flatMap(Ref.get(table), (owned) =>
    Effect.forEach(
      owned,
      ([key, entry]) =>
        entry.register.pipe(
          Effect.retry(AiPolicy.endpointRedoRetry),
          Effect.catch((error) =>
            Effect.logWarning(`${label}: ${key} could not be published again after a reconnect: ${String(error)}`)
          )
        ),
      { discard: true }
    )
  )
  const ownership: Ownership = {
    own: (key, owned) => Ref.update(table, (current) => new Map([...current, [key, owned]])),
    disown: (key) =>
      Ref.update(table, (current) => {
        const next = new Map(current)
        next.delete(key)
        return next
      })
  }
  return { ownership, redo }
})

/** The service over a backend; validation, the version rules, watches and extraction are the same for all. */
const makeService = (
  backend: AiBackend,
  schedules: Schedules,
  ownership: Ownership,
  watches: Watches,
  pushes: WatchPushes
): Service => {
  const getMcpServer = Effect.fn("AiService.getMcpServer")(function* (
    params: GetMcpServerParams
  ): Effect.fn.Return<McpServerDetail, GetError> {
    const valid = yield* Validation.validate(GetMcpServerParams, params)
    yield* Effect.annotateCurrentSpan({ "nacos.ai.mcp": valid.name })
    return yield* backend.queryMcpServer(valid.name, valid.version)
  })

  const releaseMcpServer = Effect.fn("AiService.releaseMcpServer")(function* (
    params: ReleaseMcpServerParams
  ): Effect.fn.Return<string, ReleaseError> {
    const valid = yield* Validation.validate(ReleaseMcpServerParams, params)
    yield* Effect.annotateCurrentSpan({ "nacos.ai.mcp": valid.server.name })
    return yield* backend.releaseMcpServer(valid)
  })

  const getAgentCard = Effect.fn("AiService.getAgentCard")(function* (
    params: GetAgentCardParams
  ): Effect.fn.Return<AgentCardDetail, GetError> {
    const valid = yield* Validation.validate(GetAgentCardParams, params)
    yield* Effect.annotateCurrentSpan({ "nacos.ai.agent": valid.name })
    return yield* backend.queryAgentCard(valid.name, valid.version, valid.registrationType)
  })

  const releaseAgentCard = Effect.fn("AiService.releaseAgentCard")(function* (
    params: ReleaseAgentCardParams
  ): Effect.fn.Return<void, ReleaseError> {
    const valid = yield* Validation.validate(ReleaseAgentCardParams, params)
    const { card } = valid
    yield* Effect.annotateCurrentSpan({ "nacos.ai.agent": card.name, "nacos.ai.version": card.version })
    // the server answers success to a version it has and keeps the old card: a version is never re-released
    const existing = yield* notFoundAsNone(backend.queryAgentCard(card.name, card.version, undefined))
    if (Option.isSome(existing)) {
      return yield* new ConflictError({
        resource: `agent:${backend.namespace}/${card.name}`,
        message: `agent ${card.name} already has version ${card.version}; versions are never re-released`
      })
    }
    yield* backend.releaseAgentCard(card, valid.registrationType ?? "SERVICE", valid.setAsLatest)
  })

  const getPrompt = Effect.fn("AiService.getPrompt")(function* (
    params: GetPromptParams
  ): Effect.fn.Return<Prompt, GetError> {
    const valid = yield* Validation.validate(GetPromptParams, params)
    yield* Effect.annotateCurrentSpan({ "nacos.ai.prompt": valid.key })
    const answer = yield* backend.queryPrompt(valid)
    // no md5 is sent, so "not modified" is not an answer a server gives here
    if (answer._tag === "NotModified") {
      return yield* new ServerError({
        errorCode: 304,
        message: `prompt ${valid.key}: the server answered "not modified" to a query without an md5`,
        requestType: "QueryPromptRequest"
      })
    }
    return answer.prompt
  })

  const watchPrompt = (params: GetPromptParams): Stream.Stream<PromptEvent, WatchError> =>
    Stream.unwrap(
      Effect.map(Validation.validate(GetPromptParams, params), (valid) =>
        polledWatch({
          label: `prompt ${valid.key}`,
          first: notFoundAsNone(backend.queryPrompt(valid)).pipe(
            Effect.map(
              Option.flatMap((answer) => (answer._tag === "Found" ? Option.some(answer.prompt) : Option.none()))
            )
          ),
          poll: (last) =>
            notFoundAsNone(
              backend.queryPrompt({
                ...valid,
                md5: Option.match(last, { onNone: () => undefined, onSome: (prompt) => prompt.md5 ?? undefined })
              })
            ).pipe(
              Effect.map((answer) =>
                Option.isNone(answer)
                  ? Option.some(Option.none<Prompt>())
                  : answer.value._tag === "NotModified"
                    ? Option.none()
                    : Option.some(Option.some(answer.value.prompt))
              )
            ),
          changed: (previous, next) => JSON.stringify(previous) !== JSON.stringify(next),
          present: (prompt): PromptEvent => ({ _tag: "Changed", prompt }),
          absent: { _tag: "Absent", key: valid.key },
          deleted: { _tag: "Deleted", key: valid.key },
          schedule: schedules.promptPoll
        })
      )
    )

  const archiveOf = (name: string, zip: Uint8Array) =>
    Effect.as(SkillArchive.readEntries(name, zip), { name, zip, md5: MemoryBackend.md5Of(zip) })

  const downloadSkillZip = Effect.fn("AiService.downloadSkillZip")(function* (
    params: GetSkillParams
  ): Effect.fn.Return<SkillArchiveModel, GetError> {
    const valid = yield* Validation.validate(GetSkillParams, params)
    yield* Effect.annotateCurrentSpan({ "nacos.ai.skill": valid.name })
    const zip = yield* backend.downloadSkillZip(valid)
    return yield* archiveOf(valid.name, zip)
  })

  const downloadSkill = Effect.fn("AiService.downloadSkill")(function* (
    params: DownloadSkillParams
  ): Effect.fn.Return<ExtractedSkill, DownloadSkillError, FileSystem.FileSystem | Path.Path> {
    const { directory, ...query } = yield* Validation.validate(DownloadSkillParams, params)
    yield* Effect.annotateCurrentSpan({ "nacos.ai.skill": query.name })
    const zip = yield* backend.downloadSkillZip(query)
    const entries = yield* SkillArchive.readEntries(query.name, zip)
    return yield* SkillArchive.extract(query.name, entries, directory)
  })

  const watchSkill = (params: GetSkillParams): Stream.Stream<SkillEvent, WatchError> =>
    Stream.unwrap(
      Effect.map(Validation.validate(GetSkillParams, params), (valid) => {
        const read = notFoundAsNone(
          Effect.flatMap(backend.downloadSkillZip(valid), (zip) => archiveOf(valid.name, zip))
        )
        return polledWatch({
          label: `skill ${valid.name}`,
          first: read,
          poll: () => Effect.map(read, Option.some),
          changed: (previous, next) => previous.md5 !== next.md5,
          present: (skill): SkillEvent => ({ _tag: "Changed", skill }),
          absent: { _tag: "Absent", name: valid.name },
          deleted: { _tag: "Deleted", name: valid.name },
          schedule: schedules.skillPoll
        })
      })
    )

  const agentKey = (name: string, version: string) => `agent ${name}::${version}`
  /** The endpoint this client last registered per agent version (what a deregister sends). */
  const agentEndpoints = Ref.makeUnsafe<ReadonlyMap<string, AgentEndpoint>>(new Map())
  const remember = (key: string, endpoint: AgentEndpoint) =>
    Ref.update(agentEndpoints, (current) => new Map([...current, [key, endpoint]]))
  const mcpKey = (params: McpServerEndpointParams) => `mcp ${params.name}::${params.version ?? ""}`

  const registerAgentEndpoint = Effect.fn("AiService.registerAgentEndpoint")(function* (
    params: RegisterAgentEndpointParams
  ): Effect.fn.Return<void, CallError> {
    const { name, endpoint } = yield* Validation.validate(RegisterAgentEndpointParams, params)
    yield* Effect.annotateCurrentSpan({ "nacos.ai.agent": name, "nacos.ai.version": endpoint.version })
    const register = backend.registerAgentEndpoint(name, endpoint)
    yield* register
    yield* remember(agentKey(name, endpoint.version), endpoint)
    yield* ownership.own(agentKey(name, endpoint.version), {
      register,
      deregister: backend.deregisterAgentEndpoint(name, endpoint)
    })
  })

  const registerAgentEndpoints = Effect.fn("AiService.registerAgentEndpoints")(function* (
    params: RegisterAgentEndpointsParams
  ): Effect.fn.Return<void, CallError> {
    const { name, endpoints } = yield* Validation.validate(RegisterAgentEndpointsParams, params)
    const first: AgentEndpoint = endpoints[0]!
    yield* Effect.annotateCurrentSpan({ "nacos.ai.agent": name, "nacos.ai.version": first.version })
    const register =
      endpoints.length === 1
        ? backend.registerAgentEndpoint(name, first)
        : backend.registerAgentEndpoints(name, endpoints)
    yield* register
    yield* remember(agentKey(name, first.version), first)
    yield* ownership.own(agentKey(name, first.version), {
      register,
      deregister: backend.deregisterAgentEndpoint(name, first)
    })
  })

  const deregisterAgentEndpoint = Effect.fn("AiService.deregisterAgentEndpoint")(function* (
    params: DeregisterAgentEndpointParams
  ): Effect.fn.Return<void, CallError> {
    const valid = yield* Validation.validate(DeregisterAgentEndpointParams, params)
    const { name, version } = valid
    yield* Effect.annotateCurrentSpan({ "nacos.ai.agent": name, "nacos.ai.version": version })
    const key = agentKey(name, version)
    const registered = (yield* Ref.get(agentEndpoints)).get(key)
    const address = valid.address ?? registered?.address
    const port = valid.port ?? registered?.port
    if (address === undefined || port === undefined) {
      return yield* new InvalidArgumentError({
        field: "address",
        message: `agent ${name} ${version}: this client registered no endpoint; give its address and port`
      })
    }
    yield* ownership.disown(key)
    yield* Ref.update(agentEndpoints, (current) => {
      const next = new Map(current)
      next.delete(key)
      return next
    })
    // the server removes what this connection published for the version, whatever the address
    yield* backend.deregisterAgentEndpoint(name, { version, address, port })
  })

  const registerMcpServerEndpoint = Effect.fn("AiService.registerMcpServerEndpoint")(function* (
    params: McpServerEndpointParams
  ): Effect.fn.Return<void, GetError> {
    const valid = yield* Validation.validate(McpServerEndpointParams, params)
    yield* Effect.annotateCurrentSpan({ "nacos.ai.mcp": valid.name })
    const register = backend.registerMcpServerEndpoint(valid)
    yield* register
    yield* ownership.own(mcpKey(valid), { register, deregister: backend.deregisterMcpServerEndpoint(valid) })
  })

  const deregisterMcpServerEndpoint = Effect.fn("AiService.deregisterMcpServerEndpoint")(function* (
    params: McpServerEndpointParams
  ): Effect.fn.Return<void, GetError> {
    const valid = yield* Validation.validate(McpServerEndpointParams, params)
    yield* Effect.annotateCurrentSpan({ "nacos.ai.mcp": valid.name })
    yield* ownership.disown(mcpKey(valid))
    yield* backend.deregisterMcpServerEndpoint(valid)
  })

  // the endpoints of the version read come by push (a watch without version: of the latest, moving with it). A
  // watch is a follower of its key's shared entry: what is built here runs once per watched key, not per watch
  const watchAgentCard = (params: WatchAgentCardParams): Stream.Stream<AgentCardDetail, GetError> =>
    watches.agentCards.follow(`${params.name}\u0000${params.version ?? ""}`, () => ({
      label: `agent card ${params.name}`,
      // made at each read: an Effect.fn call captures a stack, which the entry would keep for its whole life
      read: Effect.suspend(() =>
        getAgentCard({ name: params.name, ...(params.version === undefined ? {} : { version: params.version }) })
      ),
      schedule: schedules.agentCardPoll,
      pushesOf: (detail) => pushes.agentCard(params.name, detail)
    }))

  const watchMcpServer = (params: GetMcpServerParams): Stream.Stream<McpServerDetail, GetError> =>
    watches.mcpServers.follow(`${params.name}\u0000${params.version ?? ""}`, () => ({
      label: `MCP server ${params.name}`,
      read: Effect.suspend(() => getMcpServer(params)),
      schedule: schedules.mcpServerPoll,
      pushesOf: (detail) => pushes.mcpServer(params.name, detail)
    }))

  return {
    getMcpServer,
    releaseMcpServer,
    getAgentCard,
    releaseAgentCard,
    watchAgentCard,
    watchMcpServer,
    registerAgentEndpoint,
    registerAgentEndpoints,
    deregisterAgentEndpoint,
    registerMcpServerEndpoint,
    deregisterMcpServerEndpoint,
    getPrompt,
    watchPrompt,
    downloadSkillZip,
    downloadSkill,
    watchSkill
  }
}

const schedulesOf = (options: AiServiceOptions): Schedules => ({
  promptPoll: options.promptPollSchedule ?? AiPolicy.promptPoll,
  skillPoll: options.skillPollSchedule ?? AiPolicy.skillPoll,
  agentCardPoll: options.agentCardPollSchedule ?? AiPolicy.agentCardPoll,
  mcpServerPoll: options.mcpServerPollSchedule ?? AiPolicy.mcpServerPoll
})

/** The live service over the module's own gRPC connection. */
const makeLive = Effect.fnUntraced(function* (
  options: AiServiceOptions
): Effect.fn.Return<Service, never, LiveDependencies | Scope.Scope> {
  const nacosOptions = yield* NacosOptions.NacosOptions
  const transport = yield* Transport.Transport
  const http = yield* NacosHttp.NacosHttp
  const connection = yield* transport.connect({
    module: "ai",
    // the AI abilities of the Java client's SdkClientAbilities (Python announces exactly these two)
    abilities: { mcp: true, agent: true }
  })
  const namespace = nacosOptions.namespace
  // the endpoints' NamingService is built (on the first watch) in a scope opened before the watches: the watches'
  // push subscriptions are closed before it
  const namingScope = yield* Scope.fork(yield* Effect.scope)
  const watches = yield* makeWatches()
  // opened after the connection, so its finalizer (deregister every owned endpoint) runs before the connection closes
  const { ownership, redo } = yield* makeOwnership("AiService")
  yield* connection.reconnected.pipe(
    Stream.runForEach(() => redo),
    Effect.forkScoped
  )
  const grpc = yield* GrpcOperations.make(connection, namespace)
  const overHttp = HttpOperations.make(http, namespace)
  const backend: AiBackend = {
    ...grpc,
    queryPrompt: PromptTransport.route({
      mode: options.promptTransport ?? "grpc",
      grpc: grpc.queryPrompt,
      http: overHttp.queryPrompt,
      fallback: options.promptHttpFallback ?? AiPolicy.promptHttpFallback,
      grpcAvailable: connection.available
    }),
    downloadSkillZip: overHttp.downloadSkillZip
  }
  // the endpoints' naming subscriptions: a NamingService of the layer's own (its own connection, labelled
  // module=naming), built on the first watch and closed with the layer
  const naming = yield* Effect.cached(
    Effect.map(Layer.buildWithScope(NamingService.layer, namingScope), (context) =>
      Context.get(context, NamingService.NamingService)
    ).pipe(Effect.provideContext(yield* Effect.context<NamingService.LiveDependencies>()))
  )
  // one naming listener per watched key (not per watch), and no stream: a push is a callback
  const endpointChanges = (service: {
    readonly groupName: string
    readonly serviceName: string
  }): WatchRegistry.PushSource => ({
    key: `${service.groupName}@@${service.serviceName}`,
    listen: (onPush) =>
      Effect.flatMap(naming, (names) => names.onChange(service, () => Effect.sync(onPush))).pipe(
        Effect.catch((error) =>
          Effect.logWarning(`AiService: no endpoint pushes for ${service.serviceName}: ${error.message}`)
        )
      )
  })
  // an agent version's endpoints: `agent-endpoints` / `{encodedName}::{version}`; an MCP server's: its serviceRef
  const pushes: WatchPushes = {
    agentCard: (name, detail) => endpointChanges(EndpointNames.agentEndpointService(name, detail.version)),
    mcpServer: (_, detail) => {
      const ref = detail.remoteServerConfig?.serviceRef
      return ref?.serviceName == null
        ? WatchRegistry.NO_PUSHES
        : endpointChanges({ groupName: ref.groupName ?? "", serviceName: ref.serviceName })
    }
  }
  return makeService(backend, schedulesOf(options), ownership, watches, pushes)
})

/**
 * @category models
 * @since 0.1.0
 */
export interface MemoryOptions {
  /** Default `public`. */
  readonly namespace?: string | undefined
  /** The registry; pass one from {@link makeMemoryStore} to put prompts and skills into it from a test. */
  readonly store?: MemoryStore | undefined
  readonly promptPollSchedule?: Schedule.Schedule<unknown> | undefined
  readonly skillPollSchedule?: Schedule.Schedule<unknown> | undefined
  readonly agentCardPollSchedule?: Schedule.Schedule<unknown> | undefined
  readonly mcpServerPollSchedule?: Schedule.Schedule<unknown> | undefined
}

export type {
  /** @since 0.1.0 */
  MemoryPrompt
} from "./PromptModels.ts"
export type {
  /** @since 0.1.0 */
  MemorySkill
} from "./SkillModels.ts"

/**
 * What a test does to the memory registry behind the service's back (what an admin does to a server).
 *
 * @category models
 * @since 0.1.0
 */
export interface MemoryStore {
  readonly putPrompt: (prompt: MemoryPrompt) => Effect.Effect<void>
  readonly removePrompt: (key: string) => Effect.Effect<void>
  readonly putSkill: (skill: MemorySkill) => Effect.Effect<void>
  readonly removeSkill: (name: string) => Effect.Effect<void>
}

/**
 * A fresh, empty memory registry.
 *
 * @category constructors
 * @since 0.1.0
 */
export const makeMemoryStore = (): MemoryStore => MemoryBackend.makeStore()

// =============================================================================
// Service identifier and layers
// =============================================================================

/**
 * @example
 * ```ts
 * import { AiService } from "@effect-nacos/ai"
 * import { Nacos } from "@effect-nacos/core"
 * import { Effect } from "effect"
 *
 * const card = {
 *   name: "planner",
 *   version: "1.0.0",
 *   protocolVersion: "0.3.0",
 *   preferredTransport: "JSONRPC",
 *   url: "http://10.0.0.5:8080/a2a"
 * }
 *
 * const program = Effect.gen(function* () {
 *   const ai = yield* AiService.AiService
 *   yield* ai.releaseAgentCard({ card, setAsLatest: true })
 *   const latest = yield* ai.getAgentCard({ name: card.name })
 * })
 * program.pipe(Effect.provide(AiService.layer), Effect.provide(Nacos.layer({ serverAddr: "127.0.0.1:8848" })))
 * // in tests: Effect.provide(AiService.layerMemory())
 * ```
 *
 * @category services
 * @since 0.1.0
 */
export class AiService extends Context.Service<AiService, Service>()("@effect-nacos/ai/AiService") {}

/**
 * The live service: its own gRPC connection (labels `module=ai`, abilities `mcp`, `agent`) and HTTP for prompts
 * (fallback or mode) and skills, released with the layer.
 *
 * @category layers
 * @since 0.1.0
 */
export const layerWith = (options: AiServiceOptions = {}): Layer.Layer<AiService, never, LiveDependencies> =>
  Layer.effect(AiService, makeLive(options))

/**
 * The live service with default policies.
 *
 * @category layers
 * @since 0.1.0
 */
export const layer: Layer.Layer<AiService, never, LiveDependencies> = layerWith()

/**
 * The service in memory, for tests: the live service's semantics (validation, versions and latest, conflicts,
 * prompt md5 and label resolution, ZIP checks, watches) without a server. Each build is a fresh registry unless a
 * `store` is given.
 *
 * @category layers
 * @since 0.1.0
 */
export const layerMemory = (options: MemoryOptions = {}): Layer.Layer<AiService> =>
  Layer.effect(
    AiService,
    Effect.gen(function* () {
      const backend = yield* Effect.acquireRelease(
        Effect.sync(() =>
          MemoryBackend.make(
            options.namespace ?? NacosOptions.DEFAULT_NAMESPACE,
            options.store ?? MemoryBackend.makeStore()
          )
        ),
        (memory) => memory.release
      )
      const watches = yield* makeWatches()
      const { ownership } = yield* makeOwnership("AiService (memory)")
      // memory hears every change of the registry at once: a watch reads again on each
      const pushes: WatchPushes = {
        agentCard: (name) => ({ key: "registry", listen: (onPush) => backend.onAgentChange(name, onPush) }),
        mcpServer: (name) => ({ key: "registry", listen: (onPush) => backend.onMcpChange(name, onPush) })
      }
      return makeService(backend, schedulesOf(options), ownership, watches, pushes)
    })
  )
