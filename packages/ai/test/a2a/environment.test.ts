/**
 * A2ARegistry.layerFromEnv: which registries the environment asks for, read through a ConfigProvider (never
 * process.env), and a bad setup failing the layer build with a clear error.
 */
import { describe, expect, it } from "@effect/vitest"
import { A2ARegistry } from "@effect-nacos/ai/a2a"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"

const registriesFrom = (env: Record<string, string>, options?: A2ARegistry.FromEnvOptions) =>
  Effect.service(A2ARegistry.A2ARegistries).pipe(
    Effect.map((registries) => registries.map((registry) => registry.name)),
    Effect.provide(
      A2ARegistry.layerFromEnv(options).pipe(Layer.provide(ConfigProvider.layer(ConfigProvider.fromEnv({ env }))))
    )
  )

// nothing listens on port 1: the Nacos client is built (it never waits for a server) and closed again
const SERVER = { NACOS_SERVER_ADDR: "127.0.0.1:1" }

describe("A2ARegistry.layerFromEnv", () => {
  it.effect("A2A_REGISTRY_TYPE=nacos with a server address: one Nacos registry", () =>
    Effect.gen(function* () {
      expect(yield* registriesFrom({ ...SERVER, A2A_REGISTRY_TYPE: "nacos" })).toEqual(["nacos"])
      // a comma list, spaces and case do not matter, a type named twice is one registry
      expect(yield* registriesFrom({ ...SERVER, A2A_REGISTRY_TYPE: " Nacos, nacos " })).toEqual(["nacos"])
    })
  )

  it.effect("A2A_REGISTRY_ENABLED=true without a type means nacos", () =>
    Effect.gen(function* () {
      expect(yield* registriesFrom({ ...SERVER, A2A_REGISTRY_ENABLED: "true" })).toEqual(["nacos"])
    })
  )

  it.effect("disabled, or not configured: no registry (NACOS_* alone turns nothing on)", () =>
    Effect.gen(function* () {
      expect(yield* registriesFrom({ ...SERVER, A2A_REGISTRY_ENABLED: "false", A2A_REGISTRY_TYPE: "nacos" })).toEqual(
        []
      )
      expect(yield* registriesFrom({ ...SERVER, NACOS_USERNAME: "nacos" })).toEqual([])
      expect(yield* registriesFrom({})).toEqual([])
    })
  )

  it.effect("an unknown type fails the build with InvalidArgumentError naming A2A_REGISTRY_TYPE", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(registriesFrom({ ...SERVER, A2A_REGISTRY_TYPE: "nacos,zookeeper" }))
      expect(error).toMatchObject({ _tag: "InvalidArgumentError", field: "A2A_REGISTRY_TYPE" })
      expect(error.message).toContain('"zookeeper"')
    })
  )

  it.effect("nacos without NACOS_SERVER_ADDR fails the build, naming the variable", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(registriesFrom({ A2A_REGISTRY_TYPE: "nacos" }))
      expect(error._tag).toBe("InvalidArgumentError")
      expect(error.message).toContain("NACOS_SERVER_ADDR")
    })
  )

  it.effect("registries given in code win: the environment is not read", () =>
    Effect.gen(function* () {
      const mine: A2ARegistry.Registry = { name: "mine", register: () => Effect.void }
      // this environment alone would fail the build
      expect(yield* registriesFrom({ A2A_REGISTRY_TYPE: "zookeeper" }, { registries: [mine] })).toEqual(["mine"])
      expect(yield* registriesFrom({ ...SERVER, A2A_REGISTRY_TYPE: "nacos" }, { registries: [] })).toEqual([])
    })
  )
})
