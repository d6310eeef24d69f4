import { describe, expect, it } from "@effect/vitest"
import { ConfigFilter, ConfigService } from "@effect-nacos/config"
import { InvalidArgumentError } from "@effect-nacos/core"
import * as Effect from "effect/Effect"
import { startWatch } from "./support/behaviour.ts"

/** Appends its name on the way out, strips it on the way back (failing if it is missing). */
const marker = (name: string, order: number): ConfigFilter.ConfigFilter => ({
  name,
  order,
  beforePublish: (config) => Effect.succeed({ ...config, content: `${config.content}|${name}` }),
  afterGet: (config) =>
    config.content.endsWith(`|${name}`)
      ? Effect.succeed({ ...config, content: config.content.slice(0, -(name.length + 1)) })
      : Effect.fail(new InvalidArgumentError({ field: "content", message: `${name}: not my output` }))
})

describe("ConfigFilter", () => {
  it.effect("beforePublish runs lowest order first; afterGet unwinds in reverse", () =>
    Effect.gen(function* () {
      const config = yield* ConfigService.ConfigService
      yield* config.publish({ dataId: "chain", content: "x" })
      expect(yield* config.get({ dataId: "chain" })).toBe("x")
      expect(yield* config.getInfo({ dataId: "chain" })).toMatchObject({ content: "x" })
    }).pipe(Effect.provide(ConfigService.layerMemory({ filters: [marker("second", 2), marker("first", 1)] })))
  )

  it.effect("a filter that refuses fails get, and the watch skips that value but keeps going", () =>
    Effect.gen(function* () {
      const config = yield* ConfigService.ConfigService
      yield* config.publish({ dataId: "picky", content: "ok" })
      const watcher = yield* startWatch(config, { dataId: "picky" })
      expect(yield* watcher.next).toMatchObject({ content: "ok" })
      // published around the filter: its afterGet refuses it
      yield* config.publish({ dataId: "picky", content: "raw", encryptedDataKey: "" })
      expect(yield* Effect.flip(config.get({ dataId: "picky" }))).toMatchObject({ _tag: "InvalidArgumentError" })
      yield* config.publish({ dataId: "picky", content: "fine" })
      expect(yield* watcher.next).toMatchObject({ content: "fine" })
    }).pipe(Effect.provide(ConfigService.layerMemory({ filters: [picky] })))
  )

  it.effect("the cipher touches only cipher- dataIds and passes the data key through", () =>
    Effect.gen(function* () {
      const config = yield* ConfigService.ConfigService
      yield* config.publish({ dataId: "cipher-db", content: "secret" })
      yield* config.publish({ dataId: "plain", content: "public" })
      expect(yield* config.getInfo({ dataId: "cipher-db" })).toMatchObject({
        content: "opened sealed",
        encryptedDataKey: "k"
      })
      expect(yield* config.getInfo({ dataId: "plain" })).toMatchObject({ content: "public" })
      expect(cipherCalls).toEqual(["encrypt cipher-db secret", "decrypt cipher-db k"])
    }).pipe(Effect.provide(ConfigService.layerMemory({ filters: [recordingCipher] })))
  )
})

/** Refuses content "raw" after get (as a cipher refuses what it cannot decrypt). */
const picky: ConfigFilter.ConfigFilter = {
  name: "picky",
  afterGet: (config) =>
    config.content === "raw"
      ? Effect.fail(new InvalidArgumentError({ field: "content", message: "refused" }))
      : Effect.succeed(config)
}

const cipherCalls: Array<string> = []
const recordingCipher = ConfigFilter.cipher({
  encrypt: (config) =>
    Effect.sync(() => cipherCalls.push(`encrypt ${config.dataId} ${config.content}`)).pipe(
      Effect.as({ content: "sealed", encryptedDataKey: "k" })
    ),
  decrypt: (config) =>
    Effect.sync(() => cipherCalls.push(`decrypt ${config.dataId} ${config.encryptedDataKey}`)).pipe(
      Effect.as(`opened ${config.content}`)
    )
})

describe("ConfigFilter output is validated like the caller's content", () => {
  const returning = (content: string): ConfigFilter.ConfigFilter => ({
    name: "rewrites",
    beforePublish: (config) => Effect.succeed({ ...config, content })
  })

  it.effect("a beforePublish filter that returns blank content fails the publish, nothing is stored", () =>
    Effect.gen(function* () {
      const config = yield* ConfigService.ConfigService
      const error = yield* Effect.flip(config.publish({ dataId: "blanked", content: "fine" }))
      expect(error).toMatchObject({ _tag: "InvalidArgumentError", field: "content" })
      expect(error.message).toContain("beforePublish")
      expect((yield* Effect.flip(config.get({ dataId: "blanked" })))._tag).toBe("NotFoundError")
    }).pipe(Effect.provide(ConfigService.layerMemory({ filters: [returning("   ")] })))
  )

  it.effect("a beforePublish filter that returns more than 10 MiB fails the publish", () =>
    Effect.gen(function* () {
      const config = yield* ConfigService.ConfigService
      const error = yield* Effect.flip(config.publish({ dataId: "inflated", content: "small" }))
      expect(error).toMatchObject({ _tag: "InvalidArgumentError", field: "content" })
      expect((yield* Effect.flip(config.get({ dataId: "inflated" })))._tag).toBe("NotFoundError")
    }).pipe(Effect.provide(ConfigService.layerMemory({ filters: [returning("a".repeat(10 * 1024 * 1024 + 1))] })))
  )
})
