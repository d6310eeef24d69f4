/**
 * Child process for the "nothing left behind" test: opens the live service, watches and listens to a key until
 * its first change, closes the scope and returns. Node only exits by itself if no socket, timer or fiber
 * survived the layer (the full-sync schedule, the listen loop, the connection's health checks…).
 */

import { ConfigService } from "@effect-nacos/config"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Stream from "effect/Stream"
import { liveLayer } from "./layers.ts"

const address = process.argv[2] ?? ""

const program = Effect.scoped(
  Effect.gen(function* () {
    const config = yield* ConfigService.ConfigService
    yield* config.listen({ dataId: "lifecycle" }, () => Effect.void)
    const firstTwo = yield* config
      .watch({ dataId: "lifecycle" })
      .pipe(Stream.take(2), Stream.runCollect, Effect.forkScoped)
    yield* config.watch({ dataId: "lifecycle" }).pipe(Stream.take(1), Stream.runDrain)
    yield* config.publish({ dataId: "lifecycle", content: "one" })
    const events = yield* Fiber.join(firstTwo)
    process.stdout.write(`events ${events.map((event) => event._tag).join(",")}\n`)
  }).pipe(Effect.provide(liveLayer({ address })))
)

Effect.runPromise(program).then(
  () => process.stdout.write("closed\n"),
  (error) => {
    process.stderr.write(`failed: ${String(error)}\n`)
    process.exitCode = 1
  }
)
