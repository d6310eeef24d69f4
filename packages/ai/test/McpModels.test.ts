import { describe, expect, it } from "@effect/vitest"
import { McpModels } from "@effect-nacos/ai"
import * as Schema from "effect/Schema"

const decode = Schema.decodeUnknownSync(McpModels.McpServerDetail)

describe("McpModels: both spellings of the registry sub-models", () => {
  const camel = {
    name: "weather",
    versionDetail: { version: "1.0.0", release_date: "2026-01-01T00:00:00Z", is_latest: true },
    packages: [
      {
        registryType: "npm",
        identifier: "@acme/weather",
        runtimeHint: "npx",
        environmentVariables: [{ name: "API_KEY", isRequired: true, isSecret: true, default: "none" }]
      }
    ],
    remotes: [{ type: "sse", url: "https://acme/sse" }]
  }
  const snake = {
    name: "weather",
    versionDetail: { version: "1.0.0", release_date: "2026-01-01T00:00:00Z", is_latest: true },
    packages: [
      {
        registry_type: "npm",
        name: "@acme/weather",
        runtime_hint: "npx",
        environment_variables: [{ name: "API_KEY", is_required: true, is_secret: true, default_value: "none" }]
      }
    ],
    remotes: [{ transport_type: "sse", url: "https://acme/sse" }]
  }

  it("camelCase (pig-mesh 3.1.0, 3.2.x) and snake_case (official 3.1.0) decode to the same model", () => {
    const fromCamel = decode(camel)
    const fromSnake = decode(snake)
    expect(fromCamel.packages?.[0]).toMatchObject({
      registryType: "npm",
      identifier: "@acme/weather",
      runtimeHint: "npx"
    })
    expect(fromCamel.packages?.[0]?.environmentVariables?.[0]).toMatchObject({
      name: "API_KEY",
      isRequired: true,
      isSecret: true,
      defaultValue: "none"
    })
    expect(fromSnake.packages?.[0]).toMatchObject(fromCamel.packages?.[0] ?? {})
    expect(fromSnake.remotes?.[0]).toMatchObject({ type: "sse", url: "https://acme/sse" })
    expect(fromSnake.versionDetail).toEqual(fromCamel.versionDetail)
  })

  it("a wrong type is refused, not cast", () => {
    expect(() => decode({ ...camel, packages: [{ registryType: 7 }] })).toThrow()
  })
})
