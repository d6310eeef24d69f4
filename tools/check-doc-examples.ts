/**
 * Typechecks every `@example` of the documented packages: each ```ts block in a TSDoc comment of every `.ts`
 * under `packages/<name>/src` (subpath modules such as `ai/src/a2a` included, `internal` left out) becomes a module
 * under `build/doc-examples/`, compiled with the repository's strict settings against the packages' sources. An example that no longer compiles fails `npm run docs`.
 *
 *   node tools/check-doc-examples.ts [package ...]     (default: the packages typedoc.json documents)
 */
import { spawnSync } from "node:child_process"
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import * as path from "node:path"

const root = path.resolve(import.meta.dirname, "..")
const outDir = path.join(root, "build", "doc-examples")

const documentedPackages = (): ReadonlyArray<string> => {
  const typedoc: { readonly entryPoints?: ReadonlyArray<string> } = JSON.parse(
    readFileSync(path.join(root, "typedoc.json"), "utf8")
  )
  return typedoc.entryPoints ?? []
}

// A fenced block inside a doc comment: its lines carry the comment's leading ` * `.
const fencedBlock = /```ts\n([\s\S]*?)```/g
const commentPrefix = /^\s*\* ?/

const examplesOf = (file: string): ReadonlyArray<{ readonly line: number; readonly code: string }> => {
  const text = readFileSync(file, "utf8")
  return [...text.matchAll(fencedBlock)].map((match) => ({
    line: text.slice(0, match.index).split("\n").length,
    code: (match[1] ?? "")
      .split("\n")
      .map((line) => line.replace(commentPrefix, ""))
      .join("\n")
  }))
}

const packages = process.argv.length > 2 ? process.argv.slice(2) : documentedPackages()
rmSync(outDir, { recursive: true, force: true })
mkdirSync(path.join(outDir, "src"), { recursive: true })

let count = 0
for (const pkg of packages) {
  const srcDir = path.join(root, pkg, "src")
  const files = readdirSync(srcDir, { recursive: true, encoding: "utf8" }).filter(
    (file) => file.endsWith(".ts") && !file.endsWith(".d.ts") && !file.split(path.sep).includes("internal")
  )
  for (const name of files) {
    const source = path.join(pkg, "src", name)
    for (const example of examplesOf(path.join(root, source))) {
      count++
      const module = `${path.basename(pkg)}_${name.replace(/\.ts$/, "").replaceAll(path.sep, "_")}_${example.line}.ts`
      // `export {}` keeps each example a module of its own, so their top-level names never clash
      writeFileSync(path.join(outDir, "src", module), `// ${source}:${example.line}\n${example.code}\nexport {}\n`)
    }
  }
}

writeFileSync(
  path.join(outDir, "tsconfig.json"),
  JSON.stringify({
    extends: "../../tsconfig.base.json",
    // an example may name a value only to show it: unused locals are fine here
    compilerOptions: {
      noEmit: true,
      composite: false,
      incremental: false,
      declaration: false,
      declarationMap: false,
      noUnusedLocals: false
    },
    include: ["src"]
  })
)

const tsc = spawnSync(process.execPath, [path.join(root, "node_modules", "typescript", "bin", "tsc"), "-p", outDir], {
  cwd: root,
  encoding: "utf8"
})
process.stdout.write(tsc.stdout)
process.stderr.write(tsc.stderr)
console.log(`doc examples: ${count} typechecked, ${tsc.status === 0 ? "all compile" : "some do not compile (above)"}`)
process.exitCode = tsc.status === 0 ? 0 : 1
