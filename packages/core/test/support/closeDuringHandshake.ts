/**
 * Child process for the "closed mid-handshake" test: starts a connection to a server that never sends SetupAck,
 * waits for the parent's cue on stdin (the server has the setup request by then), closes the scope and returns.
 * Node only exits by itself if the half-made session left no channel, stream or timer behind.
 */
import * as Effect from "effect/Effect"
import { Transport } from "../../src/Transport.ts"
import { transportLayer } from "./layers.ts"

const address = process.argv[2]!

const cue = Effect.callback<void>((resume) => {
  process.stdin.once("data", () => resume(Effect.void))
})

const program = Effect.scoped(
  Effect.gen(function* () {
    const transport = yield* Transport
    yield* transport.connect({ module: "config" })
    process.stdout.write("connecting\n")
    yield* cue
  })
).pipe(Effect.provide(transportLayer([address], { capabilityNegotiationTimeoutMillis: 600_000 })))

Effect.runPromise(program).then(
  () => process.stdout.write("closed\n"),
  (error) => {
    process.stderr.write(`failed: ${String(error)}\n`)
    process.exitCode = 1
  }
)
