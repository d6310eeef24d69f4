// Starts real Nacos 3.x servers (standalone, embedded Derby, loopback only) for the
// conformance tests. Plain Node (>= 22 with type stripping): erasable TypeScript only.
//
//   const nacos = await startNacos("auth-on")
//   ... nacos.serverAddr, nacos.username, nacos.password ...
//   await nacos.stop()
//
// The server jars come from Maven Central (see pom.xml); `resolveClasspath()` runs Maven once
// and caches the classpath in .cache/classpath.txt (git-ignored). The JVM runs our own
// NacosConformanceLauncher.java in source-file mode, so no build step is needed.
//
// If NACOS_SERVER_ADDR is set, nothing is started: `startNacos` describes that external server
// (credentials from NACOS_USERNAME / NACOS_PASSWORD) and `stop()` does nothing.

import type { ChildProcess } from "node:child_process"
import { spawn } from "node:child_process"
import { randomBytes, randomInt } from "node:crypto"
import * as fs from "node:fs"
import * as fsp from "node:fs/promises"
import * as net from "node:net"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"

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
  /** JVM pid (undefined for an external server). */
  readonly pid: number | undefined
  readonly external: boolean
  stop(): Promise<void>
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
const LAUNCHER_FILE = path.join(SERVER_DIR, "NacosConformanceLauncher.java")
const TEMPLATE_FILE = path.join(SERVER_DIR, "application.properties.template")

export const LAUNCHER_MARKER = "NacosConformanceLauncher"
const HOST = "127.0.0.1"
const USERNAME = "nacos"
const DEFAULT_TIMEOUT_MS = 180_000
const STOP_GRACE_MS = 8_000
const LOG_TAIL_LINES = 80

const progress = (quiet: boolean | undefined, message: string): void => {
  if (!quiet) process.stderr.write(`[nacos] ${message}\n`)
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

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
// Ports
// ---------------------------------------------------------------------------------------------

interface Ports {
  readonly http: number
  readonly grpc: number
  readonly clusterGrpc: number
  readonly raft: number
  readonly console: number
}

const reservedPorts = new Set<number>()

const allPorts = (ports: Ports): Array<number> => [ports.raft, ports.http, ports.grpc, ports.clusterGrpc, ports.console]

const canListen = (port: number, host?: string): Promise<boolean> =>
  new Promise((resolve) => {
    const server = net.createServer()
    server.unref()
    server.once("error", () => resolve(false))
    server.listen({ port, host, exclusive: true }, () => {
      server.close(() => resolve(true))
    })
  })

const isFree = async (port: number): Promise<boolean> =>
  !reservedPorts.has(port) && (await canListen(port, HOST)) && (await canListen(port))

/**
 * Picks P such that P-1000 (raft, standalone too), P, P+1000 (SDK gRPC), P+1001 (cluster gRPC)
 * and the console port P+2000 are all free. Range stays below the Linux ephemeral range.
 */
const pickPorts = async (): Promise<Ports> => {
  for (let attempt = 0; attempt < 200; attempt++) {
    const http = randomInt(11_000, 30_000)
    const ports: Ports = { http, grpc: http + 1000, clusterGrpc: http + 1001, raft: http - 1000, console: http + 2000 }
    const candidates = allPorts(ports)
    if (candidates.some((port) => reservedPorts.has(port))) continue
    let free = true
    for (const port of candidates) {
      if (!(await isFree(port))) {
        free = false
        break
      }
    }
    if (!free) continue
    for (const port of candidates) reservedPorts.add(port)
    return ports
  }
  throw new Error("could not find free loopback ports for Nacos")
}

const releasePorts = (ports: Ports): void => {
  for (const port of allPorts(ports)) reservedPorts.delete(port)
}

const tcpAccepts = (port: number, timeoutMs = 1_000): Promise<boolean> =>
  new Promise((resolve) => {
    const socket = net.connect({ host: HOST, port })
    const done = (ok: boolean): void => {
      socket.destroy()
      resolve(ok)
    }
    socket.setTimeout(timeoutMs, () => done(false))
    socket.once("connect", () => done(true))
    socket.once("error", () => done(false))
  })

// ---------------------------------------------------------------------------------------------
// Process bookkeeping: no orphan JVM may survive this Node process
// ---------------------------------------------------------------------------------------------

interface LiveServer {
  readonly child: ChildProcess
  readonly home: string
  readonly keepHome: boolean
}

const liveServers = new Map<number, LiveServer>()
const SIGNALS: ReadonlyArray<NodeJS.Signals> = ["SIGINT", "SIGTERM", "SIGHUP"]
let handlersInstalled = false

const killAllSync = (): void => {
  for (const [pid, server] of liveServers) {
    try {
      process.kill(pid, "SIGKILL")
    } catch {
      // already gone
    }
    if (!server.keepHome) {
      try {
        fs.rmSync(server.home, { recursive: true, force: true, maxRetries: 3 })
      } catch {
        // best effort
      }
    }
  }
  liveServers.clear()
}

const onExit = (): void => killAllSync()

const onSignal = (signal: NodeJS.Signals): void => {
  killAllSync()
  uninstallHandlers()
  // Restore the default behaviour (terminate) unless somebody else handles this signal.
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal)
}

const installHandlers = (): void => {
  if (handlersInstalled) return
  handlersInstalled = true
  process.on("exit", onExit)
  for (const signal of SIGNALS) process.on(signal, onSignal)
}

const uninstallHandlers = (): void => {
  if (!handlersInstalled) return
  handlersInstalled = false
  process.removeListener("exit", onExit)
  for (const signal of SIGNALS) process.removeListener(signal, onSignal)
}

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM"
  }
}

/** Reads /proc/<pid>/cmdline (Linux) to make sure a pid still is one of our JVMs. */
export const isOurJvm = (pid: number): boolean => {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(LAUNCHER_MARKER)
  } catch {
    return isAlive(pid)
  }
}

/** SIGTERM, then SIGKILL after a grace period; resolves once the process is gone. */
export const killProcess = async (pid: number, exited?: Promise<unknown>, graceMs = STOP_GRACE_MS): Promise<void> => {
  const gone = async (deadline: number): Promise<boolean> => {
    if (exited !== undefined) {
      const timedOut = await Promise.race([
        exited.then(() => false),
        sleep(Math.max(0, deadline - Date.now())).then(() => true)
      ])
      return !timedOut
    }
    while (Date.now() < deadline) {
      if (!isAlive(pid)) return true
      await sleep(100)
    }
    return !isAlive(pid)
  }
  try {
    process.kill(pid, "SIGTERM")
  } catch {
    return
  }
  if (await gone(Date.now() + graceMs)) return
  try {
    process.kill(pid, "SIGKILL")
  } catch {
    return
  }
  await gone(Date.now() + 10_000)
}

// ---------------------------------------------------------------------------------------------
// Logs
// ---------------------------------------------------------------------------------------------

const tailFile = (file: string, lines: number): string | undefined => {
  try {
    const text = fs.readFileSync(file, "utf8")
    return text
      .split("\n")
      .slice(-lines - 1)
      .join("\n")
  } catch {
    return undefined
  }
}

const logTails = (home: string): string => {
  const parts: Array<string> = []
  for (const name of ["start.out", "nacos.log"]) {
    const tail = tailFile(path.join(home, "logs", name), LOG_TAIL_LINES)
    if (tail !== undefined && tail.trim() !== "") {
      parts.push(`----- last ${LOG_TAIL_LINES} lines of ${path.join(home, "logs", name)} -----\n${tail}`)
    }
  }
  return parts.length > 0 ? parts.join("\n") : `(no log output in ${path.join(home, "logs")})`
}

const PORT_IN_USE = /Address already in use|already in use|BindException/

// ---------------------------------------------------------------------------------------------
// HTTP helpers
// ---------------------------------------------------------------------------------------------

interface HttpResult {
  readonly status: number
  readonly body: string
}

const http = async (method: string, url: string, form?: Record<string, string>): Promise<HttpResult> => {
  const init: RequestInit = { method, signal: AbortSignal.timeout(5_000) }
  if (form !== undefined) {
    init.body = new URLSearchParams(form)
  }
  const response = await fetch(url, init)
  return { status: response.status, body: await response.text() }
}

const jsonOf = (text: string): unknown => {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

/** The server's answers this launcher reads, decoded (never cast). */
const Envelope = Schema.Struct({
  code: Schema.Number,
  data: Schema.optional(Schema.NullOr(Schema.Unknown))
})
const CreatedAdmin = Schema.Struct({ code: Schema.Number, data: Schema.Struct({ username: Schema.String }) })
const LoginAnswer = Schema.Struct({ accessToken: Schema.String })
const decodeBody = <S extends Schema.Codec<unknown, unknown>>(schema: S, text: string) =>
  Schema.decodeUnknownOption(schema)(jsonOf(text))

const isReadyBody = (result: HttpResult): boolean =>
  result.status === 200 &&
  Option.match(decodeBody(Envelope, result.body), { onNone: () => false, onSome: (body) => body.code === 0 })

// ---------------------------------------------------------------------------------------------
// Start / stop
// ---------------------------------------------------------------------------------------------

const renderProperties = (template: string, values: Record<string, string>): string =>
  template.replace(/__([A-Z_]+)__/g, (whole, key: string) => {
    const value = values[key]
    if (value === undefined) throw new Error(`application.properties.template: unknown token ${whole}`)
    return value
  })

const javaExecutable = (): string => {
  const javaHome = process.env.JAVA_HOME
  return javaHome !== undefined && javaHome !== "" ? path.join(javaHome, "bin", "java") : "java"
}

const generatePassword = (): string => `Nc${randomBytes(12).toString("hex")}`

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
    external: true,
    stop: () => Promise.resolve()
  }
}

class StartFailure extends Error {
  readonly portInUse: boolean
  constructor(message: string, portInUse: boolean) {
    super(message)
    this.name = "NacosStartError"
    this.portInUse = portInUse
  }
}

const startOnce = async (
  profile: NacosProfile,
  classpath: string,
  options: StartNacosOptions
): Promise<RunningNacos> => {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS
  const detached = options.detached ?? false
  const keepHome = options.keepHome ?? process.env.NACOS_KEEP_HOME === "1"
  const password = options.password ?? generatePassword()
  const authEnabled = profile === "auth-on"

  const ports = await pickPorts()
  const home = await fsp.mkdtemp(path.join(os.tmpdir(), `effect-nacos-${profile}-`))
  try {
    await fsp.mkdir(path.join(home, "conf"), { recursive: true })
    await fsp.mkdir(path.join(home, "logs"), { recursive: true })
    const template = await fsp.readFile(TEMPLATE_FILE, "utf8")
    await fsp.writeFile(
      path.join(home, "conf", "application.properties"),
      renderProperties(template, {
        PROFILE: profile,
        NACOS_HOME: home,
        HTTP_PORT: String(ports.http),
        CONSOLE_PORT: String(ports.console),
        AUTH_ENABLED: String(authEnabled),
        TOKEN_SECRET: randomBytes(32).toString("base64"),
        IDENTITY_KEY: "effect-nacos-conformance",
        IDENTITY_VALUE: randomBytes(16).toString("hex")
      })
    )
  } catch (error) {
    releasePorts(ports)
    await fsp.rm(home, { recursive: true, force: true })
    throw error
  }

  const startingMarker = path.join(home, ".starting")
  if (detached) await fsp.writeFile(startingMarker, `${process.pid}\n`)

  const jvmArgs = [
    "-Xms256m",
    "-Xmx512m",
    "-XX:+UseSerialGC",
    "-XX:TieredStopAtLevel=1",
    "-XX:-UsePerfData",
    "-Djava.awt.headless=true",
    "-Dfile.encoding=UTF-8",
    "-Djava.net.preferIPv4Stack=true",
    "--add-opens",
    "java.base/java.lang=ALL-UNNAMED",
    "--add-opens",
    "java.base/java.lang.reflect=ALL-UNNAMED",
    "--add-opens",
    "java.base/java.util=ALL-UNNAMED",
    "-Dnacos.standalone=true",
    "-Dnacos.deployment.type=merged",
    `-Dnacos.home=${home}`,
    `-Dnacos.logs.path=${path.join(home, "logs")}`,
    "-Dnacos.remote.grpc.listen.ip=127.0.0.1",
    `-Dderby.stream.error.file=${path.join(home, "logs", "derby.log")}`,
    // die with this Node process (detached: only until the server is ready and handed over)
    `-Dconformance.parentPid=${process.pid}`,
    ...(detached ? [`-Dconformance.parentWatchFile=${startingMarker}`] : ["-Dconformance.exitOnStdinEof=true"]),
    `-Dconformance.deleteHomeOnExit=${!keepHome}`,
    ...(options.jvmArgs ?? []),
    LAUNCHER_FILE,
    `--spring.config.additional-location=file:${path.join(home, "conf")}/`
  ]

  const out = fs.openSync(path.join(home, "logs", "start.out"), "a")
  let child: ChildProcess
  try {
    child = spawn(javaExecutable(), jvmArgs, {
      cwd: home,
      env: { ...process.env, CLASSPATH: classpath },
      stdio: [detached ? "ignore" : "pipe", out, out],
      detached
    })
  } finally {
    fs.closeSync(out)
  }
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once("exit", (code, signal) => resolve({ code, signal }))
  })
  const spawnError = new Promise<Error>((resolve) => child.once("error", resolve))
  child.unref()
  const stdin = child.stdin as (NodeJS.WritableStream & { unref?: () => void }) | null
  stdin?.unref?.()

  const pid = child.pid
  const cleanup = async (): Promise<void> => {
    if (pid !== undefined) {
      await killProcess(pid, exited)
      liveServers.delete(pid)
    }
    child.stdin?.destroy()
    if (liveServers.size === 0) uninstallHandlers()
    releasePorts(ports)
    if (!keepHome) await fsp.rm(home, { recursive: true, force: true, maxRetries: 3 })
  }

  if (pid === undefined) {
    const error = await spawnError
    releasePorts(ports)
    await fsp.rm(home, { recursive: true, force: true })
    throw new Error(`cannot start Java (${javaExecutable()}): ${error.message}. Nacos needs JDK 17+.`)
  }
  liveServers.set(pid, { child, home, keepHome })
  installHandlers()

  progress(
    options.quiet,
    `${profile}: starting JVM pid ${pid} on ${HOST}:${ports.http} (gRPC ${ports.grpc}, console ${ports.console}), home ${home}`
  )
  const started = Date.now()
  const fail = async (reason: string): Promise<never> => {
    const tails = logTails(home)
    await cleanup()
    throw new StartFailure(
      `Nacos (${profile}) failed to start: ${reason}\nports: http ${ports.http}, grpc ${ports.grpc}, console ${ports.console}; home ${home}${keepHome ? "" : " (removed)"}\n${tails}`,
      PORT_IN_USE.test(tails)
    )
  }

  // 1. readiness: server readiness + console readiness + gRPC port accepting TCP
  const deadline = started + timeoutMs
  let exitInfo: { code: number | null; signal: NodeJS.Signals | null } | undefined
  void exited.then((info) => {
    exitInfo = info
  })
  let lastProblem = "not polled yet"
  for (;;) {
    if (exitInfo !== undefined) {
      return fail(
        `JVM exited early (code ${exitInfo.code}, signal ${exitInfo.signal}) after ${Date.now() - started} ms`
      )
    }
    if (Date.now() > deadline) return fail(`not ready within ${timeoutMs} ms (last check: ${lastProblem})`)
    try {
      const server = await http("GET", `http://${HOST}:${ports.http}/nacos/v3/admin/core/state/readiness`)
      if (!isReadyBody(server)) {
        lastProblem = `server readiness HTTP ${server.status} ${server.body.slice(0, 200)}`
      } else {
        const consoleReady = await http("GET", `http://${HOST}:${ports.console}/v3/console/health/readiness`)
        if (!isReadyBody(consoleReady)) {
          lastProblem = `console readiness HTTP ${consoleReady.status} ${consoleReady.body.slice(0, 200)}`
        } else if (!(await tcpAccepts(ports.grpc))) {
          lastProblem = `gRPC port ${ports.grpc} not accepting connections`
        } else {
          break
        }
      }
    } catch (error) {
      lastProblem = (error as Error).message
    }
    await sleep(500)
  }
  const readyMs = Date.now() - started

  // 2. admin user (a fresh nacos.home has none)
  try {
    const created = await http("POST", `http://${HOST}:${ports.http}/nacos/v3/auth/user/admin`, { password })
    const admin = decodeBody(CreatedAdmin, created.body)
    if (
      created.status !== 200 ||
      Option.isNone(admin) ||
      admin.value.code !== 0 ||
      admin.value.data.username !== USERNAME
    ) {
      return fail(`creating the admin user failed: HTTP ${created.status} ${created.body}`)
    }
    // 3. login with the new credentials (always; required to work for auth-on)
    // (a short retry covers the user cache, should nacos.core.auth.caching.enabled be switched on)
    const loginDeadline = Date.now() + 20_000
    for (;;) {
      const login = await http("POST", `http://${HOST}:${ports.http}/nacos/v3/auth/user/login`, {
        username: USERNAME,
        password
      })
      if (login.status === 200 && Option.isSome(decodeBody(LoginAnswer, login.body))) break
      if (Date.now() > loginDeadline) {
        return fail(`login as ${USERNAME} failed: HTTP ${login.status} ${login.body}`)
      }
      await sleep(500)
    }
  } catch (error) {
    if (error instanceof StartFailure) throw error
    return fail(`admin setup failed: ${(error as Error).message}`)
  }
  progress(options.quiet, `${profile}: ready in ${(readyMs / 1000).toFixed(1)} s (pid ${pid}, ${HOST}:${ports.http})`)

  if (detached) {
    // The caller (cli.ts) owns the JVM from now on: switch off its parent watchdog.
    await fsp.rm(startingMarker, { force: true })
    liveServers.delete(pid)
    if (liveServers.size === 0) uninstallHandlers()
    releasePorts(ports)
  }

  let stopping: Promise<void> | undefined
  return {
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
    pid,
    external: false,
    stop: () => {
      stopping ??= cleanup()
      return stopping
    }
  }
}

// ---------------------------------------------------------------------------------------------
// State file written by cli.ts (`npm run nacos:start`)
// ---------------------------------------------------------------------------------------------

/** conformance/server/.state.json, or env NACOS_STATE_FILE. */
export const STATE_FILE = process.env.NACOS_STATE_FILE ?? path.join(SERVER_DIR, ".state.json")

const NacosStateEntry = Schema.Struct({
  profile: Schema.Literals(["auth-off", "auth-on"]),
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
