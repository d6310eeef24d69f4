import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as NacosOptions from "../src/NacosOptions.ts"
import * as ServerAddress from "../src/ServerAddress.ts"

describe("ServerAddress.parse", () => {
  it.effect("host alone gets the default port 8848 over http", () =>
    Effect.gen(function* () {
      const address = yield* ServerAddress.parse("nacos.local")
      assert.strictEqual(address.scheme, "http")
      assert.strictEqual(address.host, "nacos.local")
      assert.strictEqual(address.port, ServerAddress.DEFAULT_PORT)
      assert.strictEqual(address.port, 8848)
      assert.strictEqual(address.authority, "nacos.local:8848")
      assert.strictEqual(address.httpBase, "http://nacos.local:8848")
    })
  )

  it.effect("host:port and a trailing path", () =>
    Effect.gen(function* () {
      const address = yield* ServerAddress.parse(" 10.0.0.1:9000/nacos ")
      assert.strictEqual(address.host, "10.0.0.1")
      assert.strictEqual(address.port, 9000)
    })
  )

  it.effect("https without a port means 443; with a port keeps it", () =>
    Effect.gen(function* () {
      const bare = yield* ServerAddress.parse("https://h")
      assert.strictEqual(bare.scheme, "https")
      assert.strictEqual(bare.port, 443)
      assert.strictEqual(bare.httpBase, "https://h:443")
      const withPort = yield* ServerAddress.parse("HTTPS://h:8443")
      assert.strictEqual(withPort.port, 8443)
      const http = yield* ServerAddress.parse("http://h")
      assert.strictEqual(http.port, 8848)
    })
  )

  it.effect("bracketed IPv6 with and without port", () =>
    Effect.gen(function* () {
      const withPort = yield* ServerAddress.parse("[::1]:8848")
      assert.strictEqual(withPort.host, "::1")
      assert.strictEqual(withPort.port, 8848)
      assert.strictEqual(withPort.authority, "[::1]:8848")
      assert.strictEqual(withPort.grpcTarget(1000), "[::1]:9848")
      const bare = yield* ServerAddress.parse("http://[fe80::2]")
      assert.strictEqual(bare.host, "fe80::2")
      assert.strictEqual(bare.port, 8848)
    })
  )

  it.effect("grpcTarget adds the port offset", () =>
    Effect.gen(function* () {
      const address = yield* ServerAddress.parse("h:8848")
      assert.strictEqual(address.grpcTarget(1000), "h:9848")
      assert.strictEqual(address.grpcTarget(0), "h:8848")
      assert.strictEqual(String(address), "h:8848")
    })
  )

  it.effect.each([
    "",
    "   ",
    "host:99999",
    "host:0",
    "host:port",
    "ftp://x",
    "a b",
    "host:port:extra",
    "[::1",
    "[::1]x",
    "-bad"
  ])("rejects %j with InvalidArgumentError naming the field", (input) =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(ServerAddress.parse(input))
      assert.strictEqual(error._tag, "InvalidArgumentError")
      assert.strictEqual(error.field, "serverAddr")
      const custom = yield* Effect.flip(ServerAddress.parse(input, "endpoint"))
      assert.strictEqual(custom.field, "endpoint")
    })
  )
})

describe("ServerAddress.parseList", () => {
  it.effect("splits comma lists and arrays, skipping empty entries", () =>
    Effect.gen(function* () {
      const list = yield* ServerAddress.parseList(["a:1, b:2", "c", ""])
      assert.deepStrictEqual(
        list.map((address) => address.authority),
        ["a:1", "b:2", "c:8848"]
      )
    })
  )

  it.effect("an empty list and a bad entry are errors", () =>
    Effect.gen(function* () {
      assert.strictEqual((yield* Effect.flip(ServerAddress.parseList(" , "))).field, "serverAddr")
      assert.strictEqual((yield* Effect.flip(ServerAddress.parseList("a:1,b:x"))).field, "serverAddr")
    })
  )
})

describe("ServerAddress with tls", () => {
  it.effect("a bare host:port becomes https, keeping the Nacos default port", () =>
    Effect.gen(function* () {
      const withPort = yield* ServerAddress.parse("10.0.0.1:8848", "serverAddr", ServerAddress.DEFAULT_PORT, {
        tls: true
      })
      assert.strictEqual(withPort.httpBase, "https://10.0.0.1:8848")
      const bare = yield* ServerAddress.parse("nacos.local", "serverAddr", ServerAddress.DEFAULT_PORT, { tls: true })
      assert.strictEqual(bare.httpBase, "https://nacos.local:8848")
      const explicit = yield* ServerAddress.parse("https://h", "serverAddr", ServerAddress.DEFAULT_PORT, { tls: true })
      assert.strictEqual(explicit.httpBase, "https://h:443")
      const list = yield* ServerAddress.parseList("a:1,https://b:2", "serverAddr", { tls: true })
      assert.deepStrictEqual(
        list.map((address) => address.httpBase),
        ["https://a:1", "https://b:2"]
      )
    })
  )

  it.effect("an explicit http:// is an InvalidArgumentError, never a downgrade", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(
        ServerAddress.parse("http://10.0.0.1:8848", "serverAddr", ServerAddress.DEFAULT_PORT, { tls: true })
      )
      assert.strictEqual(error._tag, "InvalidArgumentError")
      assert.strictEqual(error.field, "serverAddr")
      assert.include(error.message, "tls")
      const inList = yield* Effect.flip(ServerAddress.parseList("a:1, http://b:2", "serverAddr", { tls: true }))
      assert.include(inList.message, "http://b:2")
    })
  )

  it.effect("NacosOptions: with tls set, serverAddr and endpoint are https; http:// is rejected", () =>
    Effect.gen(function* () {
      const resolved = yield* NacosOptions.resolve({ serverAddr: "10.0.0.1:8848", endpoint: "as.local", tls: {} })
      assert.deepStrictEqual(
        resolved.serverAddresses.map((address) => address.httpBase),
        ["https://10.0.0.1:8848"]
      )
      assert.strictEqual(Option.getOrThrow(resolved.endpoint).address.httpBase, "https://as.local:8080")
      const error = yield* Effect.flip(NacosOptions.resolve({ serverAddr: "http://10.0.0.1:8848", tls: {} }))
      assert.deepInclude(error, { _tag: "InvalidArgumentError", field: "serverAddr" })
      const endpointError = yield* Effect.flip(
        NacosOptions.resolve({ serverAddr: "h", endpoint: "http://as.local", tls: {} })
      )
      assert.deepInclude(endpointError, { _tag: "InvalidArgumentError", field: "endpoint" })
      // tls switched off explicitly: plain http stays allowed
      const off = yield* NacosOptions.resolve({ serverAddr: "http://h:1", tls: { enabled: false } })
      assert.strictEqual(off.serverAddresses[0]!.httpBase, "http://h:1")
    })
  )
})
