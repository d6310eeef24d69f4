import { createHash } from "node:crypto"
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as NodePath from "@effect/platform-node/NodePath"
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as FileSystem from "effect/FileSystem"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as Option from "effect/Option"
import * as Path from "effect/Path"
import * as Cache from "../src/Cache.ts"
import { type ConfigKey, NacosCache, NacosCacheMemory } from "../src/Cache.ts"
import * as NacosOptions from "../src/NacosOptions.ts"

const PlatformLayer = Layer.merge(NodeFileSystem.layer, NodePath.layer)

const key: ConfigKey = { namespace: "public", group: "DEFAULT_GROUP", dataId: "app.yaml" }
const ENV_DIR = "Config-fixed-public-127.0.0.1_8848_nacos"

/** A fresh temp dir (removed after the test) and a disk cache over it, built from options like a user would. */
const withDiskCache = <A, E>(
  body: (env: {
    readonly dir: string
    readonly cache: NacosCache["Service"]
    readonly fs: FileSystem.FileSystem
    readonly path: Path.Path
  }) => Effect.Effect<A, E, FileSystem.FileSystem | Path.Path>
) =>
  Effect.gen(function* () {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const dir = yield* fs.makeTempDirectoryScoped({ prefix: "nacos-cache-test-" })
    const cacheDir = path.join(dir, "cache")
    const cache = yield* NacosCache.use(Effect.succeed).pipe(
      Effect.provide(Cache.layer.pipe(Layer.provide(NacosOptions.layer({ serverAddr: "127.0.0.1:8848", cacheDir }))))
    )
    return yield* body({ dir: cacheDir, cache, fs, path })
  }).pipe(Effect.provide(PlatformLayer))

/** Every file below `dir`, relative, sorted. */
const listFiles = (fs: FileSystem.FileSystem, path: Path.Path, dir: string) =>
  Effect.gen(function* () {
    const entries = yield* fs.readDirectory(dir, { recursive: true })
    const files: Array<string> = []
    for (const entry of entries) {
      if ((yield* fs.stat(path.join(dir, entry))).type === "File") files.push(entry)
    }
    return files.sort()
  })

const writeFileIn = (fs: FileSystem.FileSystem, path: Path.Path, file: string, content: string) =>
  fs.makeDirectory(path.dirname(file), { recursive: true }).pipe(Effect.andThen(fs.writeFileString(file, content)))

describe("Cache layout names", () => {
  it.effect("env name for a static list, as the Java client names it", () =>
    Effect.gen(function* () {
      const one = yield* NacosOptions.resolve({ serverAddr: "127.0.0.1:8848" })
      assert.strictEqual(Cache.configEnvName(one), "Config-fixed-public-127.0.0.1_8848")
      const two = yield* NacosOptions.resolve({ serverAddr: "http://a:1,b", namespace: "dev" })
      assert.strictEqual(Cache.configEnvName(two), "Config-fixed-dev-a_1-b_8848")
    })
  )

  it.effect("env name for an address server", () =>
    Effect.gen(function* () {
      const options = yield* NacosOptions.resolve({ endpoint: "e:80" })
      assert.strictEqual(Cache.configEnvName(options), "Config-custom-e_80_nacos_serverlist_public")
      const long = yield* NacosOptions.resolve({ endpoint: "addr.example:8080", endpointContextPath: "/x/y" })
      const full = "Config-custom-addr.example_8080_x_y_serverlist_public"
      assert.strictEqual(Cache.configEnvName(long), full.slice(0, 50) + createHash("md5").update(full).digest("hex"))
    })
  )

  it.effect("names over 50 characters are cut to 50 plus the md5 of the whole name", () =>
    Effect.gen(function* () {
      const options = yield* NacosOptions.resolve({ serverAddr: "10.0.0.1:8848,10.0.0.2:8848,10.0.0.3:8848" })
      const full = "Config-fixed-public-10.0.0.1_8848-10.0.0.2_8848-10.0.0.3_8848"
      const expected = full.slice(0, 50) + createHash("md5").update(full).digest("hex")
      assert.strictEqual(Cache.configEnvName(options), expected)
      assert.strictEqual(Cache.simplifyEnvName("short"), "short")
    })
  )

  it("naming file names use Java URLEncoder rules", () => {
    assert.strictEqual(Cache.javaUrlEncode("DEFAULT_GROUP@@orders"), "DEFAULT_GROUP%40%40orders")
    assert.strictEqual(Cache.javaUrlEncode("g@@a b*~!/.."), "g%40%40a+b*%7E%21%2F..")
  })
})

describe("Cache on disk", () => {
  it.effect("config snapshot: write, read, overwrite, remove, at the documented paths", () =>
    withDiskCache(({ dir, cache, fs, path }) =>
      Effect.gen(function* () {
        const contentFile = path.join(dir, "config", ENV_DIR, "snapshot-tenant", "public", "DEFAULT_GROUP", "app.yaml")
        const keyFile = path.join(
          dir,
          "config",
          ENV_DIR,
          "encrypted-data-key",
          "snapshot-tenant",
          "public",
          "DEFAULT_GROUP",
          "app.yaml"
        )
        assert.isTrue(Option.isNone(yield* cache.readConfigSnapshot(key)))

        yield* cache.writeConfigSnapshot(key, { content: "a: 1", encryptedDataKey: "secret-key" })
        assert.strictEqual(yield* fs.readFileString(contentFile), "a: 1")
        assert.strictEqual(yield* fs.readFileString(keyFile), "secret-key")
        assert.deepStrictEqual(
          yield* cache.readConfigSnapshot(key),
          Option.some({ content: "a: 1", encryptedDataKey: "secret-key" })
        )

        // a later version without a data key must not keep the old one
        yield* cache.writeConfigSnapshot(key, { content: "a: 2" })
        assert.isFalse(yield* fs.exists(keyFile))
        assert.deepStrictEqual(
          yield* cache.readConfigSnapshot(key),
          Option.some({ content: "a: 2", encryptedDataKey: undefined })
        )

        yield* cache.removeConfigSnapshot(key)
        assert.isFalse(yield* fs.exists(contentFile))
        assert.isTrue(Option.isNone(yield* cache.readConfigSnapshot(key)))
        // removing what is not there is fine
        yield* cache.removeConfigSnapshot(key)
      })
    )
  )

  it.effect("a snapshot directory removed behind the cache's back is made again by the next write", () =>
    withDiskCache(({ dir, cache, fs, path }) =>
      Effect.gen(function* () {
        const contentFile = path.join(dir, "config", ENV_DIR, "snapshot-tenant", "public", "DEFAULT_GROUP", "app.yaml")
        yield* cache.writeConfigSnapshot(key, { content: "a: 1" })
        yield* fs.remove(dir, { recursive: true })
        yield* cache.writeConfigSnapshot(key, { content: "a: 2" })
        assert.strictEqual(yield* fs.readFileString(contentFile), "a: 2")
        yield* cache.writeServiceSnapshot("public", "DEFAULT_GROUP@@orders", "{}")
        yield* fs.remove(dir, { recursive: true })
        yield* cache.writeServiceSnapshot("public", "DEFAULT_GROUP@@orders", '{"hosts":[]}')
        assert.deepStrictEqual(
          yield* cache.readServiceSnapshot("public", "DEFAULT_GROUP@@orders"),
          Option.some('{"hosts":[]}')
        )
      })
    )
  )

  it.effect("a blank namespace uses the Java non-tenant directories", () =>
    withDiskCache(({ dir, cache, fs, path }) =>
      Effect.gen(function* () {
        yield* cache.writeConfigSnapshot({ namespace: "", group: "G", dataId: "d" }, { content: "x" })
        assert.isTrue(yield* fs.exists(path.join(dir, "config", ENV_DIR, "snapshot", "G", "d")))
      })
    )
  )

  it.effect("writes are atomic: only the final files remain, and a failed write leaves nothing behind", () => {
    const warnings: Array<string> = []
    const capture = Logger.layer([
      Logger.make(({ logLevel, message }) => {
        if (logLevel === "Warn") warnings.push(Array.isArray(message) ? message.join(" ") : String(message))
      })
    ])
    return withDiskCache(({ dir, cache, fs, path }) =>
      Effect.gen(function* () {
        for (let i = 0; i < 5; i++)
          yield* cache.writeConfigSnapshot(key, { content: `v${i}`, encryptedDataKey: `k${i}` })
        yield* cache.writeServiceSnapshot("public", "DEFAULT_GROUP@@orders", "{}")
        assert.deepStrictEqual(yield* listFiles(fs, path, dir), [
          `config/${ENV_DIR}/encrypted-data-key/snapshot-tenant/public/DEFAULT_GROUP/app.yaml`,
          `config/${ENV_DIR}/snapshot-tenant/public/DEFAULT_GROUP/app.yaml`,
          "naming/public/DEFAULT_GROUP%40%40orders"
        ])

        // a directory where the file should go makes the rename fail: reported to the caller (who decides how
        // loud to be and retries), not logged here, and no temp file left
        const blocked: ConfigKey = { namespace: "public", group: "G", dataId: "blocked" }
        const blockedPath = path.join(dir, "config", ENV_DIR, "snapshot-tenant", "public", "G", "blocked")
        yield* fs.makeDirectory(blockedPath, { recursive: true })
        const failure = yield* Effect.flip(cache.writeConfigSnapshot(blocked, { content: "x" }))
        assert.strictEqual(failure._tag, "CacheWriteError")
        assert.include(failure.message, `cannot write ${blockedPath}`)
        assert.deepStrictEqual(yield* fs.readDirectory(path.dirname(blockedPath)), ["blocked"])
        assert.deepStrictEqual(warnings, [])
      })
    ).pipe(Effect.provide(capture))
  })

  it.effect("config failover files are read (content and data key), never written", () =>
    withDiskCache(({ dir, cache, fs, path }) =>
      Effect.gen(function* () {
        const root = path.join(dir, "config", ENV_DIR)
        const failoverKey: ConfigKey = { namespace: "dev", group: "G", dataId: "db.properties" }
        assert.isTrue(Option.isNone(yield* cache.readConfigFailover(failoverKey)))
        yield* writeFileIn(
          fs,
          path,
          path.join(root, "data", "config-data-tenant", "dev", "G", "db.properties"),
          "url=x"
        )
        assert.deepStrictEqual(
          yield* cache.readConfigFailover(failoverKey),
          Option.some({ content: "url=x", encryptedDataKey: undefined })
        )
        yield* writeFileIn(
          fs,
          path,
          path.join(root, "encrypted-data-key", "failover-tenant", "dev", "G", "db.properties"),
          "dk"
        )
        assert.deepStrictEqual(
          yield* cache.readConfigFailover(failoverKey),
          Option.some({ content: "url=x", encryptedDataKey: "dk" })
        )
        // the snapshot is a different file
        assert.isTrue(Option.isNone(yield* cache.readConfigSnapshot(failoverKey)))
      })
    )
  )

  it.effect("naming snapshot file and failover behind the switch file", () =>
    withDiskCache(({ dir, cache, fs, path }) =>
      Effect.gen(function* () {
        const service = "DEFAULT_GROUP@@orders"
        yield* cache.writeServiceSnapshot("public", service, '{"hosts":[]}')
        assert.strictEqual(
          yield* fs.readFileString(path.join(dir, "naming", "public", "DEFAULT_GROUP%40%40orders")),
          '{"hosts":[]}'
        )
        assert.deepStrictEqual(yield* cache.readServiceSnapshot("public", service), Option.some('{"hosts":[]}'))
        assert.isTrue(Option.isNone(yield* cache.readServiceSnapshot("other", service)))

        const failoverDir = path.join(dir, "naming", "public", "failover")
        const switchFile = path.join(failoverDir, "00-00---000-VIPSRV_FAILOVER_SWITCH-000---00-00")
        yield* writeFileIn(fs, path, path.join(failoverDir, "DEFAULT_GROUP%40%40orders"), '{"failover":true}')
        // no switch file: off
        assert.isTrue(Option.isNone(yield* cache.readServiceFailover("public", service)))
        yield* fs.writeFileString(switchFile, "1\n")
        assert.deepStrictEqual(yield* cache.readServiceFailover("public", service), Option.some('{"failover":true}'))
        assert.isTrue(Option.isNone(yield* cache.readServiceFailover("public", "DEFAULT_GROUP@@missing")))
        yield* fs.writeFileString(switchFile, "0")
        assert.isTrue(Option.isNone(yield* cache.readServiceFailover("public", service)))
        yield* fs.writeFileString(switchFile, "0\n1")
        assert.isTrue(Option.isSome(yield* cache.readServiceFailover("public", service)))
      })
    )
  )

  it.effect("names that could escape the cache directory are refused", () =>
    withDiskCache(({ dir, cache, fs, path }) =>
      Effect.gen(function* () {
        const parent = path.dirname(dir)
        const hostile: ReadonlyArray<ConfigKey> = [
          { namespace: "public", group: "..", dataId: ".." },
          { namespace: "public", group: "DEFAULT_GROUP", dataId: "../../../../../escaped" },
          { namespace: "../..", group: "G", dataId: "d" },
          { namespace: "public", group: "a/../../..", dataId: "d" },
          { namespace: "public", group: "G", dataId: "..\\..\\escaped" },
          { namespace: "public", group: "G", dataId: "." }
        ]
        for (const bad of hostile) {
          const refused = yield* Effect.flip(
            cache.writeConfigSnapshot(bad, { content: "pwned", encryptedDataKey: "pwned" })
          )
          assert.strictEqual(refused._tag, "CacheWriteError")
          assert.isTrue(Option.isNone(yield* cache.readConfigSnapshot(bad)))
          yield* cache.removeConfigSnapshot(bad)
        }
        assert.strictEqual(
          (yield* Effect.flip(cache.writeServiceSnapshot("..", "G@@s", "pwned")))._tag,
          "CacheWriteError"
        )
        assert.strictEqual(
          (yield* Effect.flip(cache.writeServiceSnapshot("public", "..", "pwned")))._tag,
          "CacheWriteError"
        )
        assert.isTrue(Option.isNone(yield* cache.readServiceFailover("../..", "G@@s")))
        // nothing was written anywhere, inside or outside the cache directory
        assert.deepStrictEqual(yield* listFiles(fs, path, parent), [])

        // a '/' in a service name is encoded, so it stays one file inside the namespace directory
        yield* cache.writeServiceSnapshot("public", "G@@../../x", "ok")
        assert.deepStrictEqual(yield* listFiles(fs, path, parent), ["cache/naming/public/G%40%40..%2F..%2Fx"])
      })
    )
  )
})

describe("Cache in memory", () => {
  it.effect("snapshots round trip, failover comes from the seed and the control", () =>
    Effect.gen(function* () {
      const cache = yield* NacosCache
      const control = yield* NacosCacheMemory
      assert.deepStrictEqual(yield* cache.readConfigFailover(key), Option.some({ content: "seeded" }))
      assert.isTrue(Option.isNone(yield* cache.readConfigSnapshot(key)))
      yield* cache.writeConfigSnapshot(key, { content: "v1", encryptedDataKey: "k" })
      assert.deepStrictEqual(
        yield* cache.readConfigSnapshot(key),
        Option.some({ content: "v1", encryptedDataKey: "k" })
      )
      yield* cache.removeConfigSnapshot(key)
      assert.isTrue(Option.isNone(yield* cache.readConfigSnapshot(key)))

      const other: ConfigKey = { ...key, dataId: "other" }
      assert.isTrue(Option.isNone(yield* cache.readConfigFailover(other)))
      yield* control.putConfigFailover(other, { content: "put" })
      assert.deepStrictEqual(yield* cache.readConfigFailover(other), Option.some({ content: "put" }))
      yield* control.removeConfigFailover(other)
      assert.isTrue(Option.isNone(yield* cache.readConfigFailover(other)))

      // seeded service failover turns the switch on by default
      assert.deepStrictEqual(yield* cache.readServiceFailover("public", "G@@s"), Option.some("failover-json"))
      yield* control.setServiceFailoverSwitch(false)
      assert.isTrue(Option.isNone(yield* cache.readServiceFailover("public", "G@@s")))
      yield* control.setServiceFailoverSwitch(true)
      yield* control.putServiceFailover("public", "G@@t", "t")
      assert.deepStrictEqual(yield* cache.readServiceFailover("public", "G@@t"), Option.some("t"))
      yield* control.removeServiceFailover("public", "G@@t")
      assert.isTrue(Option.isNone(yield* cache.readServiceFailover("public", "G@@t")))

      yield* cache.writeServiceSnapshot("public", "G@@s", "snap")
      assert.deepStrictEqual(yield* cache.readServiceSnapshot("public", "G@@s"), Option.some("snap"))
      assert.isTrue(Option.isNone(yield* cache.readServiceSnapshot("dev", "G@@s")))

      // same refusals as on disk
      const bad: ConfigKey = { namespace: "public", group: "..", dataId: "x" }
      assert.strictEqual(
        (yield* Effect.flip(cache.writeConfigSnapshot(bad, { content: "pwned" })))._tag,
        "CacheWriteError"
      )
      assert.isTrue(Option.isNone(yield* cache.readConfigSnapshot(bad)))
    }).pipe(
      Effect.provide(
        Cache.layerMemory({
          configFailover: [{ key, value: { content: "seeded" } }],
          serviceFailover: [{ namespace: "public", groupedName: "G@@s", json: "failover-json" }]
        })
      )
    )
  )

  it.effect("without seeded service failover the switch starts off", () =>
    Effect.gen(function* () {
      const cache = yield* NacosCache
      const control = yield* NacosCacheMemory
      yield* control.putServiceFailover("public", "G@@s", "x")
      assert.isTrue(Option.isNone(yield* cache.readServiceFailover("public", "G@@s")))
      yield* control.setServiceFailoverSwitch(true)
      assert.deepStrictEqual(yield* cache.readServiceFailover("public", "G@@s"), Option.some("x"))
    }).pipe(Effect.provide(Cache.layerMemory()))
  )

  it.effect("two memory caches share nothing", () =>
    Effect.gen(function* () {
      const first = yield* Cache.makeMemory()
      const second = yield* Cache.makeMemory()
      yield* first.cache.writeConfigSnapshot(key, { content: "only in first" })
      assert.isTrue(Option.isNone(yield* second.cache.readConfigSnapshot(key)))
    })
  )
})

describe("Cache disabled", () => {
  it.effect("reads nothing, writes nothing", () =>
    Effect.gen(function* () {
      const cache = yield* NacosCache
      yield* cache.writeConfigSnapshot(key, { content: "x" })
      yield* cache.writeServiceSnapshot("public", "G@@s", "x")
      yield* cache.removeConfigSnapshot(key)
      assert.isTrue(Option.isNone(yield* cache.readConfigSnapshot(key)))
      assert.isTrue(Option.isNone(yield* cache.readConfigFailover(key)))
      assert.isTrue(Option.isNone(yield* cache.readServiceSnapshot("public", "G@@s")))
      assert.isTrue(Option.isNone(yield* cache.readServiceFailover("public", "G@@s")))
    }).pipe(Effect.provide(Cache.layerDisabled))
  )
})
