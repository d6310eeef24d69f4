import { defineConfig } from "vitest/config"

// The root test config: one project per package, plus the real-server conformance project
// (run only by `npm run test:conformance`, because it starts Nacos JVMs).
// Workspace packages resolve to their TypeScript sources (the "@effect-nacos/source" export condition), never to a
// stale dist/: vitest runs node tests through its SSR resolver, so the condition is set there too. The condition is
// project-specific so that a consumer's own "source" condition never selects our .ts files inside node_modules.
const sourceCondition = "@effect-nacos/source"
const resolve = { conditions: [sourceCondition] }
const ssr = { resolve: { conditions: [sourceCondition], externalConditions: [sourceCondition] } }

export default defineConfig({
  resolve,
  ssr,
  test: {
    // The library's logs (connections, reconnects, fallbacks) are part of a failing test's story and noise
    // otherwise: vitest keeps each test's console output and prints it only when that test fails.
    silent: "passed-only",
    projects: [
      ...["core", "config", "naming", "ai"].map((name) => ({
        resolve,
        ssr,
        test: { name, root: `packages/${name}`, include: ["test/**/*.test.ts"], testTimeout: 30_000 }
      })),
      // the user's test in examples/ (run by `npm run examples`, with the other examples)
      { resolve, ssr, test: { name: "examples", root: "examples", include: ["*.test.ts"] } },
      // the fault suite (TCP fault proxy, restart in place) and the 3-node cluster suite: real servers of their own
      ...["faults", "cluster"].map((name) => ({
        resolve,
        ssr,
        test: {
          name,
          root: `conformance/${name}`,
          include: ["**/*.test.ts"],
          globalSetup: ["./global-setup.ts"],
          testTimeout: 120_000,
          hookTimeout: 240_000,
          fileParallelism: false
        }
      })),
      {
        resolve,
        ssr,
        test: {
          name: "conformance",
          root: "conformance",
          include: ["test/**/*.test.ts"],
          globalSetup: ["./global-setup.ts"],
          testTimeout: 60_000,
          hookTimeout: 240_000,
          fileParallelism: false
        }
      }
    ]
  }
})
