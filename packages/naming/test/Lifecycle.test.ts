import { fileURLToPath } from "node:url"
import { expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import { runChild } from "../../core/test/support/runChild.ts"
import { fakeServer } from "./support/layers.ts"

const script = fileURLToPath(new URL("./support/registerThenClose.ts", import.meta.url))

const InstanceType = Schema.Struct({ type: Schema.String })

it.live(
  "closing the layer deregisters, unsubscribes and leaves no socket, timer or fiber behind: the process exits by itself",
  () =>
    Effect.gen(function* () {
      const fake = yield* fakeServer()
      const result = yield* runChild(script, [fake.address], 30_000)
      expect(result.stderr).toBe("")
      expect(result.stdout).toMatch(/events InstancesChanged\n(.|\n)*closed\n/)
      expect(result.killed).toBe(false)
      expect(result.code).toBe(0)
      expect(fake.nacos.openStreams).toBe(0)
      expect(
        fake.received("InstanceRequest").map((received) => Schema.decodeUnknownSync(InstanceType)(received.json).type)
      ).toEqual(["registerInstance", "deregisterInstance"])
      expect(fake.subscribersOf("lifecycle")).toBe(0)
    }),
  45_000
)
