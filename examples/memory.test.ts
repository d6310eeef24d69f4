/**
 * A user's own test: the code under test asks for `ConfigService.ConfigService`; the test provides
 * `ConfigService.layerMemory()` — the live service's semantics (validation, md5 change detection, watch events,
 * compare-and-set) without a server, and a fresh store for every test.
 *
 *   npm run examples            # runs this test (vitest) with the other examples
 */

import { describe, expect, it } from "@effect/vitest"
import { ConfigService } from "@effect-nacos/config"
import { Effect, Fiber, Stream } from "effect"

// ---- the application code under test -------------------------------------------------------------------------

/** Whether `flag=on` is in the `features.properties` config; no config means every flag is off. */
const isEnabled = (flag: string) =>
  Effect.gen(function* () {
    const config = yield* ConfigService.ConfigService
    const content = yield* config
      .get({ dataId: "features.properties" })
      .pipe(Effect.catchTag("NotFoundError", () => Effect.succeed("")))
    return content.split("\n").some((line) => line.trim() === `${flag}=on`)
  })

/** The flag's value as it changes, starting with the current one. */
const followFlag = (flag: string) =>
  Stream.unwrap(
    Effect.map(ConfigService.ConfigService, (config) =>
      config
        .watch({ dataId: "features.properties" })
        .pipe(
          Stream.map((event) =>
            event._tag === "Changed" ? event.content.split("\n").some((line) => line.trim() === `${flag}=on`) : false
          )
        )
    )
  )

// ---- the tests ---------------------------------------------------------------------------------------------------

describe("feature flags", () => {
  it.effect("reads the seeded config", () =>
    Effect.gen(function* () {
      expect(yield* isEnabled("beta")).toBe(true)
      expect(yield* isEnabled("dark-mode")).toBe(false)
    }).pipe(
      Effect.provide(
        ConfigService.layerMemory({ configs: [{ dataId: "features.properties", content: "beta=on\ndark-mode=off" }] })
      )
    )
  )

  it.effect("no config: every flag is off", () =>
    Effect.map(isEnabled("beta"), (enabled) => expect(enabled).toBe(false)).pipe(
      Effect.provide(ConfigService.layerMemory())
    )
  )

  it.effect("a watcher sees the current value, then each change, then the removal", () =>
    Effect.gen(function* () {
      const config = yield* ConfigService.ConfigService
      yield* config.publish({ dataId: "features.properties", content: "beta=off" })
      const seen = yield* followFlag("beta").pipe(Stream.take(3), Stream.runCollect, Effect.forkScoped)
      // a forked fiber starts on the scheduler's next turn: yield, so the watcher has subscribed before the publish
      yield* Effect.yieldNow
      yield* config.publish({ dataId: "features.properties", content: "beta=on" })
      yield* Effect.yieldNow
      yield* config.remove({ dataId: "features.properties" })
      expect(yield* Fiber.join(seen)).toEqual([false, true, false])
    }).pipe(Effect.provide(ConfigService.layerMemory()))
  )

  it.effect("compare-and-set: a stale md5 is a ConflictError", () =>
    Effect.gen(function* () {
      const config = yield* ConfigService.ConfigService
      yield* config.publish({ dataId: "features.properties", content: "beta=on" })
      const { md5 } = yield* config.getInfo({ dataId: "features.properties" })
      yield* config.publish({ dataId: "features.properties", content: "beta=off", casMd5: md5 })
      const stale = yield* config
        .publish({ dataId: "features.properties", content: "beta=on", casMd5: md5 })
        .pipe(Effect.flip)
      expect(stale._tag).toBe("ConflictError")
    }).pipe(Effect.provide(ConfigService.layerMemory()))
  )
})
