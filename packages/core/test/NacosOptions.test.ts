import { assert, describe, it } from "@effect/vitest"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as NacosOptions from "../src/NacosOptions.ts"

const invalidField = (input: unknown) =>
  Effect.flip(NacosOptions.resolve(input)).pipe(
    Effect.map((error) => {
      assert.strictEqual(error._tag, "InvalidArgumentError")
      return error.field
    })
  )

describe("NacosOptions.resolve", () => {
  it.effect("defaults", () =>
    Effect.gen(function* () {
      const options = yield* NacosOptions.resolve({ serverAddr: "127.0.0.1" })
      assert.deepStrictEqual(
        options.serverAddresses.map((address) => address.authority),
        ["127.0.0.1:8848"]
      )
      assert.strictEqual(options.namespace, "public")
      assert.strictEqual(options.contextPath, "/nacos")
      assert.strictEqual(options.appName, "unknown")
      assert.deepStrictEqual(options.grpc, NacosOptions.defaultGrpcOptions)
      assert.isTrue(Option.isNone(options.endpoint))
      assert.isTrue(Option.isNone(options.username))
      assert.isTrue(Option.isNone(options.tls))
    })
  )

  it.effect.each([
    { serverAddr: "host:99999" },
    { serverAddr: "ftp://x" },
    { serverAddr: "a b" },
    { serverAddr: "" },
    { serverAddr: "host:port:extra" },
    { serverAddr: ["ok:1", "bad:0"] },
    {}
  ])("malformed server addresses fail with field serverAddr: %j", (input) =>
    Effect.gen(function* () {
      assert.strictEqual(yield* invalidField(input), "serverAddr")
    })
  )

  it.effect("empty or blank namespace means public", () =>
    Effect.gen(function* () {
      assert.strictEqual((yield* NacosOptions.resolve({ serverAddr: "h", namespace: "" })).namespace, "public")
      assert.strictEqual((yield* NacosOptions.resolve({ serverAddr: "h", namespace: "  " })).namespace, "public")
      assert.strictEqual((yield* NacosOptions.resolve({ serverAddr: "h", namespace: "dev-1_a" })).namespace, "dev-1_a")
      assert.strictEqual(
        (yield* NacosOptions.resolve({ serverAddr: "h", namespace: "a".repeat(64) })).namespace.length,
        64
      )
    })
  )

  it.effect.each(["../etc", "a b", "x/y", "ns:1", "a".repeat(65)])(
    "invalid namespace %j fails with field namespace",
    (namespace) =>
      Effect.gen(function* () {
        assert.strictEqual(yield* invalidField({ serverAddr: "h", namespace }), "namespace")
      })
  )

  it.effect("negative or zero timeouts fail naming the timeout field", () =>
    Effect.gen(function* () {
      assert.include(yield* invalidField({ serverAddr: "h", grpc: { timeoutMillis: -1 } }), "timeoutMillis")
      assert.include(yield* invalidField({ serverAddr: "h", grpc: { timeoutMillis: 0 } }), "timeoutMillis")
      assert.include(yield* invalidField({ serverAddr: "h", grpc: { keepAliveMillis: -5 } }), "keepAliveMillis")
      assert.include(
        yield* invalidField({ serverAddr: "h", endpoint: "e", endpointRefreshMillis: -1 }),
        "endpointRefreshMillis"
      )
    })
  )

  it.effect("credentials go in pairs", () =>
    Effect.gen(function* () {
      assert.strictEqual(yield* invalidField({ serverAddr: "h", username: "nacos" }), "password")
      assert.strictEqual(yield* invalidField({ serverAddr: "h", password: "pw" }), "username")
      assert.strictEqual(yield* invalidField({ serverAddr: "h", accessKey: "ak" }), "secretKey")
      assert.strictEqual(yield* invalidField({ serverAddr: "h", secretKey: "sk" }), "accessKey")
    })
  )

  it.effect("a password is kept Redacted and never shows in the error or string form", () =>
    Effect.gen(function* () {
      const options = yield* NacosOptions.resolve({ serverAddr: "h", username: "nacos", password: "s3cret" })
      const password = Option.getOrThrow(options.password)
      assert.isTrue(Redacted.isRedacted(password))
      assert.strictEqual(Redacted.value(password), "s3cret")
      assert.notInclude(String(password), "s3cret")
    })
  )

  it.effect("endpoint options", () =>
    Effect.gen(function* () {
      const options = yield* NacosOptions.resolve({ endpoint: "addr:8080", endpointContextPath: "custom/" })
      const endpoint = Option.getOrThrow(options.endpoint)
      assert.strictEqual(endpoint.address.authority, "addr:8080")
      assert.strictEqual(endpoint.contextPath, "/custom")
      assert.strictEqual(endpoint.refreshMillis, 30_000)
      assert.deepStrictEqual(options.serverAddresses, [])
      assert.strictEqual(yield* invalidField({ endpoint: "a b" }), "endpoint")
    })
  )

  it.effect("the layer fails the build with InvalidArgumentError", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(
        NacosOptions.NacosOptions.use(Effect.succeed).pipe(Effect.provide(NacosOptions.layer({ serverAddr: "h:0" })))
      )
      assert.strictEqual(error._tag, "InvalidArgumentError")
    })
  )
})

describe("NacosOptions.layerConfig", () => {
  const fromEnv = (env: Record<string, string>) =>
    NacosOptions.NacosOptions.use(Effect.succeed).pipe(
      Effect.provide(
        NacosOptions.layerConfig.pipe(Layer.provide(ConfigProvider.layer(ConfigProvider.fromEnv({ env }))))
      )
    )

  it.effect("reads NACOS_* variables", () =>
    Effect.gen(function* () {
      const options = yield* fromEnv({
        NACOS_SERVER_ADDR: "a:1,b:2",
        NACOS_NAMESPACE_ID: "dev",
        NACOS_USERNAME: "nacos",
        NACOS_PASSWORD: "s3cret",
        NACOS_APP_NAME: "orders",
        NACOS_CACHE_DIR: "/tmp/nacos-cache",
        NACOS_GRPC_TIMEOUT_MS: "5000",
        NACOS_GRPC_PORT_OFFSET: "1001"
      })
      assert.deepStrictEqual(
        options.serverAddresses.map((address) => address.authority),
        ["a:1", "b:2"]
      )
      assert.strictEqual(options.namespace, "dev")
      assert.deepStrictEqual(options.username, Option.some("nacos"))
      const password = Option.getOrThrow(options.password)
      assert.isTrue(Redacted.isRedacted(password))
      assert.strictEqual(Redacted.value(password), "s3cret")
      assert.strictEqual(options.appName, "orders")
      assert.strictEqual(options.cacheDir, "/tmp/nacos-cache")
      assert.strictEqual(options.grpc.timeoutMillis, 5000)
      assert.strictEqual(options.grpc.portOffset, 1001)
      assert.strictEqual(options.grpc.retryTimes, NacosOptions.defaultGrpcOptions.retryTimes)
    })
  )

  it.effect("an invalid variable fails with InvalidArgumentError naming the field", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(fromEnv({ NACOS_SERVER_ADDR: "a:1", NACOS_NAMESPACE_ID: "bad ns" }))
      assert.strictEqual(error._tag, "InvalidArgumentError")
      if (error._tag === "InvalidArgumentError") assert.strictEqual(error.field, "namespace")
    })
  )

  it.effect("no address at all is an error", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(fromEnv({}))
      assert.strictEqual(error._tag, "InvalidArgumentError")
    })
  )
})
