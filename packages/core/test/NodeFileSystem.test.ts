import * as fsp from "node:fs/promises"
import * as os from "node:os"
import * as nodePath from "node:path"
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Cache from "../src/Cache.ts"
import { fileSystem, layer, path } from "../src/internal/nodeFileSystem.ts"
import * as NacosOptions from "../src/NacosOptions.ts"

/** A fresh temp dir, removed when the test's scope closes. */
const tempDir = Effect.acquireRelease(
  Effect.promise(() => fsp.mkdtemp(nodePath.join(os.tmpdir(), "nacos-node-fs-test-"))),
  (dir) => Effect.promise(() => fsp.rm(dir, { recursive: true, force: true }))
)

const reasonOf = <A>(effect: Effect.Effect<A, { readonly reason: { readonly _tag: string } }>) =>
  effect.pipe(
    Effect.flip,
    Effect.map((error) => error.reason._tag)
  )

describe("the default stack's file system (node:fs, no platform package)", () => {
  it.effect("whole-file writes and reads, directories, rename, exists", () =>
    Effect.gen(function* () {
      const dir = yield* tempDir
      const file = path.join(dir, "a", "b", "snapshot.txt")
      yield* fileSystem.makeDirectory(path.dirname(file), { recursive: true })
      yield* fileSystem.writeFileString(file, "greeting: héllo")
      assert.strictEqual(yield* fileSystem.readFileString(file), "greeting: héllo")
      assert.deepStrictEqual(yield* fileSystem.readFile(file), new TextEncoder().encode("greeting: héllo"))

      const moved = path.join(dir, "a", "moved.txt")
      yield* fileSystem.rename(file, moved)
      assert.isFalse(yield* fileSystem.exists(file))
      assert.isTrue(yield* fileSystem.exists(moved))
      yield* fileSystem.access(moved, { readable: true, writable: true })
    }).pipe(Effect.scoped)
  )

  it.effect("failures carry the reason Effect's own Node file system gives", () =>
    Effect.gen(function* () {
      const dir = yield* tempDir
      const missing = path.join(dir, "missing.txt")
      assert.strictEqual(yield* reasonOf(fileSystem.readFileString(missing)), "NotFound")
      assert.strictEqual(yield* reasonOf(fileSystem.remove(missing)), "NotFound")
      yield* fileSystem.remove(missing, { force: true })

      const existing = path.join(dir, "existing.txt")
      yield* fileSystem.writeFileString(existing, "first")
      // the cache writes its temporary files with "wx": never over another writer's file
      assert.strictEqual(
        yield* reasonOf(fileSystem.writeFileString(existing, "second", { flag: "wx" })),
        "AlreadyExists"
      )
      assert.strictEqual(yield* fileSystem.readFileString(existing), "first")
      assert.strictEqual(yield* reasonOf(fileSystem.makeDirectory(existing)), "AlreadyExists")
    }).pipe(Effect.scoped)
  )

  it.effect("remove takes a directory tree with recursive", () =>
    Effect.gen(function* () {
      const dir = yield* tempDir
      const tree = path.join(dir, "tree")
      yield* fileSystem.makeDirectory(path.join(tree, "x", "y"), { recursive: true })
      yield* fileSystem.writeFileString(path.join(tree, "x", "y", "z.txt"), "z")
      yield* fileSystem.remove(tree, { recursive: true })
      assert.isFalse(yield* fileSystem.exists(tree))
    }).pipe(Effect.scoped)
  )

  it.effect("path is the host's node:path, with resolveWithin and file URLs", () =>
    Effect.gen(function* () {
      assert.strictEqual(path.sep, nodePath.sep)
      assert.strictEqual(path.resolve("/base", "x"), nodePath.resolve("/base", "x"))
      assert.deepStrictEqual(path.resolveWithin("/base", "../outside"), Option.none())
      const url = yield* path.toFileUrl("/base/file.txt")
      assert.strictEqual(yield* path.fromFileUrl(url), nodePath.resolve("/base/file.txt"))
    })
  )

  it.effect("the snapshot cache works over it", () =>
    Effect.gen(function* () {
      const dir = yield* tempDir
      const key: Cache.ConfigKey = { namespace: "public", group: "DEFAULT_GROUP", dataId: "app.yaml" }
      const cache = yield* Cache.NacosCache.use(Effect.succeed).pipe(
        Effect.provide(
          Cache.layer.pipe(
            Layer.provide(NacosOptions.layer({ serverAddr: "127.0.0.1:8848", cacheDir: dir })),
            Layer.provide(layer)
          )
        )
      )
      yield* cache.writeConfigSnapshot(key, { content: "a: 1", encryptedDataKey: "secret-key" })
      assert.deepStrictEqual(
        yield* cache.readConfigSnapshot(key),
        Option.some({ content: "a: 1", encryptedDataKey: "secret-key" })
      )
      yield* cache.writeConfigSnapshot(key, { content: "a: 2" })
      assert.deepStrictEqual(
        yield* cache.readConfigSnapshot(key),
        Option.some({ content: "a: 2", encryptedDataKey: undefined })
      )
      yield* cache.removeConfigSnapshot(key)
      assert.isTrue(Option.isNone(yield* cache.readConfigSnapshot(key)))
    }).pipe(Effect.scoped)
  )
})
