/**
 * Child process for the test kit's packaging test: imports the main entry (and, when asked, the test kit) and prints
 * every module URL Node resolved on the way, one a line.
 */
import { registerHooks } from "node:module"

const resolved: Array<string> = []
registerHooks({
  resolve: (specifier, context, nextResolve) => {
    const result = nextResolve(specifier, context)
    resolved.push(result.url)
    return result
  }
})

await import("@effect-nacos/core")
if (process.argv[2] === "with-testing") await import("@effect-nacos/core/testing")
process.stdout.write(`${resolved.join("\n")}\n`)
