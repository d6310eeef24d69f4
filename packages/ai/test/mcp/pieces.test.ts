/**
 * The pieces of the MCP glue on their own: the tool list taken from a real SDK server, the endpoint URLs built
 * from what Nacos lists, the endpoint selectors.
 */
import { describe, expect, it } from "@effect/vitest"
import type { McpModels } from "@effect-nacos/ai"
import { EndpointSelector, McpEndpoint, McpTools } from "@effect-nacos/ai/mcp"
import * as Effect from "effect/Effect"
import * as Random from "effect/Random"
import { sdkServer } from "./support/sdkServers.ts"

const detail = (extra: Partial<McpModels.McpServerDetail>): McpModels.McpServerDetail => ({ name: "x", ...extra })

describe("McpTools.listTools", () => {
  it.effect("lists what the SDK server registered: names, descriptions, JSON input schemas", () =>
    Effect.gen(function* () {
      const tools = yield* McpTools.listTools(sdkServer("a"))
      expect(tools.map((tool) => tool.name)).toEqual(["echo", "add", "whoami"])
      const echo = tools.find((tool) => tool.name === "echo")
      expect(echo?.description).toBe("answers the text it is given")
      expect(echo?.inputSchema).toMatchObject({
        type: "object",
        properties: { text: { type: "string", description: "what to echo" } },
        required: ["text"]
      })
      expect(tools.find((tool) => tool.name === "add")?.inputSchema).toMatchObject({
        properties: { a: { type: "number" }, b: { type: "number" } }
      })
      expect(McpTools.toSpecification(tools)).toEqual({ tools })
    })
  )

  it.effect("a factory that throws is a ToolListError naming the cause", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(
        McpTools.listTools(() => {
          throw new Error("no database")
        })
      )
      expect(error._tag).toBe("ToolListError")
      expect(error.message).toContain("no database")
    })
  )
})

describe("McpEndpoint.fromDetail", () => {
  it("builds URLs from address, port and the endpoint's path; the exportPath when the endpoint has none", () => {
    const endpoints = McpEndpoint.fromDetail(
      detail({
        remoteServerConfig: { exportPath: "mcp" },
        backendEndpoints: [
          { address: "10.0.0.1", port: 3000, path: "/mcp" },
          { address: "10.0.0.2", port: 3001 },
          { address: "::1", port: 3002, path: "/v2/mcp" }
        ]
      })
    )
    expect(endpoints.map((endpoint) => endpoint.url)).toEqual([
      "http://10.0.0.1:3000/mcp",
      "http://10.0.0.2:3001/mcp",
      "http://[::1]:3002/v2/mcp"
    ])
  })

  it("https when the endpoint or the service reference says so; entries without address or port are left out", () => {
    expect(
      McpEndpoint.fromDetail(
        detail({
          remoteServerConfig: { serviceRef: { transportProtocol: "https" } },
          backendEndpoints: [{ address: "a.example", port: 443, path: "/mcp" }, { address: "", port: 1 }, { port: 2 }]
        })
      ).map((endpoint) => endpoint.url)
    ).toEqual(["https://a.example:443/mcp"])
    expect(
      McpEndpoint.fromDetail(detail({ backendEndpoints: [{ address: "b", port: 1, protocol: "https" }] }))[0]?.url
    ).toBe("https://b:1")
    expect(McpEndpoint.fromDetail(detail({}))).toEqual([])
  })
})

const nonEmpty = <A>(list: ReadonlyArray<A>): readonly [A, ...ReadonlyArray<A>] => {
  const [head, ...tail] = list
  if (head === undefined) throw new Error("an empty list")
  return [head, ...tail]
}

describe("EndpointSelector", () => {
  const endpoints = McpEndpoint.fromDetail(
    detail({
      backendEndpoints: [
        { address: "10.0.0.3", port: 1, path: "/" },
        { address: "10.0.0.1", port: 1, path: "/" },
        { address: "10.0.0.2", port: 1, path: "/" }
      ]
    })
  )

  it.effect("roundRobin takes each endpoint in turn (by URL), whatever order the list comes in", () =>
    Effect.gen(function* () {
      const selector = EndpointSelector.roundRobin()
      const picks: Array<string | undefined> = []
      for (let i = 0; i < 4; i++)
        picks.push(
          (yield* selector.select("mcp", nonEmpty(i % 2 === 0 ? endpoints : [...endpoints].reverse())))?.address
        )
      expect(picks).toEqual(["10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.1"])
      // each selector has its own turn
      expect((yield* EndpointSelector.roundRobin().select("mcp", nonEmpty(endpoints)))?.address).toBe("10.0.0.1")
    })
  )

  it.effect("random picks among the endpoints offered, every one of them over many picks", () =>
    Effect.gen(function* () {
      const seen = new Set<string>()
      for (let i = 0; i < 60; i++) {
        const pick = yield* EndpointSelector.random.select("mcp", nonEmpty(endpoints))
        expect(endpoints).toContainEqual(pick)
        if (pick !== undefined) seen.add(pick.address)
      }
      expect(seen.size).toBe(3)
      expect((yield* EndpointSelector.random.select("mcp", [endpoints[1]!]))?.address).toBe("10.0.0.1")
    }).pipe(Random.withSeed("mcp"))
  )
})
