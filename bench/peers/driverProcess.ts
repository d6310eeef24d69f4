/**
 * The harness side of the peer protocol: one driver process, its protocol lines on fd 3, its stdout and stderr in a
 * log file (shown when it fails). Every command has a deadline, so a stuck client fails the run instead of hanging it.
 */
import { type ChildProcess, spawn } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import * as readline from "node:readline"
import { Readable } from "node:stream"
import { type Command, type DriverLine, decodeDriverLine, type EventLine, type ReplyLine } from "./protocol.ts"

/** How to start one client's driver. */
export interface DriverLaunch {
  readonly command: string
  readonly args: ReadonlyArray<string>
  readonly env?: Readonly<Record<string, string>>
  /**
   * Where the driver writes protocol lines: fd 3 (default), or stdout for a runtime that cannot open fd 3 (the JVM
   * cannot open the socket Node hands it; the Java driver moves System.out to stderr instead).
   */
  readonly protocolFd?: 1 | 3
}

const READY_TIMEOUT_MS = 90_000
const CLOSE_TIMEOUT_MS = 15_000

const logTail = (file: string) => {
  try {
    return fs.readFileSync(file, "utf8").split("\n").slice(-30).join("\n")
  } catch {
    return ""
  }
}

export class DriverProcess {
  private readonly replies: Array<(reply: ReplyLine) => void> = []
  private readonly eventListeners = new Set<(event: EventLine) => void>()
  private exited = false
  private readonly exit: Promise<void>

  readonly client: string
  readonly pid: number
  private readonly child: ChildProcess
  private readonly logFile: string

  private constructor(client: string, child: ChildProcess, pid: number, logFile: string, lines: readline.Interface) {
    this.client = client
    this.child = child
    this.pid = pid
    this.logFile = logFile
    this.exit = new Promise((resolve) =>
      child.on("exit", () => {
        this.exited = true
        resolve()
      })
    )
    lines.on("line", (text) => {
      let line: DriverLine
      try {
        line = decodeDriverLine(text)
      } catch {
        // a driver that breaks the protocol is stopped: its pending command fails with the log's tail
        fs.appendFileSync(logFile, `\n[harness] not a protocol line: ${text.slice(0, 500)}\n`)
        this.kill()
        return
      }
      if (line.type === "event") for (const listener of this.eventListeners) listener(line)
      else if (line.type === "reply") this.replies.shift()?.(line)
    })
  }

  /** Starts the driver in `workDir` and waits for its `ready` line. */
  static async start(client: string, launch: DriverLaunch, serverAddr: string, workDir: string) {
    fs.mkdirSync(workDir, { recursive: true })
    const logFile = path.join(workDir, "driver.log")
    const log = fs.openSync(logFile, "a")
    const child = spawn(launch.command, [...launch.args, serverAddr, workDir], {
      cwd: workDir,
      env: { ...process.env, ...launch.env },
      stdio: launch.protocolFd === 1 ? ["pipe", "pipe", log] : ["pipe", log, log, "pipe"]
    })
    fs.closeSync(log)
    const protocolOut = child.stdio[launch.protocolFd ?? 3]
    if (child.pid === undefined || !(protocolOut instanceof Readable)) {
      child.kill("SIGKILL")
      throw new Error(`${client}: the driver did not start (${launch.command})`)
    }
    const lines = readline.createInterface({ input: protocolOut })
    const ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${client}: not ready within ${READY_TIMEOUT_MS} ms`)),
        READY_TIMEOUT_MS
      )
      lines.once("line", (text) => {
        clearTimeout(timer)
        try {
          if (decodeDriverLine(text).type === "ready") return resolve()
        } catch {
          // not even a protocol line: the same failure
        }
        reject(new Error(`${client}: expected a ready line, got ${text.slice(0, 500)}`))
      })
      child.once("exit", (code) => {
        clearTimeout(timer)
        reject(new Error(`${client}: driver exited (${code}) before it was ready:\n${logTail(logFile)}`))
      })
    })
    try {
      await ready
    } catch (error) {
      child.kill("SIGKILL")
      throw error
    }
    return new DriverProcess(client, child, child.pid, logFile, lines)
  }

  /** Sends one command and waits for its reply; `ok: false`, an exit or the deadline is an error. */
  send(command: Command, timeoutMs = 300_000): Promise<ReplyLine> {
    return new Promise((resolve, reject) => {
      if (this.exited) return reject(new Error(`${this.client}: driver already exited`))
      const timer = setTimeout(() => {
        reject(new Error(`${this.client}: no answer to ${command.op} within ${timeoutMs} ms`))
      }, timeoutMs)
      const onExit = () => {
        clearTimeout(timer)
        reject(new Error(`${this.client}: driver exited during ${command.op}:\n${logTail(this.logFile)}`))
      }
      this.child.once("exit", onExit)
      this.replies.push((reply) => {
        clearTimeout(timer)
        this.child.off("exit", onExit)
        if (reply.ok) resolve(reply)
        else reject(new Error(`${this.client}: ${command.op} failed: ${reply.error ?? "no reason given"}`))
      })
      this.child.stdin?.write(`${JSON.stringify(command)}\n`)
    })
  }

  /** Calls `listener` with every event until the returned function is called. */
  onEvent(listener: (event: EventLine) => void): () => void {
    this.eventListeners.add(listener)
    return () => this.eventListeners.delete(listener)
  }

  /** Closes the client (`close` command), then makes sure the process is gone. */
  async close(): Promise<void> {
    if (this.exited) return
    try {
      await this.send({ op: "close" }, CLOSE_TIMEOUT_MS)
      this.child.stdin?.end()
      await Promise.race([this.exit, new Promise((resolve) => setTimeout(resolve, CLOSE_TIMEOUT_MS))])
    } catch {
      // killed below
    }
    this.kill()
  }

  /** SIGKILL, if still running (the last resort, also on the harness' own exit). */
  kill(): void {
    if (!this.exited) this.child.kill("SIGKILL")
  }
}
