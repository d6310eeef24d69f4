/**
 * Authentication: a username/password login (the token is refreshed before it expires, and again after a 403), or
 * access-key signatures (`accessKey` / `secretKey`, or a `credentialsProvider` for rotating keys). Secrets are
 * `Redacted`: they never appear in a log line or an error message.
 *
 *   npm run example -- examples/auth.ts                         # in memory (no server needed)
 *   NACOS_SERVER_ADDR=127.0.0.1:8848 NACOS_USERNAME=nacos NACOS_PASSWORD=… npm run example -- examples/auth.ts
 *   NACOS_SERVER_ADDR=… NACOS_ACCESS_KEY=… NACOS_SECRET_KEY=… npm run example -- examples/auth.ts
 *
 * Without NACOS_SERVER_ADDR it checks sample options (as a layer build would) and runs on the in-memory service.
 */

import { ConfigService } from "@effect-nacos/config"
import { Nacos, NacosOptions } from "@effect-nacos/core"
import { Effect, Layer, Option, Redacted, Schedule } from "effect"

const env = (name: string): string => process.env[name]?.trim() ?? ""
const serverAddr = env("NACOS_SERVER_ADDR")

// One of the two identities (both may be given: the server then sees the token and the signature).
const identity =
  env("NACOS_ACCESS_KEY") !== ""
    ? { accessKey: env("NACOS_ACCESS_KEY"), secretKey: Redacted.make(env("NACOS_SECRET_KEY")) }
    : { username: env("NACOS_USERNAME") || "nacos", password: Redacted.make(env("NACOS_PASSWORD")) }

const options = { serverAddr: serverAddr || "10.0.0.1:8848", ...identity }

// What the layers see: the secret stays Redacted (its String form is "<redacted>").
const showOptions = Effect.gen(function* () {
  const resolved = yield* NacosOptions.NacosOptions
  const who = Option.isSome(resolved.username)
    ? `user ${resolved.username.value}, password ${Option.map(resolved.password, String).pipe(Option.getOrElse(() => "-"))}`
    : "access key"
  yield* Effect.log(`identity: ${who}`)
}).pipe(Effect.provide(NacosOptions.layer(options)))

const ConfigLive =
  serverAddr === "" ? ConfigService.layerMemory() : ConfigService.layer.pipe(Layer.provide(Nacos.layer(options)))

const dataId = `auth-${Date.now()}.json`

const program = Effect.gen(function* () {
  yield* Effect.log(
    serverAddr === ""
      ? "NACOS_SERVER_ADDR is not set: sample options, then the in-memory ConfigService"
      : `running on the Nacos server at ${serverAddr}`
  )
  yield* showOptions
  const config = yield* ConfigService.ConfigService
  yield* config.publish({ dataId, content: '{"signedIn":true}', type: "json" })
  // the server's read-after-write lag (~100 ms): retry until the content shows
  const content = yield* config
    .get({ dataId })
    .pipe(Effect.retry({ schedule: Schedule.spaced("100 millis"), times: 30 }))
  yield* Effect.log(`get ${dataId} → ${content}`)
  yield* config.remove({ dataId })
  yield* Effect.log("done")
})

program
  .pipe(
    Effect.provide(ConfigLive),
    // a wrong password or a missing permission: an AuthError with the server's errorCode, never the secret
    Effect.catchTag("AuthError", (error) =>
      Effect.andThen(
        Effect.logError(`not allowed: ${error.message}`),
        Effect.sync(() => (process.exitCode = 1))
      )
    ),
    Effect.runPromise
  )
  .catch((error: unknown) => {
    console.error(error)
    process.exitCode = 1
  })
