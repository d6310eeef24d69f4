/**
 * The four clients under test: how each one's driver is installed (reproducibly, into a git-ignored cache) and
 * started. Versions are pinned here and in the files beside the drivers; the output names them.
 */
import { execFileSync, spawnSync } from "node:child_process"
import { createHash } from "node:crypto"
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import * as Schema from "effect/Schema"
import type { DriverLaunch } from "./driverProcess.ts"

export type ClientName = "effect" | "bare" | "java" | "python"

export const CLIENT_NAMES: ReadonlyArray<ClientName> = ["effect", "bare", "java", "python"]

export const isClientName = (name: string): name is ClientName => CLIENT_NAMES.some((client) => client === name)

const PEERS_DIR = path.dirname(fileURLToPath(import.meta.url))
const DRIVERS_DIR = path.join(PEERS_DIR, "drivers")
const REPO_DIR = path.resolve(PEERS_DIR, "..", "..")
/** Under build/ (git-ignored, outside lint and typecheck): the venv and the Java classpath. */
export const CACHE_DIR = path.join(REPO_DIR, "build", "bench-peers-cache")

const JAVA_POM = path.join(PEERS_DIR, "java", "pom.xml")
const PYTHON_REQUIREMENTS = path.join(PEERS_DIR, "python", "requirements.txt")
/** Its dependencies as pinned when the version was chosen (pip freeze). */
const PYTHON_CONSTRAINTS = path.join(PEERS_DIR, "python", "constraints.txt")

/**
 * The Java client answers an identical `getConfig` from its local snapshot once more than `limitTime` (default 5)
 * per second are asked (`com.alibaba.nacos.client.config.impl.Limiter`, read per request in
 * `ClientWorker.ConfigRpcTransportClient#requestProxy`: a Guava RateLimiter per request JSON, waiting up to 1 s for
 * a permit, then `NacosException(CLIENT_OVER_THRESHOLD)`, which `NacosConfigService#getConfigInner` turns into a
 * snapshot read). Lifted here so every get goes to the server, as every other client's does.
 */
export const JAVA_LIMIT_TIME = 1_000_000

/** What `prepare` may change from the defaults above. */
export interface PrepareOptions {
  /** The Java client's `limitTime` (default {@link JAVA_LIMIT_TIME}; 5 = the client's own default). */
  readonly javaLimitTime?: number
}

export interface ClientInfo {
  readonly name: ClientName
  readonly label: string
  readonly version: string
  readonly launch: DriverLaunch
  readonly notes: ReadonlyArray<string>
}

const progress = (message: string) => process.stderr.write(`[peers] ${message}\n`)

/** A cached install is reused while its recipe (the pom or the requirements) is unchanged. */
const recipeHash = (...files: ReadonlyArray<string>) => {
  const hash = createHash("sha256")
  for (const file of files) hash.update(fs.readFileSync(file))
  return hash.digest("hex")
}

const PackageJson = Schema.fromJsonString(Schema.Struct({ version: Schema.String }))
const packageVersion = (dir: string) =>
  Schema.decodeUnknownSync(PackageJson)(fs.readFileSync(path.join(dir, "package.json"), "utf8")).version

const javaVersion = () => /<nacos\.client\.version>([^<]+)</.exec(fs.readFileSync(JAVA_POM, "utf8"))?.[1] ?? "?"
const pythonVersion = () => /^nacos-sdk-python==(\S+)/m.exec(fs.readFileSync(PYTHON_REQUIREMENTS, "utf8"))?.[1] ?? "?"

/** Resolves nacos-client and its dependencies from Maven Central (into ~/.m2); the classpath is cached. */
const installJava = (): string => {
  const classpathFile = path.join(CACHE_DIR, "java-classpath.txt")
  const stampFile = path.join(CACHE_DIR, "java-classpath.sha256")
  const hash = recipeHash(JAVA_POM)
  if (fs.existsSync(classpathFile) && fs.existsSync(stampFile) && fs.readFileSync(stampFile, "utf8") === hash) {
    const classpath = fs.readFileSync(classpathFile, "utf8").trim()
    if (classpath.split(path.delimiter).every((entry) => fs.existsSync(entry))) return classpath
  }
  progress(`resolving com.alibaba.nacos:nacos-client:${javaVersion()} with Maven`)
  fs.mkdirSync(CACHE_DIR, { recursive: true })
  const maven = spawnSync(
    process.env.NACOS_MVN ?? "mvn",
    [
      "-B",
      "-ntp",
      "-q",
      "-f",
      JAVA_POM,
      "dependency:build-classpath",
      `-Dmdep.outputFile=${classpathFile}`,
      "-Dmdep.includeScope=runtime"
    ],
    { encoding: "utf8" }
  )
  if (maven.status !== 0) throw new Error(`Maven could not resolve ${JAVA_POM}:\n${maven.stdout}\n${maven.stderr}`)
  fs.writeFileSync(stampFile, hash)
  return fs.readFileSync(classpathFile, "utf8").trim()
}

/** A venv with the pinned nacos-sdk-python from PyPI. */
const installPython = (): string => {
  const venv = path.join(CACHE_DIR, "venv")
  const python = path.join(venv, "bin", "python")
  const stampFile = path.join(CACHE_DIR, "venv.sha256")
  const hash = recipeHash(PYTHON_REQUIREMENTS, PYTHON_CONSTRAINTS)
  if (fs.existsSync(python) && fs.existsSync(stampFile) && fs.readFileSync(stampFile, "utf8") === hash) return python
  progress(`installing nacos-sdk-python==${pythonVersion()} into ${venv}`)
  fs.rmSync(venv, { recursive: true, force: true })
  fs.mkdirSync(CACHE_DIR, { recursive: true })
  execFileSync("python3", ["-m", "venv", venv], { stdio: ["ignore", "ignore", "inherit"] })
  execFileSync(
    python,
    ["-m", "pip", "install", "-q", "--disable-pip-version-check", "-r", PYTHON_REQUIREMENTS, "-c", PYTHON_CONSTRAINTS],
    {
      stdio: ["ignore", "ignore", "inherit"]
    }
  )
  fs.writeFileSync(stampFile, hash)
  return python
}

/** Installs what `name` needs (if not cached) and says how to start its driver. */
export const prepare = (name: ClientName, options: PrepareOptions = {}): ClientInfo => {
  switch (name) {
    case "effect":
      return {
        name,
        label: "effect-nacos",
        version: packageVersion(path.join(REPO_DIR, "packages", "config")),
        launch: {
          command: process.execPath,
          args: ["--conditions=@effect-nacos/source", "--expose-gc", path.join(DRIVERS_DIR, "effect.ts")]
        },
        notes: ["ConfigService.layer over Nacos.layer, defaults (failover file and snapshots on)"]
      }
    case "bare":
      return {
        name,
        label: "bare grpc-js",
        version: packageVersion(path.join(REPO_DIR, "node_modules", "@grpc", "grpc-js")),
        launch: { command: process.execPath, args: ["--expose-gc", path.join(DRIVERS_DIR, "bare.ts")] },
        notes: ["one @grpc/grpc-js unary call per get with effect-nacos' Payload; gets only"]
      }
    case "java": {
      const classpath = installJava()
      const limitTime = options.javaLimitTime ?? JAVA_LIMIT_TIME
      return {
        name,
        label: "Java nacos-client",
        version: javaVersion(),
        launch: {
          command: process.env.JAVA ?? "java",
          args: [`-DlimitTime=${limitTime}`, "-cp", classpath, path.join(DRIVERS_DIR, "PeerDriver.java")],
          protocolFd: 1
        },
        notes: [
          limitTime > 5
            ? `-DlimitTime=${limitTime}: the client's default limit of 5 identical gets per second (beyond it a get waits up to 1 s, then is answered from the local snapshot) is lifted, so every get reaches the server`
            : `-DlimitTime=${limitTime}: identical gets beyond ${limitTime} per second wait up to 1 s, then are answered from the local snapshot (the client's default is 5)`,
          "JVM defaults otherwise (G1, default heap); gets on inFlight platform threads, as getConfig blocks"
        ]
      }
    }
    case "python":
      return {
        name,
        label: "nacos-sdk-python",
        version: pythonVersion(),
        launch: { command: installPython(), args: [path.join(DRIVERS_DIR, "peer_driver.py")] },
        notes: [
          "the asyncio v2 API (NacosConfigService over gRPC), defaults: it logs every query at INFO to its log file and writes its cache file after every get"
        ]
      }
  }
}
