/**
 * Short cuts one after another (the reconnect loop meets reset after reset, then a healed network): the client
 * must end with exactly its own sessions, one per module. grpc-js keeps reconnecting the subchannel of a closed
 * channel that was backing off, and a connection it makes then belongs to nobody; every attempt that met a reset
 * must leave nothing behind (regression: 3 to 5 stray connections after each 2 s cut).
 */
import { describe, expect, it } from "@effect/vitest"
import { ConfigService } from "@effect-nacos/config"
import { NamingService } from "@effect-nacos/naming"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import { proxiesFor } from "../faultProxy.ts"
import { faultServer, servicesLayer } from "./support.ts"

describe("connections after cuts", () => {
  it.live(
    "three 2 s cuts: afterwards the client holds one gRPC connection per module, no more",
    () =>
      Effect.gen(function* () {
        const proxies = yield* proxiesFor(faultServer())
        yield* Effect.gen(function* () {
          const config = yield* ConfigService.ConfigService
          const naming = yield* NamingService.NamingService
          yield* config.watch({ dataId: "connections-after-cuts" }).pipe(Stream.runDrain, Effect.forkScoped)
          yield* naming.subscribe({ serviceName: "connections-after-cuts" }).pipe(Stream.runDrain, Effect.forkScoped)
          // config, naming and ai (ai opens its naming connection with its first watch only)
          const sessions = 3
          while (proxies.grpc.stats.open < sessions) yield* Effect.sleep("100 millis")
          const held: Array<number> = []
          for (let cut = 0; cut < 3; cut++) {
            proxies.cut()
            yield* Effect.sleep("2 seconds")
            proxies.heal()
            // reconnected (full jitter, at most 5 s) and past grpc-js' own reconnect back-off
            yield* Effect.sleep("8 seconds")
            held.push(proxies.grpc.stats.open)
          }
          expect(held, "gRPC connections held after each cut").toEqual([sessions, sessions, sessions])
        }).pipe(
          Effect.provide(
            servicesLayer(
              { ...faultServer(), serverAddr: proxies.serverAddr },
              { grpc: { portOffset: proxies.portOffset } }
            )
          )
        )
      }),
    120_000
  )
})
