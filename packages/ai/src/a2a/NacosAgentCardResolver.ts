/**
 * `@a2a-js/sdk`'s `AgentCardResolver` over Nacos: `resolve(agentName, version?)` answers the agent's card as the
 * SDK's 1.0 card, converted from the 0.3 card Nacos holds (module `CardConversion`). The first resolve of an
 * agent (and version) starts `AiService.watchAgentCard` for it, which keeps the answer live: endpoints that come
 * and go are pushed (about 0.6 s after the change on 3.1.0), other changes are read on the watch's schedule. The
 * watches stop when the resolver's scope closes.
 *
 * With `ClientFactory`, `createFromUrl(agentName, version)` resolves through it: pass it as the factory's
 * `cardResolver`. `AgentClients` goes further (endpoint choice, clients rebuilt on endpoint changes).
 *
 * @since 0.1.0
 * @module
 */
import type { AgentCard as SdkAgentCard } from "@a2a-js/sdk"
import type { AgentCardResolver } from "@a2a-js/sdk/client"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import * as SubscriptionRef from "effect/SubscriptionRef"
import * as AiService from "../AiService.ts"
import type { AgentCardConversionError } from "./A2AModels.ts"
import { fromNacosCard } from "./CardConversion.ts"

/**
 * What resolving fails with: the AiService's read errors (`NotFoundError` for an unknown agent or version) or a
 * card the SDK cannot read.
 *
 * @category errors
 * @since 0.1.0
 */
export type ResolveError = AiService.GetError | AgentCardConversionError

/**
 * @category models
 * @since 0.1.0
 */
export interface NacosAgentCardResolver extends AgentCardResolver {
  /** The agent's card (`version`, else its latest), as the SDK's card; rejects with a {@link ResolveError}. */
  resolve(agentName: string, version?: string): Promise<SdkAgentCard>
  /** `resolve` as an Effect. */
  readonly card: (agentName: string, version?: string) => Effect.Effect<SdkAgentCard, ResolveError>
  /** The live card: now, then every change. */
  readonly cards: (agentName: string, version?: string) => Stream.Stream<SdkAgentCard, ResolveError>
}

const keyOf = (agentName: string, version: string | undefined) => `${agentName}\u0000${version ?? ""}`

/**
 * A resolver over the AiService in context; its watches live as long as the scope.
 *
 * @example
 * ```ts
 * import { ClientFactory, ClientFactoryOptions } from "@a2a-js/sdk/client"
 * import { NacosAgentCardResolver } from "@effect-nacos/ai/a2a"
 * import { Effect } from "effect"
 *
 * const program = Effect.gen(function* () {
 *   const cardResolver = yield* NacosAgentCardResolver.make
 *   const card = yield* cardResolver.card("echo")
 *   // or through the SDK: createFromUrl(agentName, version) resolves by name
 *   const factory = new ClientFactory(ClientFactoryOptions.createFrom(ClientFactoryOptions.default, { cardResolver }))
 *   const client = yield* Effect.promise(() => factory.createFromUrl("echo"))
 * })
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const make: Effect.Effect<NacosAgentCardResolver, never, AiService.AiService | Scope.Scope> = Effect.gen(
  function* () {
    const ai = yield* AiService.AiService
    const scope = yield* Effect.scope
    const context = yield* Effect.context<never>()
    /** Per agent and version: the live card, once the watch's first read is in. */
    const live = new Map<string, Deferred.Deferred<SubscriptionRef.SubscriptionRef<SdkAgentCard>, ResolveError>>()

    const watch = (agentName: string, version: string | undefined) =>
      Effect.suspend(() => {
        const key = keyOf(agentName, version)
        const known = live.get(key)
        if (known !== undefined) return Deferred.await(known)
        const first = Deferred.makeUnsafe<SubscriptionRef.SubscriptionRef<SdkAgentCard>, ResolveError>()
        live.set(key, first)
        let current: SubscriptionRef.SubscriptionRef<SdkAgentCard> | undefined
        const publish = (card: SdkAgentCard) =>
          current === undefined
            ? Effect.flatMap(SubscriptionRef.make(card), (made) => {
                current = made
                return Deferred.succeed(first, made)
              })
            : SubscriptionRef.set(current, card)
        return ai.watchAgentCard({ name: agentName, ...(version === undefined ? {} : { version }) }).pipe(
          Stream.mapEffect(fromNacosCard),
          Stream.runForEach(publish),
          // a watch that ends (a failed first read, a server without the feature) is forgotten: the next
          // resolve starts again
          Effect.onExit((exit) =>
            Effect.andThen(
              Effect.sync(() => live.delete(key)),
              Exit.isFailure(exit) ? Deferred.failCause(first, exit.cause) : Deferred.interrupt(first)
            )
          ),
          Effect.forkIn(scope),
          Effect.andThen(Deferred.await(first))
        )
      })

    const card = (agentName: string, version?: string) =>
      Effect.flatMap(watch(agentName, version), SubscriptionRef.get).pipe(
        Effect.withSpan("NacosAgentCardResolver.card", { attributes: { "a2a.agent": agentName } })
      )
    const cards = (agentName: string, version?: string) =>
      Stream.unwrap(Effect.map(watch(agentName, version), SubscriptionRef.changes))

    return {
      card,
      cards,
      resolve: (agentName: string, version?: string) =>
        Effect.runPromiseWith(context)(Effect.flatMap(watch(agentName, version), SubscriptionRef.get))
    }
  }
)
