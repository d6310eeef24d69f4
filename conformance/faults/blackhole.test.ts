/**
 * A 20 s blackhole (nothing forwarded, nothing closed: the connections stall) while another client changes
 * things: the client notices through its health check (it gives up the stalled connection and dials again while
 * the blackhole lasts), recovers after the heal, and nothing is lost.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { proxiesFor } from "../faultProxy.ts"
import { setUpWorld } from "./scenario.ts"
import { faultServer, recordFigures } from "./support.ts"

const BLACKHOLE_MILLIS = 20_000

describe("blackhole", () => {
  it.live(
    "a 20 s blackhole: noticed by the health check, recovered after the heal, nothing lost",
    () =>
      Effect.gen(function* () {
        const server = faultServer()
        const proxies = yield* proxiesFor(server)
        const world = yield* setUpWorld("blackhole", server, proxies)
        const dialledBefore = proxies.grpc.stats.accepted
        const startedAt = Date.now()
        proxies.blackhole()
        yield* world.change
        // a new gRPC connection attempt means the client gave up the stalled one: nothing else would make it dial
        let noticedMillis: number | undefined
        while (Date.now() - startedAt < BLACKHOLE_MILLIS) {
          if (noticedMillis === undefined && proxies.grpc.stats.accepted > dialledBefore) {
            noticedMillis = Date.now() - startedAt
          }
          yield* Effect.sleep("100 millis")
        }
        expect(noticedMillis, "the client never noticed the stalled connection").toBeDefined()
        proxies.heal()
        const recoveryMillis = yield* world.recovered(30_000)
        yield* recordFigures("blackhole 20 s", {
          blackholeMillis: Date.now() - startedAt - recoveryMillis,
          noticedMillis,
          recoveryMillis,
          events: world.eventCount()
        })
      }),
    120_000
  )
})
