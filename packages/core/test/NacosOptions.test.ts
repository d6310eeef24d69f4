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

  it.effect("an https:// address turns TLS on for every transport, gRPC included; bare neighbours become https", () =>
    Effect.gen(function* () {
      const options = yield* NacosOptions.resolve({ serverAddr: "https://a:8848,b:8848" })
      assert.deepStrictEqual(
        options.serverAddresses.map((address) => address.httpBase),
        ["https://a:8848", "https://b:8848"]
      )
      assert.isTrue(Option.isSome(options.tls))
    })
  )

  it.effect.each([
    { input: { serverAddr: "https://a:8848,http://b:8848" }, field: "serverAddr" },
    { input: { serverAddr: "https://a:8848", tls: { enabled: false } }, field: "tls.enabled" }
  ])("https:// never mixes with plain text: $input", ({ input, field }) =>
    Effect.gen(function* () {
      assert.strictEqual(yield* invalidField(input), field)
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

describe("NacosOptions.resolve: option names", () => {
  const invalid = (input: unknown) =>
    Effect.flip(NacosOptions.resolve(input)).pipe(
      Effect.map((error) => ({ tag: error._tag, field: error.field, message: error.message }))
    )

  it.effect.each([
    { input: { serverAddr: "h", serverAdr: "typo:8848" }, field: "serverAdr" },
    { input: { serverAddr: "h", grpc: { timeoutMs: 5000 } }, field: "grpc.timeoutMs" },
    { input: { serverAddr: "h", tls: { caPath: "/ca.pem" } }, field: "tls.caPath" }
  ])("an unknown key is rejected by name: $field", ({ input, field }) =>
    Effect.gen(function* () {
      const error = yield* invalid(input)
      assert.strictEqual(error.tag, "InvalidArgumentError")
      assert.strictEqual(error.field, field)
      assert.include(error.message, field)
    })
  )

  it.effect("namespaceId (and Python's namespace_id) mean namespace", () =>
    Effect.gen(function* () {
      assert.strictEqual((yield* NacosOptions.resolve({ serverAddr: "h", namespaceId: "dev" })).namespace, "dev")
      assert.strictEqual((yield* NacosOptions.resolve({ serverAddr: "h", namespace_id: "dev" })).namespace, "dev")
      const both = yield* NacosOptions.resolve({ serverAddr: "h", namespace: "dev", namespaceId: "dev" })
      assert.strictEqual(both.namespace, "dev")
    })
  )

  it.effect("the Python SDK's names for the same options are accepted", () =>
    Effect.gen(function* () {
      const options = yield* NacosOptions.resolve({
        server_address: "a:1,b:2",
        access_key: "ak",
        secret_key: "sk",
        grpc_config: {
          grpc_timeout: 5000,
          port_offset: 1001,
          max_keep_alive_ms: 400_000,
          max_receive_message_length: 1024,
          capability_negotiation_timeout: 7000
        },
        tls_config: { enabled: true, ca_file: "/ca.pem", cert_file: "/cert.pem", key_file: "/key.pem" }
      })
      assert.deepStrictEqual(
        options.serverAddresses.map((address) => address.authority),
        ["a:1", "b:2"]
      )
      assert.isTrue(Option.isSome(options.credentialsProvider))
      assert.deepStrictEqual(options.grpc, {
        ...NacosOptions.defaultGrpcOptions,
        timeoutMillis: 5000,
        portOffset: 1001,
        keepAliveMillis: 400_000,
        maxReceiveMessageLength: 1024,
        capabilityNegotiationTimeoutMillis: 7000
      })
      const tls = Option.getOrThrow(options.tls)
      assert.strictEqual(tls.caFile, "/ca.pem")
      assert.strictEqual(tls.certFile, "/cert.pem")
      assert.strictEqual(tls.keyFile, "/key.pem")
    })
  )

  it.effect.each([
    { input: { serverAddr: "h", namespace: "dev", namespaceId: "prod" }, field: "namespaceId", other: "namespace" },
    { input: { serverAddr: "h", server_address: "other" }, field: "server_address", other: "serverAddr" },
    {
      input: { serverAddr: "h", grpc: { timeoutMillis: 1, grpc_timeout: 2 } },
      field: "grpc.grpc_timeout",
      other: "timeoutMillis"
    }
  ])("two names for one option with different values are an error: $field", ({ input, field, other }) =>
    Effect.gen(function* () {
      const error = yield* invalid(input)
      assert.strictEqual(error.tag, "InvalidArgumentError")
      assert.strictEqual(error.field, field)
      assert.include(error.message, other)
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

  it.effect.each([
    { env: { NACOS_GRPC_TIMEOUT_MS: "abc" }, field: "grpc.timeoutMillis", variable: "NACOS_GRPC_TIMEOUT_MS" },
    { env: { NACOS_GRPC_TIMEOUT_MS: "0x10" }, field: "grpc.timeoutMillis", variable: "NACOS_GRPC_TIMEOUT_MS" },
    { env: { NACOS_GRPC_TIMEOUT_MS: "1e3" }, field: "grpc.timeoutMillis", variable: "NACOS_GRPC_TIMEOUT_MS" },
    { env: { NACOS_GRPC_TIMEOUT_MS: "-1" }, field: "grpc.timeoutMillis", variable: "NACOS_GRPC_TIMEOUT_MS" },
    { env: { NACOS_GRPC_PORT_OFFSET: "1.5" }, field: "grpc.portOffset", variable: "NACOS_GRPC_PORT_OFFSET" },
    {
      env: { NACOS_ENDPOINT_REFRESH_MS: "soon" },
      field: "endpointRefreshMillis",
      variable: "NACOS_ENDPOINT_REFRESH_MS"
    },
    { env: { NACOS_TLS_ENABLED: "maybe" }, field: "tls.enabled", variable: "NACOS_TLS_ENABLED" },
    { env: { NACOS_NAMESPACE_ID: "bad ns" }, field: "namespace", variable: "NACOS_NAMESPACE_ID" },
    { env: { NACOS_SERVER_ADDR: "host:99999" }, field: "serverAddr", variable: "NACOS_SERVER_ADDR" }
  ])("an invalid $variable names the field $field and the variable", ({ env, field, variable }) =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(fromEnv({ NACOS_SERVER_ADDR: "a:1", ...env }))
      assert.strictEqual(error._tag, "InvalidArgumentError")
      if (error._tag === "InvalidArgumentError") {
        assert.strictEqual(error.field, field)
        assert.include(error.message, variable)
      }
    })
  )

  it.effect("NACOS_SIGNATURE_REGION_ID sets the V4 signing region", () =>
    Effect.gen(function* () {
      const options = yield* fromEnv({ NACOS_SERVER_ADDR: "a:1", NACOS_SIGNATURE_REGION_ID: "cn-hangzhou" })
      assert.deepStrictEqual(options.signatureRegionId, Option.some("cn-hangzhou"))
      assert.isTrue(Option.isNone((yield* fromEnv({ NACOS_SERVER_ADDR: "a:1" })).signatureRegionId))
    })
  )

  it.effect("no address at all is an error", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(fromEnv({}))
      assert.strictEqual(error._tag, "InvalidArgumentError")
    })
  )
})
