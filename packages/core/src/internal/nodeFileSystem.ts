/**
 * The file system and path services the default stack gives the snapshot/failover cache, over `node:fs/promises`,
 * `node:path` and `node:url`.
 *
 * `@effect/platform-node` (and `@effect/platform-node-shared`) would bring `undici`, `ws` and, as an auto-installed
 * peer, `redis` into every consumer's `node_modules` for the five file operations the cache needs. So the cache's
 * operations are implemented here — reading and writing whole files, `makeDirectory`, `rename`, `remove`, `exists` /
 * `access` — and every other `FileSystem` operation fails as not found (Effect's `makeNoop` defaults). A user who wants
 * a complete Node `FileSystem` provides `NodeFileSystem.layer` from `@effect/platform-node` with
 * `Nacos.layerWithoutPlatform`.
 */
import * as fs from "node:fs"
import * as fsp from "node:fs/promises"
import * as nodePath from "node:path"
import * as nodeUrl from "node:url"
import * as Effect from "effect/Effect"
import * as FileSystem from "effect/FileSystem"
import * as Layer from "effect/Layer"
import * as Path from "effect/Path"
import * as PlatformError from "effect/PlatformError"

const reasonOf = (code: string | undefined): PlatformError.SystemErrorTag => {
  switch (code) {
    case "ENOENT":
      return "NotFound"
    case "EACCES":
    case "EPERM":
      return "PermissionDenied"
    case "EEXIST":
      return "AlreadyExists"
    case "EISDIR":
    case "ENOTDIR":
    case "ELOOP":
      return "BadResource"
    case "EBUSY":
      return "Busy"
    default:
      return "Unknown"
  }
}

const errnoCode = (cause: unknown): string | undefined =>
  typeof cause === "object" && cause !== null && "code" in cause && typeof cause.code === "string"
    ? cause.code
    : undefined

/** One `node:fs/promises` call as an Effect failing with the `PlatformError` Effect's own Node file system gives. */
const call = <A>(method: string, path: string, run: () => Promise<A>): Effect.Effect<A, PlatformError.PlatformError> =>
  Effect.tryPromise({
    try: run,
    catch: (cause) =>
      PlatformError.systemError({
        _tag: reasonOf(errnoCode(cause)),
        module: "FileSystem",
        method,
        pathOrDescriptor: path,
        cause
      })
  })

const accessMode = (options: { readonly readable?: boolean | undefined; readonly writable?: boolean | undefined }) =>
  (options.readable ? fsp.constants.R_OK : 0) | (options.writable ? fsp.constants.W_OK : 0) || fsp.constants.F_OK

/** The cache's file operations over `node:fs/promises`. */
export const fileSystem: FileSystem.FileSystem = FileSystem.makeNoop({
  access: (path, options = {}) => call("access", path, () => fsp.access(path, accessMode(options))),
  // one stat, no error object on a miss: the cache asks on every get whether a failover file exists (Java's
  // `File.exists()`), and nearly always it does not
  exists: (path) => Effect.sync(() => fs.existsSync(path)),
  readFile: (path) => call("readFile", path, () => fsp.readFile(path)),
  readFileString: (path, encoding = "utf-8") =>
    call("readFileString", path, () => fsp.readFile(path)).pipe(
      Effect.flatMap((bytes) =>
        Effect.try({
          try: () => new TextDecoder(encoding).decode(bytes),
          catch: (cause) =>
            PlatformError.badArgument({
              module: "FileSystem",
              method: "readFileString",
              description: "invalid encoding",
              cause
            })
        })
      )
    ),
  writeFile: (path, data, options = {}) =>
    call("writeFile", path, () => fsp.writeFile(path, data, { flag: options.flag ?? "w", mode: options.mode })),
  writeFileString: (path, data, options = {}) =>
    call("writeFileString", path, () =>
      fsp.writeFile(path, data, { encoding: "utf-8", flag: options.flag ?? "w", mode: options.mode })
    ),
  makeDirectory: (path, options = {}) =>
    call("makeDirectory", path, () => fsp.mkdir(path, { recursive: options.recursive ?? false, mode: options.mode })),
  rename: (oldPath, newPath) => call("rename", oldPath, () => fsp.rename(oldPath, newPath)),
  remove: (path, options = {}) =>
    call("remove", path, () => fsp.rm(path, { recursive: options.recursive ?? false, force: options.force ?? false }))
})

/** The host platform's `node:path`, with file URL conversion: what `NodePath.layer` gives, without its package. */
export const path: Path.Path = Path.make({
  ...nodePath,
  fromFileUrl: (url) =>
    Effect.try({
      try: () => nodeUrl.fileURLToPath(url),
      catch: (cause) => new PlatformError.BadArgument({ module: "Path", method: "fromFileUrl", cause })
    }),
  toFileUrl: (filePath) =>
    Effect.try({
      try: () => nodeUrl.pathToFileURL(filePath),
      catch: (cause) => new PlatformError.BadArgument({ module: "Path", method: "toFileUrl", cause })
    })
})

export const layer: Layer.Layer<FileSystem.FileSystem | Path.Path> = Layer.mergeAll(
  Layer.succeed(FileSystem.FileSystem)(fileSystem),
  Layer.succeed(Path.Path)(path)
)
