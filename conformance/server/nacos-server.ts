// Starts real Nacos 3.x servers (standalone, embedded Derby, loopback only) for the
// conformance tests. Plain Node (>= 22 with type stripping): erasable TypeScript only.
//
//   const nacos = await startNacos("auth-on")
//   ... nacos.serverAddr, nacos.username, nacos.password ...
//   await nacos.restart()   // restart in place: SIGTERM, same ports/home/data, resolves when ready again
//   await nacos.kill()      // SIGKILL (server lost); `await nacos.start()` brings it back in place
//   await nacos.stop()      // for good: home removed
//
// The 3-node cluster (same restart/kill/start per node) is in nacos-cluster.ts: `startNacosCluster()`.
// The server jars come from Maven Central (see pom.xml); `resolveClasspath()` runs Maven once
// and caches the classpath in .cache/classpath.txt (git-ignored). The JVM runs our own
// NacosConformanceLauncher.java in source-file mode, so no build step is needed.
//
// If NACOS_SERVER_ADDR is set, nothing is started: `startNacos` describes that external server
// (credentials from NACOS_USERNAME / NACOS_PASSWORD), `stop()` does nothing and restart/kill/start reject.

import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as fsp from "node:fs/promises"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import {
  createAdmin,
  decodeBody,
  freshSecrets,
  generatePassword,
  HOST,
  login,
  NacosNode,
  pickPorts,
  prepareHome,
  progress,
  releasePorts,
  StartFailure,
  USERNAME
} from "./nacos-node.ts"

export { isOurJvm, killProcess, LAUNCHER_MARKER } from "./nacos-node.ts"

export type NacosProfile = "auth-off" | "auth-on"

export const NACOS_PROFILES: ReadonlyArray<NacosProfile> = ["auth-off", "auth-on"]

export interface RunningNacos {
  readonly profile: NacosProfile
  /** Always "127.0.0.1" for servers started here; the configured host for an external server. */
  readonly host: string
  readonly httpPort: number
  /** SDK gRPC port, always httpPort + 1000. */
  readonly grpcPort: number
  /** Console (UI + /v3/console/**) port, root context. */
  readonly consolePort: number
  /** "127.0.0.1:<httpPort>" (HTTP OpenAPI lives under the /nacos context path). */
  readonly serverAddr: string
  readonly username: string
  readonly password: string
  /** nacos.core.auth.enabled (client OpenAPI / gRPC auth). Admin and console APIs always need a token. */
  readonly authEnabled: boolean
  /** Temporary nacos.home ("" for an external server). Logs are in <home>/logs. */
  readonly home: string
  /** The running JVM's pid (undefined for an external server, and while killed or stopped). */
  readonly pid: number | undefined
  /** Whether the JVM is up (always true for an external server). */
  readonly running: boolean
  readonly external: boolean
  /** Stops the server for good (SIGTERM, SIGKILL after 8 s) and removes its home. */
  stop(): Promise<void>
  /**
   * Restart in place: SIGTERM (SIGKILL after 8 s), then the same command line again (same ports, home and data);
   * resolves once the server is ready and login works again.
   */
  restart(): Promise<void>
  /** SIGKILL, as when a server is lost; resolves once the JVM is gone. Ports, home and data stay for `start()`. */
  kill(): Promise<void>
  /** After `kill()`: the same command line again; resolves once ready and login works. Nothing if running. */
  start(): Promise<void>
}

export interface StartNacosOptions {
  /** Readiness timeout in milliseconds (default 180 000). */
  readonly timeoutMs?: number
  /** Admin password to create (default: random). */
  readonly password?: string
  /** Let the JVM outlive this Node process (used by cli.ts). Default false. */
  readonly detached?: boolean
  /** Keep the temporary nacos.home after stop() (default false, or env NACOS_KEEP_HOME=1). */
  readonly keepHome?: boolean
  /** Extra JVM flags appended after the defaults. */
  readonly jvmArgs?: ReadonlyArray<string>
  /** Suppress progress messages on stderr. */
  readonly quiet?: boolean
}

const SERVER_DIR = path.dirname(fileURLToPath(import.meta.url))
const POM_FILE = path.join(SERVER_DIR, "pom.xml")
const CACHE_DIR = path.join(SERVER_DIR, ".cache")
const CLASSPATH_FILE = path.join(CACHE_DIR, "classpath.txt")
const DEFAULT_TIMEOUT_MS = 180_000

// ---------------------------------------------------------------------------------------------
// Classpath (Maven)
// ---------------------------------------------------------------------------------------------

let classpathPromise: Promise<string> | undefined

const readCachedClasspath = (): string | undefined => {
  try {
    const cpStat = fs.statSync(CLASSPATH_FILE)
    if (cpStat.mtimeMs < fs.statSync(POM_FILE).mtimeMs) return undefined
    const cp = fs.readFileSync(CLASSPATH_FILE, "utf8").trim()
    if (cp === "") return undefined
    const entries = cp.split(path.delimiter)
    if (!entries.every((entry) => fs.existsSync(entry))) return undefined
    return cp
  } catch {
    return undefined
  }
}

const runMaven = (outputFile: string): Promise<void> =>
  new Promise((resolve, reject) => {
    const mvn = process.env.NACOS_MVN ?? "mvn"
    const args = [
      "-B",
      "-ntp",
      "-Dstyle.color=never",
      "-f",
      POM_FILE,
      "dependency:build-classpath",
      `-Dmdep.outputFile=${outputFile}`,
      "-Dmdep.includeScope=runtime"
    ]
    const child = spawn(mvn, args, { cwd: SERVER_DIR, stdio: ["ignore", "pipe", "pipe"] })
    const tail: Array<string> = []
    const onData = (chunk: Buffer): void => {
      const text = chunk.toString("utf8")
      process.stderr.write(text.replace(/^(?=.)/gm, "[nacos:mvn] "))
      tail.push(...text.split("\n"))
      if (tail.length > 200) tail.splice(0, tail.length - 200)
    }
    child.stdout.on("data", onData)
    child.stderr.on("data", onData)
    child.on("error", (error) => reject(new Error(`cannot run Maven (${mvn}): ${error.message}`)))
    child.on("exit", (code, signal) => {
      if (code === 0) resolve()
      else {
        reject(new Error(`Maven failed (exit ${code ?? signal}) resolving ${POM_FILE}:\n${tail.slice(-60).join("\n")}`))
      }
    })
  })

/** Resolves the Nacos server classpath with Maven once (cached in .cache/classpath.txt). */
export const resolveClasspath = (): Promise<string> => {
  if (classpathPromise !== undefined) return classpathPromise
  classpathPromise = (async () => {
    const cached = readCachedClasspath()
    if (cached !== undefined) return cached
    const started = Date.now()
    process.stderr.write(
      "[nacos] resolving the Nacos server classpath with Maven (first run downloads ~200 MB into ~/.m2)...\n"
    )
    await fsp.mkdir(CACHE_DIR, { recursive: true })
    const tmp = `${CLASSPATH_FILE}.${process.pid}.tmp`
    try {
      await runMaven(tmp)
      await fsp.rename(tmp, CLASSPATH_FILE)
    } finally {
      await fsp.rm(tmp, { force: true })
    }
    const cp = readCachedClasspath()
    if (cp === undefined) throw new Error(`Maven did not produce a usable classpath in ${CLASSPATH_FILE}`)
    process.stderr.write(`[nacos] classpath resolved in ${((Date.now() - started) / 1000).toFixed(1)} s\n`)
    return cp
  })()
  classpathPromise.catch(() => {
    classpathPromise = undefined
  })
  return classpathPromise
}

// ---------------------------------------------------------------------------------------------
// Start / stop
// ---------------------------------------------------------------------------------------------

const externalServer = (profile: NacosProfile): RunningNacos | undefined => {
  const raw = process.env.NACOS_SERVER_ADDR
  if (raw === undefined || raw.trim() === "") return undefined
  const addr =
    raw
      .trim()
      .replace(/^https?:\/\//, "")
      .replace(/\/.*$/, "")
      .split(",")[0] ?? ""
  const colon = addr.lastIndexOf(":")
  const host = colon > 0 ? addr.slice(0, colon) : addr
  const httpPort = colon > 0 ? Number(addr.slice(colon + 1)) : 8848
  if (!Number.isInteger(httpPort) || httpPort <= 0) throw new Error(`invalid NACOS_SERVER_ADDR: ${raw}`)
  const authEnv = process.env.NACOS_AUTH_ENABLED
  const notOurs = () => Promise.reject(new Error(`the external server ${host}:${httpPort} cannot be restarted here`))
  return {
    profile,
    host,
    httpPort,
    grpcPort: httpPort + 1000,
    consolePort: Number(process.env.NACOS_CONSOLE_PORT ?? "8080"),
    serverAddr: `${host}:${httpPort}`,
    username: process.env.NACOS_USERNAME ?? USERNAME,
    password: process.env.NACOS_PASSWORD ?? "",
    authEnabled: authEnv !== undefined && authEnv !== "" ? authEnv === "true" : profile === "auth-on",
    home: "",
    pid: undefined,
    running: true,
    external: true,
    stop: () => Promise.resolve(),
    restart: notOurs,
    kill: notOurs,
    start: notOurs
  }
}

/** The RunningNacos face of a booted node, plus `extra` fields (nacos-cluster.ts adds the node's name). */
export const describeNode = <Extra extends object>(
  node: NacosNode,
  profile: NacosProfile,
  password: string,
  authEnabled: boolean,
  extra: Extra
): RunningNacos & Extra => {
  const { ports, home } = node.spec
  // after a restart, auth must work again before the node counts as back
  const bootAndLogin = async (): Promise<void> => {
    await node.boot()
    await login(ports.http, password)
  }
  return {
    ...extra,
    profile,
    host: HOST,
    httpPort: ports.http,
    grpcPort: ports.grpc,
    consolePort: ports.console,
    serverAddr: `${HOST}:${ports.http}`,
    username: USERNAME,
    password,
    authEnabled,
    home,
    get pid() {
      return node.pid
    },
    get running() {
      return node.running
    },
    external: false,
    stop: () => node.destroy(),
    restart: async () => {
      await node.shutdown()
      await bootAndLogin()
    },
    kill: () => node.kill(),
    start: bootAndLogin
  }
}

const startOnce = async (
  profile: NacosProfile,
  classpath: string,
  options: StartNacosOptions
): Promise<RunningNacos> => {
  const password = options.password ?? generatePassword()
  const authEnabled = profile === "auth-on"
  const ports = await pickPorts()
  let home: string
  try {
    home = await prepareHome({
      label: profile,
      ports,
      authEnabled,
      secrets: freshSecrets(),
      members: [`${HOST}:${ports.http}`],
      standalone: true
    })
  } catch (error) {
    releasePorts(ports)
    throw error
  }
  const node = new NacosNode({
    label: profile,
    classpath,
    ports,
    home,
    standalone: true,
    keepHome: options.keepHome ?? process.env.NACOS_KEEP_HOME === "1",
    detached: options.detached ?? false,
    timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    quiet: options.quiet,
    jvmArgs: options.jvmArgs
  })
  try {
    const readyMs = await node.boot()
    // a fresh nacos.home has no users; login is checked always (required to work for auth-on)
    await createAdmin(ports.http, password)
    await login(ports.http, password)
    progress(
      options.quiet,
      `${profile}: ready in ${(readyMs / 1000).toFixed(1)} s (pid ${node.pid}, ${HOST}:${ports.http})`
    )
  } catch (error) {
    const failure =
      error instanceof StartFailure
        ? error
        : new StartFailure(`Nacos (${profile}) admin setup failed: ${(error as Error).message}\n${node.logs()}`, false)
    await node.destroy()
    throw failure
  }
  // cli.ts owns the JVM from now on: its parent watchdog switches off
  if (options.detached) await node.handOver()
  return describeNode(node, profile, password, authEnabled, {})
}

// ---------------------------------------------------------------------------------------------
// State file written by cli.ts (`npm run nacos:start`)
// ---------------------------------------------------------------------------------------------

/** conformance/server/.state.json, or env NACOS_STATE_FILE. */
export const STATE_FILE = process.env.NACOS_STATE_FILE ?? path.join(SERVER_DIR, ".state.json")

const NacosStateEntry = Schema.Struct({
  profile: Schema.Literals(["auth-off", "auth-on"]),
  /** Only for cluster nodes: "cluster-n1" .. "cluster-n3". */
  name: Schema.optional(Schema.String),
  host: Schema.String,
  httpPort: Schema.Number,
  grpcPort: Schema.Number,
  consolePort: Schema.Number,
  serverAddr: Schema.String,
  username: Schema.String,
  password: Schema.String,
  authEnabled: Schema.Boolean,
  home: Schema.String,
  pid: Schema.Number
})
export type NacosStateEntry = typeof NacosStateEntry.Type

const NacosState = Schema.Struct({ startedAt: Schema.String, servers: Schema.Array(NacosStateEntry) })
export type NacosState = typeof NacosState.Type

/** The servers started by `cli.ts start`, or undefined when there is no state file. */
export const readNacosState = (): NacosState | undefined => {
  if (!fs.existsSync(STATE_FILE)) return undefined
  return Option.getOrUndefined(decodeBody(NacosState, fs.readFileSync(STATE_FILE, "utf8")))
}

/** Starts one Nacos server for `profile` (or describes the external one from NACOS_SERVER_ADDR). */
export const startNacos = async (profile: NacosProfile, options: StartNacosOptions = {}): Promise<RunningNacos> => {
  const external = externalServer(profile)
  if (external !== undefined) return external
  const classpath = await resolveClasspath()
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(profile, classpath, options)
    } catch (error) {
      if (error instanceof StartFailure && error.portInUse && attempt < 3) {
        progress(options.quiet, `${profile}: port collision, retrying with other ports`)
        continue
      }
      throw error
    }
  }
}

/** Starts several profiles concurrently; if one fails, the others are stopped again. */
export const startNacosProfiles = async <P extends NacosProfile>(
  profiles: ReadonlyArray<P> = NACOS_PROFILES as ReadonlyArray<P>,
  options: StartNacosOptions = {}
): Promise<{ readonly [K in P]: RunningNacos }> => {
  if (externalServer(NACOS_PROFILES[0]!) === undefined) await resolveClasspath()
  const results = await Promise.allSettled(profiles.map((profile) => startNacos(profile, options)))
  const failures = results.filter((r): r is PromiseRejectedResult => r.status === "rejected")
  if (failures.length > 0) {
    await Promise.all(results.map((r) => (r.status === "fulfilled" ? r.value.stop() : Promise.resolve())))
    throw failures.length === 1
      ? failures[0]!.reason
      : new AggregateError(
          failures.map((f) => f.reason),
          failures.map((f) => String(f.reason?.message ?? f.reason)).join("\n\n")
        )
  }
  const started = results.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []))
  const byProfile = (profile: P): RunningNacos => started.find((server) => server.profile === profile)!
  return Object.fromEntries(profiles.map((profile) => [profile, byProfile(profile)])) as {
    readonly [K in P]: RunningNacos
  }
}
