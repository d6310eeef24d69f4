import { defineConfig } from "vitest/config"

// The root test config: one project per package, plus the real-server conformance project
// (run only by `npm run test:conformance`, because it starts Nacos JVMs).
const resolve = { conditions: ["source"] }

export default defineConfig({
  resolve,
  test: {
    projects: [
      ...["core", "config"].map((name) => ({
        resolve,
        test: { name, root: `packages/${name}`, include: ["test/**/*.test.ts"], testTimeout: 30_000 }
      })),
      {
        resolve,
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
