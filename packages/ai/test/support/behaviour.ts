/**
 * The behaviour every AiService layer must show, run against `layerMemory`, the live layer on the fake AI server
 * (unit tests) and the live layer on the real Nacos server (conformance).
 *
 * MCP servers and agent cards run everywhere. Prompts and skills need a registry the test can change (the client
 * has no publish API for them): memory and the fake give one through `registry`; the 3.1.0 server has neither
 * feature, and conformance checks that it says so.
 *
 * The real server reads its registry through a cache refreshed asynchronously: reads after writes wait until the
 * expected value shows (`eventually`), which costs nothing on the other layers.
 */
import { randomUUID } from "node:crypto"
import * as fs from "node:fs/promises"
import * as os from "node:os"
import * as path from "node:path"
import { NodeFileSystem, NodePath } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { type AgentCardModels, AiService, type McpModels, PromptModels } from "@effect-nacos/ai"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Queue from "effect/Queue"
import * as Schedule from "effect/Schedule"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import { maliciousZip, skillZip } from "./zips.ts"

/** A name no other test (or run) uses. */
export const uniqueName = (label: string) => `${label}-${randomUUID().slice(0, 8)}`

export const WAIT = Duration.seconds(20)

/** Retries `effect` until it succeeds with a value `accept` takes, within `within` (default {@link WAIT}). */
export const eventually = <A, E, R>(
  effect: Effect.Effect<A, E, R>,
  accept: (value: A) => boolean = () => true,
  within: Duration.Input = WAIT
) =>
  effect.pipe(
    Effect.filterOrFail(accept, (value) => `not yet: ${JSON.stringify(value)}`),
    Effect.retry(Schedule.spaced("50 millis")),
    Effect.timeoutOrElse({ duration: within, orElse: () => Effect.die("the expected value never showed") })
  )

export const card = (name: string, version: string, extra: Partial<AgentCardModels.ReleasableAgentCard> = {}) =>
  ({
    name,
    version,
    protocolVersion: "0.3.0",
    preferredTransport: "JSONRPC",
    url: `http://127.0.0.1:9999/${version}`,
    description: `agent ${name} ${version}`,
    ...extra
  }) satisfies AgentCardModels.ReleasableAgentCard

export const mcpServer = (name: string, version: string, isLatest?: boolean): McpModels.McpServerSpec => ({
  name,
  protocol: "mcp-sse",
  description: `mcp ${name} ${version}`,
  versionDetail: { version, ...(isLatest === undefined ? {} : { is_latest: isLatest }) }
})

/** What a test does to the registry behind the client's back, as an admin would. */
export interface Registry {
  readonly putPrompt: (prompt: {
    readonly key: string
    readonly version: string
    readonly template: string
    readonly variables?: ReadonlyArray<{ readonly name: string; readonly defaultValue?: string }>
    readonly labels?: ReadonlyArray<string>
    readonly latest?: boolean
  }) => Effect.Effect<void>
  readonly removePrompt: (key: string) => Effect.Effect<void>
  readonly putSkill: (skill: {
    readonly name: string
    readonly version: string
    readonly zip: Uint8Array
    readonly labels?: ReadonlyArray<string>
  }) => Effect.Effect<void>
  readonly removeSkill: (name: string) => Effect.Effect<void>
}

export interface BehaviourOptions {
  /** A fresh service (and whatever backs it) for one test; `registry` when prompts and skills can be put. */
  readonly layer: (options: AiService.AiServiceOptions) => Layer.Layer<AiService.AiService>
  readonly registry?: (() => Registry) | undefined
  readonly timeout?: number
}

/** A fast poll, so watch tests see changes at once. */
export const FAST_POLL = Schedule.spaced("50 millis")

/**
 * The push tests: watches re-read only every `SLOW_POLL`, and a push source's first answer triggers re-reads for
 * `REREAD_BURST` (AiService re-reads at once, 0.6 s, 1.5 s and 3 s after a push). A change made after the burst
 * and seen within `PUSHED_WITHIN`, all before the next re-read, came by push.
 */
const SLOW_POLL = Duration.seconds(10)
const REREAD_BURST = Duration.millis(3500)
const PUSHED_WITHIN = Duration.seconds(5)

/** Takes from `queue` until `accept` holds, within `within`. */
const takeUntil = <A>(queue: Queue.Queue<A>, accept: (value: A) => boolean, within: Duration.Input, step: string) =>
  Effect.gen(function* () {
    while (true) {
      const value = yield* Queue.take(queue)
      if (accept(value)) return value
    }
  }).pipe(
    Effect.timeoutOrElse({
      duration: within,
      orElse: () => Effect.die(`${step}: not seen within ${Duration.format(Duration.fromInputUnsafe(within))}`)
    })
  )

const fileSystem = Layer.mergeAll(NodeFileSystem.layer, NodePath.layer)

type TestBody = (ai: AiService.Service, registry: Registry | undefined) => Effect.Effect<void, unknown, Scope.Scope>

export const describeAiBehaviour = (label: string, options: BehaviourOptions) =>
  describe(`AiService behaviour: ${label}`, () => {
    const testPolling = (poll: Schedule.Schedule<unknown>) => (name: string, body: TestBody) =>
      it.live(
        name,
        () => {
          const registry = options.registry?.()
          return Effect.flatMap(Effect.service(AiService.AiService), (ai) => body(ai, registry)).pipe(
            Effect.provide(
              options.layer({
                promptPollSchedule: poll,
                skillPollSchedule: poll,
                agentCardPollSchedule: poll,
                mcpServerPollSchedule: poll
              })
            )
          )
        },
        options.timeout ?? 60_000
      )
    const test = testPolling(FAST_POLL)
    /**
     * Watches re-reading only every {@link SLOW_POLL}: a change seen within {@link PUSHED_WITHIN} of a moment right
     * after a re-read (or of the watch's start) came by push.
     */
    const testPushes = testPolling(Schedule.spaced(SLOW_POLL))

    // ---------------------------------------------------------------- MCP

    test("MCP: release, then get by version and latest; the last version released is the latest", (ai) =>
      Effect.gen(function* () {
        const name = uniqueName("mcp")
        const id = yield* ai.releaseMcpServer({ server: mcpServer(name, "1.0.0") })
        expect(id).not.toBe("")
        const byVersion = yield* eventually(ai.getMcpServer({ name, version: "1.0.0" }))
        expect(byVersion).toMatchObject({ name, description: `mcp ${name} 1.0.0`, versionDetail: { version: "1.0.0" } })
        expect((yield* ai.getMcpServer({ name })).versionDetail?.version).toBe("1.0.0")

        // 3.1.0 ignores `is_latest` on release: the new version is the latest all the same
        yield* ai.releaseMcpServer({ server: mcpServer(name, "1.1.0", false) })
        const second = yield* eventually(ai.getMcpServer({ name, version: "1.1.0" }))
        expect(second.description).toBe(`mcp ${name} 1.1.0`)
        expect((second.allVersions ?? []).map((v) => v.version).sort()).toEqual(["1.0.0", "1.1.0"])
        expect((yield* eventually(ai.getMcpServer({ name }))).versionDetail?.version).toBe("1.1.0")

        // the last released, not the highest
        yield* ai.releaseMcpServer({ server: mcpServer(name, "0.9.0") })
        const newest = yield* eventually(ai.getMcpServer({ name }), (d) => d.versionDetail?.version !== "1.1.0")
        expect(newest).toMatchObject({ description: `mcp ${name} 0.9.0`, versionDetail: { version: "0.9.0" } })
        expect((yield* ai.getMcpServer({ name, version: "1.0.0" })).description).toBe(`mcp ${name} 1.0.0`)
      }))

    test("MCP: re-releasing a version is a ConflictError; unknown names and versions are NotFoundError", (ai) =>
      Effect.gen(function* () {
        const name = uniqueName("mcp-dup")
        yield* ai.releaseMcpServer({ server: mcpServer(name, "1.0.0") })
        yield* eventually(ai.getMcpServer({ name }))
        const conflict = yield* Effect.flip(ai.releaseMcpServer({ server: mcpServer(name, "1.0.0") }))
        expect(conflict._tag).toBe("ConflictError")
        expect((yield* Effect.flip(ai.getMcpServer({ name, version: "9.9.9" })))._tag).toBe("NotFoundError")
        expect((yield* Effect.flip(ai.getMcpServer({ name: uniqueName("mcp-missing") })))._tag).toBe("NotFoundError")
      }))

    test("MCP: a name outside the rule is refused before sending, naming the field", (ai) =>
      Effect.gen(function* () {
        const error = yield* Effect.flip(ai.releaseMcpServer({ server: mcpServer("has space", "1.0.0") }))
        expect(error).toMatchObject({ _tag: "InvalidArgumentError", field: "server.name" })
        const missingVersion = yield* Effect.flip(
          ai.releaseMcpServer({ server: { ...mcpServer(uniqueName("mcp"), "1.0.0"), versionDetail: { version: " " } } })
        )
        expect(missingVersion).toMatchObject({ _tag: "InvalidArgumentError", field: "server.versionDetail.version" })
      }))

    // ---------------------------------------------------------------- agent cards

    test("agent: v1 is latest; v2 with setAsLatest false leaves v1 latest; v3 with setAsLatest true takes over", (ai) =>
      Effect.gen(function* () {
        const name = uniqueName("agent")
        // the first release is latest whatever setAsLatest says
        yield* ai.releaseAgentCard({ card: card(name, "1.0.0"), setAsLatest: false })
        const first = yield* eventually(ai.getAgentCard({ name }))
        expect(first).toMatchObject({ name, version: "1.0.0", latestVersion: true, registrationType: "SERVICE" })

        yield* ai.releaseAgentCard({ card: card(name, "2.0.0"), setAsLatest: false })
        const v2 = yield* eventually(ai.getAgentCard({ name, version: "2.0.0" }))
        expect(v2).toMatchObject({ version: "2.0.0", description: `agent ${name} 2.0.0` })
        // the 3.1.0 server leaves `latestVersion` out when it is not true
        expect(v2.latestVersion ?? false).toBe(false)
        expect(yield* ai.getAgentCard({ name })).toMatchObject({ version: "1.0.0", latestVersion: true })

        yield* ai.releaseAgentCard({ card: card(name, "3.0.0"), setAsLatest: true })
        const latest = yield* eventually(ai.getAgentCard({ name }), (c) => c.version === "3.0.0")
        expect(latest).toMatchObject({ version: "3.0.0", latestVersion: true, url: "http://127.0.0.1:9999/3.0.0" })
        expect((yield* ai.getAgentCard({ name, version: "1.0.0" })).latestVersion ?? false).toBe(false)
      }))

    test("agent: re-releasing a version is a ConflictError and the stored card stays", (ai) =>
      Effect.gen(function* () {
        const name = uniqueName("agent-dup")
        yield* ai.releaseAgentCard({ card: card(name, "1.0.0"), setAsLatest: true })
        yield* eventually(ai.getAgentCard({ name, version: "1.0.0" }))
        const conflict = yield* Effect.flip(
          ai.releaseAgentCard({ card: card(name, "1.0.0", { description: "changed" }), setAsLatest: true })
        )
        expect(conflict._tag).toBe("ConflictError")
        expect((yield* ai.getAgentCard({ name, version: "1.0.0" })).description).toBe(`agent ${name} 1.0.0`)
      }))

    test("agent: a URL card keeps its url; asking for SERVICE with no endpoints answers the stored card", (ai) =>
      Effect.gen(function* () {
        const name = uniqueName("agent-url")
        yield* ai.releaseAgentCard({ card: card(name, "1.0.0"), registrationType: "URL", setAsLatest: true })
        const stored = yield* eventually(ai.getAgentCard({ name }))
        expect(stored).toMatchObject({ registrationType: "URL", url: "http://127.0.0.1:9999/1.0.0" })
        // the asked type only changes where the endpoints come from; the answer names the stored one (3.1.0)
        const asService = yield* ai.getAgentCard({ name, registrationType: "SERVICE" })
        expect(asService).toMatchObject({ registrationType: "URL", url: "http://127.0.0.1:9999/1.0.0" })
      }))

    test("agent: 64 visible ASCII characters are a name; 65, or a non-ASCII one, are refused before sending", (ai) =>
      Effect.gen(function* () {
        const name = `${uniqueName("n")} ~!`.padEnd(64, "x")
        expect(name.length).toBe(64)
        yield* ai.releaseAgentCard({ card: card(name, "1.0.0"), setAsLatest: true })
        expect((yield* eventually(ai.getAgentCard({ name }))).name).toBe(name)

        const tooLong = yield* Effect.flip(ai.releaseAgentCard({ card: card(`${name}y`, "1.0.0"), setAsLatest: true }))
        expect(tooLong).toMatchObject({ _tag: "InvalidArgumentError", field: "card.name" })
        const nonAscii = yield* Effect.flip(ai.releaseAgentCard({ card: card("agent-é", "1.0.0"), setAsLatest: true }))
        expect(nonAscii).toMatchObject({ _tag: "InvalidArgumentError", field: "card.name" })
        const query = yield* Effect.flip(ai.getAgentCard({ name: "日本" }))
        expect(query).toMatchObject({ _tag: "InvalidArgumentError", field: "name" })
      }))

    test("agent: each of the five fields the server demands is checked before sending", (ai) =>
      Effect.gen(function* () {
        for (const field of ["version", "protocolVersion", "preferredTransport", "url"] as const) {
          const error = yield* Effect.flip(
            ai.releaseAgentCard({ card: card(uniqueName("agent"), "1.0.0", { [field]: "" }), setAsLatest: true })
          )
          expect(error).toMatchObject({ _tag: "InvalidArgumentError", field: `card.${field}` })
        }
        const blankName = yield* Effect.flip(ai.releaseAgentCard({ card: card("  ", "1.0.0"), setAsLatest: true }))
        expect(blankName).toMatchObject({ _tag: "InvalidArgumentError", field: "card.name" })
      }))

    test("agent: an unknown agent or version is NotFoundError", (ai) =>
      Effect.gen(function* () {
        expect((yield* Effect.flip(ai.getAgentCard({ name: uniqueName("nobody") })))._tag).toBe("NotFoundError")
        const name = uniqueName("agent")
        yield* ai.releaseAgentCard({ card: card(name, "1.0.0"), setAsLatest: true })
        yield* eventually(ai.getAgentCard({ name }))
        expect((yield* Effect.flip(ai.getAgentCard({ name, version: "7.7.7" })))._tag).toBe("NotFoundError")
      }))

    // ---------------------------------------------------------------- endpoints

    const backends = (detail: McpModels.McpServerDetail) =>
      (detail.backendEndpoints ?? []).map((endpoint) => `${endpoint.address}:${endpoint.port}`)
    const interfaceUrls = (detail: AgentCardModels.AgentCardDetail) =>
      (detail.additionalInterfaces ?? []).map((i) => i.url).sort()

    test("agent endpoints: a registered endpoint is the SERVICE card's url; another replaces it; deregistered, the stored url is back", (ai) =>
      Effect.gen(function* () {
        const name = uniqueName("agent-ep")
        yield* ai.releaseAgentCard({ card: card(name, "1.0.0"), setAsLatest: true })
        yield* eventually(ai.getAgentCard({ name }))
        yield* ai.registerAgentEndpoint({
          name,
          endpoint: { version: "1.0.0", address: "127.0.0.1", port: 9301, path: "a2a" }
        })
        const served = yield* eventually(ai.getAgentCard({ name }), (d) => interfaceUrls(d).length > 0)
        expect(served.url).toBe("http://127.0.0.1:9301/a2a")
        expect(served.preferredTransport).toBe("JSONRPC")
        expect(interfaceUrls(served)).toEqual(["http://127.0.0.1:9301/a2a"])
        // the URL card type keeps the stored url
        expect((yield* ai.getAgentCard({ name, registrationType: "URL" })).url).toBe("http://127.0.0.1:9999/1.0.0")

        // one endpoint per version and client: a second registration replaces the first
        yield* ai.registerAgentEndpoint({
          name,
          endpoint: { version: "1.0.0", address: "127.0.0.1", port: 9302, supportTls: true }
        })
        const replaced = yield* eventually(ai.getAgentCard({ name }), (d) => d.url === "https://127.0.0.1:9302")
        expect(interfaceUrls(replaced)).toEqual(["https://127.0.0.1:9302"])

        yield* ai.deregisterAgentEndpoint({ name, version: "1.0.0" })
        const back = yield* eventually(ai.getAgentCard({ name }), (d) => interfaceUrls(d).length === 0)
        expect(back.url).toBe("http://127.0.0.1:9999/1.0.0")
      }))

    test("agent endpoints: one endpoint through registerAgentEndpoints works everywhere; bad input is refused", (ai) =>
      Effect.gen(function* () {
        const name = uniqueName("agent-eps")
        yield* ai.releaseAgentCard({ card: card(name, "1.0.0"), setAsLatest: true })
        yield* eventually(ai.getAgentCard({ name }))
        yield* ai.registerAgentEndpoints({
          name,
          endpoints: [{ version: "1.0.0", address: "127.0.0.1", port: 9400, transport: "JSONRPC" }]
        })
        const served = yield* eventually(ai.getAgentCard({ name }), (d) => interfaceUrls(d).length > 0)
        expect(served.url).toBe("http://127.0.0.1:9400")

        const badPort = yield* Effect.flip(
          ai.registerAgentEndpoint({ name, endpoint: { version: "1.0.0", address: "127.0.0.1", port: 0 } })
        )
        expect(badPort).toMatchObject({ _tag: "InvalidArgumentError" })
        const mixed = yield* Effect.flip(
          ai.registerAgentEndpoints({
            name,
            endpoints: [
              { version: "1.0.0", address: "127.0.0.1", port: 9401 },
              { version: "2.0.0", address: "127.0.0.1", port: 9402 }
            ]
          })
        )
        expect(mixed).toMatchObject({ _tag: "InvalidArgumentError" })
        expect(yield* Effect.flip(ai.registerAgentEndpoints({ name, endpoints: [] }))).toMatchObject({
          _tag: "InvalidArgumentError"
        })
        // a deregister of nothing this client registered needs the address the server demands
        expect(yield* Effect.flip(ai.deregisterAgentEndpoint({ name, version: "9.9.9" }))).toMatchObject({
          _tag: "InvalidArgumentError",
          field: "address"
        })
      }))

    test("watchAgentCard: the card first, then an endpoint coming and going, a new latest; nothing repeated", (ai) =>
      Effect.gen(function* () {
        const name = uniqueName("agent-watch")
        yield* ai.releaseAgentCard({ card: card(name, "1.0.0"), setAsLatest: true })
        yield* eventually(ai.getAgentCard({ name }))
        const seen = yield* Queue.unbounded<AgentCardModels.AgentCardDetail>()
        yield* ai.watchAgentCard({ name }).pipe(
          Stream.runForEach((d) => Queue.offer(seen, d)),
          Effect.forkScoped
        )
        const next = Queue.take(seen).pipe(
          Effect.timeoutOrElse({ duration: WAIT, orElse: () => Effect.die("no change came") })
        )
        expect((yield* next).url).toBe("http://127.0.0.1:9999/1.0.0")
        yield* ai.registerAgentEndpoint({ name, endpoint: { version: "1.0.0", address: "127.0.0.1", port: 9701 } })
        expect((yield* next).url).toBe("http://127.0.0.1:9701")
        yield* ai.deregisterAgentEndpoint({ name, version: "1.0.0" })
        expect((yield* next).url).toBe("http://127.0.0.1:9999/1.0.0")
        yield* ai.releaseAgentCard({ card: card(name, "2.0.0"), setAsLatest: true })
        expect((yield* next).version).toBe("2.0.0")
        // deduplicated: with nothing changing, nothing more comes
        yield* Effect.sleep("300 millis")
        expect(yield* Queue.size(seen)).toBe(0)
      }))

    test("watchMcpServer: the detail first, then the new latest version", (ai) =>
      Effect.gen(function* () {
        const name = uniqueName("mcp-watch")
        yield* ai.releaseMcpServer({ server: mcpServer(name, "1.0.0") })
        yield* eventually(ai.getMcpServer({ name }))
        const seen = yield* Queue.unbounded<McpModels.McpServerDetail>()
        yield* ai.watchMcpServer({ name }).pipe(
          Stream.runForEach((d) => Queue.offer(seen, d)),
          Effect.forkScoped
        )
        const next = Queue.take(seen).pipe(
          Effect.timeoutOrElse({ duration: WAIT, orElse: () => Effect.die("no change came") })
        )
        expect((yield* next).versionDetail?.version).toBe("1.0.0")
        yield* ai.releaseMcpServer({ server: mcpServer(name, "1.1.0") })
        expect((yield* next).versionDetail?.version).toBe("1.1.0")
        expect((yield* Effect.flip(Stream.runDrain(ai.watchMcpServer({ name: uniqueName("mcp-none") }))))._tag).toBe(
          "NotFoundError"
        )
      }))

    test("MCP endpoints: register → get shows it as a backend endpoint of that version → deregister → gone", (ai) =>
      Effect.gen(function* () {
        const name = uniqueName("mcp-ep")
        yield* ai.releaseMcpServer({ server: mcpServer(name, "1.0.0") })
        yield* eventually(ai.getMcpServer({ name }))
        yield* ai.registerMcpServerEndpoint({ name, address: "127.0.0.1", port: 9500, version: "1.0.0" })
        const shown = yield* eventually(ai.getMcpServer({ name, version: "1.0.0" }), (d) => backends(d).length > 0)
        expect(backends(shown)).toEqual(["127.0.0.1:9500"])
        // a version-less register goes to the latest version, and only there
        yield* ai.releaseMcpServer({ server: mcpServer(name, "1.1.0") })
        yield* eventually(ai.getMcpServer({ name }), (d) => d.versionDetail?.version === "1.1.0")
        yield* ai.registerMcpServerEndpoint({ name, address: "127.0.0.1", port: 9510 })
        yield* eventually(ai.getMcpServer({ name, version: "1.1.0" }), (d) => backends(d).includes("127.0.0.1:9510"))
        expect(backends(yield* ai.getMcpServer({ name, version: "1.0.0" }))).toEqual(["127.0.0.1:9500"])
        yield* ai.deregisterMcpServerEndpoint({ name, address: "127.0.0.1", port: 9500, version: "1.0.0" })
        yield* eventually(ai.getMcpServer({ name, version: "1.0.0" }), (d) => backends(d).length === 0)
        const missing = yield* Effect.flip(
          ai.registerMcpServerEndpoint({ name: uniqueName("mcp-none"), address: "127.0.0.1", port: 9501 })
        )
        expect(missing._tag).toBe("NotFoundError")
      }))

    testPushes(
      "watchAgentCard without a version: endpoint changes come by push, and follow the new latest version",
      (ai) =>
        Effect.gen(function* () {
          const name = uniqueName("agent-push")
          yield* ai.releaseAgentCard({ card: card(name, "1.0.0"), setAsLatest: true })
          yield* eventually(ai.getAgentCard({ name }))
          const seen = yield* Queue.unbounded<AgentCardModels.AgentCardDetail>()
          yield* ai.watchAgentCard({ name }).pipe(
            Stream.runForEach((d) => Queue.offer(seen, d)),
            Effect.forkScoped
          )
          yield* takeUntil(seen, (d) => d.version === "1.0.0", WAIT, "the first card")
          // the next re-read is SLOW_POLL away: only a push shows the endpoint before it
          yield* Effect.sleep(REREAD_BURST)
          yield* ai.registerAgentEndpoint({ name, endpoint: { version: "1.0.0", address: "127.0.0.1", port: 9711 } })
          yield* takeUntil(seen, (d) => d.url === "http://127.0.0.1:9711", PUSHED_WITHIN, "the v1 endpoint")
          // a new latest, after the push's re-reads: the next re-read (or where the registry pushes releases, a
          // push) shows it...
          yield* Effect.sleep(REREAD_BURST)
          yield* ai.releaseAgentCard({ card: card(name, "2.0.0"), setAsLatest: true })
          yield* takeUntil(seen, (d) => d.version === "2.0.0", Duration.sum(SLOW_POLL, WAIT), "the new latest")
          // ...and from then on the new version's endpoints come by push
          yield* Effect.sleep(REREAD_BURST)
          yield* ai.registerAgentEndpoint({ name, endpoint: { version: "2.0.0", address: "127.0.0.1", port: 9712 } })
          const moved = yield* takeUntil(
            seen,
            (d) => d.url === "http://127.0.0.1:9712",
            PUSHED_WITHIN,
            "the v2 endpoint"
          )
          expect(moved.version).toBe("2.0.0")
        })
    )

    testPushes("watchMcpServer without a version: endpoint changes come by push, and follow the new latest", (ai) =>
      Effect.gen(function* () {
        const name = uniqueName("mcp-push")
        yield* ai.releaseMcpServer({ server: mcpServer(name, "1.0.0") })
        yield* eventually(ai.getMcpServer({ name }))
        const seen = yield* Queue.unbounded<McpModels.McpServerDetail>()
        yield* ai.watchMcpServer({ name }).pipe(
          Stream.runForEach((d) => Queue.offer(seen, d)),
          Effect.forkScoped
        )
        yield* takeUntil(seen, (d) => d.versionDetail?.version === "1.0.0", WAIT, "the first detail")
        yield* Effect.sleep(REREAD_BURST)
        yield* ai.registerMcpServerEndpoint({ name, address: "127.0.0.1", port: 9521 })
        yield* takeUntil(seen, (d) => backends(d).includes("127.0.0.1:9521"), PUSHED_WITHIN, "the v1 endpoint")
        yield* Effect.sleep(REREAD_BURST)
        yield* ai.releaseMcpServer({ server: mcpServer(name, "1.1.0") })
        yield* takeUntil(
          seen,
          (d) => d.versionDetail?.version === "1.1.0",
          Duration.sum(SLOW_POLL, WAIT),
          "the new latest"
        )
        yield* Effect.sleep(REREAD_BURST)
        yield* ai.registerMcpServerEndpoint({ name, address: "127.0.0.1", port: 9522 })
        const moved = yield* takeUntil(
          seen,
          (d) => backends(d).includes("127.0.0.1:9522"),
          PUSHED_WITHIN,
          "the v1.1 endpoint"
        )
        expect(moved.versionDetail?.version).toBe("1.1.0")
      })
    )

    if (options.registry === undefined) return

    // ---------------------------------------------------------------- prompts

    test("prompts: latest, by version, by label; render with defaults, caller wins, unknown left as is", (ai, registry) =>
      Effect.gen(function* () {
        const key = uniqueName("prompt")
        yield* registry!.putPrompt({
          key,
          version: "1.0.0",
          template: "Hello {{name}} from {{place}} in {{lang}}, {{unknown}}",
          variables: [{ name: "lang", defaultValue: "en" }, { name: "place", defaultValue: "Nacos" }, { name: "name" }],
          labels: ["stable"]
        })
        yield* registry!.putPrompt({ key, version: "1.1.0", template: "v2 {{name}}" })
        const latest = yield* ai.getPrompt({ key })
        expect(latest).toMatchObject({ promptKey: key, version: "1.1.0", template: "v2 {{name}}" })
        const stable = yield* ai.getPrompt({ key, label: "stable" })
        expect(stable.version).toBe("1.0.0")
        // a version wins over a label
        expect((yield* ai.getPrompt({ key, version: "1.1.0", label: "stable" })).version).toBe("1.1.0")
        expect(PromptModels.render(stable, { name: "Alice", lang: "fr" })).toBe(
          "Hello Alice from Nacos in fr, {{unknown}}"
        )
        expect(PromptModels.render(stable)).toBe("Hello {{name}} from Nacos in en, {{unknown}}")
        expect((yield* Effect.flip(ai.getPrompt({ key: uniqueName("none") })))._tag).toBe("NotFoundError")
        expect(yield* Effect.flip(ai.getPrompt({ key, version: "1.1" }))).toMatchObject({ field: "version" })
      }))

    test("prompts: watch emits the prompt, each new version, Deleted; a missing one starts Absent", (ai, registry) =>
      Effect.gen(function* () {
        const key = uniqueName("watched")
        const events = yield* Queue.unbounded<PromptModels.PromptEvent>()
        yield* ai.watchPrompt({ key }).pipe(
          Stream.runForEach((event) => Queue.offer(events, event)),
          Effect.forkScoped
        )
        const next = Queue.take(events).pipe(
          Effect.timeoutOrElse({ duration: WAIT, orElse: () => Effect.die("no event") })
        )
        expect(yield* next).toEqual({ _tag: "Absent", key })
        yield* registry!.putPrompt({ key, version: "1.0.0", template: "one" })
        expect(yield* next).toMatchObject({ _tag: "Changed", prompt: { version: "1.0.0", template: "one" } })
        yield* registry!.putPrompt({ key, version: "1.0.1", template: "two" })
        expect(yield* next).toMatchObject({ _tag: "Changed", prompt: { version: "1.0.1", template: "two" } })
        yield* registry!.removePrompt(key)
        expect(yield* next).toEqual({ _tag: "Deleted", key })
      }))

    // ---------------------------------------------------------------- skills

    test("skills: the ZIP by latest, version and label; downloadSkill writes its files", (ai, registry) =>
      Effect.gen(function* () {
        const name = uniqueName("skill")
        yield* registry!.putSkill({
          name,
          version: "1.0.0",
          zip: skillZip(name, "# one", { "script/run.sh": "echo 1" }),
          labels: ["stable"]
        })
        yield* registry!.putSkill({ name, version: "2.0.0", zip: skillZip(name, "# two") })
        const latest = yield* ai.downloadSkillZip({ name })
        expect(latest.zip).toEqual(skillZip(name, "# two"))
        expect((yield* ai.downloadSkillZip({ name, label: "stable" })).zip).toEqual(
          skillZip(name, "# one", { "script/run.sh": "echo 1" })
        )
        const directory = yield* Effect.promise(() => fs.mkdtemp(path.join(os.tmpdir(), "skill-")))
        const extracted = yield* ai
          .downloadSkill({ name, version: "1.0.0", directory })
          .pipe(Effect.provide(fileSystem))
        expect(extracted.files).toEqual([`${name}/SKILL.md`, `${name}/script/run.sh`])
        expect(yield* Effect.promise(() => fs.readFile(path.join(directory, name, "script/run.sh"), "utf8"))).toBe(
          "echo 1"
        )
        expect((yield* Effect.flip(ai.downloadSkillZip({ name: uniqueName("none") })))._tag).toBe("NotFoundError")
        expect(yield* Effect.flip(ai.downloadSkillZip({ name: "Bad_Name" }))).toMatchObject({ field: "name" })
      }))

    test("skills: a ZIP that escapes its directory is refused whole, nothing written", (ai, registry) =>
      Effect.gen(function* () {
        for (const entry of ["../escape.txt", "/etc/absolute.txt", "evil/../../up.txt", "C:/drive.txt"]) {
          const name = uniqueName("evil")
          yield* registry!.putSkill({ name, version: "1.0.0", zip: maliciousZip(entry) })
          const parent = yield* Effect.promise(() => fs.mkdtemp(path.join(os.tmpdir(), "evil-")))
          const directory = path.join(parent, "target")
          const error = yield* Effect.flip(ai.downloadSkill({ name, directory }).pipe(Effect.provide(fileSystem)))
          expect(error._tag).toBe("ServerError")
          expect(error.message).toContain(entry)
          expect(yield* Effect.promise(() => fs.readdir(parent))).toEqual([])
          expect((yield* Effect.flip(ai.downloadSkillZip({ name })))._tag).toBe("ServerError")
        }
      }))

    test("skills: watch emits the archive, a change of its bytes, Deleted", (ai, registry) =>
      Effect.gen(function* () {
        const name = uniqueName("watched-skill")
        const events = yield* Queue.unbounded<import("@effect-nacos/ai").SkillModels.SkillEvent>()
        yield* registry!.putSkill({ name, version: "1.0.0", zip: skillZip(name, "# one") })
        yield* ai.watchSkill({ name }).pipe(
          Stream.runForEach((event) => Queue.offer(events, event)),
          Effect.forkScoped
        )
        const next = Queue.take(events).pipe(
          Effect.timeoutOrElse({ duration: WAIT, orElse: () => Effect.die("no event") })
        )
        const first = yield* next
        expect(first._tag === "Changed" && first.skill.zip).toEqual(skillZip(name, "# one"))
        yield* registry!.putSkill({ name, version: "1.0.1", zip: skillZip(name, "# two") })
        const second = yield* next
        expect(second._tag === "Changed" && second.skill.zip).toEqual(skillZip(name, "# two"))
        yield* registry!.removeSkill(name)
        expect(yield* next).toEqual({ _tag: "Deleted", name })
      }))
  })
