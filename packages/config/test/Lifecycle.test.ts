import { fileURLToPath } from "node:url"
import { expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { runChild } from "../../core/test/support/runChild.ts"
import { fakeServer } from "./support/layers.ts"

const script = fileURLToPath(new URL("./support/watchThenClose.ts", import.meta.url))

it.live(
  "closing the layer leaves no socket, timer or fiber behind: the process exits by itself",
  () =>
    Effect.gen(function* () {
      const fake = yield* fakeServer
      const result = yield* runChild(script, [fake.address], 30_000)
      expect(result.stderr).toBe("")
      expect(result.stdout).toMatch(/events Absent,Changed\n(.|\n)*closed\n/)
      expect(result.killed).toBe(false)
      expect(result.code).toBe(0)
      expect(fake.nacos.openStreams).toBe(0)
    }),
  45_000
)
