/**
 * Serving an `@a2a-js/sdk` agent over HTTP and registering it: {@link serve} mounts the SDK's Express handlers
 * (the card at `/.well-known/agent-card.json`, JSON-RPC at `path`, both accepting A2A 1.0 and 0.3 clients),
 * listens, and only then registers the agent in the background with every registry in `A2ARegistries`; closing
 * the scope deregisters first and closes the HTTP server after. {@link serveAgent} is the same for code without
 * Effect: a Promise, and `close()`.
 *
 * The card is served with the address the server listens on: `supportedInterfaces` gets the JSON-RPC interface
 * at `http://{advertisedHost}:{port}{path}`, once as A2A 1.0 and once as 0.3 (the SDK's compat layer needs the
 * 0.3 entry to answer 0.3 clients; Nacos consumers resolve the 0.3 card).
 *
 * @since 0.1.0
 * @module
 */
import type * as http from "node:http"
import { AGENT_CARD_PATH, type AgentInterface, type AgentCard as SdkAgentCard } from "@a2a-js/sdk"
import { type AgentExecutor, DefaultRequestHandler, InMemoryTaskStore, type TaskStore } from "@a2a-js/sdk/server"
import { agentCardHandler, jsonRpcHandler, UserBuilder } from "@a2a-js/sdk/server/express"
import { type InvalidArgumentError, Nacos, type NacosOptions } from "@effect-nacos/core"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Schema from "effect/Schema"
import * as Scope from "effect/Scope"
import * as SubscriptionRef from "effect/SubscriptionRef"
import express from "express"
import * as AiService from "../AiService.ts"
import type { RegistrationStatus } from "../RegistrationStatus.ts"
import { defaultHost } from "./A2AModels.ts"
import * as A2ARegistry from "./A2ARegistry.ts"
import { type BackgroundOptions, type BackgroundRegistration, registerInBackground } from "./BackgroundRegistration.ts"
import { toNacosCard } from "./CardConversion.ts"
import type { NacosA2ARegistryOptions } from "./NacosA2ARegistry.ts"

/**
 * The HTTP server could not listen.
 *
 * @category errors
 * @since 0.1.0
 */
export class ServeError extends Schema.TaggedError<ServeError>()("ServeError", {
  message: Schema.String,
  cause: Schema.optional(Schema.Defect())
}) {}

/**
 * The agent's card without its interfaces (the server adds the one it serves); interfaces given are kept after
 * the served one.
 *
 * @category models
 * @since 0.1.0
 */
export type ServedCard = Omit<SdkAgentCard, "supportedInterfaces"> & {
  readonly supportedInterfaces?: ReadonlyArray<AgentInterface> | undefined
}

/**
 * @category models
 * @since 0.1.0
 */
export interface ServeOptions {
  readonly card: ServedCard
  /** The agent's logic. */
  readonly executor: AgentExecutor
  /** Default: a fresh `InMemoryTaskStore`. */
  readonly taskStore?: TaskStore | undefined
  /** The port to listen on (default 8080; 0: any free port). */
  readonly port?: number | undefined
  /** The address to listen on (default `0.0.0.0`: every IPv4 interface). */
  readonly listenHost?: string | undefined
  /** The host put into the card and the registries (default: the machine's first non-loopback IPv4 address). */
  readonly advertisedHost?: string | undefined
  /** Where JSON-RPC is served (default `/a2a`). */
  readonly path?: string | undefined
  /** An Express application of your own to mount the handlers on (default: a new one). */
  readonly app?: express.Express | undefined
  /** How the background registration retries. */
  readonly registration?: BackgroundOptions | undefined
}

/**
 * A served agent.
 *
 * @category models
 * @since 0.1.0
 */
export interface ServedAgent {
  /** The JSON-RPC URL, as served in the card and registered. */
  readonly url: string
  readonly port: number
  /** The card as served (with its interfaces). */
  readonly card: SdkAgentCard
  readonly server: http.Server
  readonly registration: BackgroundRegistration
}

/**
 * The default port, path and listen address.
 *
 * @category constants
 * @since 0.1.0
 */
export const DEFAULTS = { port: 8080, path: "/a2a", listenHost: "0.0.0.0" } as const

const listen = (app: express.Express, port: number, host: string) =>
  Effect.acquireRelease(
    Effect.callback<http.Server, ServeError>((resume) => {
      const server = app.listen(port, host)
      const onError = (cause: Error) =>
        resume(Effect.fail(new ServeError({ message: `cannot listen on ${host}:${port}: ${cause.message}`, cause })))
      server.once("error", onError)
      server.once("listening", () => {
        server.off("error", onError)
        resume(Effect.succeed(server))
      })
    }),
    (server) =>
      Effect.callback<void>((resume) => {
        server.close(() => resume(Effect.void))
        // keep-alive connections would hold close() open
        server.closeAllConnections()
      })
  )

const boundPort = (server: http.Server, fallback: number) => {
  const address = server.address()
  return address !== null && typeof address === "object" ? address.port : fallback
}

/**
 * Serves the agent and registers it after the server listens (in the background: this returns once it listens).
 * Closing the scope deregisters, then closes the server. Provide the registries outside the scope the agent lives
 * in (`Effect.scoped` inside `Effect.provide`, as below, or `Layer.buildWithScope` into that scope): a registry
 * layer released before the scope closes takes its Nacos connection with it.
 *
 * @example
 * ```ts
 * import { A2ARegistry, A2AServer } from "@effect-nacos/ai/a2a"
 * import type { AgentExecutor } from "@a2a-js/sdk/server"
 * import { Effect } from "effect"
 *
 * declare const executor: AgentExecutor
 *
 * const program = Effect.gen(function* () {
 *   const agent = yield* A2AServer.serve({
 *     card: {
 *       name: "echo",
 *       description: "says it back",
 *       version: "1.0.0",
 *       provider: undefined,
 *       capabilities: { streaming: false, extensions: [] },
 *       securitySchemes: {},
 *       securityRequirements: [],
 *       defaultInputModes: ["text"],
 *       defaultOutputModes: ["text"],
 *       skills: [],
 *       signatures: []
 *     },
 *     executor,
 *     port: 8080
 *   })
 *   yield* Effect.log(`serving at ${agent.url}`)
 *   yield* Effect.never
 * }).pipe(Effect.scoped, Effect.provide(A2ARegistry.layerFromEnv()))
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const serve = Effect.fn("A2AServer.serve")(function* (
  options: ServeOptions
): Effect.fn.Return<ServedAgent, ServeError | InvalidArgumentError, A2ARegistry.A2ARegistries | Scope.Scope> {
  const app = options.app ?? express()
  const path = options.path ?? DEFAULTS.path
  const server = yield* listen(app, options.port ?? DEFAULTS.port, options.listenHost ?? DEFAULTS.listenHost)
  const port = boundPort(server, options.port ?? DEFAULTS.port)
  const host = options.advertisedHost ?? defaultHost()
  const url = `http://${host.includes(":") ? `[${host}]` : host}:${port}${path}`
  const served: AgentInterface = { url, protocolBinding: "JSONRPC", tenant: "", protocolVersion: "1.0" }
  const card: SdkAgentCard = {
    ...options.card,
    supportedInterfaces: [served, { ...served, protocolVersion: "0.3" }, ...(options.card.supportedInterfaces ?? [])]
  }
  // the routes go in once the port (and so the card's URL) is known; nobody has the address before
  const handler = new DefaultRequestHandler(card, options.taskStore ?? new InMemoryTaskStore(), options.executor)
  const legacyCompat = { enabled: true }
  app.use(`/${AGENT_CARD_PATH}`, agentCardHandler({ agentCardProvider: handler, legacyCompat }))
  app.use(
    path,
    express.json(),
    jsonRpcHandler({ requestHandler: handler, userBuilder: UserBuilder.noAuthentication, legacyCompat })
  )
  yield* Effect.annotateCurrentSpan({ "a2a.agent": card.name, "a2a.url": url })
  // registered after listen: its finalizer (deregister) runs before the server closes
  const registration = yield* registerInBackground(
    toNacosCard(card),
    [{ host, port, path, supportTls: false, transportType: "JSONRPC" }],
    options.registration
  )
  return { url, port, card, server, registration }
})

/**
 * Where {@link serveAgent} registers: the Nacos registry over the AiService or on the server given here, else the
 * registries of the environment (`A2ARegistry.layerFromEnv`).
 *
 * @category models
 * @since 0.1.0
 */
export interface PromiseServeOptions extends ServeOptions {
  /** The Nacos server to register with (the Nacos registry over an AiService of its own). */
  readonly nacos?: NacosOptions.NacosOptionsInput | undefined
  /** An AiService to register with instead (e.g. `AiService.layerMemory()` in a test); wins over `nacos`. */
  readonly ai?: Layer.Layer<AiService.AiService> | undefined
  /** Options of the Nacos registry (with `nacos` or `ai`). */
  readonly registry?: NacosA2ARegistryOptions | undefined
}

/**
 * A served agent, for code without Effect.
 *
 * @category models
 * @since 0.1.0
 */
export interface RunningAgent {
  readonly url: string
  readonly port: number
  readonly card: SdkAgentCard
  readonly server: http.Server
  /** Each registry's status now. */
  readonly status: () => ReadonlyArray<{ readonly registry: string; readonly status: RegistrationStatus }>
  /** Resolves when every registration is `Registered` or has given up. */
  readonly settled: () => Promise<ReadonlyArray<RegistrationStatus>>
  /** Deregisters, then closes the server and the Nacos client. */
  readonly close: () => Promise<void>
}

/**
 * {@link serve} as a Promise: resolves once the server listens (the registration goes on in the background);
 * `close()` deregisters and closes everything. Rejects with the layer's or the server's error.
 *
 * @example
 * ```ts
 * import { A2AServer } from "@effect-nacos/ai/a2a"
 * import type { AgentExecutor } from "@a2a-js/sdk/server"
 *
 * declare const executor: AgentExecutor
 *
 * const agent = await A2AServer.serveAgent({
 *   card: {
 *     name: "echo",
 *     description: "says it back",
 *     version: "1.0.0",
 *     provider: undefined,
 *     capabilities: { streaming: false, extensions: [] },
 *     securitySchemes: {},
 *     securityRequirements: [],
 *     defaultInputModes: ["text"],
 *     defaultOutputModes: ["text"],
 *     skills: [],
 *     signatures: []
 *   },
 *   executor,
 *   nacos: { serverAddr: "127.0.0.1:8848" }
 * })
 * process.once("SIGTERM", () => void agent.close())
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const serveAgent = async (options: PromiseServeOptions): Promise<RunningAgent> => {
  const { nacos, ai, registry, ...serveOptions } = options
  const registries =
    ai !== undefined
      ? A2ARegistry.layerNacos(registry).pipe(Layer.provide(ai))
      : nacos !== undefined
        ? A2ARegistry.layerNacos(registry).pipe(Layer.provide(AiService.layer), Layer.provide(Nacos.layer(nacos)))
        : A2ARegistry.layerFromEnv({ nacos: registry })
  const runtime = ManagedRuntime.make(registries)
  const scope = Scope.makeUnsafe()
  const close = async () => {
    // the scope needs nothing of the runtime: it closes even when the runtime's layer failed to build
    await Effect.runPromise(Scope.close(scope, Exit.void))
    await runtime.dispose()
  }
  try {
    const agent = await runtime.runPromise(Scope.provide(serve(serveOptions), scope))
    const statuses = agent.registration.registrations
    return {
      url: agent.url,
      port: agent.port,
      card: agent.card,
      server: agent.server,
      status: () =>
        statuses.map(({ registry, status }) => ({ registry, status: Effect.runSync(SubscriptionRef.get(status)) })),
      settled: () => Effect.runPromise(agent.registration.settled),
      close
    }
  } catch (error) {
    await close()
    throw error
  }
}
