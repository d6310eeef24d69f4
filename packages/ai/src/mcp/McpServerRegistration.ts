/**
 * An MCP server's place in Nacos for as long as a scope lives: its version released (protocol `mcp-streamable`,
 * the tool list, the `exportPath` clients connect to) and its endpoint published; closing the scope deregisters
 * the endpoint. The released version stays: Nacos versions are never re-released, and other replicas of the same
 * version share it (a replica that finds its version released only publishes its endpoint).
 *
 * `registerInBackground` never blocks or fails its caller: it forks the attempts, retried on a bounded jittered
 * Schedule (`AiPolicy.registrationRetry`), logs each failure as a warning and shows where it stands in a
 * `SubscriptionRef` of {@link RegistrationStatus.RegistrationStatus}.
 *
 * The server keeps one endpoint per MCP version and client connection: two replicas of a version in one process
 * need an `AiService` layer each.
 *
 * @since 0.1.0
 * @module
 */

import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Schedule from "effect/Schedule"
import type * as Scope from "effect/Scope"
import * as SubscriptionRef from "effect/SubscriptionRef"
import * as AiPolicy from "../AiPolicy.ts"
import type { CallError, GetError, ReleaseError } from "../AiService.ts"
import { AiService } from "../AiService.ts"
import * as AttemptsWithStatus from "../internal/attemptsWithStatus.ts"
import type { McpTool } from "../McpModels.ts"
import type { RegistrationStatus } from "../RegistrationStatus.ts"
import { type ToolListError, toSpecification } from "./McpTools.ts"

/**
 * What is registered: the MCP server's name and version in Nacos, its tools, and where it listens.
 *
 * @category models
 * @since 0.1.0
 */
export interface RegistrationOptions {
  /** The MCP server's name in Nacos (3.1.0: letters, digits, `-` and `_`, at most 64). */
  readonly name: string
  /** The version released (and whose endpoints this one joins). */
  readonly version: string
  readonly description?: string | undefined
  /** The tools released with a new version: a list, or how to get it (e.g. {@link McpTools.listTools}). */
  readonly tools: ReadonlyArray<McpTool> | Effect.Effect<ReadonlyArray<McpTool>, ToolListError>
  /** The address clients reach the server at (published as the endpoint). */
  readonly address: string
  readonly port: number
  /** The streamable HTTP path, released as the server's `exportPath` (e.g. `/mcp`). */
  readonly path: string
  /** How failed background attempts are retried (default `AiPolicy.registrationRetry`). */
  readonly retry?: Schedule.Schedule<unknown> | undefined
}

/**
 * What one registration attempt can fail with.
 *
 * @category errors
 * @since 0.1.0
 */
export type RegisterError = ReleaseError | GetError | CallError | ToolListError

/**
 * A background registration gave up: the retry schedule is spent.
 *
 * @category errors
 * @since 0.1.0
 */
export class RegistrationFailedError extends Data.TaggedError("RegistrationFailedError")<{
  readonly name: string
  readonly attempts: number
  readonly reason: string
}> {
  override get message() {
    return `MCP server ${this.name}: registration in Nacos failed after ${this.attempts} attempts: ${this.reason}`
  }
}

/**
 * A registration going on in the background.
 *
 * @category models
 * @since 0.1.0
 */
export interface BackgroundRegistration {
  /** Where it stands; `SubscriptionRef.changes` follows it. */
  readonly status: SubscriptionRef.SubscriptionRef<RegistrationStatus>
  /** Waits until registered; fails once the retries are spent. */
  readonly awaitRegistered: Effect.Effect<void, RegistrationFailedError>
}

/** The endpoint as a client sees it. */
const urlOf = (options: RegistrationOptions) => {
  const host = options.address.includes(":") ? `[${options.address}]` : options.address
  const path = options.path === "" || options.path.startsWith("/") ? options.path : `/${options.path}`
  return `http://${host}:${options.port}${path}`
}

/** The endpoint registration right after a release can find the new server not indexed yet: asked again. */
const indexLag = Schedule.spaced("200 millis").pipe(Schedule.upTo({ times: 15 }))

/** Release the version (or find it released) and publish the endpoint; answers the endpoint's URL. */
const registerOnce = Effect.fnUntraced(function* (
  options: RegistrationOptions
): Effect.fn.Return<string, RegisterError, AiService> {
  const ai = yield* AiService
  const tools = Effect.isEffect(options.tools) ? yield* options.tools : options.tools
  yield* ai
    .releaseMcpServer({
      server: {
        name: options.name,
        protocol: "mcp-streamable",
        frontProtocol: "mcp-streamable",
        ...(options.description === undefined ? {} : { description: options.description }),
        versionDetail: { version: options.version },
        remoteServerConfig: { exportPath: options.path }
      },
      tools: toSpecification(tools)
    })
    .pipe(
      // another replica released this version first: it is shared; say so when its tools are not ours
      Effect.catchTag("ConflictError", () =>
        ai.getMcpServer({ name: options.name, version: options.version }).pipe(
          Effect.retry({ schedule: indexLag, while: (error) => error._tag === "NotFoundError" }),
          Effect.flatMap((released) => {
            const names = (list: ReadonlyArray<McpTool>) =>
              list
                .map((tool) => tool.name)
                .sort()
                .join(", ")
            const stored = names(released.toolSpec?.tools ?? [])
            return stored === names(tools)
              ? Effect.void
              : Effect.logWarning(
                  `MCP server ${options.name} ${options.version} is released with the tools [${stored}], this ` +
                    `server has [${names(tools)}]: Nacos keeps the released list; release a new version to change it`
                )
          })
        )
      )
    )
  yield* ai
    .registerMcpServerEndpoint({
      name: options.name,
      version: options.version,
      address: options.address,
      port: options.port
    })
    .pipe(Effect.retry({ schedule: indexLag, while: (error) => error._tag === "NotFoundError" }))
  return urlOf(options)
})

/** Takes the endpoint back (the server removes what this connection published for the version). */
const deregister = (options: RegistrationOptions) =>
  Effect.flatMap(Effect.service(AiService), (ai) =>
    ai.deregisterMcpServerEndpoint({
      name: options.name,
      version: options.version,
      address: options.address,
      port: options.port
    })
  ).pipe(
    Effect.timeout("3 seconds"),
    Effect.catch((error) =>
      Effect.logWarning(`MCP server ${options.name}: the endpoint could not be deregistered: ${error.message}`)
    )
  )

/**
 * Registers now (one attempt, failures are the caller's) and deregisters when the scope closes; answers the
 * endpoint's URL.
 *
 * @example
 * ```ts
 * import { AiService } from "@effect-nacos/ai"
 * import { McpServerRegistration } from "@effect-nacos/ai/mcp"
 * import { Effect } from "effect"
 *
 * const program = Effect.scoped(
 *   Effect.gen(function* () {
 *     const url = yield* McpServerRegistration.register({
 *       name: "weather",
 *       version: "1.0.0",
 *       tools: [{ name: "forecast", description: "the forecast for a city", inputSchema: { type: "object" } }],
 *       address: "10.0.0.7",
 *       port: 3000,
 *       path: "/mcp"
 *     })
 *     // ... serve; the endpoint goes when the scope closes
 *   })
 * ).pipe(Effect.provide(AiService.layerMemory()))
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const register = (options: RegistrationOptions): Effect.Effect<string, RegisterError, AiService | Scope.Scope> =>
  Effect.acquireRelease(registerOnce(options), () => deregister(options))

/**
 * Starts registering in the background and answers at once. Every failed attempt is logged as a warning and
 * retried on `options.retry`; the status follows. When the scope closes, the attempts stop and the endpoint is
 * deregistered.
 *
 * @example
 * ```ts
 * import { AiService } from "@effect-nacos/ai"
 * import { McpServerRegistration } from "@effect-nacos/ai/mcp"
 * import { Effect, Stream, SubscriptionRef } from "effect"
 *
 * const program = Effect.scoped(
 *   Effect.gen(function* () {
 *     const registration = yield* McpServerRegistration.registerInBackground({
 *       name: "weather",
 *       version: "1.0.0",
 *       tools: [],
 *       address: "10.0.0.7",
 *       port: 3000,
 *       path: "/mcp"
 *     })
 *     yield* SubscriptionRef.changes(registration.status).pipe(
 *       Stream.runForEach((status) => Effect.log(status._tag)),
 *       Effect.forkScoped
 *     )
 *     yield* registration.awaitRegistered
 *   })
 * ).pipe(Effect.provide(AiService.layerMemory()))
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const registerInBackground = Effect.fnUntraced(function* (
  options: RegistrationOptions
): Effect.fn.Return<BackgroundRegistration, never, AiService | Scope.Scope> {
  const status = yield* SubscriptionRef.make<RegistrationStatus>({ _tag: "Pending" })
  const context = yield* Effect.context<AiService>()
  const label = `MCP server ${options.name} ${options.version}`
  // added before the fork: runs after the attempts are interrupted
  yield* Effect.addFinalizer(() =>
    Effect.flatMap(SubscriptionRef.get(status), (current) =>
      current._tag === "Pending" ? Effect.void : deregister(options)
    ).pipe(Effect.provideContext(context))
  )
  yield* AttemptsWithStatus.run({
    status,
    label,
    attempt: (registered) => Effect.flatMap(registerOnce(options), (url) => registered([url])),
    schedule: options.retry ?? AiPolicy.registrationRetry,
    // input the server refuses never heals: no retry
    retryWhile: (error) => error._tag !== "InvalidArgumentError"
  }).pipe(Effect.provideContext(context), Effect.forkScoped)
  const awaitRegistered = Effect.flatMap(AttemptsWithStatus.settled(status), (current) =>
    current._tag === "Failed"
      ? Effect.fail(
          new RegistrationFailedError({ name: options.name, attempts: current.attempt, reason: current.reason })
        )
      : Effect.void
  )
  return { status, awaitRegistered }
})
