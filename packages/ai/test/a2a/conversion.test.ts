/**
 * The two card shapes (Nacos' A2A 0.3 card, the SDK's 1.0 card) and the endpoint selectors.
 */
import { describe, expect, it } from "@effect/vitest"
import { CardConversion, EndpointSelector } from "@effect-nacos/ai/a2a"
import * as Effect from "effect/Effect"
import * as Random from "effect/Random"
import { echoCard } from "./support/echo.ts"

const jsonRpc = (url: string, protocolVersion = "1.0") => ({
  url,
  protocolBinding: "JSONRPC",
  tenant: "",
  protocolVersion
})

describe("CardConversion", () => {
  it("toNacosCard: the first interface is url and preferredTransport, the other distinct ones additionalInterfaces", () => {
    const card = CardConversion.toNacosCard({
      ...echoCard("convert"),
      capabilities: { streaming: true, pushNotifications: false, extensions: [], extendedAgentCard: true },
      supportedInterfaces: [
        jsonRpc("http://10.0.0.5:8080/a2a"),
        jsonRpc("http://10.0.0.5:8080/a2a", "0.3"),
        { url: "http://10.0.0.5:8080/rest", protocolBinding: "HTTP+JSON", tenant: "", protocolVersion: "1.0" }
      ]
    })
    expect(card).toMatchObject({
      protocolVersion: "0.3.0",
      name: "convert",
      version: "1.0.0",
      url: "http://10.0.0.5:8080/a2a",
      preferredTransport: "JSONRPC",
      additionalInterfaces: [{ url: "http://10.0.0.5:8080/rest", transport: "HTTP+JSON" }],
      capabilities: { streaming: true, pushNotifications: false, extensions: [] },
      supportsAuthenticatedExtendedCard: true,
      provider: { organization: "effect-nacos tests", url: "https://example.invalid" },
      defaultInputModes: ["text"]
    })
    expect(card.skills).toEqual([
      {
        id: "echo",
        name: "echo",
        description: "repeats the message",
        tags: ["test"],
        examples: ["hello"],
        inputModes: ["text"],
        outputModes: ["text"]
      }
    ])
  })

  it.effect("fromNacosCard: nulls dropped, missing fields filled, interfaces distinct and stamped 0.3", () =>
    Effect.gen(function* () {
      const card = yield* CardConversion.fromNacosCard({
        name: "stored",
        version: "2.0.0",
        protocolVersion: "0.3.0",
        description: null,
        url: "http://10.0.0.7:9000/a2a",
        preferredTransport: "JSONRPC",
        additionalInterfaces: [
          { url: "http://10.0.0.7:9000/a2a", transport: "JSONRPC" },
          { url: "http://10.0.0.8:9000/a2a", transport: "JSONRPC" }
        ],
        capabilities: null,
        skills: null,
        registrationType: "SERVICE",
        latestVersion: true
      })
      expect(card.name).toBe("stored")
      expect(card.version).toBe("2.0.0")
      // the primary interface gets the card's protocolVersion, the SDK stamps the others "0.3": both are 0.3
      expect(
        card.supportedInterfaces.map((i) => `${i.protocolBinding} ${i.url} ${i.protocolVersion.startsWith("0.3")}`)
      ).toEqual(["JSONRPC http://10.0.0.7:9000/a2a true", "JSONRPC http://10.0.0.8:9000/a2a true"])
      expect(card.description).toBe("")
      expect(card.skills).toEqual([])
      expect(card.defaultInputModes).toEqual([])
      expect(Object.keys(card)).not.toContain("registrationType")
    })
  )

  it.effect("a SERVICE card without endpoints has no interfaces (its stored url may be a stopped instance's)", () =>
    Effect.gen(function* () {
      const stored = {
        name: "idle",
        version: "1.0.0",
        protocolVersion: "0.3.0",
        url: "http://10.0.0.9:9000/a2a",
        preferredTransport: "JSONRPC"
      }
      const service = yield* CardConversion.fromNacosCard({ ...stored, registrationType: "SERVICE" })
      expect(service.supportedInterfaces).toEqual([])
      const byUrl = yield* CardConversion.fromNacosCard({ ...stored, registrationType: "URL" })
      expect(byUrl.supportedInterfaces.map((i) => i.url)).toEqual(["http://10.0.0.9:9000/a2a"])
    })
  )

  it.effect("a round trip keeps what both shapes have", () =>
    Effect.gen(function* () {
      const sdk = { ...echoCard("round"), supportedInterfaces: [jsonRpc("http://127.0.0.1:7000/a2a")] }
      const back = yield* CardConversion.fromNacosCard(CardConversion.toNacosCard(sdk))
      expect(back).toMatchObject({
        name: "round",
        description: "says it back",
        version: "1.0.0",
        defaultInputModes: ["text"],
        defaultOutputModes: ["text"],
        provider: { organization: "effect-nacos tests", url: "https://example.invalid" }
      })
      expect(back.skills.map((skill) => skill.id)).toEqual(["echo"])
      expect(back.supportedInterfaces.map((i) => i.url)).toEqual(["http://127.0.0.1:7000/a2a"])
    })
  )
})

describe("EndpointSelector", () => {
  const endpoints = [jsonRpc("http://a/a2a"), jsonRpc("http://b/a2a"), jsonRpc("http://c/a2a")] as const

  it.effect("roundRobin: each agent's endpoints in turn, a counter per agent", () =>
    Effect.gen(function* () {
      const selector = EndpointSelector.roundRobin()
      const turns = (agent: string, times: number) =>
        Effect.forEach(Array.from({ length: times }), () =>
          Effect.map(selector.select(agent, endpoints), (endpoint) => endpoint?.url)
        )
      expect(yield* turns("one", 4)).toEqual(["http://a/a2a", "http://b/a2a", "http://c/a2a", "http://a/a2a"])
      expect(yield* turns("two", 2)).toEqual(["http://a/a2a", "http://b/a2a"])
      expect(yield* turns("one", 1)).toEqual(["http://b/a2a"])
    })
  )

  it.effect("random: picks among the endpoints offered, every one of them over many picks", () =>
    Effect.gen(function* () {
      const seen = new Set<string | undefined>()
      for (let i = 0; i < 60; i++) seen.add((yield* EndpointSelector.random.select("agent", endpoints))?.url)
      expect([...seen].sort()).toEqual(["http://a/a2a", "http://b/a2a", "http://c/a2a"])
    }).pipe(Random.withSeed("a2a"))
  )
})
