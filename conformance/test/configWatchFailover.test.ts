/**
 * A watch and the failover file on disk, against the real Nacos server (auth off): while the file exists the
 * watch shows it, as `get` does, whatever the server publishes; once it is gone the watch is back on the server's
 * value — which the real server reports as changed against the md5 of the file the watchers saw.
 */

import * as fs from "node:fs/promises"
import * as path from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { ConfigService } from "@effect-nacos/config"
import { Cache, NacosOptions } from "@effect-nacos/core"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schedule from "effect/Schedule"
import { eventually, md5, startWatch, uniqueId } from "../../packages/config/test/support/behaviour.ts"
import { nacosLayer, servers, tempCacheDir } from "../support.ts"

const client = (cacheDir: string, options: ConfigService.ConfigServiceOptions = {}) =>
  Effect.map(
    Layer.build(
      ConfigService.layerWith(options).pipe(
        Layer.provideMerge(nacosLayer(servers().authOff, { cacheDir })),
        Layer.orDie
      )
    ),
    (context) => ({
      config: Context.get(context, ConfigService.ConfigService),
      options: Context.get(context, NacosOptions.NacosOptions)
    })
  )

describe("ConfigService on the real Nacos server: a watch and the failover file", () => {
  it.live(
    "the watch follows the failover file as it appears, changes and goes; publishes meanwhile do not override it",
    () =>
      Effect.gen(function* () {
        const cacheDir = tempCacheDir("watch-failover")
        // the full sync re-reads every watched key's failover file: a short one, so the test need not wait minutes
        const watching = yield* client(cacheDir, { fullSyncSchedule: Schedule.spaced("300 millis") })
        const publisher = yield* client(tempCacheDir("watch-failover"))
        const dataId = uniqueId("watch-failover")
        const file = path.join(
          cacheDir,
          "config",
          `${Cache.configEnvName(watching.options)}_nacos`,
          "data",
          "config-data-tenant",
          "public",
          "DEFAULT_GROUP",
          dataId
        )
        const writeFailover = (content: string) =>
          Effect.promise(() =>
            fs.mkdir(path.dirname(file), { recursive: true }).then(() => fs.writeFile(file, content))
          )
        const published = (content: string) =>
          publisher.config
            .publish({ dataId, content })
            .pipe(Effect.andThen(eventually(publisher.config.get({ dataId }), (current) => current === content)))

        yield* published("server one")
        const watcher = yield* startWatch(watching.config, { dataId })
        expect(yield* watcher.until((event) => event._tag === "Changed")).toEqual([
          expect.objectContaining({ content: "server one" })
        ])

        yield* writeFailover("failover one")
        expect(yield* watcher.next).toMatchObject({
          _tag: "Changed",
          content: "failover one",
          md5: md5("failover one")
        })
        yield* published("server two")
        yield* writeFailover("failover two")
        // the next event is the file's new content: "server two" was never shown
        expect(yield* watcher.next).toMatchObject({ _tag: "Changed", content: "failover two" })
        expect(yield* watching.config.get({ dataId })).toBe("failover two")

        yield* Effect.promise(() => fs.rm(file))
        expect(yield* watcher.next).toMatchObject({ _tag: "Changed", content: "server two", md5: md5("server two") })
        yield* published("server three")
        expect(yield* watcher.next).toMatchObject({ _tag: "Changed", content: "server three" })
        yield* publisher.config.remove({ dataId })
      }),
    90_000
  )
})
