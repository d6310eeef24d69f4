/**
 * Connection cuts (every connection reset, new ones refused with a reset) of 2 s and 15 s, while another client
 * changes configs, instances and agent endpoints: afterwards every watch and subscription of the cut client shows
 * the final state, its registrations and endpoints are on the server again, and it holds as many connections as
 * before (one per module).
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { proxiesFor } from "../faultProxy.ts"
import { setUpWorld } from "./scenario.ts"
import { faultServer, recordFigures } from "./support.ts"

describe("cut", () => {
  for (const seconds of [2, 15]) {
    it.live(
      `a ${seconds} s cut: every watch and subscription ends on the final state, every registration and endpoint is back`,
      () =>
        Effect.gen(function* () {
          const server = faultServer()
          const proxies = yield* proxiesFor(server)
          const world = yield* setUpWorld(`cut${seconds}`, server, proxies)
          // one gRPC connection per module the client uses (config, naming, ai, and ai's own naming)
          const connectionsBefore = proxies.grpc.stats.open
          const cutAt = Date.now()
          proxies.cut()
          yield* world.change
          yield* Effect.sleep(Math.max(0, seconds * 1000 - (Date.now() - cutAt)))
          const cutMillis = Date.now() - cutAt
          proxies.heal()
          const recoveryMillis = yield* world.recovered(30_000)
          // and nothing more: every connection the client dialled while cut or reconnecting is closed again
          const settleStarted = Date.now()
          while (proxies.grpc.stats.open !== connectionsBefore && Date.now() - settleStarted < 20_000) {
            yield* Effect.sleep("200 millis")
          }
          const connectionsAfter = proxies.grpc.stats.open
          yield* recordFigures(`cut ${seconds} s`, {
            cutMillis,
            recoveryMillis,
            events: world.eventCount(),
            connectionsBefore,
            connectionsAfter
          })
          expect(connectionsAfter, "gRPC connections the client holds after the cut").toBe(connectionsBefore)
        }),
      120_000
    )
  }
})
