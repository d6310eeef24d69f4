/**
 * The server restarted in place (SIGTERM, the same ports, home and data): every connection goes, and with them all
 * server-side state of the connections (listens, subscriptions, ephemeral instances, endpoints). Changes made by
 * another client once the server is back reach every watch and subscription, and the registrations and endpoints
 * of the client are on the server again.
 */
import { describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Schedule from "effect/Schedule"
import { proxiesFor } from "../faultProxy.ts"
import { setUpWorld } from "./scenario.ts"
import { controlServer, faultServer, recordFigures } from "./support.ts"

describe("server restart", () => {
  it.live(
    "a restart in place: everything comes back and changes made after it reach every watch and subscription",
    () =>
      Effect.gen(function* () {
        const server = faultServer()
        const proxies = yield* proxiesFor(server)
        const world = yield* setUpWorld("restart", server, proxies)
        const restartMillis = yield* controlServer(server, "restart")
        const readyAt = Date.now()
        // the other client is reconnecting too: its changes are retried until they go through
        yield* world.change.pipe(Effect.retry(Schedule.spaced("500 millis").pipe(Schedule.upTo({ times: 40 }))))
        const recoveryMillis = yield* world.recovered(30_000)
        yield* recordFigures("server restart", {
          restartMillis,
          recoveryMillis,
          sinceReadyMillis: Date.now() - readyAt,
          events: world.eventCount()
        })
      }),
    180_000
  )
})
