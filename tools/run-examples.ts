/**
 * `npm run examples`: runs every program in `examples/` (as `npm run example -- <file>` would) and then the user's
 * test there (`examples/*.test.ts`, vitest project `examples`). Each must succeed within its time limit.
 * Without `NACOS_SERVER_ADDR` everything runs in memory (what CI does); with it, the programs run on that server.
 */
import { spawn } from "node:child_process"
import { readdirSync } from "node:fs"
import * as path from "node:path"

const root = path.resolve(import.meta.dirname, "..")
const examples = readdirSync(path.join(root, "examples"))
  .filter((name) => name.endsWith(".ts") && !name.endsWith(".test.ts"))
  .sort()

interface Outcome {
  readonly label: string
  readonly passed: boolean
  readonly seconds: string
  readonly output: string
}

// The examples are independent (their own dataIds, temp dirs): run them all at once, report in a fixed order.
const run = (label: string, args: ReadonlyArray<string>): Promise<Outcome> =>
  new Promise((resolve) => {
    const started = Date.now()
    const child = spawn(process.execPath, args, { cwd: root, timeout: 60_000 })
    let output = ""
    child.stdout.on("data", (chunk) => (output += chunk))
    child.stderr.on("data", (chunk) => (output += chunk))
    child.on("error", (error) => (output += error.message))
    child.on("close", (code) =>
      resolve({ label, passed: code === 0, seconds: ((Date.now() - started) / 1000).toFixed(1), output })
    )
  })

const outcomes = await Promise.all([
  ...examples.map((name) =>
    run(`examples/${name}`, ["--conditions=@effect-nacos/source", path.join("examples", name)])
  ),
  run("examples/*.test.ts (vitest)", [
    path.join("node_modules", "vitest", "vitest.mjs"),
    "run",
    "--config",
    "vitest.workspace.ts",
    "--project",
    "examples"
  ])
])
for (const outcome of outcomes) {
  console.log(`${outcome.passed ? "ok  " : "FAIL"} ${outcome.label} (${outcome.seconds} s)`)
  // a failing example's whole output is the story; a passing one's is noise
  if (!outcome.passed) console.log(outcome.output)
}
const failed = outcomes.filter((outcome) => !outcome.passed).length
console.log(`examples: ${outcomes.length - failed} passed, ${failed} failed`)
process.exitCode = failed === 0 ? 0 : 1
