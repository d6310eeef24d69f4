import { fileURLToPath } from "node:url"
import { expect, it } from "@effect/vitest"
import { FakeNacosServer } from "@effect-nacos/core/testing"
import * as Effect from "effect/Effect"
import { runChild } from "./support/runChild.ts"

const script = fileURLToPath(new URL("./support/connectThenClose.ts", import.meta.url))
const duringHandshake = fileURLToPath(new URL("./support/closeDuringHandshake.ts", import.meta.url))

it.live(
  "closing the scope leaves no socket, timer or fiber: the process exits by itself",
  () =>
    Effect.gen(function* () {
      const fake = yield* Effect.acquireRelease(
        Effect.promise(() => new FakeNacosServer().start()),
        (server) => Effect.promise(() => server.stop())
      )
      const result = yield* runChild(script, [fake.address], 20_000)
      expect(result.stderr).toBe("")
      expect(result.stdout).toMatch(/connected .*\nclosed\n/)
      expect(result.killed).toBe(false)
      expect(result.code).toBe(0)
      expect(fake.openStreams).toBe(0)
    }),
  30_000
)

it.live(
  "closing the scope during the handshake leaves no channel or server-side stream: the process exits by itself",
  () =>
    Effect.gen(function* () {
      const fake = yield* Effect.acquireRelease(
        Effect.promise(() => new FakeNacosServer({ setupAck: false }).start()),
        (server) => Effect.promise(() => server.stop())
      )
      const setupSent = () => fake.typesReceived("ConnectionSetupRequest").length > 0
      const result = yield* runChild(duringHandshake, [fake.address], 20_000, setupSent)
      expect(result.stderr).toBe("")
      expect(result.stdout).toBe("connecting\nclosed\n")
      expect(result.killed).toBe(false)
      expect(result.code).toBe(0)
      expect(fake.openStreams).toBe(0)
    }),
  30_000
)
