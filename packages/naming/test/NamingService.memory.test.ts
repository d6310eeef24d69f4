import { describe, expect, it } from "@effect/vitest"
import { NamingService } from "@effect-nacos/naming"
import * as Effect from "effect/Effect"
import * as Random from "effect/Random"
import { describeNamingBehaviour, shows, startSubscriber } from "./support/behaviour.ts"

describeNamingBehaviour("layerMemory", { layer: () => NamingService.layerMemory() })

describe("NamingService.layerMemory", () => {
  it.live("each layer build is a fresh store", () =>
    Effect.gen(function* () {
      yield* Effect.flatMap(Effect.service(NamingService.NamingService), (naming) =>
        naming.registerInstance({ serviceName: "fresh", ip: "10.0.0.1", port: 1 })
      ).pipe(Effect.provide(NamingService.layerMemory()))
      const found = yield* Effect.flatMap(Effect.service(NamingService.NamingService), (naming) =>
        naming.listInstances({ serviceName: "fresh" })
      ).pipe(Effect.provide(NamingService.layerMemory()))
      expect(found).toEqual([])
    })
  )

  it.live("the layer's emptyPush option is every subscriber's default", () =>
    Effect.gen(function* () {
      const naming = yield* NamingService.NamingService
      yield* naming.registerInstance({ serviceName: "deliver", ip: "10.0.0.1", port: 1 })
      const subscriber = yield* startSubscriber(naming, { serviceName: "deliver" })
      yield* subscriber.until(shows("10.0.0.1:1"))
      yield* naming.deregisterInstance({ serviceName: "deliver", ip: "10.0.0.1", port: 1 })
      expect(yield* subscriber.next).toMatchObject({ _tag: "InstancesChanged", service: { hosts: [] } })
    }).pipe(Effect.provide(NamingService.layerMemory({ emptyPush: "deliver" })))
  )

  it.live("selectOneHealthyInstance draws from Effect's Random: a seed makes the picks repeatable", () =>
    Effect.gen(function* () {
      const naming = yield* NamingService.NamingService
      yield* naming.batchRegisterInstances({
        serviceName: "seeded",
        instances: [1, 2, 3, 4].map((n) => ({ ip: `10.0.0.${n}`, port: 1, weight: n }))
      })
      const picks = Effect.forEach(Array.from({ length: 50 }), () =>
        Effect.map(naming.selectOneHealthyInstance({ serviceName: "seeded" }), (instance) => instance.ip)
      )
      const first = yield* picks.pipe(Random.withSeed("repeatable"))
      const second = yield* picks.pipe(Random.withSeed("repeatable"))
      const other = yield* picks.pipe(Random.withSeed("another seed"))
      expect(second).toEqual(first)
      expect(other).not.toEqual(first)
      expect(new Set(first).size).toBeGreaterThan(1)
    }).pipe(Effect.provide(NamingService.layerMemory()))
  )
})
