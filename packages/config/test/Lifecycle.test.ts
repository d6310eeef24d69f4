import { spawn } from "node:child_process"
import { fileURLToPath } from "node:url"
import { expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { fakeServer } from "./support/layers.ts"

const script = fileURLToPath(new URL("./support/watchThenClose.ts", import.meta.url))

/** Runs the child; one still alive after `limitMillis` is killed and says so. */
const runChild = (address: string, limitMillis: number) =>
  Effect.callback<{ code: number | null; killed: boolean; stdout: string; stderr: string }>((resume) => {
    const child = spawn(process.execPath, ["--conditions=source", script, address], {
      stdio: ["ignore", "pipe", "pipe"]
    })
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
      resume(Effect.succeed({ code, killed, stdout, stderr }))
    })
  })

it.live(
  "closing the layer leaves no socket, timer or fiber behind: the process exits by itself",
  () =>
    Effect.gen(function* () {
      const fake = yield* fakeServer
      const result = yield* runChild(fake.address, 30_000)
      expect(result.stderr).toBe("")
      expect(result.stdout).toMatch(/events Absent,Changed\n(.|\n)*closed\n/)
      expect(result.killed).toBe(false)
      expect(result.code).toBe(0)
      expect(fake.nacos.openStreams).toBe(0)
    }),
  45_000
)
