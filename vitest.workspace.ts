import { defineConfig } from "vitest/config"

// The root test config: one project per package, plus the real-server conformance project
// (run only by `npm run test:conformance`, because it starts Nacos JVMs).
// Workspace packages resolve to their TypeScript sources (the "source" export condition), never to a stale
// dist/: vitest runs node tests through its SSR resolver, so the condition is set there too.
const resolve = { conditions: ["source"] }
const ssr = { resolve: { conditions: ["source"], externalConditions: ["source"] } }

export default defineConfig({
  resolve,
  ssr,
  test: {
    projects: [
      ...["core", "config"].map((name) => ({
        resolve,
        ssr,
        test: { name, root: `packages/${name}`, include: ["test/**/*.test.ts"], testTimeout: 30_000 }
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
