/**
 * Failover files: a config file you put in the client's cache directory wins over the server — `get` (and
 * `watch`) serve it first, whether the server is up or not. The layout is the Java client's, so both clients
 * share the files: `{cacheDir}/config/{envName}_nacos/data/config-data-tenant/{namespace}/{group}/{dataId}`.
 * (Beside them the client keeps snapshots: the last value read from the server, served when it cannot be reached.)
 *
 *   npm run example -- examples/failover.ts                                  # no server needed
 *   NACOS_SERVER_ADDR=127.0.0.1:8848 npm run example -- examples/failover.ts # on a real Nacos server
 *
 * Without NACOS_SERVER_ADDR the client points at a port where nothing listens: the failover file still answers.
 */

import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import * as path from "node:path"
import { ConfigService } from "@effect-nacos/config"
import { Cache, Nacos, NacosOptions } from "@effect-nacos/core"
import { Effect, Layer, Schedule } from "effect"

const serverAddr = process.env.NACOS_SERVER_ADDR?.trim() ?? ""
const cacheDir = await mkdtemp(path.join(tmpdir(), "nacos-failover-example-"))

const NacosLive = Nacos.layer({
  serverAddr: serverAddr || "127.0.0.1:1", // no server there
  username: process.env.NACOS_USERNAME,
  password: process.env.NACOS_PASSWORD,
  cacheDir,
  grpc: { timeoutMillis: 1_000 }
})
// provideMerge: the program reads the resolved options too (for the cache directory's name)
const ConfigLive = ConfigService.layer.pipe(Layer.provideMerge(NacosLive))

const dataId = `failover-${Date.now()}.yaml`
const group = "DEFAULT_GROUP"

/** Where the Java layout keeps the failover file of a config. */
const failoverFile = (options: NacosOptions.ResolvedNacosOptions) =>
  path.join(
    options.cacheDir,
    "config",
    `${Cache.configEnvName(options)}_nacos`,
    "data",
    "config-data-tenant",
    options.namespace,
    group,
    dataId
  )

const program = Effect.gen(function* () {
  yield* Effect.log(
    serverAddr === ""
      ? "NACOS_SERVER_ADDR is not set: no server at all, only the failover file"
      : `running on the Nacos server at ${serverAddr}`
  )
  const config = yield* ConfigService.ConfigService
  const file = failoverFile(yield* NacosOptions.NacosOptions)

  if (serverAddr !== "") yield* config.publish({ dataId, group, content: "source: server", type: "yaml" })

  yield* Effect.promise(async () => {
    await mkdir(path.dirname(file), { recursive: true })
    await writeFile(file, "source: failover file")
  })
  const fromFile = yield* config.getInfo({ dataId, group })
  yield* Effect.log(`with the file: ${JSON.stringify(fromFile.content)} (source: ${fromFile.source})`)

  yield* Effect.promise(() => rm(file))
  if (serverAddr === "") {
    const error = yield* Effect.flip(config.get({ dataId, group }))
    yield* Effect.log(`file gone, no server: ${error._tag}`)
  } else {
    // the server's read-after-write lag (~100 ms): retry until the published content shows
    const fromServer = yield* config.getInfo({ dataId, group }).pipe(
      Effect.filterOrFail((info) => info.source === "server"),
      Effect.retry({ schedule: Schedule.spaced("100 millis"), times: 30 })
    )
    yield* Effect.log(`file gone: ${JSON.stringify(fromServer.content)} (source: ${fromServer.source})`)
    yield* config.remove({ dataId, group })
  }
  yield* Effect.log("done")
})

await program
  .pipe(Effect.provide(ConfigLive), Effect.runPromise)
  .catch((error: unknown) => {
    console.error(error)
    process.exitCode = 1
  })
  .finally(() => rm(cacheDir, { recursive: true, force: true }))
