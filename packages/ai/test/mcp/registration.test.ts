/**
 * McpServerRegistration on AiService.layerMemory: what is released and published, what a closed scope takes back,
 * replicas of one version, and the background attempts (statuses, bounded retries, no retry of refused input,
 * stopped by the scope). Nacos failing is a memory service whose releases fail a given number of times.
 */
import { describe, expect, it } from "@effect/vitest"
import { AiService } from "@effect-nacos/ai"
import { McpServerRegistration, McpTools, type RegistrationStatus } from "@effect-nacos/ai/mcp"
import { TransportError } from "@effect-nacos/core"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as Schedule from "effect/Schedule"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import * as SubscriptionRef from "effect/SubscriptionRef"
import { sdkServer, uniqueMcpName } from "./support/sdkServers.ts"

/** One client of a memory registry (its own endpoints, as a process with its own connection). */
const clientOf = (store: AiService.MemoryStore) =>
  Layer.build(AiService.layerMemory({ store })).pipe(Effect.map((context) => Context.get(context, AiService.AiService)))

/** A memory client whose first `failures` releases fail in transport; counts the release calls. */
const flakyClientOf = (store: AiService.MemoryStore, failures: number) =>
  Effect.map(clientOf(store), (memory) => {
    const calls = { releases: 0 }
    const service: AiService.Service = {
      ...memory,
      releaseMcpServer: (params) =>
        Effect.suspend(() =>
          ++calls.releases <= failures
            ? Effect.fail(new TransportError({ message: "no connection to a Nacos server (ai) within 3000 ms" }))
            : memory.releaseMcpServer(params)
        )
    }
    return { service, calls }
  })

const options = (name: string, port: number): McpServerRegistration.RegistrationOptions => ({
  name,
  version: "1.0.0",
  description: "a test server",
  tools: McpTools.listTools(sdkServer("a")),
  address: "127.0.0.1",
  port,
  path: "/mcp"
})

const fast = Schedule.spaced("10 millis")

describe("McpServerRegistration", () => {
  it.live(
    "register: releases the version (streamable HTTP, exportPath, tools), publishes the endpoint; the scope takes it back",
    () =>
      Effect.gen(function* () {
        const store = AiService.makeMemoryStore()
        const reader = yield* clientOf(store)
        const name = uniqueMcpName("reg")
        const scope = yield* Scope.make()
        const url = yield* McpServerRegistration.register(options(name, 4100)).pipe(
          Effect.provideService(AiService.AiService, yield* clientOf(store)),
          Scope.provide(scope)
        )
        expect(url).toBe("http://127.0.0.1:4100/mcp")
        const detail = yield* reader.getMcpServer({ name })
        expect(detail).toMatchObject({
          protocol: "mcp-streamable",
          frontProtocol: "mcp-streamable",
          description: "a test server",
          remoteServerConfig: { exportPath: "/mcp" },
          backendEndpoints: [{ address: "127.0.0.1", port: 4100 }]
        })
        expect(detail.toolSpec?.tools?.map((tool) => tool.name)).toEqual(["echo", "add", "whoami"])
        yield* Scope.close(scope, Exit.void)
        expect((yield* reader.getMcpServer({ name })).backendEndpoints).toEqual([])
      })
  )

  it.live("a replica of a released version only publishes its endpoint: two endpoints, one release", () =>
    Effect.gen(function* () {
      const store = AiService.makeMemoryStore()
      const name = uniqueMcpName("replica")
      yield* McpServerRegistration.register(options(name, 4101)).pipe(
        Effect.provideService(AiService.AiService, yield* clientOf(store))
      )
      yield* McpServerRegistration.register(options(name, 4102)).pipe(
        Effect.provideService(AiService.AiService, yield* clientOf(store))
      )
      const detail = yield* (yield* clientOf(store)).getMcpServer({ name })
      expect((detail.backendEndpoints ?? []).map((endpoint) => endpoint.port).sort()).toEqual([4101, 4102])
      expect(detail.allVersions?.map((version) => version.version)).toEqual(["1.0.0"])
    })
  )

  it.live(
    "in the background: Registering then Failed for each failed attempt, then Registered; the caller never waits",
    () =>
      Effect.gen(function* () {
        const store = AiService.makeMemoryStore()
        const { service, calls } = yield* flakyClientOf(store, 2)
        const name = uniqueMcpName("bg")
        const registration = yield* McpServerRegistration.registerInBackground({
          ...options(name, 4103),
          retry: fast
        }).pipe(Effect.provideService(AiService.AiService, service))
        const seen: Array<RegistrationStatus.RegistrationStatus> = []
        const observer = yield* SubscriptionRef.changes(registration.status).pipe(
          Stream.takeUntil((status) => status._tag === "Registered"),
          Stream.runForEach((status) => Effect.sync(() => seen.push(status))),
          Effect.forkScoped
        )
        yield* registration.awaitRegistered
        yield* Fiber.join(observer)
        const reason = "no connection to a Nacos server (ai) within 3000 ms"
        expect(seen.slice(-5)).toEqual([
          { _tag: "Failed", attempt: 1, reason, retrying: true },
          { _tag: "Registering", attempt: 2 },
          { _tag: "Failed", attempt: 2, reason, retrying: true },
          { _tag: "Registering", attempt: 3 },
          { _tag: "Registered", attempt: 3, urls: ["http://127.0.0.1:4103/mcp"] }
        ])
        expect(calls.releases).toBe(3)
        expect(((yield* (yield* clientOf(store)).getMcpServer({ name })).backendEndpoints ?? []).length).toBe(1)
      })
  )

  it.live("a replica whose tools differ from the released version's keeps the released list and says so", () =>
    Effect.gen(function* () {
      const store = AiService.makeMemoryStore()
      const name = uniqueMcpName("drift")
      const warnings: Array<string> = []
      const capture = Logger.layer([
        Logger.make((entry) => {
          if (entry.logLevel === "Warn") warnings.push(String(entry.message))
        })
      ])
      yield* McpServerRegistration.register(options(name, 4107)).pipe(
        Effect.provideService(AiService.AiService, yield* clientOf(store))
      )
      yield* McpServerRegistration.register({
        ...options(name, 4108),
        tools: [{ name: "echo", description: "a different list" }]
      }).pipe(Effect.provideService(AiService.AiService, yield* clientOf(store)), Effect.provide(capture))
      const detail = yield* (yield* clientOf(store)).getMcpServer({ name })
      expect(detail.toolSpec?.tools?.map((tool) => tool.name)).toEqual(["echo", "add", "whoami"])
      expect((detail.backendEndpoints ?? []).length).toBe(2)
      expect(warnings.join("\n")).toContain("is released with the tools [add, echo, whoami], this server has [echo]")
    })
  )

  it.live("bounded: once the schedule is spent the status is Failed, not retrying, and awaitRegistered fails", () =>
    Effect.gen(function* () {
      const store = AiService.makeMemoryStore()
      const { service, calls } = yield* flakyClientOf(store, 1000)
      const registration = yield* McpServerRegistration.registerInBackground({
        ...options(uniqueMcpName("spent"), 4104),
        retry: fast.pipe(Schedule.upTo({ times: 3 }))
      }).pipe(Effect.provideService(AiService.AiService, service))
      const error = yield* Effect.flip(registration.awaitRegistered)
      expect(error).toMatchObject({ _tag: "RegistrationFailedError", attempts: 4 })
      expect(error.message).toContain("after 4 attempts")
      expect(yield* SubscriptionRef.get(registration.status)).toMatchObject({
        _tag: "Failed",
        attempt: 4,
        retrying: false
      })
      expect(calls.releases).toBe(4)
    })
  )

  it.live("a name the registry refuses is not retried: Failed at once, naming the field", () =>
    Effect.gen(function* () {
      const registration = yield* McpServerRegistration.registerInBackground({
        ...options("has space", 4105),
        retry: fast
      }).pipe(Effect.provideService(AiService.AiService, yield* clientOf(AiService.makeMemoryStore())))
      yield* Effect.flip(registration.awaitRegistered)
      const status = yield* SubscriptionRef.get(registration.status)
      expect(status).toMatchObject({ _tag: "Failed", attempt: 1, retrying: false })
      expect(status._tag === "Failed" && status.reason).toContain("name")
    })
  )

  it.live("closing the scope stops the attempts and leaves no endpoint", () =>
    Effect.gen(function* () {
      const store = AiService.makeMemoryStore()
      const { service, calls } = yield* flakyClientOf(store, 1000)
      const scope = yield* Scope.make()
      const registration = yield* McpServerRegistration.registerInBackground({
        ...options(uniqueMcpName("stop"), 4106),
        retry: Schedule.spaced("20 millis")
      }).pipe(Effect.provideService(AiService.AiService, service), Scope.provide(scope))
      yield* SubscriptionRef.changes(registration.status).pipe(
        Stream.filter((status) => status._tag === "Failed" && status.attempt >= 2),
        Stream.runHead
      )
      yield* Scope.close(scope, Exit.void)
      const stoppedAt = calls.releases
      yield* Effect.sleep("100 millis")
      expect(calls.releases).toBe(stoppedAt)
    })
  )
})
