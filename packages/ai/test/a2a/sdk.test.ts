/**
 * The @a2a-js/sdk glue end to end on loopback HTTP, over the in-memory AiService: an SDK echo agent served by
 * A2AServer, registered once it listens, found by name through NacosAgentCardResolver and called with an SDK
 * Client from AgentClients (real JSON-RPC over HTTP; the registry is the memory one).
 */
import { describe, expect, it } from "@effect/vitest"
import { AiService } from "@effect-nacos/ai"
import { A2AModels, A2ARegistry, A2AServer, AgentClients, NacosAgentCardResolver } from "@effect-nacos/ai/a2a"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Schedule from "effect/Schedule"
import * as Scope from "effect/Scope"
import { eventually, uniqueName } from "../support/behaviour.ts"
import { answerText, echoCard, echoExecutor, fetchServedCard, userMessage } from "./support/echo.ts"

const loopback = { port: 0, listenHost: "127.0.0.1", advertisedHost: "127.0.0.1" }

/** The agent's process: its own AiService over the shared store, the Nacos registry over it. */
const agentRegistries = (store: AiService.MemoryStore) =>
  A2ARegistry.layerNacos().pipe(Layer.provide(Layer.fresh(AiService.layerMemory({ store }))))

/** The consumer's process: its own AiService, its card watch re-read every 100 ms. */
const consumer = (store: AiService.MemoryStore) =>
  Layer.fresh(AiService.layerMemory({ store, agentCardPollSchedule: Schedule.spaced("100 millis") }))

/** Serves an echo agent in a scope of its own (closed by the caller). */
const startAgent = (store: AiService.MemoryStore, name: string, prefix: string) =>
  Effect.gen(function* () {
    const scope = yield* Scope.make()
    // closed by `stop`, or with the test's scope when the test fails first
    yield* Effect.addFinalizer(() => Scope.close(scope, Exit.void))
    // the registry's AiService lives in the agent's scope: closed after the deregistration and the server
    const context = yield* Layer.buildWithScope(agentRegistries(store), scope)
    const agent = yield* A2AServer.serve({ card: echoCard(name), executor: echoExecutor(prefix), ...loopback }).pipe(
      Effect.provideContext(context),
      Scope.provide(scope)
    )
    return { agent, stop: Scope.close(scope, Exit.void) }
  })

describe("A2AServer + NacosAgentCardResolver + AgentClients (memory registry, real HTTP)", () => {
  it.live("an echo agent registers after it listens; a client finds it by name and gets its echo", () =>
    Effect.gen(function* () {
      const store = AiService.makeMemoryStore()
      const name = uniqueName("echo")
      // a registry that reads the agent's card from the address it is given: it only can once the server listens
      const seen: Array<string> = []
      const probe: A2ARegistry.Registry = {
        name: "probe",
        register: (_card, transports) =>
          fetchServedCard(transports[0]!.host, transports[0]!.port).pipe(
            Effect.map((card) => seen.push(card.name)),
            Effect.mapError((cause) => new A2AModels.A2ARegistryError({ registry: "probe", message: String(cause) }))
          )
      }
      const scope = yield* Scope.make()
      const context = yield* Layer.buildWithScope(
        Layer.effect(
          A2ARegistry.A2ARegistries,
          Effect.map(Effect.service(A2ARegistry.A2ARegistries), (nacos) => [...nacos, probe])
        ).pipe(Layer.provide(agentRegistries(store))),
        scope
      )
      const agent = yield* A2AServer.serve({ card: echoCard(name), executor: echoExecutor(), ...loopback }).pipe(
        Effect.provideContext(context),
        Scope.provide(scope)
      )
      expect(agent.url).toBe(`http://127.0.0.1:${agent.port}/a2a`)
      const settled = yield* agent.registration.settled
      expect(settled.map((status) => status._tag)).toEqual(["Registered", "Registered"])
      expect(seen).toEqual([name])

      // the card a 0.3 client fetches (no A2A-Version header) and the one a 1.0 client fetches
      const legacy = yield* fetchServedCard("127.0.0.1", agent.port)
      expect(legacy).toMatchObject({ name, url: agent.url, preferredTransport: "JSONRPC" })

      yield* Effect.gen(function* () {
        const resolver = yield* NacosAgentCardResolver.make
        const card = yield* resolver.card(name)
        expect(card.supportedInterfaces.map((i) => i.url)).toEqual([agent.url])
        // the SDK interface: resolve(agentName, version?)
        expect((yield* Effect.promise(() => resolver.resolve(name, "1.0.0"))).name).toBe(name)
        const clients = AgentClients.make({ resolver })
        const client = yield* clients.client(name)
        const answer = yield* Effect.promise(() => client.sendMessage(userMessage("hello")))
        expect(answerText(answer)).toBe("echo: hello")
        const viaPromise = yield* Effect.promise(() => clients.clientFor(name))
        expect(answerText(yield* Effect.promise(() => viaPromise.sendMessage(userMessage("again"))))).toBe(
          "echo: again"
        )
      }).pipe(Effect.provide(consumer(store)), Effect.scoped)

      // closing: deregistered first, then the server closes
      yield* Scope.close(scope, Exit.void)
      const after = yield* Effect.gen(function* () {
        const ai = yield* AiService.AiService
        return yield* ai.getAgentCard({ name })
      }).pipe(Effect.provide(consumer(store)))
      expect(after.additionalInterfaces ?? []).toEqual([])
      const refused = yield* Effect.promise(() =>
        fetch(`http://127.0.0.1:${agent.port}/.well-known/agent-card.json`).then(
          () => "answered",
          () => "refused"
        )
      )
      expect(refused).toBe("refused")
    })
  )

  it.live("two instances: clients go to both in turn; one stops and is no longer handed out", () =>
    Effect.gen(function* () {
      const store = AiService.makeMemoryStore()
      const name = uniqueName("pair")
      const first = yield* startAgent(store, name, "first")
      const second = yield* startAgent(store, name, "second")
      yield* first.agent.registration.settled
      yield* second.agent.registration.settled
      yield* Effect.gen(function* () {
        const resolver = yield* NacosAgentCardResolver.make
        const clients = AgentClients.make({ resolver })
        const both = [first.agent.url, second.agent.url].sort()
        yield* eventually(resolver.card(name), (card) => card.supportedInterfaces.length === 2)
        const answers = new Set<string | undefined>()
        const urls = new Set<string>()
        for (let call = 0; call < 4; call++) {
          const picked = yield* clients.pick(name)
          urls.add(picked.endpoint.url)
          answers.add(answerText(yield* Effect.promise(() => picked.client.sendMessage(userMessage("hi")))))
        }
        expect([...urls].sort()).toEqual(both)
        expect([...answers].sort()).toEqual(["first: hi", "second: hi"])

        yield* second.stop
        yield* eventually(resolver.card(name), (card) => card.supportedInterfaces.length === 1)
        for (let call = 0; call < 3; call++) {
          const picked = yield* clients.pick(name)
          expect(picked.endpoint.url).toBe(first.agent.url)
          expect(answerText(yield* Effect.promise(() => picked.client.sendMessage(userMessage("hi"))))).toBe(
            "first: hi"
          )
        }
      }).pipe(Effect.provide(consumer(store)), Effect.scoped)
      yield* first.stop
    })
  )

  it.live("the endpoints change (the instance restarts elsewhere): the client is built again for the new one", () =>
    Effect.gen(function* () {
      const store = AiService.makeMemoryStore()
      const name = uniqueName("moving")
      const before = yield* startAgent(store, name, "before")
      yield* before.agent.registration.settled
      yield* Effect.gen(function* () {
        const resolver = yield* NacosAgentCardResolver.make
        const clients = AgentClients.make({ resolver })
        const first = yield* clients.pick(name)
        expect(first.endpoint.url).toBe(before.agent.url)
        // the same endpoints: the same client
        expect((yield* clients.pick(name)).client).toBe(first.client)
        yield* before.stop
        const after = yield* startAgent(store, name, "after")
        yield* eventually(resolver.card(name), (card) =>
          card.supportedInterfaces.some((i) => i.url === after.agent.url)
        )
        const moved = yield* clients.pick(name)
        expect(moved.endpoint.url).toBe(after.agent.url)
        expect(moved.client).not.toBe(first.client)
        expect(answerText(yield* Effect.promise(() => moved.client.sendMessage(userMessage("where"))))).toBe(
          "after: where"
        )
        yield* after.stop
      }).pipe(Effect.provide(consumer(store)), Effect.scoped)
    })
  )

  it.live("a SERVICE card with no instance up: AgentClientError, never the url stored at release", () =>
    Effect.gen(function* () {
      const store = AiService.makeMemoryStore()
      const name = uniqueName("idle")
      yield* Effect.gen(function* () {
        const ai = yield* AiService.AiService
        yield* ai.releaseAgentCard({
          card: {
            name,
            version: "1.0.0",
            protocolVersion: "0.3.0",
            preferredTransport: "JSONRPC",
            url: "http://127.0.0.1:1/a2a"
          },
          setAsLatest: true
        })
        const resolver = yield* NacosAgentCardResolver.make
        expect((yield* resolver.card(name)).supportedInterfaces).toEqual([])
        const error = yield* Effect.flip(AgentClients.make({ resolver }).client(name))
        expect(error).toMatchObject({ _tag: "AgentClientError", agent: name })
        expect(error.message).toContain("no instance has an endpoint registered")
      }).pipe(Effect.provide(consumer(store)), Effect.scoped)
    })
  )

  it.live("an unknown agent: the resolver fails with NotFoundError (and tries again next time)", () =>
    Effect.gen(function* () {
      const store = AiService.makeMemoryStore()
      const name = uniqueName("missing")
      yield* Effect.gen(function* () {
        const resolver = yield* NacosAgentCardResolver.make
        expect((yield* Effect.flip(resolver.card(name)))._tag).toBe("NotFoundError")
        const rejected = yield* Effect.promise(() =>
          resolver.resolve(name).then(
            () => "resolved",
            (error: { readonly _tag?: string }) => error._tag
          )
        )
        expect(rejected).toBe("NotFoundError")
        const agent = yield* startAgent(store, name, "late")
        yield* agent.agent.registration.settled
        expect((yield* resolver.card(name)).name).toBe(name)
        yield* agent.stop
      }).pipe(Effect.provide(consumer(store)), Effect.scoped)
    })
  )

  it.live("serveAgent (Promise): serves without a registry when the environment asks for none; close() closes", () =>
    Effect.gen(function* () {
      const name = uniqueName("plain")
      const agent = yield* Effect.promise(() =>
        A2AServer.serveAgent({ card: echoCard(name), executor: echoExecutor(), ...loopback })
      )
      expect(agent.status()).toEqual([])
      expect((yield* fetchServedCard("127.0.0.1", agent.port)).name).toBe(name)
      yield* Effect.promise(() => agent.close())
      const refused = yield* Effect.promise(() =>
        fetch(`http://127.0.0.1:${agent.port}/.well-known/agent-card.json`).then(
          () => "answered",
          () => "refused"
        )
      )
      expect(refused).toBe("refused")
    })
  )

  it.live("serveAgent rejects with the layer's error (a Nacos setup without a server address) and serves nothing", () =>
    Effect.gen(function* () {
      const rejected = yield* Effect.promise(() =>
        A2AServer.serveAgent({
          card: echoCard(uniqueName("bad")),
          executor: echoExecutor(),
          ...loopback,
          nacos: {}
        }).then(
          () => undefined,
          (error: { readonly _tag?: string; readonly field?: string }) => error
        )
      )
      expect(rejected).toMatchObject({ _tag: "InvalidArgumentError", field: "serverAddr" })
    })
  )

  it.live("a port in use: ServeError, and nothing registered", () =>
    Effect.gen(function* () {
      const store = AiService.makeMemoryStore()
      const name = uniqueName("busy")
      const first = yield* startAgent(store, name, "first")
      const error = yield* Effect.flip(
        A2AServer.serve({ card: echoCard(name), executor: echoExecutor(), ...loopback, port: first.agent.port }).pipe(
          Effect.provide(agentRegistries(store)),
          Effect.scoped
        )
      )
      expect(error._tag).toBe("ServeError")
      expect(error.message).toContain(String(first.agent.port))
      yield* first.stop
    })
  )
})
