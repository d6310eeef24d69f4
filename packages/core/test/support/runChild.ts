import { spawn } from "node:child_process"
import * as Effect from "effect/Effect"

export interface ChildOutcome {
  readonly code: number | null
  /** True when the child was still alive after the limit and had to be killed. */
  readonly killed: boolean
  readonly stdout: string
  readonly stderr: string
}

/**
 * Runs a TypeScript script in a child Node (workspace packages resolved to their sources) and reports how it
 * ended. Used to prove a closed layer leaves nothing behind: such a child exits by itself.
 */
export const runChild = (
  script: string,
  args: ReadonlyArray<string>,
  limitMillis: number,
  /** Once this holds (polled), the child is sent one line on stdin: its cue to go on. */
  cue?: () => boolean
) =>
  Effect.callback<ChildOutcome>((resume) => {
    const child = spawn(process.execPath, ["--conditions=@effect-nacos/source", script, ...args], {
      stdio: ["pipe", "pipe", "pipe"]
    })
    if (cue === undefined) child.stdin.end()
    const poll =
      cue === undefined
        ? undefined
        : setInterval(() => {
            if (!cue()) return
            clearInterval(poll)
            child.stdin.end("go\n")
          }, 10)
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (chunk) => (stdout += chunk))
    child.stderr.on("data", (chunk) => (stderr += chunk))
    let killed = false
    const timer = setTimeout(() => {
      killed = true
      child.kill("SIGKILL")
    }, limitMillis)
    child.on("exit", (code) => {
      clearTimeout(timer)
      clearInterval(poll)
      resume(Effect.succeed({ code, killed, stdout, stderr }))
    })
  })
