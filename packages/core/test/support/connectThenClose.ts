/**
 * Child process for the "no open handles" test: connects, waits for the session, closes the scope and returns.
 * Node only exits by itself if no socket, timer or fiber is left behind.
 */
import * as Effect from "effect/Effect"
import { Transport } from "../../src/Transport.ts"
import { transportLayer } from "./layers.ts"

const address = process.argv[2]!

const program = Effect.scoped(
  Effect.gen(function* () {
    const transport = yield* Transport
    const connection = yield* transport.connect({ module: "config" })
    const session = yield* connection.awaitSession(10_000)
    process.stdout.write(`connected ${session.connectionId}\n`)
  })
).pipe(Effect.provide(transportLayer([address], { healthCheckIntervalMillis: 50 })))

Effect.runPromise(program).then(
  () => process.stdout.write("closed\n"),
  (error) => {
    process.stderr.write(`failed: ${String(error)}\n`)
    process.exitCode = 1
  }
)
