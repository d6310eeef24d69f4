import { describe, expect, it } from "@effect/vitest"
import { AiService } from "@effect-nacos/ai"
import * as Effect from "effect/Effect"
import { card, describeAiBehaviour } from "./support/behaviour.ts"

let store = AiService.makeMemoryStore()

describeAiBehaviour("layerMemory", {
  layer: (options) => {
    store = AiService.makeMemoryStore()
    return AiService.layerMemory({ ...options, store })
  },
  registry: () => ({
    putPrompt: (prompt) => store.putPrompt(prompt),
    removePrompt: (key) => store.removePrompt(key),
    putSkill: (skill) => store.putSkill(skill),
    removeSkill: (name) => store.removeSkill(name)
  })
})

describe("AiService.layerMemory", () => {
  it.effect("each layer build is a fresh registry unless a store is shared", () =>
    Effect.gen(function* () {
      const release = Effect.flatMap(Effect.service(AiService.AiService), (ai) =>
        ai.releaseAgentCard({ card: card("fresh", "1.0.0"), setAsLatest: true })
      )
      const get = Effect.flatMap(Effect.service(AiService.AiService), (ai) =>
        Effect.flip(ai.getAgentCard({ name: "fresh" }))
      )
      yield* release.pipe(Effect.provide(AiService.layerMemory()))
      expect((yield* get.pipe(Effect.provide(AiService.layerMemory())))._tag).toBe("NotFoundError")
      const shared = AiService.makeMemoryStore()
      yield* release.pipe(Effect.provide(AiService.layerMemory({ store: shared })))
      const found = yield* Effect.flatMap(Effect.service(AiService.AiService), (ai) =>
        ai.getAgentCard({ name: "fresh" })
      ).pipe(Effect.provide(AiService.layerMemory({ store: shared })))
      expect(found.version).toBe("1.0.0")
    })
  )
})
