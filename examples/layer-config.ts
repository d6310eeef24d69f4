/**
 * Options from the environment, service options in code: `Nacos.layerConfig` reads the client options from the
 * `NACOS_*` variables (`NACOS_SERVER_ADDR`, `NACOS_NAMESPACE_ID`, `NACOS_USERNAME`, `NACOS_PASSWORD`, …) and
 * `ConfigService.layerWith` takes the service's own (policies, filters, concurrency).
 *
 *   npm run example -- examples/layer-config.ts                                  # in memory (no server needed)
 *   NACOS_SERVER_ADDR=127.0.0.1:8848 npm run example -- examples/layer-config.ts # on a real Nacos server
 *
 * Without NACOS_SERVER_ADDR it shows what `layerConfig` makes of a sample environment, then runs on the in-memory
 * ConfigService.
 */

import { ConfigService } from "@effect-nacos/config"
import { Nacos, NacosOptions } from "@effect-nacos/core"
import { ConfigProvider, Effect, Layer, Option, Schedule } from "effect"

const serverAddr = process.env.NACOS_SERVER_ADDR?.trim() ?? ""

// The service's options: two more gRPC attempts before the HTTP fallback, a re-listen safety net every minute.
const ConfigFromEnvironment = ConfigService.layerWith({
  httpFallback: Schedule.recurs(2),
  fullSyncSchedule: Schedule.spaced("1 minute"),
  queryConcurrency: 8
}).pipe(Layer.provide(Nacos.layerConfig))

// What `layerConfig` reads from a sample environment (the password stays Redacted: printing it shows <redacted>).
const showSampleEnvironment = Effect.gen(function* () {
  const options = yield* NacosOptions.NacosOptions
  yield* Effect.log(
    `NACOS_* → servers ${options.serverAddresses.map((address) => address.authority).join(", ")}, ` +
      `namespace ${options.namespace}, user ${Option.getOrElse(options.username, () => "-")}, ` +
      `password ${Option.match(options.password, { onNone: () => "-", onSome: (password) => String(password) })}`
  )
}).pipe(
  Effect.provide(
    NacosOptions.layerConfig.pipe(
      Layer.provide(
        ConfigProvider.layer(
          ConfigProvider.fromEnv({
            env: {
              NACOS_SERVER_ADDR: "10.0.0.1:8848,10.0.0.2:8848",
              NACOS_NAMESPACE_ID: "dev",
              NACOS_USERNAME: "nacos",
              NACOS_PASSWORD: "not-a-real-password"
            }
          })
        )
      )
    )
  )
)

const dataId = `layer-config-${Date.now()}.properties`

const program = Effect.gen(function* () {
  const config = yield* ConfigService.ConfigService
  yield* config.publish({ dataId, content: "pool.size=8", type: "properties" })
  // the server's read-after-write lag (~100 ms): retry until the new content shows
  const content = yield* config
    .get({ dataId })
    .pipe(Effect.retry({ schedule: Schedule.spaced("100 millis"), times: 30 }))
  yield* Effect.log(`get ${dataId} → ${JSON.stringify(content)}`)
  yield* config.remove({ dataId })
})

const main =
  serverAddr === ""
    ? Effect.gen(function* () {
        yield* Effect.log("NACOS_SERVER_ADDR is not set: sample environment, then the in-memory ConfigService")
        yield* showSampleEnvironment
        yield* program.pipe(Effect.provide(ConfigService.layerMemory()))
      })
    : Effect.andThen(
        Effect.log(`running on the Nacos server at ${serverAddr}`),
        program.pipe(Effect.provide(ConfigFromEnvironment))
      )

main.pipe(Effect.andThen(Effect.log("done")), Effect.runPromise).catch((error: unknown) => {
  console.error(error)
  process.exitCode = 1
})
