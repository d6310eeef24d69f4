/**
 * Quickstart: publish, read and watch a config.
 *
 *   npm start                                         # in memory (no server needed)
 *   NACOS_SERVER_ADDR=127.0.0.1:8848 npm start        # on a real Nacos server
 *   NACOS_SERVER_ADDR=… NACOS_USERNAME=nacos NACOS_PASSWORD=… npm start   # with auth
 *
 * Without NACOS_SERVER_ADDR the in-memory ConfigService runs the same program — the layer your own tests would use.
 */

import { ConfigService } from "@effect-nacos/config"
import { Nacos } from "@effect-nacos/core"
import { Effect, Fiber, Layer, Schedule, Stream } from "effect"

const serverAddr = process.env.NACOS_SERVER_ADDR?.trim() ?? ""

const ConfigLive: Layer.Layer<ConfigService.ConfigService, unknown> =
  serverAddr === "" ? ConfigService.layerMemory() : ConfigService.layer.pipe(Layer.provide(Nacos.layerConfig))

const dataId = `quickstart-${Date.now()}.yaml`

const program = Effect.gen(function* () {
  yield* Effect.log(
    serverAddr === ""
      ? "NACOS_SERVER_ADDR is not set: running on the in-memory ConfigService (ConfigService.layerMemory())"
      : `running on the Nacos server at ${serverAddr}`
  )
  const config = yield* ConfigService.ConfigService

  yield* config.publish({ dataId, content: "greeting: hello", type: "yaml" })
  // a server serves reads from a cache it refreshes right after a publish: give it a moment
  const content = yield* config
    .get({ dataId })
    .pipe(Effect.retry({ schedule: Schedule.spaced("100 millis"), times: 30 }))
  yield* Effect.log(`get ${dataId} → ${JSON.stringify(content)}`)

  // the watch starts with the current value, then follows every change until the config is removed
  const watching = yield* config.watch({ dataId }).pipe(
    Stream.takeUntil((event) => event._tag === "Deleted"),
    Stream.runForEach((event) =>
      Effect.log(
        event._tag === "Changed" ? `watch: Changed → ${JSON.stringify(event.content)}` : `watch: ${event._tag}`
      )
    ),
    Effect.forkScoped
  )
  yield* Effect.sleep("500 millis")
  yield* config.publish({ dataId, content: "greeting: hello again", type: "yaml" })
  yield* Effect.sleep("500 millis")
  yield* config.remove({ dataId })
  yield* Fiber.join(watching).pipe(Effect.timeout("10 seconds"))
  yield* Effect.log("done")
})

program.pipe(Effect.provide(ConfigLive), Effect.scoped, Effect.runPromise).catch((error: unknown) => {
  console.error(error)
  process.exitCode = 1
})
