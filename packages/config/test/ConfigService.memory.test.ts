import { describe, expect, it } from "@effect/vitest"
import { ConfigService } from "@effect-nacos/config"
import * as Effect from "effect/Effect"
import { describeConfigBehaviour, md5, startWatch } from "./support/behaviour.ts"

describeConfigBehaviour("layerMemory", { layer: (options) => ConfigService.layerMemory(options) })

describe("ConfigService.layerMemory", () => {
  it.live("starts with the seeded configs, in its own namespace", () =>
    Effect.gen(function* () {
      const config = yield* ConfigService.ConfigService
      expect(yield* config.getInfo({ dataId: "app.yaml" })).toMatchObject({
        content: "port: 1",
        md5: md5("port: 1"),
        namespace: "dev",
        type: "yaml"
      })
      expect(yield* config.get({ dataId: "other", group: "G" })).toBe("x")
      const watcher = yield* startWatch(config, { dataId: "app.yaml" })
      expect(yield* watcher.next).toMatchObject({ _tag: "Changed", content: "port: 1", namespace: "dev" })
    }).pipe(
      Effect.provide(
        ConfigService.layerMemory({
          namespace: "dev",
          configs: [
            { dataId: "app.yaml", content: "port: 1", type: "yaml" },
            { dataId: "other", group: "G", content: "x" }
          ]
        })
      )
    )
  )

  it.live("each layer build is a fresh store", () =>
    Effect.gen(function* () {
      yield* Effect.flatMap(Effect.service(ConfigService.ConfigService), (config) =>
        config.publish({ dataId: "a", content: "1" })
      ).pipe(Effect.provide(ConfigService.layerMemory()))
      const error = yield* Effect.flatMap(Effect.service(ConfigService.ConfigService), (config) =>
        Effect.flip(config.get({ dataId: "a" }))
      ).pipe(Effect.provide(ConfigService.layerMemory()))
      expect(error._tag).toBe("NotFoundError")
    })
  )

  it.effect("a casMd5 with CR or LF is refused: it travels as an HTTP header on the fallback", () =>
    Effect.gen(function* () {
      const config = yield* ConfigService.ConfigService
      for (const casMd5 of [`${md5("x")}\r\nX-Injected: 1`, `${md5("x")}\n`, `\r${md5("x")}`]) {
        const error = yield* Effect.flip(config.publish({ dataId: "cas-header", content: "y", casMd5 }))
        expect(error).toMatchObject({ _tag: "InvalidArgumentError", field: "casMd5" })
      }
      expect((yield* Effect.flip(config.get({ dataId: "cas-header" })))._tag).toBe("NotFoundError")
    }).pipe(Effect.provide(ConfigService.layerMemory()))
  )
})
