// One Nacos JVM on loopback and its lifecycle: prepared once (ports, nacos.home, application.properties, the
// command line), then booted, stopped gracefully, killed and booted again with the very same command line, so
// ports, home and data survive a restart. Used by nacos-server.ts (standalone) and nacos-cluster.ts (3 nodes).
// Plain Node (>= 22 with type stripping): erasable TypeScript only.
//
// No JVM may outlive the Node process that started it: a pid table killed on exit and on signals, plus the
// launcher's own watchdogs (stdin EOF, parent pid) for when Node itself is SIGKILLed.

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

const SERVER_DIR = path.dirname(fileURLToPath(import.meta.url))
const LAUNCHER_FILE = path.join(SERVER_DIR, "NacosConformanceLauncher.java")
const TEMPLATE_FILE = path.join(SERVER_DIR, "application.properties.template")

/** The class name on every JVM command line we start (how a pid is recognised as ours). */
export const LAUNCHER_MARKER = "NacosConformanceLauncher"
/** Every server started here listens on loopback only. */
export const HOST = "127.0.0.1"
/** The admin user created on a fresh server. */
export const USERNAME = "nacos"
const STOP_GRACE_MS = 8_000
const LOG_TAIL_LINES = 80

/** Progress on stderr, unless quiet. */
export const progress = (quiet: boolean | undefined, message: string): void => {
  if (!quiet) process.stderr.write(`[nacos] ${message}\n`)
}

/** Resolves after `ms` milliseconds. */
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

// ---------------------------------------------------------------------------------------------
// Ports
// ---------------------------------------------------------------------------------------------

/** A node's ports: Nacos derives gRPC (P+1000), cluster gRPC (P+1001) and raft (P-1000) from the HTTP port P. */
export interface Ports {
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
 * Picks P such that P-1000 (raft, standalone too), P, P+1000 (SDK gRPC), P+1001 (cluster gRPC) and the console
 * port P+2000 are all free, and reserves them in this process. The range stays below the Linux ephemeral range.
 */
export const pickPorts = async (): Promise<Ports> => {
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

/** Gives reserved ports back. */
export const releasePorts = (ports: Ports): void => {
  for (const port of allPorts(ports)) reservedPorts.delete(port)
}

/** Whether something accepts TCP on the loopback port. */
export const tcpAccepts = (port: number, timeoutMs = 1_000): Promise<boolean> =>
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

const forget = (pid: number): void => {
  liveServers.delete(pid)
  if (liveServers.size === 0) uninstallHandlers()
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

const waitGone = async (pid: number, exited: Promise<unknown> | undefined, deadline: number): Promise<boolean> => {
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

/** SIGTERM, then SIGKILL after a grace period; resolves once the process is gone. */
export const killProcess = async (pid: number, exited?: Promise<unknown>, graceMs = STOP_GRACE_MS): Promise<void> => {
  try {
    process.kill(pid, "SIGTERM")
  } catch {
    return
  }
  if (await waitGone(pid, exited, Date.now() + graceMs)) return
  try {
    process.kill(pid, "SIGKILL")
  } catch {
    return
  }
  await waitGone(pid, exited, Date.now() + 10_000)
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

/** Status and body of one HTTP answer. */
export interface HttpResult {
  readonly status: number
  readonly body: string
}

/** One HTTP call (5 s timeout by default), form-encoded body if given. */
export const http = async (
  method: string,
  url: string,
  form?: Record<string, string>,
  headers?: Record<string, string>,
  timeoutMs = 5_000
): Promise<HttpResult> => {
  const init: RequestInit = { method, signal: AbortSignal.timeout(timeoutMs) }
  if (form !== undefined) init.body = new URLSearchParams(form)
  if (headers !== undefined) init.headers = headers
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

/** Decodes a JSON body with a schema (never cast). */
export const decodeBody = <S extends Schema.Codec<unknown, unknown>>(schema: S, text: string) =>
  Schema.decodeUnknownOption(schema)(jsonOf(text))

const Envelope = Schema.Struct({
  code: Schema.Number,
  data: Schema.optional(Schema.NullOr(Schema.Unknown))
})
const CreatedAdmin = Schema.Struct({ code: Schema.Number, data: Schema.Struct({ username: Schema.String }) })
const LoginAnswer = Schema.Struct({ accessToken: Schema.String })

const isReadyBody = (result: HttpResult): boolean =>
  result.status === 200 &&
  Option.match(decodeBody(Envelope, result.body), { onNone: () => false, onSome: (body) => body.code === 0 })

// ---------------------------------------------------------------------------------------------
// nacos.home
// ---------------------------------------------------------------------------------------------

/** Secrets every node of one deployment shares (a token from one node is accepted by the others). */
export interface SharedSecrets {
  readonly tokenSecret: string
  readonly identityValue: string
}

/** Fresh random secrets. */
export const freshSecrets = (): SharedSecrets => ({
  tokenSecret: randomBytes(32).toString("base64"),
  identityValue: randomBytes(16).toString("hex")
})

/** What a node's nacos.home is made of. */
export interface HomeSpec {
  /** Used in the temporary directory's name. */
  readonly label: string
  readonly ports: Ports
  readonly authEnabled: boolean
  readonly secrets: SharedSecrets
  /** The HTTP addresses of every member: only this node's for a standalone server, all of them for a cluster. */
  readonly members: ReadonlyArray<string>
  readonly standalone: boolean
}

const renderProperties = (template: string, values: Record<string, string>): string =>
  template.replace(/__([A-Z_]+)__/g, (whole, key: string) => {
    const value = values[key]
    if (value === undefined) throw new Error(`application.properties.template: unknown token ${whole}`)
    return value
  })

/** Creates a temporary nacos.home with conf/application.properties (and conf/cluster.conf for a cluster). */
export const prepareHome = async (spec: HomeSpec): Promise<string> => {
  const home = await fsp.mkdtemp(path.join(os.tmpdir(), `effect-nacos-${spec.label}-`))
  try {
    await fsp.mkdir(path.join(home, "conf"), { recursive: true })
    await fsp.mkdir(path.join(home, "logs"), { recursive: true })
    const template = await fsp.readFile(TEMPLATE_FILE, "utf8")
    await fsp.writeFile(
      path.join(home, "conf", "application.properties"),
      renderProperties(template, {
        PROFILE: spec.authEnabled ? "auth-on" : "auth-off",
        NACOS_HOME: home,
        STANDALONE: String(spec.standalone),
        MEMBER_LIST: spec.members.join(","),
        // Cluster nodes exit at start without these: the config migration check runs before raft has a leader.
        COMPATIBLE_MODE: String(spec.standalone),
        AUTH_CACHING: String(!spec.standalone),
        HTTP_PORT: String(spec.ports.http),
        CONSOLE_PORT: String(spec.ports.console),
        AUTH_ENABLED: String(spec.authEnabled),
        TOKEN_SECRET: spec.secrets.tokenSecret,
        IDENTITY_KEY: "effect-nacos-conformance",
        IDENTITY_VALUE: spec.secrets.identityValue
      })
    )
    if (!spec.standalone) await fsp.writeFile(path.join(home, "conf", "cluster.conf"), `${spec.members.join("\n")}\n`)
    return home
  } catch (error) {
    await fsp.rm(home, { recursive: true, force: true })
    throw error
  }
}

// ---------------------------------------------------------------------------------------------
// The node
// ---------------------------------------------------------------------------------------------

/** How a JVM ended. */
export interface ExitInfo {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
}

/**
 * A JVM that did not become ready; `portInUse` when its log shows a bind failure (worth new ports), `exitedEarly`
 * when the JVM ended by itself before it was ready.
 */
export class StartFailure extends Error {
  readonly portInUse: boolean
  readonly exitedEarly: boolean
  constructor(message: string, portInUse: boolean, exitedEarly = false) {
    super(message)
    this.name = "NacosStartError"
    this.portInUse = portInUse
    this.exitedEarly = exitedEarly
  }
}

/** Everything fixed for the life of a node. */
export interface NodeSpec {
  /** Shown in progress and error messages ("auth-on", "cluster n2"). */
  readonly label: string
  readonly classpath: string
  readonly ports: Ports
  readonly home: string
  readonly standalone: boolean
  /** Keep nacos.home after destroy(). */
  readonly keepHome: boolean
  /** Let the JVM outlive this Node process once ready (cli.ts). */
  readonly detached: boolean
  readonly timeoutMs: number
  readonly quiet?: boolean | undefined
  readonly jvmArgs?: ReadonlyArray<string> | undefined
}

interface Incarnation {
  readonly child: ChildProcess
  readonly pid: number
  readonly exited: Promise<ExitInfo>
  exitInfo: ExitInfo | undefined
}

const javaExecutable = (): string => {
  const javaHome = process.env.JAVA_HOME
  return javaHome !== undefined && javaHome !== "" ? path.join(javaHome, "bin", "java") : "java"
}

const commandLine = (spec: NodeSpec, startingMarker: string): Array<string> => [
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
  `-Dnacos.standalone=${spec.standalone}`,
  // a cluster without MySQL: only as a system property (a line in application.properties is not enough)
  ...(spec.standalone ? [] : ["-DembeddedStorage=true"]),
  "-Dnacos.deployment.type=merged",
  `-Dnacos.home=${spec.home}`,
  `-Dnacos.logs.path=${path.join(spec.home, "logs")}`,
  "-Dnacos.remote.grpc.listen.ip=127.0.0.1",
  `-Dderby.stream.error.file=${path.join(spec.home, "logs", "derby.log")}`,
  // die with this Node process (detached: only until the server is ready and handed over)
  `-Dconformance.parentPid=${process.pid}`,
  ...(spec.detached ? [`-Dconformance.parentWatchFile=${startingMarker}`] : ["-Dconformance.exitOnStdinEof=true"]),
  `-Dconformance.deleteHomeOnExit=${!spec.keepHome}`,
  ...(spec.jvmArgs ?? []),
  LAUNCHER_FILE,
  `--spring.config.additional-location=file:${path.join(spec.home, "conf")}/`
]

/**
 * One Nacos JVM with a fixed command line. `boot()` spawns it and waits until it is ready; `shutdown()` (SIGTERM)
 * and `kill()` (SIGKILL) end it but keep home, data and ports, so a later `boot()` is a restart in place;
 * `destroy()` ends it for good (home removed unless kept, ports released). Calls are serialised.
 */
export class NacosNode {
  readonly spec: NodeSpec
  private readonly startingMarker: string
  private readonly args: ReadonlyArray<string>
  private current: Incarnation | undefined
  private queue: Promise<unknown> = Promise.resolve()
  private destroyed: Promise<void> | undefined

  constructor(spec: NodeSpec) {
    this.spec = spec
    this.startingMarker = path.join(spec.home, ".starting")
    this.args = commandLine(spec, this.startingMarker)
  }

  /** The running JVM's pid (undefined while stopped). */
  get pid(): number | undefined {
    return this.running ? this.current?.pid : undefined
  }

  /** Whether a JVM of this node is alive. */
  get running(): boolean {
    return this.current !== undefined && this.current.exitInfo === undefined
  }

  /** The log tails (start.out, nacos.log), for error messages. */
  logs(): string {
    return logTails(this.spec.home)
  }

  private serial<A>(task: () => Promise<A>): Promise<A> {
    const next = this.queue.then(task, task)
    this.queue = next.catch(() => undefined)
    return next
  }

  /** Spawns the JVM (unless running) and waits until it is ready; resolves with the milliseconds it took. */
  boot(): Promise<number> {
    return this.serial(async () => {
      if (this.destroyed !== undefined) throw new Error(`Nacos (${this.spec.label}) was stopped for good`)
      if (this.running) return 0
      const started = Date.now()
      const incarnation = await this.spawn()
      try {
        await this.awaitReady(incarnation, started + this.spec.timeoutMs)
      } catch (error) {
        const tails = logTails(this.spec.home)
        const exitedEarly = incarnation.exitInfo !== undefined
        await this.end(incarnation, "SIGKILL")
        throw new StartFailure(
          `Nacos (${this.spec.label}) failed to start: ${(error as Error).message}\nports: http ${this.spec.ports.http}, grpc ${this.spec.ports.grpc}, console ${this.spec.ports.console}; home ${this.spec.home}\n${tails}`,
          PORT_IN_USE.test(tails),
          exitedEarly
        )
      }
      return Date.now() - started
    })
  }

  /** Hands a detached JVM over to whoever started it (cli.ts): its parent watchdog switches off. */
  handOver(): Promise<void> {
    return this.serial(async () => {
      await fsp.rm(this.startingMarker, { force: true })
      if (this.current !== undefined) forget(this.current.pid)
      releasePorts(this.spec.ports)
    })
  }

  /** SIGTERM (SIGKILL after a grace period); resolves once the JVM is gone. Home, data and ports stay. */
  shutdown(): Promise<void> {
    return this.serial(() => this.endCurrent("SIGTERM"))
  }

  /** SIGKILL (a node lost); resolves once the JVM is gone. Home, data and ports stay. */
  kill(): Promise<void> {
    return this.serial(() => this.endCurrent("SIGKILL"))
  }

  /** Ends the JVM and removes its home (unless kept) and port reservation; idempotent. */
  destroy(): Promise<void> {
    this.destroyed ??= this.serial(async () => {
      await this.endCurrent("SIGTERM")
      releasePorts(this.spec.ports)
      if (!this.spec.keepHome) await fsp.rm(this.spec.home, { recursive: true, force: true, maxRetries: 3 })
    })
    return this.destroyed
  }

  private async endCurrent(signal: "SIGTERM" | "SIGKILL"): Promise<void> {
    const incarnation = this.current
    if (incarnation !== undefined) await this.end(incarnation, signal)
  }

  private async end(incarnation: Incarnation, signal: "SIGTERM" | "SIGKILL"): Promise<void> {
    if (incarnation.exitInfo === undefined) {
      if (signal === "SIGTERM") await killProcess(incarnation.pid, incarnation.exited)
      else {
        try {
          process.kill(incarnation.pid, "SIGKILL")
        } catch {
          // already gone
        }
        await waitGone(incarnation.pid, incarnation.exited, Date.now() + 10_000)
      }
    }
    incarnation.child.stdin?.destroy()
    forget(incarnation.pid)
  }

  private async spawn(): Promise<Incarnation> {
    if (this.spec.detached) await fsp.writeFile(this.startingMarker, `${process.pid}\n`)
    const out = fs.openSync(path.join(this.spec.home, "logs", "start.out"), "a")
    let child: ChildProcess
    try {
      child = spawn(javaExecutable(), this.args, {
        cwd: this.spec.home,
        env: { ...process.env, CLASSPATH: this.spec.classpath },
        stdio: [this.spec.detached ? "ignore" : "pipe", out, out],
        detached: this.spec.detached
      })
    } finally {
      fs.closeSync(out)
    }
    const exited = new Promise<ExitInfo>((resolve) => {
      child.once("exit", (code, signal) => resolve({ code, signal }))
    })
    const spawnError = new Promise<Error>((resolve) => child.once("error", resolve))
    child.unref()
    const stdin = child.stdin as (NodeJS.WritableStream & { unref?: () => void }) | null
    stdin?.unref?.()
    const pid = child.pid
    if (pid === undefined) {
      const error = await spawnError
      throw new Error(`cannot start Java (${javaExecutable()}): ${error.message}. Nacos needs JDK 17+.`)
    }
    const incarnation: Incarnation = { child, pid, exited, exitInfo: undefined }
    void exited.then((info) => {
      incarnation.exitInfo = info
    })
    this.current = incarnation
    liveServers.set(pid, { home: this.spec.home, keepHome: this.spec.keepHome })
    installHandlers()
    const { ports } = this.spec
    progress(
      this.spec.quiet,
      `${this.spec.label}: starting JVM pid ${pid} on ${HOST}:${ports.http} (gRPC ${ports.grpc}, console ${ports.console}), home ${this.spec.home}`
    )
    return incarnation
  }

  /** Server readiness + console readiness + the gRPC port accepting TCP. */
  private async awaitReady(incarnation: Incarnation, deadline: number): Promise<void> {
    const { ports } = this.spec
    let lastProblem = "not polled yet"
    for (;;) {
      const exit = incarnation.exitInfo
      if (exit !== undefined) throw new Error(`JVM exited early (code ${exit.code}, signal ${exit.signal})`)
      if (Date.now() > deadline) throw new Error(`not ready within ${this.spec.timeoutMs} ms (last: ${lastProblem})`)
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
            return
          }
        }
      } catch (error) {
        lastProblem = (error as Error).message
      }
      await sleep(500)
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Admin user and login
// ---------------------------------------------------------------------------------------------

/** A random admin password that satisfies Nacos' rules. */
export const generatePassword = (): string => `Nc${randomBytes(12).toString("hex")}`

/** Creates the admin user on a fresh server (replicated through raft in a cluster); throws with the answer. */
export const createAdmin = async (httpPort: number, password: string): Promise<void> => {
  const created = await http("POST", `http://${HOST}:${httpPort}/nacos/v3/auth/user/admin`, { password })
  const admin = decodeBody(CreatedAdmin, created.body)
  if (
    created.status !== 200 ||
    Option.isNone(admin) ||
    admin.value.code !== 0 ||
    admin.value.data.username !== USERNAME
  )
    throw new Error(`creating the admin user failed: HTTP ${created.status} ${created.body}`)
}

/** Logs in as the admin, retrying for up to `timeoutMs` (user caches, raft replication); resolves with the token. */
export const login = async (httpPort: number, password: string, timeoutMs = 20_000): Promise<string> => {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    let problem: string
    try {
      const answer = await http("POST", `http://${HOST}:${httpPort}/nacos/v3/auth/user/login`, {
        username: USERNAME,
        password
      })
      const token = decodeBody(LoginAnswer, answer.body)
      if (answer.status === 200 && Option.isSome(token)) return token.value.accessToken
      problem = `HTTP ${answer.status} ${answer.body.slice(0, 200)}`
    } catch (error) {
      problem = (error as Error).message
    }
    if (Date.now() > deadline) throw new Error(`login as ${USERNAME} on port ${httpPort} failed: ${problem}`)
    await sleep(500)
  }
}
