/**
 * Child process for the "nothing left behind" test: opens the live service, registers an instance, subscribes
 * (stream and callback) until it shows, closes the scope and returns. Node only exits by itself if no socket,
 * timer or fiber survived the layer (the failover check, the redo and push handlers, the connection's health
 * checks…).
 */

import { NamingService } from "@effect-nacos/naming"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import { liveLayer } from "./layers.ts"

const address = process.argv[2] ?? ""

const program = Effect.scoped(
  Effect.gen(function* () {
    const naming = yield* NamingService.NamingService
    yield* naming.onChange({ serviceName: "lifecycle" }, () => Effect.void)
    yield* naming.registerInstance({ serviceName: "lifecycle", ip: "10.0.0.1", port: 1 })
    const shown = yield* naming.subscribe({ serviceName: "lifecycle" }).pipe(
      Stream.filter((event) => event.service.hosts.length === 1),
      Stream.take(1),
      Stream.runCollect
    )
    process.stdout.write(`events ${shown.map((event) => event._tag).join(",")}\n`)
  }).pipe(Effect.provide(liveLayer({ address })))
)

Effect.runPromise(program).then(
  () => process.stdout.write("closed\n"),
  (error) => {
    process.stderr.write(`failed: ${String(error)}\n`)
    process.exitCode = 1
  }
)
