import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import { TestClock } from "effect/testing"
import * as Auth from "../src/Auth.ts"
import { hmacSha1Base64 } from "../src/internal/accessKeySigning.ts"
import * as NacosOptions from "../src/NacosOptions.ts"

/*
 * Expected signatures were computed outside this code base, with Python's standard library:
 *
 *   python3 -c 'import hmac,hashlib,base64,sys; \
 *     print(base64.b64encode(hmac.new(sys.argv[1].encode("utf-8"), sys.argv[2].encode("utf-8"), hashlib.sha1).digest()).decode())' \
 *     testSecretKey "ns1+DEFAULT_GROUP+1700000000000"
 *
 * and the first one cross-checked with
 *   echo -n "ns1+DEFAULT_GROUP+1700000000000" | openssl dgst -sha1 -hmac testSecretKey -binary | base64
 */
const SECRET_KEY = "testSecretKey"
const ACCESS_KEY = "testAccessKey"
const TIMESTAMP = 1_700_000_000_000

const SIGNATURES = {
  "ns1+DEFAULT_GROUP+1700000000000": "T+N3qSIkQDWiYgA45eCIQ0nwSPw=",
  "DEFAULT_GROUP+1700000000000": "9hagMjeuVp9Xgs7ynJWed1ATjjU=",
  "1700000000000": "h+T9jQUl+nAlNWnixWaJ8pS6n5o=",
  "public+DEFAULT_GROUP+1700000000000": "i9ADo/Y10tP3WqiD3r3pnfndoRk=",
  "1700000000000@@DEFAULT_GROUP@@orders": "whs6ZAAcHDuOn3Fvuiy53uCE2HU=",
  "1700000000000@@G@@orders": "rdogp2dDnf59py3sLRHXiJ7QZDU=",
  "组+1700000000000": "SazLuYEREKm3/Izknw8cHv3jj/8="
} as const

const identityWith = (options: NacosOptions.NacosOptionsInput, resource: Auth.AuthResource) =>
  Effect.gen(function* () {
    yield* TestClock.setTime(TIMESTAMP)
    return yield* Auth.Auth.use((auth) => auth.identity(resource))
  }).pipe(Effect.provide(Auth.layerAccessKey), Effect.provide(NacosOptions.layer(options)))

const withKeys: NacosOptions.NacosOptionsInput = {
  serverAddr: "127.0.0.1:8848",
  accessKey: ACCESS_KEY,
  secretKey: SECRET_KEY
}

describe("HmacSHA1 / Base64", () => {
  it("matches independently computed vectors, UTF-8 data and key included", () => {
    for (const [data, signature] of Object.entries(SIGNATURES)) {
      assert.strictEqual(hmacSha1Base64(SECRET_KEY, data), signature, data)
    }
    // python3: base64(hmac.new("密钥".encode(), b"1700000000000", sha1)) → zyIZyMgK4HsMiVgZeT/hL9sSZiM=
    assert.strictEqual(hmacSha1Base64("密钥", "1700000000000"), "zyIZyMgK4HsMiVgZeT/hL9sSZiM=")
  })
})

describe("Auth.layerAccessKey", () => {
  it.effect("config with a tenant signs tenant+group+timestamp", () =>
    Effect.gen(function* () {
      const headers = yield* identityWith(withKeys, {
        module: "config",
        namespace: "ns1",
        group: "DEFAULT_GROUP",
        name: "app.yaml"
      })
      assert.deepStrictEqual(headers, {
        "Spas-AccessKey": ACCESS_KEY,
        Timestamp: "1700000000000",
        "Spas-Signature": SIGNATURES["ns1+DEFAULT_GROUP+1700000000000"]
      })
    })
  )

  it.effect("config without a tenant signs group+timestamp; without a group just the timestamp", () =>
    Effect.gen(function* () {
      const blankTenant = yield* identityWith(withKeys, { module: "config", namespace: " ", group: "DEFAULT_GROUP" })
      assert.strictEqual(blankTenant["Spas-Signature"], SIGNATURES["DEFAULT_GROUP+1700000000000"])
      const nothing = yield* identityWith(withKeys, { module: "config" })
      assert.strictEqual(nothing["Spas-Signature"], SIGNATURES["1700000000000"])
      const unicodeGroup = yield* identityWith(withKeys, { module: "config", group: "组" })
      assert.strictEqual(unicodeGroup["Spas-Signature"], SIGNATURES["组+1700000000000"])
    })
  )

  it.effect("ai signs namespace+group+timestamp", () =>
    Effect.gen(function* () {
      const headers = yield* identityWith(withKeys, {
        module: "ai",
        namespace: "public",
        group: "DEFAULT_GROUP",
        name: "my-mcp"
      })
      assert.deepStrictEqual(headers, {
        "Spas-AccessKey": ACCESS_KEY,
        Timestamp: "1700000000000",
        "Spas-Signature": SIGNATURES["public+DEFAULT_GROUP+1700000000000"]
      })
    })
  )

  it.effect("naming sends ak, data = timestamp@@group@@service, signature", () =>
    Effect.gen(function* () {
      const headers = yield* identityWith(withKeys, {
        module: "naming",
        namespace: "public",
        group: "DEFAULT_GROUP",
        name: "orders"
      })
      assert.deepStrictEqual(headers, {
        ak: ACCESS_KEY,
        data: "1700000000000@@DEFAULT_GROUP@@orders",
        signature: SIGNATURES["1700000000000@@DEFAULT_GROUP@@orders"]
      })
      // an already grouped name is not grouped again
      const grouped = yield* identityWith(withKeys, { module: "naming", group: "OTHER", name: "G@@orders" })
      assert.strictEqual(grouped.data, "1700000000000@@G@@orders")
      assert.strictEqual(grouped.signature, SIGNATURES["1700000000000@@G@@orders"])
      // no service: just the timestamp
      const noService = yield* identityWith(withKeys, { module: "naming", group: "DEFAULT_GROUP" })
      assert.strictEqual(noService.data, "1700000000000")
      assert.strictEqual(noService.signature, SIGNATURES["1700000000000"])
    })
  )

  it.effect("STS credentials add Spas-SecurityToken; the provider is asked on every request", () =>
    Effect.gen(function* () {
      let asked = 0
      const options: NacosOptions.NacosOptionsInput = {
        serverAddr: "127.0.0.1:8848",
        credentialsProvider: () =>
          Effect.sync(() => {
            asked++
            return {
              accessKey: `sts-ak-${asked}`,
              secretKey: Redacted.make(SECRET_KEY),
              securityToken: Redacted.make("sts-token")
            }
          })
      }
      const config = yield* identityWith(options, { module: "config", namespace: "ns1", group: "DEFAULT_GROUP" })
      assert.deepStrictEqual(config, {
        "Spas-SecurityToken": "sts-token",
        "Spas-AccessKey": "sts-ak-1",
        Timestamp: "1700000000000",
        "Spas-Signature": SIGNATURES["ns1+DEFAULT_GROUP+1700000000000"]
      })
      const naming = yield* identityWith(options, { module: "naming", group: "DEFAULT_GROUP", name: "orders" })
      assert.strictEqual(naming["Spas-SecurityToken"], "sts-token")
      assert.strictEqual(naming.ak, "sts-ak-2")
    })
  )

  it.effect("the timestamp follows the Clock", () =>
    Effect.gen(function* () {
      const headers = yield* Effect.gen(function* () {
        yield* TestClock.setTime(1_234)
        return yield* Auth.Auth.use((auth) => auth.identity({ module: "config", group: "G" }))
      }).pipe(Effect.provide(Auth.layerAccessKey), Effect.provide(NacosOptions.layer(withKeys)))
      assert.strictEqual(headers.Timestamp, "1234")
      // python3: base64(hmac.new(b"testSecretKey", b"G+1234", sha1)) → jJTi0p23efBs/5BZPHcV1f2Pb6U=
      assert.strictEqual(headers["Spas-Signature"], "jJTi0p23efBs/5BZPHcV1f2Pb6U=")
    })
  )

  it.effect("internal requests are not signed", () =>
    Effect.gen(function* () {
      assert.deepStrictEqual(yield* identityWith(withKeys, { module: "internal" }), {})
    })
  )

  it.effect("fails to build without credentials", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(
        Auth.Auth.use((auth) => auth.identity({ module: "config" })).pipe(
          Effect.provide(Auth.layerAccessKey),
          Effect.provide(NacosOptions.layer({ serverAddr: "127.0.0.1:8848" }))
        )
      )
      assert.strictEqual(error._tag, "InvalidArgumentError")
    })
  )
})
