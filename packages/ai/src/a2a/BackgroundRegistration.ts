/**
 * Registering an agent without making its startup wait: {@link registerInBackground} fills in the card and the
 * transports, then forks one registration per registry and returns at once. Each registration is retried on a
 * bounded, jittered Schedule (`AiPolicy.registrationRetry`), logs its failures as warnings, and publishes where it
 * stands as a `SubscriptionRef` of {@link RegistrationStatus}. One registry failing never stops the others.
 * Closing the caller's scope interrupts the registrations and deregisters what they registered.
 *
 * @since 0.1.0
 * @module
 */
import { type InvalidArgumentError, Validation } from "@effect-nacos/core"
import * as Effect from "effect/Effect"
import type * as Schedule from "effect/Schedule"
import type * as Scope from "effect/Scope"
import * as SubscriptionRef from "effect/SubscriptionRef"
import { type AgentCard, ReleasableAgentCard } from "../AgentCardModels.ts"
import * as AiPolicy from "../AiPolicy.ts"
import * as AttemptsWithStatus from "../internal/attemptsWithStatus.ts"
import type { RegistrationStatus } from "../RegistrationStatus.ts"
import {
  A2ARegistryError,
  type A2ATransport,
  defaultHost,
  type ResolvedTransport,
  resolveTransport,
  transportUrl
} from "./A2AModels.ts"
import { A2ARegistries, type Registry } from "./A2ARegistry.ts"

/**
 * The protocol version a card without one is released with: Nacos 3.1 stores the A2A 0.3 card shape.
 *
 * @category constants
 * @since 0.1.0
 */
export const DEFAULT_PROTOCOL_VERSION = "0.3.0"

/**
 * @category models
 * @since 0.1.0
 */
export interface BackgroundOptions {
  /** How a failed registration is tried again (default `AiPolicy.registrationRetry`). */
  readonly retrySchedule?: Schedule.Schedule<unknown> | undefined
  /** The host of transports without one (default: the machine's first non-loopback IPv4 address). */
  readonly defaultHost?: (() => string) | undefined
}

/**
 * One registry's registration: its name and where it stands.
 *
 * @category models
 * @since 0.1.0
 */
export interface RegistryRegistration {
  readonly registry: string
  readonly status: SubscriptionRef.SubscriptionRef<RegistrationStatus>
}

/**
 * What {@link registerInBackground} returns at once.
 *
 * @category models
 * @since 0.1.0
 */
export interface BackgroundRegistration {
  /** The card as registered (`url`, `preferredTransport`, `protocolVersion` filled in). */
  readonly card: ReleasableAgentCard
  readonly transports: ReadonlyArray<ResolvedTransport>
  readonly registrations: ReadonlyArray<RegistryRegistration>
  /** Waits until every registration is `Registered` or has given up (`Failed`, not retrying); their statuses. */
  readonly settled: Effect.Effect<ReadonlyArray<RegistrationStatus>>
}

/**
 * The card a registry gets: the given card with `url` (the first transport's URL), `preferredTransport` (its
 * type) and `protocolVersion` ({@link DEFAULT_PROTOCOL_VERSION}) filled in where absent.
 *
 * @category constructors
 * @since 0.1.0
 */
export const completeCard = (
  card: AgentCard,
  first: ResolvedTransport
): Effect.Effect<ReleasableAgentCard, InvalidArgumentError> =>
  Validation.validate(ReleasableAgentCard, {
    ...card,
    url: card.url ?? transportUrl(first),
    preferredTransport: card.preferredTransport ?? first.transportType,
    protocolVersion: card.protocolVersion ?? DEFAULT_PROTOCOL_VERSION
  })

/** One registry: attempts until registered (then holds the registration open) or until the schedule gives up. */
const runRegistration = (
  registry: Registry,
  card: ReleasableAgentCard,
  transports: ReadonlyArray<ResolvedTransport>,
  status: SubscriptionRef.SubscriptionRef<RegistrationStatus>,
  schedule: Schedule.Schedule<unknown>
) =>
  AttemptsWithStatus.run({
    status,
    label: `agent ${card.name} ${card.version} with ${registry.name}`,
    // each attempt in a scope of its own: a failed one is taken back before the next, a successful one stays
    // open (the fiber waits) until the caller's scope closes and interrupts it, which deregisters
    attempt: (registered) =>
      Effect.scoped(
        Effect.gen(function* () {
          yield* registry
            .register(card, transports)
            .pipe(
              Effect.catchDefect(
                (defect) =>
                  new A2ARegistryError({ registry: registry.name, message: `the registry failed: ${String(defect)}` })
              )
            )
          yield* registered(transports.map(transportUrl))
          return yield* Effect.never
        })
      ),
    schedule
  }).pipe(Effect.annotateLogs({ "nacos.module": "ai", "a2a.registry": registry.name, "a2a.agent": card.name }))

/**
 * Registers the agent with every registry in {@link A2ARegistries}, in the background: returns as soon as the
 * registrations are forked (their statuses `Pending`). Transports leave out what has a default (host: the
 * machine's first non-loopback IPv4 address; port 8080; no transport: one default transport); the card's `url`
 * is inferred from the first transport when absent. A card that cannot be released fails at once with
 * `InvalidArgumentError`. Closing the scope deregisters.
 *
 * @example
 * ```ts
 * import { A2ARegistry, BackgroundRegistration } from "@effect-nacos/ai/a2a"
 * import { Effect, Stream, SubscriptionRef } from "effect"
 *
 * const program = Effect.gen(function* () {
 *   const registration = yield* BackgroundRegistration.registerInBackground(
 *     { name: "echo", version: "1.0.0", description: "says it back" },
 *     [{ port: 8080, path: "/a2a" }]
 *   )
 *   // the server is already serving; watch how the registration goes
 *   for (const { registry, status } of registration.registrations) {
 *     yield* SubscriptionRef.changes(status).pipe(
 *       Stream.runForEach((now) => Effect.log(`${registry}: ${now._tag}`)),
 *       Effect.forkScoped
 *     )
 *   }
 * }).pipe(Effect.scoped, Effect.provide(A2ARegistry.layerFromEnv()))
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const registerInBackground = Effect.fn("BackgroundRegistration.registerInBackground")(function* (
  card: AgentCard,
  transports: ReadonlyArray<A2ATransport> = [],
  options: BackgroundOptions = {}
): Effect.fn.Return<BackgroundRegistration, InvalidArgumentError, A2ARegistries | Scope.Scope> {
  const host = options.defaultHost ?? defaultHost
  const resolved = (transports.length === 0 ? [{}] : transports).map((transport) => resolveTransport(transport, host))
  const complete = yield* completeCard(card, resolved[0]!)
  const registries = yield* A2ARegistries
  const schedule = options.retrySchedule ?? AiPolicy.registrationRetry
  const registrations = yield* Effect.forEach(registries, (registry) =>
    Effect.gen(function* () {
      const status = yield* SubscriptionRef.make<RegistrationStatus>({ _tag: "Pending" })
      yield* Effect.forkScoped(runRegistration(registry, complete, resolved, status, schedule))
      return { registry: registry.name, status }
    })
  )
  const settled = Effect.forEach(registrations, ({ status }) => AttemptsWithStatus.settled(status))
  return { card: complete, transports: resolved, registrations, settled }
})
