/**
 * The consumer test's program, compiled by plain `tsc` in a project that installed our tarballs (see run.ts): what a
 * new user writes first. Publishes a config, reads it back, checks the snapshot the cache wrote, removes it; registers
 * an ephemeral instance, reads it back (`listInstances`, `selectOneHealthyInstance`), lets the naming layer's scope
 * close and sees the instance gone from the server; releases an A2A agent card and reads it back (`getAgentCard`),
 * and sees `getPrompt` fail with `NotSupportedError` (a 3.1 server has no prompts); exits 0. Any failure sets exit
 * code 1.
 *
 * Reads NACOS_SERVER_ADDR (+ NACOS_USERNAME / NACOS_PASSWORD) and NACOS_CACHE_DIR through `Nacos.layerConfig`.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { AiService } from "@effect-nacos/ai"
import * as AiServiceModule from "@effect-nacos/ai/AiService"
import { ConfigService } from "@effect-nacos/config"
import * as ConfigServiceModule from "@effect-nacos/config/ConfigService"
import { Nacos } from "@effect-nacos/core"
import { NamingService } from "@effect-nacos/naming"
import * as NamingServiceModule from "@effect-nacos/naming/NamingService"
import { Effect, Schedule } from "effect"

const dataId = `consumer-${Date.now()}.properties`
const content = `greeting=hello from a consumer at ${new Date().toISOString()}`
const serviceName = `consumer-${Date.now()}`
const instance = { ip: "127.0.0.1", port: 18080 }
const agentName = `consumer-agent-${Date.now()}`

/** Every file under a directory, recursively (the cache's layout is the cache's business). */
const filesUnder = (directory: string): Array<string> =>
  fs.existsSync(directory)
    ? fs
        .readdirSync(directory, { recursive: true, encoding: "utf8" })
        .map((name) => path.join(directory, name))
        .filter((name) => fs.statSync(name).isFile())
    : []

const program = Effect.gen(function* () {
  // A subpath import and the root namespace are one module: one service tag, not two.
  if (ConfigServiceModule.ConfigService !== ConfigService.ConfigService) {
    return yield* Effect.fail(new Error("@effect-nacos/config/ConfigService is another module than the root export"))
  }
  const config = yield* ConfigService.ConfigService
  yield* config.publish({ dataId, content })
  // The server answers reads from a cache it refreshes about 100 ms after a publish.
  const read = yield* config.get({ dataId }).pipe(
    Effect.flatMap((found) =>
      found === content ? Effect.succeed(found) : Effect.fail(new Error(`read ${JSON.stringify(found)}`))
    ),
    Effect.retry({ schedule: Schedule.spaced("100 millis"), times: 50 })
  )
  yield* Effect.log(`published and read ${dataId}: ${read}`)

  const cacheDir = process.env.NACOS_CACHE_DIR ?? ""
  const snapshot = filesUnder(cacheDir).find((name) => fs.readFileSync(name, "utf8") === content)
  if (snapshot === undefined) {
    return yield* Effect.fail(new Error(`no snapshot with the content under NACOS_CACHE_DIR=${cacheDir}`))
  }
  yield* Effect.log(`snapshot written: ${path.relative(cacheDir, snapshot)}`)
  yield* config.remove({ dataId })
})

/** The instances of the service, asked of the server (not of a subscription). */
const serverInstances = NamingService.NamingService.use((naming) =>
  naming.listInstances({ serviceName, subscribe: false })
)

const naming = Effect.gen(function* () {
  if (NamingServiceModule.NamingService !== NamingService.NamingService) {
    return yield* Effect.fail(new Error("@effect-nacos/naming/NamingService is another module than the root export"))
  }
  // The naming layer's own scope: closing it deregisters the ephemeral instance it registered.
  yield* Effect.gen(function* () {
    const naming = yield* NamingService.NamingService
    yield* naming.registerInstance({ serviceName, ...instance, metadata: { from: "consumer" } })
    const listed = yield* serverInstances.pipe(
      Effect.flatMap((found) =>
        found.length === 1 && found[0]?.ip === instance.ip && found[0].port === instance.port
          ? Effect.succeed(found)
          : Effect.fail(new Error(`listInstances: ${JSON.stringify(found)}`))
      ),
      Effect.retry({ schedule: Schedule.spaced("100 millis"), times: 50 })
    )
    const picked = yield* naming.selectOneHealthyInstance({ serviceName })
    if (picked.instanceId !== listed[0]?.instanceId || picked.metadata.from !== "consumer") {
      return yield* Effect.fail(new Error(`selectOneHealthyInstance: ${JSON.stringify(picked)}`))
    }
    yield* Effect.log(`registered and read ${serviceName}: ${picked.instanceId}`)
  }).pipe(Effect.provide(NamingService.layer))
  // A second client sees the server without the instance once the first one's scope closed.
  yield* serverInstances.pipe(
    Effect.flatMap((found) =>
      found.length === 0 ? Effect.void : Effect.fail(new Error(`still registered: ${JSON.stringify(found)}`))
    ),
    Effect.retry({ schedule: Schedule.spaced("100 millis"), times: 50 }),
    Effect.provide(NamingService.layer)
  )
  yield* Effect.log(`deregistered when the naming layer's scope closed: ${serviceName}`)
})

const ai = Effect.gen(function* () {
  if (AiServiceModule.AiService !== AiService.AiService) {
    return yield* Effect.fail(new Error("@effect-nacos/ai/AiService is another module than the root export"))
  }
  const ai = yield* AiService.AiService
  yield* ai.releaseAgentCard({
    card: {
      name: agentName,
      version: "1.0.0",
      protocolVersion: "0.3.0",
      preferredTransport: "JSONRPC",
      url: "http://127.0.0.1:18081/a2a",
      description: "released by the consumer test"
    },
    setAsLatest: true
  })
  // The server's read-after-write lag: read until the card is there.
  const card = yield* ai
    .getAgentCard({ name: agentName })
    .pipe(Effect.retry({ schedule: Schedule.spaced("100 millis"), times: 50 }))
  if (card.name !== agentName || card.version !== "1.0.0") {
    return yield* Effect.fail(new Error(`agent card read back: ${JSON.stringify(card)}`))
  }
  yield* Effect.log(`agent card released and read back: ${agentName} ${card.version}`)
  const promptError = yield* Effect.flip(ai.getPrompt({ key: "consumer-greeting" }))
  if (promptError._tag !== "NotSupportedError") {
    return yield* Effect.fail(new Error(`getPrompt on 3.1.0: expected NotSupportedError, got ${promptError._tag}`))
  }
  yield* Effect.log(`getPrompt: NotSupportedError (${promptError.message})`)
}).pipe(Effect.provide(AiService.layer))

Effect.andThen(program.pipe(Effect.provide(ConfigService.layer)), naming)
  .pipe(Effect.andThen(ai))
  .pipe(Effect.provide(Nacos.layerConfig), Effect.scoped, Effect.runPromise)
  .then(
    () => {
      process.exitCode = 0
    },
    (error: unknown) => {
      console.error("consumer program failed:", error)
      process.exitCode = 1
    }
  )
