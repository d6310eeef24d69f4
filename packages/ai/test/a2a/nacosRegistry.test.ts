/**
 * NacosA2ARegistry over the in-memory AiService (the live service's semantics: versions released once, one
 * endpoint set per agent version and client, SERVICE cards filled from the endpoints).
 */
import { describe, expect, it } from "@effect/vitest"
import { AiService } from "@effect-nacos/ai"
import { NacosA2ARegistry } from "@effect-nacos/ai/a2a"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Scope from "effect/Scope"
import { uniqueName } from "../support/behaviour.ts"

const transport = (port: number, transportType = "JSONRPC") => ({
  host: "10.0.0.5",
  port,
  path: "/a2a",
  supportTls: false,
  transportType,
  extra: {}
})
const cardOf = (name: string, version = "1.0.0") => ({
  name,
  version,
  protocolVersion: "0.3.0",
  preferredTransport: "JSONRPC",
  url: "http://10.0.0.5:9001/a2a",
  description: "registered by the test"
})

/** One client (its own AiService over the shared store) running an effect with its registry. */
const asClient = <A, E>(
  store: AiService.MemoryStore,
  body: (registry: ReturnType<typeof NacosA2ARegistry.make>, ai: AiService.Service) => Effect.Effect<A, E, Scope.Scope>,
  options: NacosA2ARegistry.NacosA2ARegistryOptions = {}
) =>
  Effect.gen(function* () {
    const ai = yield* AiService.AiService
    return yield* body(NacosA2ARegistry.make(ai, options), ai)
  }).pipe(Effect.provide(AiService.layerMemory({ store })))

describe("NacosA2ARegistry (memory)", () => {
  it.effect("register releases a SERVICE card and publishes the endpoint; closing the scope takes it back", () =>
    Effect.gen(function* () {
      const store = AiService.makeMemoryStore()
      const name = uniqueName("registry")
      yield* asClient(store, (registry, ai) =>
        Effect.gen(function* () {
          expect(registry.name).toBe("nacos")
          const scope = yield* Scope.make()
          yield* registry.register(cardOf(name), [transport(9001)]).pipe(Scope.provide(scope))
          const registered = yield* ai.getAgentCard({ name })
          expect(registered.registrationType).toBe("SERVICE")
          expect(registered.additionalInterfaces?.map((i) => i.url)).toEqual(["http://10.0.0.5:9001/a2a"])
          yield* Scope.close(scope, Exit.void)
          const after = yield* ai.getAgentCard({ name })
          expect(after.additionalInterfaces ?? []).toEqual([])
          // the card stays: it is the agent's description, not its presence
          expect(after.description).toBe("registered by the test")
        })
      )
    })
  )

  it.effect("a second instance (another client) registers under the released card: two endpoints", () =>
    Effect.gen(function* () {
      const store = AiService.makeMemoryStore()
      const name = uniqueName("two")
      yield* asClient(store, (first) =>
        Effect.gen(function* () {
          yield* first.register(cardOf(name), [transport(9001)])
          yield* asClient(store, (second, ai) =>
            Effect.gen(function* () {
              // the version exists already: no ConflictError, the endpoint is added
              yield* second.register(cardOf(name), [transport(9002)])
              const card = yield* ai.getAgentCard({ name })
              expect(card.additionalInterfaces?.map((i) => i.url).sort()).toEqual([
                "http://10.0.0.5:9001/a2a",
                "http://10.0.0.5:9002/a2a"
              ])
            })
          )
        })
      )
    })
  )

  it.effect("setAsLatest: false (default) keeps consumers on the old latest; true moves them", () =>
    Effect.gen(function* () {
      const store = AiService.makeMemoryStore()
      const name = uniqueName("latest")
      yield* asClient(store, (registry, ai) =>
        Effect.gen(function* () {
          yield* registry.register(cardOf(name, "1.0.0"), [])
          yield* registry.register(cardOf(name, "2.0.0"), [])
          expect((yield* ai.getAgentCard({ name })).version).toBe("1.0.0")
        })
      )
      yield* asClient(
        store,
        (registry, ai) =>
          Effect.gen(function* () {
            yield* registry.register(cardOf(name, "3.0.0"), [])
            expect((yield* ai.getAgentCard({ name })).version).toBe("3.0.0")
          }),
        { setAsLatest: true }
      )
    })
  )

  it.effect("several transports go together (the batch where the server has it)", () =>
    Effect.gen(function* () {
      const store = AiService.makeMemoryStore()
      const name = uniqueName("batch")
      yield* asClient(store, (registry, ai) =>
        Effect.gen(function* () {
          yield* registry.register(cardOf(name), [transport(9001), transport(9002, "HTTP+JSON")])
          const card = yield* ai.getAgentCard({ name })
          expect(card.additionalInterfaces?.map((i) => `${i.transport} ${i.url}`).sort()).toEqual([
            "HTTP+JSON http://10.0.0.5:9002/a2a",
            "JSONRPC http://10.0.0.5:9001/a2a"
          ])
        })
      )
    })
  )

  it.effect("a refused release is an A2ARegistryError naming the registry and the agent", () =>
    Effect.gen(function* () {
      const store = AiService.makeMemoryStore()
      yield* asClient(
        store,
        (registry) =>
          Effect.gen(function* () {
            const error = yield* Effect.flip(registry.register({ ...cardOf("x"), name: "é" }, [transport(9001)]))
            expect(error).toMatchObject({ _tag: "A2ARegistryError", registry: "primary" })
            expect(error.message).toContain("agent é 1.0.0")
          }),
        { name: "primary" }
      )
    })
  )
})
