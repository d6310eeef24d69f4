/**
 * An A2A echo agent built with @a2a-js/sdk that registers itself in Nacos, the Effect way: `A2AServer.serve`
 * listens, and only then registers the agent in the background (retried; a status per registry); closing the
 * scope deregisters, then closes the HTTP server. The demo then finds the agent by name, as any other agent would,
 * sends it a message and stops.
 *
 *   npm run example -- examples/a2a-agent.ts                                          # in memory (no server)
 *   NACOS_SERVER_ADDR=127.0.0.1:8848 npm run example -- examples/a2a-agent.ts         # on Nacos 3.1+
 *   NACOS_SERVER_ADDR=127.0.0.1:8848 npm run example -- examples/a2a-agent.ts --serve # keeps serving (port
 *                          $PORT or 8080, published at $ADVERTISED_HOST or the machine's address) until Ctrl-C;
 *                          try examples/a2a-client.ts
 */
import { AiService } from "@effect-nacos/ai"
import { A2ARegistry, A2AServer, AgentClients, NacosAgentCardResolver } from "@effect-nacos/ai/a2a"
import { Nacos } from "@effect-nacos/core"
import { Cause, Effect, Exit, Fiber, Layer, Stream, SubscriptionRef } from "effect"
import { answerText, echo, echoCard, userMessage } from "./support/echoAgent.ts"

const serverAddr = process.env.NACOS_SERVER_ADDR?.trim() ?? ""
const keepServing = process.argv.includes("--serve")
const AGENT_NAME = "effect-nacos-echo"

const card = echoCard(AGENT_NAME)

// the AiService: on the server when NACOS_SERVER_ADDR is set, else in memory
const Ai: Layer.Layer<AiService.AiService> =
  serverAddr === ""
    ? AiService.layerMemory()
    : AiService.layer.pipe(Layer.provide(Nacos.layer({ serverAddr })), Layer.orDie)
// the registry: Nacos, over that AiService (in an application: A2ARegistry.layerFromEnv(), switched on by
// A2A_REGISTRY_TYPE=nacos and configured by NACOS_*)
const Registries = A2ARegistry.layerNacos({ setAsLatest: true }).pipe(Layer.provideMerge(Ai))

const program = Effect.gen(function* () {
  yield* Effect.log(serverAddr === "" ? "no NACOS_SERVER_ADDR: registering in memory" : `Nacos at ${serverAddr}`)
  const agent = yield* A2AServer.serve({
    card,
    executor: echo,
    // serving: on every interface, published at the machine's address (or $ADVERTISED_HOST); the demo stays on
    // loopback
    ...(keepServing
      ? {
          port: Number(process.env.PORT ?? 8080),
          ...(process.env.ADVERTISED_HOST ? { advertisedHost: process.env.ADVERTISED_HOST } : {})
        }
      : { port: 0, listenHost: "127.0.0.1", advertisedHost: "127.0.0.1" })
  })
  yield* Effect.log(`serving ${AGENT_NAME} at ${agent.url}; registering in the background`)
  for (const status of yield* agent.registration.settled) yield* Effect.log(`registration: ${status._tag}`)

  // what another agent does: find it by name in the registry, then call it
  const resolver = yield* NacosAgentCardResolver.make
  // the live card, until it lists this instance (a server's card query lags the registration a little)
  const found = yield* resolver.cards(AGENT_NAME).pipe(
    Stream.filter((live) => live.supportedInterfaces.some((i) => i.url === agent.url)),
    Stream.runHead,
    Effect.timeout("15 seconds"),
    Effect.flatMap(Effect.fromOption)
  )
  yield* Effect.log(`found by name: ${found.supportedInterfaces.map((i) => i.url).join(", ")}`)
  const client = yield* AgentClients.make({ resolver }).client(AGENT_NAME)
  const answer = yield* Effect.promise(() => client.sendMessage(userMessage("hello from the registry")))
  yield* Effect.log(`answer: ${answerText(answer)}`)

  if (keepServing) {
    const [registration] = agent.registration.registrations
    if (registration !== undefined) {
      yield* Effect.log(`status: ${(yield* SubscriptionRef.get(registration.status))._tag}; Ctrl-C stops`)
    }
    return yield* Effect.never
  }
}).pipe(Effect.scoped, Effect.provide(Registries))

// Ctrl-C interrupts the program: the scope closes, the agent deregisters, the server closes
const fiber = Effect.runFork(program)
process.once("SIGINT", () => Effect.runFork(Fiber.interrupt(fiber)))
Effect.runPromise(Fiber.await(fiber)).then((exit) => {
  if (Exit.isSuccess(exit) || Cause.hasInterruptsOnly(exit.cause)) {
    console.log("stopped: deregistered, server closed")
  } else {
    console.error(Cause.pretty(exit.cause))
    process.exitCode = 1
  }
})
