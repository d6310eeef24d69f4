// The consumer test: our packages as a new user gets them from npm, checked from outside the monorepo.
//
//   npm run test:consumer            (node conformance/consumer/run.ts; part of .ci/run)
//
// 1. `npm run build`, then `npm pack` every public workspace package; each tarball must hold LICENSE, README.md and
//    its dist/ entry points.
// 2. A temp project installs the tarballs, `effect` at the lowest version our peer range admits, TypeScript and
//    @types/node — nothing else — and must end with one copy of `effect` (a peer, not a dependency of ours) and
//    no redis, ws or undici.
// 3. Plain `tsc` (NodeNext, strict, no custom condition, no skipLibCheck) typechecks and compiles program.ts; the
//    same with the consumer's own `source` condition, which must not reach our .ts sources; node can import the
//    subpath exports, also under `--conditions=source`, and cannot import `internal/*`.
// 4. The program runs against a real Nacos server (started here, auth off, in parallel with steps 1–3; or the one
//    NACOS_SERVER_ADDR names): publish, read back, snapshot written, remove; register an instance, read it back,
//    close the naming layer's scope, instance gone; release an agent card, read it back, getPrompt is
//    NotSupportedError (3.1); exit 0.
//
// Any failed check exits 1 with what was found. The temp project is removed on success and kept on failure.
// Plain Node (>= 22 with type stripping): erasable TypeScript only.

import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import * as Schema from "effect/Schema"
import { type RunningNacos, startNacos } from "../server/nacos-server.ts"

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..")
const programFile = path.join(path.dirname(fileURLToPath(import.meta.url)), "program.ts")
const started = Date.now()
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)} s`
const say = (line: string) => process.stdout.write(`[consumer] ${line} (+${elapsed()})\n`)

/** The packages a user installs together with ours; nothing of theirs may bring these in. */
const FORBIDDEN_PACKAGES = ["redis", "ws", "undici"]
const REQUIRED_TARBALL_FILES = [
  "LICENSE",
  "README.md",
  "CHANGELOG.md",
  "package.json",
  "dist/index.js",
  "dist/index.d.ts"
]

class CheckFailed extends Error {}
const check = (holds: boolean, message: string) => {
  if (!holds) throw new CheckFailed(message)
}

const run = (
  command: string,
  args: ReadonlyArray<string>,
  options: { readonly cwd: string; readonly env?: NodeJS.ProcessEnv; readonly timeoutMillis?: number }
): string => {
  const result = spawnSync(command, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    encoding: "utf8",
    timeout: options.timeoutMillis ?? 300_000,
    maxBuffer: 64 * 1024 * 1024
  })
  if (result.status !== 0) {
    const output = `${result.stdout ?? ""}${result.stderr ?? ""}`.trim()
    const why = result.error?.message ?? (result.signal ? `signal ${result.signal}` : `exit code ${result.status}`)
    throw new CheckFailed(`\`${command} ${args.join(" ")}\` in ${options.cwd} failed (${why}):\n${output}`)
  }
  return result.stdout
}

const PackageJson = Schema.Struct({
  name: Schema.String,
  version: Schema.String,
  private: Schema.optional(Schema.Boolean),
  dependencies: Schema.optional(Schema.Record(Schema.String, Schema.String)),
  peerDependencies: Schema.optional(Schema.Record(Schema.String, Schema.String))
})
const readPackageJson = (file: string) =>
  Schema.decodeUnknownSync(PackageJson)(JSON.parse(fs.readFileSync(file, "utf8")))

const PackResult = Schema.Array(
  Schema.Struct({
    name: Schema.String,
    filename: Schema.String,
    size: Schema.Number,
    unpackedSize: Schema.Number,
    files: Schema.Array(Schema.Struct({ path: Schema.String }))
  })
)

const RootWorkspaces = Schema.Struct({ workspaces: Schema.Array(Schema.String) })

/** Every installed package under a node_modules tree, nested ones included, with where it is. */
const installedPackages = (nodeModules: string): Array<{ readonly name: string; readonly directory: string }> => {
  const found: Array<{ readonly name: string; readonly directory: string }> = []
  const visit = (directory: string) => {
    if (!fs.existsSync(directory)) return
    for (const entry of fs.readdirSync(directory, { withFileTypes: true })) {
      if (!entry.isDirectory() || entry.name.startsWith(".")) continue
      const candidates = entry.name.startsWith("@")
        ? fs.readdirSync(path.join(directory, entry.name)).map((name) => `${entry.name}/${name}`)
        : [entry.name]
      for (const name of candidates) {
        const packageDirectory = path.join(directory, name)
        if (!fs.existsSync(path.join(packageDirectory, "package.json"))) continue
        found.push({ name, directory: packageDirectory })
        visit(path.join(packageDirectory, "node_modules"))
      }
    }
  }
  visit(nodeModules)
  return found
}

const bytesUnder = (directory: string): number => {
  let total = 0
  for (const entry of fs.readdirSync(directory, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) total += fs.statSync(path.join(entry.parentPath, entry.name)).size
  }
  return total
}
const megabytes = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`

/** The lowest version a `^x.y.z` / `>=x.y.z` range admits: the consumer installs it, so the range's floor is tested. */
const floorOf = (range: string): string => {
  const match = /^(?:\^|>=|~)?\s*(\d+\.\d+\.\d+)/.exec(range)
  if (match?.[1] === undefined) throw new CheckFailed(`cannot tell the lowest version of the peer range ${range}`)
  return match[1]
}

const packAndCheckTarballs = (destination: string) => {
  run("npm", ["run", "build"], { cwd: repoRoot })
  say("built")
  const { workspaces } = Schema.decodeUnknownSync(RootWorkspaces)(
    JSON.parse(fs.readFileSync(path.join(repoRoot, "package.json"), "utf8"))
  )
  const manifests = workspaces.map((workspace) => ({
    workspace,
    manifest: readPackageJson(path.join(repoRoot, workspace, "package.json"))
  }))
  const published = manifests.filter(({ manifest }) => manifest.private !== true)
  check(published.length > 0, "no public workspace package to pack")
  const packed = Schema.decodeUnknownSync(PackResult)(
    JSON.parse(
      run(
        "npm",
        [
          "pack",
          "--json",
          "--pack-destination",
          destination,
          ...published.flatMap(({ workspace }) => ["--workspace", workspace])
        ],
        { cwd: repoRoot }
      )
    )
  )
  for (const tarball of packed) {
    const paths = new Set(tarball.files.map((file) => file.path))
    const missing = REQUIRED_TARBALL_FILES.filter((file) => !paths.has(file))
    check(missing.length === 0, `${tarball.filename} lacks ${missing.join(", ")}`)
    const stray = [...paths].filter((file) => !/^(dist|src)\//.test(file) && !REQUIRED_TARBALL_FILES.includes(file))
    check(stray.length === 0, `${tarball.filename} holds files outside dist/ and src/: ${stray.join(", ")}`)
    say(
      `packed ${tarball.filename}: ${tarball.files.length} files, ${megabytes(tarball.size)} packed, ${megabytes(tarball.unpackedSize)} unpacked`
    )
  }
  const skipped = manifests.filter(({ manifest }) => manifest.private === true).map(({ manifest }) => manifest.name)
  if (skipped.length > 0) say(`private, not packed: ${skipped.join(", ")}`)
  return { packed, published }
}

const main = async () => {
  const workDirectory = fs.mkdtempSync(path.join(os.tmpdir(), "effect-nacos-consumer-"))
  // The server takes ~30 s to start: it starts while we build, pack and install.
  const nacosStarting: Promise<RunningNacos> = startNacos("auth-off", { quiet: true })
  // A rejection is awaited below; until then it must not count as unhandled.
  nacosStarting.catch(() => undefined)
  let nacos: RunningNacos | undefined
  let passed = false
  try {
    const tarballs = path.join(workDirectory, "tarballs")
    fs.mkdirSync(tarballs)
    const { packed, published } = packAndCheckTarballs(tarballs)

    for (const { manifest } of published) {
      check(manifest.dependencies?.effect === undefined, `${manifest.name} lists effect as a dependency`)
      check(manifest.peerDependencies?.effect !== undefined, `${manifest.name} does not list effect as a peer`)
    }
    const effectRange = published[0]?.manifest.peerDependencies?.effect ?? ""
    const effectVersion = floorOf(effectRange)
    const rootModules = path.join(repoRoot, "node_modules")
    const typescriptVersion = readPackageJson(path.join(rootModules, "typescript", "package.json")).version
    const nodeTypesVersion = readPackageJson(path.join(rootModules, "@types", "node", "package.json")).version

    const project = path.join(workDirectory, "app")
    fs.mkdirSync(path.join(project, "src"), { recursive: true })
    fs.copyFileSync(programFile, path.join(project, "src", "main.ts"))
    const dependencies: Record<string, string> = { effect: effectVersion }
    for (const tarball of packed) dependencies[tarball.name] = `file:${path.join(tarballs, tarball.filename)}`
    fs.writeFileSync(
      path.join(project, "package.json"),
      `${JSON.stringify(
        {
          name: "effect-nacos-consumer",
          private: true,
          type: "module",
          dependencies,
          devDependencies: { typescript: typescriptVersion, "@types/node": nodeTypesVersion }
        },
        null,
        2
      )}\n`
    )
    const compilerOptions = {
      target: "ES2022",
      module: "NodeNext",
      moduleResolution: "NodeNext",
      strict: true,
      types: ["node"],
      rootDir: "src",
      outDir: "dist"
    }
    fs.writeFileSync(path.join(project, "tsconfig.json"), JSON.stringify({ compilerOptions, include: ["src"] }))
    // A consumer whose own monorepo uses a `source` condition: it must still get our dist/, never our .ts files.
    fs.writeFileSync(
      path.join(project, "tsconfig.source.json"),
      JSON.stringify({ extends: "./tsconfig.json", compilerOptions: { customConditions: ["source"], noEmit: true } })
    )

    run("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline"], { cwd: project })
    const modules = path.join(project, "node_modules")
    const installed = installedPackages(modules)
    const effects = installed.filter((entry) => entry.name === "effect")
    check(
      effects.length === 1,
      `expected one copy of effect, found ${effects.length}: ${effects.map((e) => e.directory).join(", ")}`
    )
    const forbidden = installed.filter((entry) => FORBIDDEN_PACKAGES.some((name) => entry.name === name))
    check(forbidden.length === 0, `installed: ${forbidden.map((entry) => entry.directory).join(", ")}`)
    const bytes = (name: string) =>
      installed.filter((entry) => entry.name === name).reduce((sum, entry) => sum + bytesUnder(entry.directory), 0)
    const total = bytesUnder(modules)
    say(
      `installed ${installed.length} packages with effect@${effectVersion}: node_modules ${megabytes(total)}, ` +
        `${megabytes(total - bytes("effect") - bytes("typescript") - bytes("@types/node"))} without effect, ` +
        "typescript and @types/node; one effect; no redis, ws or undici"
    )

    const tsc = path.join(modules, "typescript", "bin", "tsc")
    run(process.execPath, [tsc, "-p", "tsconfig.json"], { cwd: project })
    run(process.execPath, [tsc, "-p", "tsconfig.source.json"], { cwd: project })
    say("plain tsc (NodeNext, strict, no skipLibCheck) passed, also with the consumer's own `source` condition")

    const imports = [
      'await import("@effect-nacos/core")',
      'await import("@effect-nacos/core/Auth")',
      'await import("@effect-nacos/config/ConfigService")',
      'await import("@effect-nacos/naming/NamingService")',
      'await import("@effect-nacos/ai/AiService")',
      'await import("@effect-nacos/core/testing").then((kit) => { if (typeof kit.FakeNacosServer !== "function")' +
        ' throw new Error("@effect-nacos/core/testing has no FakeNacosServer") })',
      'await import("@effect-nacos/core/package.json", { with: { type: "json" } })',
      'await import("@effect-nacos/core/internal/payload").then(() => { throw new Error("internal/* is importable") },' +
        ' (e) => { if (e.code !== "ERR_PACKAGE_PATH_NOT_EXPORTED") throw e })'
    ].join(";")
    for (const conditions of [[], ["--conditions=source"]]) {
      run(process.execPath, [...conditions, "--input-type=module", "-e", imports], { cwd: project })
    }
    say("node imports the subpath exports (also under --conditions=source), not internal/*")

    nacos = await nacosStarting
    say(`Nacos ready at ${nacos.serverAddr}`)
    const output = run(process.execPath, ["dist/main.js"], {
      cwd: project,
      timeoutMillis: 60_000,
      env: {
        ...process.env,
        NACOS_SERVER_ADDR: nacos.serverAddr,
        NACOS_USERNAME: nacos.username,
        NACOS_PASSWORD: nacos.password,
        NACOS_CACHE_DIR: path.join(workDirectory, "nacos-cache")
      }
    })
    process.stdout.write(output)
    passed = true
    say("passed")
  } finally {
    // A start still under way is awaited so that its JVM is stopped too.
    nacos ??= await nacosStarting.catch(() => undefined)
    await nacos?.stop()
    if (passed) fs.rmSync(workDirectory, { recursive: true, force: true })
    else process.stderr.write(`[consumer] kept ${workDirectory} for a look\n`)
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`[consumer] FAILED (+${elapsed()}): ${error instanceof Error ? error.message : String(error)}\n`)
  if (!(error instanceof CheckFailed) && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`)
  process.exitCode = 1
})
