/**
 * Nacos as the A2A agent registry, end to end on the real server (3.1.0 here), no SDK mocks: `@a2a-js/sdk` echo
 * agents served by A2AServer register themselves in the background (NacosA2ARegistry over AiService), another
 * client resolves them by name through Nacos (NacosAgentCardResolver, kept live by watchAgentCard) and calls them
 * over real A2A JSON-RPC (AgentClients). Each agent process is its own client: its own AiService layer.
 *
 * Latencies are written (JSON lines) to $NACOS_A2A_LATENCY_FILE when set: register→resolvable and stop→gone.
 */
import { spawn } from "node:child_process"
import { appendFileSync } from "node:fs"
import * as path from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { AiService } from "@effect-nacos/ai"
import {
  A2ARegistry,
  A2AServer,
  AgentClients,
  BackgroundRegistration,
  NacosAgentCardResolver
} from "@effect-nacos/ai/a2a"
import { NamingService } from "@effect-nacos/naming"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Schedule from "effect/Schedule"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import * as SubscriptionRef from "effect/SubscriptionRef"
import {
  answerText,
  echoCard,
  echoExecutor,
  fetchServedCard,
  userMessage
} from "../../packages/ai/test/a2a/support/echo.ts"
import { eventually } from "../../packages/ai/test/support/behaviour.ts"
import { grpcProxyFor } from "../cuttingProxy.ts"
import { type ConformanceServer, nacosLayer, type Overrides, servers } from "../support.ts"

/** The agent's own card endpoint, as an HTTP client sees it. */
const fetchCardName = (port: number) => Effect.map(fetchServedCard("127.0.0.1", port), (card) => card.name)

const server = (): ConformanceServer => servers().authOff

/** A unique agent name of letters and `-` only: the server keeps it as is in the endpoints' naming service. */
const agentName = (label: string) =>
  `a2a-${label}-${Array.from({ length: 10 }, () => String.fromCharCode(97 + Math.floor(Math.random() * 26))).join("")}`

const recordLatency = (label: string, millis: number) => {
  const file = process.env.NACOS_A2A_LATENCY_FILE
  if (file !== undefined) appendFileSync(file, `${JSON.stringify({ label, millis })}\n`)
}

const aiLayer = (overrides: Overrides = {}) =>
  Layer.fresh(AiService.layer.pipe(Layer.provide(nacosLayer(server(), overrides)), Layer.orDie))

/** An agent process's registries: the Nacos registry over an AiService (a connection) of its own. */
const registries = (overrides: Overrides = {}) => A2ARegistry.layerNacos().pipe(Layer.provide(aiLayer(overrides)))

const loopback = { port: 0, listenHost: "127.0.0.1", advertisedHost: "127.0.0.1" }

/** Serves an echo agent in a scope of its own; `stop` deregisters and closes its server. */
const startAgent = (
  name: string,
  prefix: string,
  options: { readonly overrides?: Overrides; readonly retry?: Schedule.Schedule<unknown> } = {}
) =>
  Effect.gen(function* () {
    const scope = yield* Scope.make()
    // closed by `stop`, or with the test's scope when the test fails first
    yield* Effect.addFinalizer(() => Scope.close(scope, Exit.void))
    // the registry's AiService lives in the agent's scope: closed after the deregistration and the server
    const context = yield* Layer.buildWithScope(registries(options.overrides), scope)
    const agent = yield* A2AServer.serve({
      card: echoCard(name),
      executor: echoExecutor(prefix),
      ...loopback,
      ...(options.retry === undefined ? {} : { registration: { retrySchedule: options.retry } })
    }).pipe(Effect.provideContext(context), Scope.provide(scope))
    return { agent, stop: Scope.close(scope, Exit.void) }
  })

/** The consumer: its own AiService (default policies: endpoint changes by push), a resolver and clients. */
const asConsumer = <A, E>(
  body: (tools: {
    readonly resolver: NacosAgentCardResolver.NacosAgentCardResolver
    readonly clients: AgentClients.AgentClients
    readonly ai: AiService.Service
  }) => Effect.Effect<A, E, Scope.Scope>
) =>
  Effect.gen(function* () {
    const resolver = yield* NacosAgentCardResolver.make
    return yield* body({ resolver, clients: AgentClients.make({ resolver }), ai: yield* AiService.AiService })
  }).pipe(Effect.provide(aiLayer()), Effect.scoped)

const interfaceUrls = (card: { readonly supportedInterfaces: ReadonlyArray<{ readonly url: string }> }) =>
  card.supportedInterfaces.map((i) => i.url).sort()

describe("Nacos as the A2A registry (@a2a-js/sdk agents, real server)", () => {
  it.live(
    "an echo agent registers in the background; another client resolves it by name and gets its echo",
    () =>
      Effect.gen(function* () {
        const name = agentName("echo")
        // the other client is connected before the agent starts, as in a running system
        yield* asConsumer(({ resolver, clients }) =>
          Effect.gen(function* () {
            const started = Date.now()
            const { agent, stop } = yield* startAgent(name, "echo")
            // serving before the registration is through: startup did not wait
            expect(yield* fetchCardName(agent.port)).toBe(name)
            expect((yield* agent.registration.settled).map((status) => status._tag)).toEqual(["Registered"])
            const registered = Date.now()
            recordLatency("serve returned → Registered", registered - started)
            const card = yield* eventually(resolver.card(name), (card) => interfaceUrls(card).includes(agent.url))
            recordLatency("Registered → resolvable by another client", Date.now() - registered)
            expect(card).toMatchObject({ name, version: "1.0.0", description: "says it back" })
            expect(card.skills.map((skill) => skill.id)).toEqual(["echo"])
            const client = yield* clients.client(name)
            const answer = yield* Effect.promise(() => client.sendMessage(userMessage("hello nacos")))
            expect(answerText(answer)).toBe("echo: hello nacos")
            yield* stop
          })
        )
      }),
    90_000
  )

  it.live(
    "two instances → two endpoints, both reachable; one stops → no longer handed out; the last stop leaves no endpoint",
    () =>
      Effect.gen(function* () {
        const name = agentName("pair")
        const first = yield* startAgent(name, "first")
        yield* first.agent.registration.settled
        yield* asConsumer(({ resolver, clients }) =>
          Effect.gen(function* () {
            yield* eventually(resolver.card(name), (card) => interfaceUrls(card).join() === first.agent.url)
            // the second instance, while the resolver watches the card: its endpoint comes by push
            const started = Date.now()
            const second = yield* startAgent(name, "second")
            const both = [first.agent.url, second.agent.url].sort()
            yield* eventually(resolver.card(name), (card) => interfaceUrls(card).join() === both.join())
            recordLatency("second instance: serve returned → the watching resolver lists it", Date.now() - started)
            const answers = new Set<string | undefined>()
            const urls = new Set<string>()
            for (let call = 0; call < 4; call++) {
              const picked = yield* clients.pick(name)
              urls.add(picked.endpoint.url)
              answers.add(answerText(yield* Effect.promise(() => picked.client.sendMessage(userMessage("hi")))))
            }
            expect([...urls].sort()).toEqual(both)
            expect([...answers].sort()).toEqual(["first: hi", "second: hi"])

            const stopped = Date.now()
            yield* second.stop
            // the live card (watched, endpoint changes pushed) drops the stopped instance
            yield* eventually(resolver.card(name), (card) => interfaceUrls(card).join() === first.agent.url)
            const gone = Date.now() - stopped
            recordLatency("stop→gone (scope closed → resolver's card without the endpoint)", gone)
            // generous: the push comes in about a second on 3.1.0; the poll fallback is 10 s
            expect(gone).toBeLessThan(15_000)
            for (let call = 0; call < 3; call++) {
              const picked = yield* clients.pick(name)
              expect(picked.endpoint.url).toBe(first.agent.url)
              expect(answerText(yield* Effect.promise(() => picked.client.sendMessage(userMessage("hi"))))).toBe(
                "first: hi"
              )
            }
          })
        )
        yield* first.stop
        // the server itself: no instance left in the agent version's endpoint service
        const instances = yield* Effect.gen(function* () {
          const naming = yield* NamingService.NamingService
          return yield* eventually(
            naming.listInstances({ groupName: "agent-endpoints", serviceName: `${name}::1.0.0` }),
            (instances) => instances.length === 0
          )
        }).pipe(Effect.provide(NamingService.layer.pipe(Layer.provide(nacosLayer(server())), Layer.orDie)))
        expect(instances).toEqual([])
        // and the card a consumer reads (the card query lags the naming change a little on 3.1.0)
        const card = yield* Effect.gen(function* () {
          const ai = yield* AiService.AiService
          return yield* eventually(ai.getAgentCard({ name }), (card) => (card.additionalInterfaces ?? []).length === 0)
        }).pipe(Effect.provide(aiLayer()))
        expect(card).toMatchObject({ name, registrationType: "SERVICE" })
      }),
    120_000
  )

  it.live(
    "Nacos unreachable at startup: the agent serves, the status shows Failed and retrying, and it registers once Nacos is back",
    () =>
      Effect.gen(function* () {
        const name = agentName("late")
        // the agent's gRPC goes through a proxy that refuses connections until restored
        const { proxy, portOffset } = yield* grpcProxyFor(server())
        yield* Effect.promise(() => proxy.cut())
        const { agent, stop } = yield* startAgent(name, "late", {
          overrides: { grpc: { portOffset, timeoutMillis: 1000 } },
          retry: Schedule.spaced("500 millis").pipe(Schedule.upTo({ times: 120 }))
        })
        expect(yield* fetchCardName(agent.port)).toBe(name)
        const status = agent.registration.registrations[0]!.status
        const failed = yield* SubscriptionRef.changes(status).pipe(
          Stream.filter((now) => now._tag === "Failed"),
          Stream.runHead,
          Effect.timeout("30 seconds")
        )
        expect(failed).toMatchObject({ _tag: "Some", value: { _tag: "Failed", retrying: true } })

        const healed = Date.now()
        yield* Effect.promise(() => proxy.restore())
        const settled = yield* agent.registration.settled.pipe(Effect.timeout("60 seconds"))
        expect(settled.map((s) => s._tag)).toEqual(["Registered"])
        recordLatency("Nacos back → registered (retry every 500 ms)", Date.now() - healed)
        yield* asConsumer(({ resolver, clients }) =>
          Effect.gen(function* () {
            yield* eventually(resolver.card(name), (card) => interfaceUrls(card).includes(agent.url))
            const client = yield* clients.client(name)
            expect(answerText(yield* Effect.promise(() => client.sendMessage(userMessage("back"))))).toBe("late: back")
          })
        )
        yield* stop
      }),
    120_000
  )

  it.live(
    "several transports on 3.1.0: no batch request there, so one by one, and the preferred (first) one stays",
    () =>
      Effect.gen(function* () {
        const name = agentName("multi")
        // the registry (its AiService) in the test's scope, which the registration lives in
        const context = yield* Layer.build(registries())
        const registration = yield* BackgroundRegistration.registerInBackground(
          { name, version: "1.0.0", description: "two transports" },
          [
            { host: "127.0.0.1", port: 9401, path: "/a2a", transportType: "JSONRPC" },
            { host: "127.0.0.1", port: 9402, path: "/rest", transportType: "HTTP+JSON" }
          ],
          { retrySchedule: Schedule.spaced("500 millis").pipe(Schedule.upTo({ times: 20 })) }
        ).pipe(Effect.provideContext(context))
        const settled = yield* registration.settled
        expect(settled.map((status) => status._tag)).toEqual(["Registered"])
        const card = yield* Effect.gen(function* () {
          const ai = yield* AiService.AiService
          return yield* eventually(ai.getAgentCard({ name }), (card) => (card.additionalInterfaces ?? []).length > 0)
        }).pipe(Effect.provide(aiLayer()))
        // what the 3.1.0 server keeps of one connection's endpoints for a version: the last one registered
        expect(card.additionalInterfaces?.map((i) => `${i.transport} ${i.url}`)).toEqual([
          "JSONRPC http://127.0.0.1:9401/a2a"
        ])
        expect(card.url).toBe("http://127.0.0.1:9401/a2a")
      }).pipe(Effect.scoped),
    90_000
  )

  it.live(
    "serveAgent (Promise, auth on): registers with the given server; close() takes the endpoint back",
    () =>
      Effect.gen(function* () {
        const authOn = servers().authOn
        const name = agentName("plain")
        const agent = yield* Effect.promise(() =>
          A2AServer.serveAgent({
            card: echoCard(name),
            executor: echoExecutor("plain"),
            ...loopback,
            nacos: { serverAddr: authOn.serverAddr, username: authOn.username, password: authOn.password }
          })
        )
        const settled = yield* Effect.promise(() => agent.settled())
        expect(settled.map((s) => s._tag)).toEqual(["Registered"])
        const onServer = Effect.gen(function* () {
          const ai = yield* AiService.AiService
          return yield* ai.getAgentCard({ name })
        }).pipe(Effect.provide(Layer.fresh(AiService.layer.pipe(Layer.provide(nacosLayer(authOn)), Layer.orDie))))
        const card = yield* eventually(onServer, (card) =>
          (card.additionalInterfaces ?? []).some((i) => i.url === agent.url)
        )
        expect(card.registrationType).toBe("SERVICE")
        yield* Effect.promise(() => agent.close())
        yield* eventually(onServer, (card) => (card.additionalInterfaces ?? []).length === 0)
      }),
    90_000
  )
})

// -----------------------------------------------------------------------------------------------------------------
// The examples, on the real server
// -----------------------------------------------------------------------------------------------------------------

interface Run {
  readonly code: number | null
  readonly output: string
}

const root = path.resolve(import.meta.dirname, "../..")

/** Starts an example as `npm run example` does, against the auth-off server; killed with the scope. */
const startExample = (file: string, args: ReadonlyArray<string> = []) =>
  Effect.acquireRelease(
    Effect.sync(() => {
      const child = spawn(process.execPath, ["--conditions=@effect-nacos/source", file, ...args], {
        cwd: root,
        // the agent published at loopback: the test's traffic stays on this machine's loopback
        env: { ...process.env, NACOS_SERVER_ADDR: server().serverAddr, PORT: "0", ADVERTISED_HOST: "127.0.0.1" },
        timeout: 60_000
      })
      let output = ""
      child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()))
      child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()))
      const closed = new Promise<number | null>((resolve) => child.on("close", resolve))
      return {
        output: () => output,
        /** SIGINT (what Ctrl-C sends), then the exit. */
        interrupt: Effect.promise(() => {
          child.kill("SIGINT")
          return closed
        }).pipe(Effect.map((code): Run => ({ code, output }))),
        exit: Effect.promise(() => closed).pipe(Effect.map((code): Run => ({ code, output }))),
        kill: () => child.kill("SIGKILL")
      }
    }),
    (example) => Effect.sync(example.kill)
  )

const runExample = (file: string, args: ReadonlyArray<string> = []) =>
  Effect.scoped(Effect.flatMap(startExample(file, args), (example) => example.exit))

describe("the A2A examples on the real server", () => {
  it.live(
    "a2a-agent.ts registers, finds itself by name, gets its echo and exits; a2a-client.ts does the same with Promises",
    () =>
      Effect.gen(function* () {
        const agent = yield* runExample("examples/a2a-agent.ts")
        expect(agent.output).toContain("registration: Registered")
        expect(agent.output).toContain("answer: echo: hello from the registry")
        expect(agent.code).toBe(0)
        const client = yield* runExample("examples/a2a-client.ts")
        expect(client.output).toContain("registration: Registered")
        expect(client.output).toContain("answer: echo: hello, agent")
        expect(client.code).toBe(0)
      }),
    120_000
  )

  it.live(
    "a2a-agent.ts --serve keeps serving; a2a-client.ts --agent (another process) finds it; Ctrl-C deregisters",
    () =>
      Effect.gen(function* () {
        const agent = yield* startExample("examples/a2a-agent.ts", ["--serve"])
        // a fresh process: a new connection, and on a busy machine a slow start
        yield* Effect.sync(agent.output).pipe(
          Effect.filterOrFail((output) => output.includes("Ctrl-C stops")),
          Effect.retry(Schedule.spaced("200 millis")),
          Effect.timeoutOrElse({
            duration: "45 seconds",
            orElse: () => Effect.die(`the agent example never said it serves:\n${agent.output()}`)
          })
        )
        const client = yield* runExample("examples/a2a-client.ts", ["--agent", "effect-nacos-echo"])
        expect(client.output).toContain("answer: echo: hello, agent")
        expect(client.code).toBe(0)
        const stopped = yield* agent.interrupt
        expect(stopped.output).toContain("stopped: deregistered, server closed")
        expect(stopped.code).toBe(0)
      }),
    120_000
  )
})
