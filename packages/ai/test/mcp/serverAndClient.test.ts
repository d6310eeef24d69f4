/**
 * McpHttpServer and McpClient on AiService.layerMemory, over real loopback HTTP with real SDK servers and clients:
 * what the server answers besides MCP, the order of its shutdown, and the client's choices — endpoints followed
 * as they come and go, a failed endpoint left for another (bounded), a server's answer never sent again.
 */
import { describe, expect, it } from "@effect/vitest"
import { AiService } from "@effect-nacos/ai"
import { connectMcpClient, EndpointSelector, McpClient, McpHttpServer, serveMcpServer } from "@effect-nacos/ai/mcp"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Scope from "effect/Scope"
import * as SubscriptionRef from "effect/SubscriptionRef"
import { eventually, sdkServer, textOf, uniqueMcpName } from "./support/sdkServers.ts"

const clientOf = (store: AiService.MemoryStore) =>
  Layer.build(AiService.layerMemory({ store })).pipe(Effect.map((context) => Context.get(context, AiService.AiService)))

/** A server of its own (its own memory client) in a scope of its own. */
const start = (store: AiService.MemoryStore, name: string, replica: string) =>
  Effect.gen(function* () {
    const scope = yield* Scope.fork(yield* Effect.scope, "sequential")
    const ai = yield* clientOf(store)
    const running = yield* McpHttpServer.serve({
      name,
      version: "1.0.0",
      createServer: sdkServer(replica),
      host: "127.0.0.1"
    }).pipe(Effect.provideService(AiService.AiService, ai), Scope.provide(scope))
    yield* running.registration.awaitRegistered
    return { running, close: Scope.close(scope, Exit.void) }
  })

const fetchStatus = (url: string, init?: RequestInit) =>
  Effect.promise(() => fetch(url, init).then((response) => response.status))

describe("McpHttpServer", () => {
  it.live("serves MCP on its path only (404 elsewhere, 405 for GET); closing deregisters, then stops listening", () =>
    Effect.gen(function* () {
      const store = AiService.makeMemoryStore()
      const reader = yield* clientOf(store)
      const name = uniqueMcpName("http")
      const { running, close } = yield* start(store, name, "a")
      expect(running.url).toBe(`http://127.0.0.1:${running.port}/mcp`)
      expect(yield* fetchStatus(`http://127.0.0.1:${running.port}/other`, { method: "POST" })).toBe(404)
      expect(yield* fetchStatus(running.url)).toBe(405)
      expect((yield* reader.getMcpServer({ name })).backendEndpoints).toEqual([
        { address: "127.0.0.1", port: running.port }
      ])
      yield* close
      expect((yield* reader.getMcpServer({ name })).backendEndpoints).toEqual([])
      const refused = yield* Effect.promise(() =>
        fetch(running.url, { method: "POST" }).then(
          () => "answered",
          () => "refused"
        )
      )
      expect(refused).toBe("refused")
    })
  )
})

describe("McpClient", () => {
  it.live("finds the server by name, lists its tools and calls one; an unknown server is NotFoundError", () =>
    Effect.gen(function* () {
      const store = AiService.makeMemoryStore()
      const name = uniqueMcpName("find")
      yield* start(store, name, "a")
      const client = yield* McpClient.connect({ name }).pipe(
        Effect.provideService(AiService.AiService, yield* clientOf(store))
      )
      expect((yield* client.listTools).map((tool) => tool.name)).toEqual(["echo", "add", "whoami"])
      expect(textOf(yield* client.callTool("add", { a: 20, b: 22 }))).toBe("42")
      const missing = yield* Effect.flip(
        McpClient.connect({ name: uniqueMcpName("missing") }).pipe(
          Effect.provideService(AiService.AiService, yield* clientOf(store))
        )
      )
      expect(missing._tag).toBe("NotFoundError")
    })
  )

  it.live(
    "two endpoints: a dropped connection goes to the other; endpoints that go are followed; none left fails",
    () =>
      Effect.gen(function* () {
        const store = AiService.makeMemoryStore()
        const name = uniqueMcpName("pair")
        const a = yield* start(store, name, "a")
        const b = yield* start(store, name, "b")
        const client = yield* McpClient.connect({
          name,
          selector: EndpointSelector.roundRobin(),
          endpointWait: "100 millis"
        }).pipe(Effect.provideService(AiService.AiService, yield* clientOf(store)))
        expect((yield* SubscriptionRef.get(client.endpoints)).length).toBe(2)
        const who = Effect.map(client.callTool("whoami"), textOf)
        const firstAnswer = yield* who
        const [connected, other] = firstAnswer === "a" ? [a, b] : [b, a]
        expect((yield* client.current)?.port).toBe(connected.running.port)
        // the connected server goes: the list follows at once (memory) and the connection is dropped
        yield* connected.close
        yield* eventually(SubscriptionRef.get(client.endpoints), (list) => list.length === 1)
        yield* eventually(client.current, (current) => current === undefined)
        expect(yield* who).toBe(firstAnswer === "a" ? "b" : "a")
        expect((yield* client.current)?.port).toBe(other.running.port)
        yield* other.close
        yield* eventually(SubscriptionRef.get(client.endpoints), (list) => list.length === 0)
        const error = yield* Effect.flip(who)
        expect(error).toMatchObject({ _tag: "NoEndpointError", name })
      })
  )

  it.live("a call waits (bounded) for a first endpoint: one registered meanwhile answers it", () =>
    Effect.gen(function* () {
      const store = AiService.makeMemoryStore()
      const name = uniqueMcpName("wait")
      const early = yield* start(store, name, "early")
      yield* early.close
      const client = yield* McpClient.connect({ name, endpointWait: "10 seconds" }).pipe(
        Effect.provideService(AiService.AiService, yield* clientOf(store))
      )
      expect(yield* SubscriptionRef.get(client.endpoints)).toEqual([])
      yield* start(store, name, "late").pipe(Effect.delay("300 millis"), Effect.forkScoped)
      const started = Date.now()
      expect(textOf(yield* client.callTool("whoami"))).toBe("late")
      // it waited for the late one, not the whole 10 s
      expect(Date.now() - started).toBeLessThan(8_000)
    })
  )

  it.live("an endpoint that fails in transport is left for the next one; all failing stops after the attempts", () =>
    Effect.gen(function* () {
      const store = AiService.makeMemoryStore()
      const name = uniqueMcpName("dead")
      const live = yield* start(store, name, "live")
      // two more endpoints where nothing listens, published by clients of their own
      for (const port of [1, 2]) {
        yield* (yield* clientOf(store)).registerMcpServerEndpoint({
          name,
          version: "1.0.0",
          address: "127.0.0.1",
          port
        })
      }
      const client = yield* McpClient.connect({
        name,
        attempts: 3,
        // the dead ones first
        selector: {
          name: "lowest-port",
          select: (_name, list) => {
            const port = (endpoint: { readonly url: string }) => Number(new URL(endpoint.url).port)
            return Effect.succeed([...list].sort((x, y) => port(x) - port(y))[0])
          }
        }
      }).pipe(Effect.provideService(AiService.AiService, yield* clientOf(store)))
      expect((yield* SubscriptionRef.get(client.endpoints)).length).toBe(3)
      expect(textOf(yield* client.callTool("whoami"))).toBe("live")
      expect((yield* client.current)?.port).toBe(live.running.port)
      // with two attempts only, the two dead endpoints use them up
      yield* live.close
      yield* eventually(SubscriptionRef.get(client.endpoints), (list) => list.length === 2)
      const bounded = yield* McpClient.connect({ name, attempts: 2 }).pipe(
        Effect.provideService(AiService.AiService, yield* clientOf(store))
      )
      const error = yield* Effect.flip(bounded.callTool("whoami"))
      expect(error._tag).toBe("McpCallError")
      expect(error.message).toContain("cannot connect to http://127.0.0.1:")
    })
  )

  it.live(
    "a server's answer is the caller's: a refused request (no prompts here) is not sent to another endpoint",
    () =>
      Effect.gen(function* () {
        const store = AiService.makeMemoryStore()
        const name = uniqueMcpName("answer")
        yield* start(store, name, "a")
        yield* start(store, name, "b")
        // round robin: a reconnect would go to the other server
        const client = yield* McpClient.connect({ name, selector: EndpointSelector.roundRobin() }).pipe(
          Effect.provideService(AiService.AiService, yield* clientOf(store))
        )
        const before = yield* Effect.map(client.callTool("whoami"), textOf)
        const unknown = yield* Effect.result(client.use((sdk) => sdk.listPrompts()))
        expect(unknown._tag === "Failure" && unknown.failure.message).toContain("Method not found")
        // still on the same endpoint: the refusal was not taken for a failed endpoint
        expect(yield* Effect.map(client.callTool("whoami"), textOf)).toBe(before)
      })
  )
})

describe("serveMcpServer / connectMcpClient (plain Promises)", () => {
  it.live("serve, register, find by name, call, close: no endpoint left", () =>
    Effect.gen(function* () {
      const store = AiService.makeMemoryStore()
      const name = uniqueMcpName("promise")
      const served = yield* Effect.promise(() =>
        serveMcpServer({
          name,
          version: "1.0.0",
          createServer: sdkServer("p"),
          host: "127.0.0.1",
          layer: AiService.layerMemory({ store })
        })
      )
      const statuses: Array<string> = []
      const stop = served.onStatus((status) => statuses.push(status._tag))
      yield* Effect.promise(() => served.registered())
      expect(served.status()).toMatchObject({ _tag: "Registered", urls: [served.url] })
      const client = yield* Effect.promise(() => connectMcpClient({ name, layer: AiService.layerMemory({ store }) }))
      expect(client.endpoints().map((endpoint) => endpoint.url)).toEqual([served.url])
      expect((yield* Effect.promise(() => client.listTools())).length).toBe(3)
      expect(textOf(yield* Effect.promise(() => client.callTool("echo", { text: "plain" })))).toBe("plain")
      yield* Effect.promise(() => client.close())
      stop()
      expect(statuses).toContain("Registered")
      yield* Effect.promise(() => served.close())
      const reader = yield* clientOf(store)
      expect((yield* reader.getMcpServer({ name })).backendEndpoints).toEqual([])
      // closing twice is harmless
      yield* Effect.promise(() => served.close())
    })
  )
})
