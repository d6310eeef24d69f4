import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import { TestClock } from "effect/testing"
import * as Auth from "../src/Auth.ts"
import type { InvalidArgumentError } from "../src/NacosError.ts"
import * as NacosOptions from "../src/NacosOptions.ts"
import { ServerAddress } from "../src/ServerAddress.ts"
import { makeFakeHttp } from "./support/fakeHttp.ts"
import { fixedServerListOf } from "./support/layers.ts"

/*
 * What the official Java client (nacos-client 3.2.1) signs and sends for fixed inputs, from its own signing code run
 * with a frozen clock: /work/shared/reference/aksk-vectors.md, every row, unchanged. `undefined` in a resource is
 * Java's `null`. Naming and AI requests use the same table.
 */
const TIMESTAMP = 1_700_000_000_000
const ACCESS_KEY = "testAccessKey"

const CREDENTIALS = {
  basic: { accessKey: ACCESS_KEY, secretKey: "testSecretKey" },
  region: { accessKey: ACCESS_KEY, secretKey: "testSecretKey", signatureRegionId: "cn-hangzhou" },
  blankSk: { accessKey: ACCESS_KEY, secretKey: " " }
} satisfies Record<string, Partial<NacosOptions.NacosOptionsInput>>

/**
 * The resource of each case. The listen rows are what `ConfigBatchListenRequest` signs: Java's resource for it
 * carries neither namespace nor group (packages/config/test/AccessKeyListen.test.ts checks that our batch listen
 * passes exactly this).
 */
const RESOURCES: Record<string, Auth.AuthResource> = {
  "config/ns+group": { module: "config", namespace: "ns1", group: "DEFAULT_GROUP", name: "app.yaml" },
  "config/public+group": { module: "config", namespace: "public", group: "DEFAULT_GROUP", name: "app.yaml" },
  "config/empty-ns+group": { module: "config", namespace: "", group: "DEFAULT_GROUP" },
  "config/null-ns+group": { module: "config", namespace: undefined, group: "DEFAULT_GROUP" },
  "config/blank-ns+group": { module: "config", namespace: " ", group: "G" },
  "config/ns+empty-group": { module: "config", namespace: "ns1", group: "" },
  "config/ns+null-group": { module: "config", namespace: "ns1", group: undefined },
  "config/no-ns-no-group": { module: "config" },
  "config/unicode-group": { module: "config", group: "组" },
  "config/listen(ns1)": { module: "config" },
  "config/listen(public)": { module: "config" },
  "naming/ns+group+svc": { module: "naming", namespace: "public", group: "DEFAULT_GROUP", name: "orders" },
  "naming/grouped-name": { module: "naming", namespace: "public", group: "OTHER", name: "G@@orders" },
  "naming/empty-group+svc": { module: "naming", group: "", name: "orders" },
  "naming/null-group+svc": { module: "naming", group: undefined, name: "orders" },
  "naming/group+empty-svc": { module: "naming", group: "DEFAULT_GROUP", name: "" },
  "naming/group+null-svc": { module: "naming", group: "DEFAULT_GROUP", name: undefined },
  "naming/null-group+null-svc": { module: "naming" },
  "naming/unicode-svc": { module: "naming", group: "DEFAULT_GROUP", name: "服务" },
  "ai/public": { module: "ai", namespace: "public", group: "DEFAULT_GROUP", name: "my-mcp" },
  "ai/ns1": { module: "ai", namespace: "ns1", group: "DEFAULT_GROUP", name: "my-mcp" },
  "ai/empty-ns": { module: "ai", namespace: "", group: "DEFAULT_GROUP" },
  "ai/null-ns": { module: "ai", namespace: undefined, group: "DEFAULT_GROUP" }
}

/** [credentials, case, signed string, signature]; a row without a signed string sends no AK/SK headers. */
type Vector =
  | readonly [keyof typeof CREDENTIALS, string, string, string]
  | readonly [keyof typeof CREDENTIALS, string, undefined]

const VECTORS: ReadonlyArray<Vector> = [
  ["basic", "config/ns+group", "ns1+DEFAULT_GROUP+1700000000000", "T+N3qSIkQDWiYgA45eCIQ0nwSPw="],
  ["basic", "config/public+group", "public+DEFAULT_GROUP+1700000000000", "i9ADo/Y10tP3WqiD3r3pnfndoRk="],
  ["basic", "config/empty-ns+group", "DEFAULT_GROUP+1700000000000", "9hagMjeuVp9Xgs7ynJWed1ATjjU="],
  ["basic", "config/null-ns+group", "DEFAULT_GROUP+1700000000000", "9hagMjeuVp9Xgs7ynJWed1ATjjU="],
  ["basic", "config/blank-ns+group", "G+1700000000000", "o5CTLJ2MiGR9S0zBv+y1KDp9AVc="],
  ["basic", "config/ns+empty-group", "ns1++1700000000000", "oEnRDQEQz4xsHLP5xd3c/F4VmkE="],
  ["basic", "config/ns+null-group", "ns1+null+1700000000000", "pOxukpaUGyDWghc40asaXXDT7IQ="],
  ["basic", "config/no-ns-no-group", "1700000000000", "h+T9jQUl+nAlNWnixWaJ8pS6n5o="],
  ["basic", "config/unicode-group", "组+1700000000000", "SazLuYEREKm3/Izknw8cHv3jj/8="],
  ["basic", "config/listen(ns1)", "1700000000000", "h+T9jQUl+nAlNWnixWaJ8pS6n5o="],
  ["basic", "config/listen(public)", "1700000000000", "h+T9jQUl+nAlNWnixWaJ8pS6n5o="],
  ["basic", "naming/ns+group+svc", "1700000000000@@DEFAULT_GROUP@@orders", "whs6ZAAcHDuOn3Fvuiy53uCE2HU="],
  ["basic", "naming/grouped-name", "1700000000000@@G@@orders", "rdogp2dDnf59py3sLRHXiJ7QZDU="],
  ["basic", "naming/empty-group+svc", "1700000000000@@orders", "tEkZeYZfgoyTuYydUQf3z0sPgeA="],
  ["basic", "naming/null-group+svc", "1700000000000@@orders", "tEkZeYZfgoyTuYydUQf3z0sPgeA="],
  ["basic", "naming/group+empty-svc", "1700000000000@@DEFAULT_GROUP@@", "ZvBbb06Xo4gjjUDl8uAoXp2kMAc="],
  ["basic", "naming/group+null-svc", undefined],
  ["basic", "naming/null-group+null-svc", undefined],
  ["basic", "naming/unicode-svc", "1700000000000@@DEFAULT_GROUP@@服务", "XS418nU3spvfcR0agyRT/irovcU="],
  ["basic", "ai/public", "public+DEFAULT_GROUP+1700000000000", "i9ADo/Y10tP3WqiD3r3pnfndoRk="],
  ["basic", "ai/ns1", "ns1+DEFAULT_GROUP+1700000000000", "T+N3qSIkQDWiYgA45eCIQ0nwSPw="],
  ["basic", "ai/empty-ns", "+DEFAULT_GROUP+1700000000000", "TKB+gAmVyAtvomJxx0XBascIR+s="],
  ["basic", "ai/null-ns", "null+DEFAULT_GROUP+1700000000000", "rvoF5qLIi4LqYGbW0a4QWUr86XQ="],
  ["region", "config/ns+group", "ns1+DEFAULT_GROUP+1700000000000", "/V+VZSHb9yLrwbAv4vbvlVX/4mg="],
  ["region", "config/public+group", "public+DEFAULT_GROUP+1700000000000", "/hqnXKneD5adWBW8q1hfVZtmp20="],
  ["region", "config/empty-ns+group", "DEFAULT_GROUP+1700000000000", "Kn0vBdCmCjzASGMwUDzSVUZIBuk="],
  ["region", "config/null-ns+group", "DEFAULT_GROUP+1700000000000", "Kn0vBdCmCjzASGMwUDzSVUZIBuk="],
  ["region", "config/blank-ns+group", "G+1700000000000", "zY1dqb8pKLIxhC3I67MCzsmYHH0="],
  ["region", "config/ns+empty-group", "ns1++1700000000000", "JnhwvY/7E94ohUBGJk8jBH7kodk="],
  ["region", "config/ns+null-group", "ns1+null+1700000000000", "3BV1rIzec0lPIFiPgnMhyYqbzQY="],
  ["region", "config/no-ns-no-group", "1700000000000", "JyWqNPP3X03SxlXqxEJg1BqugmI="],
  ["region", "config/unicode-group", "组+1700000000000", "48xWf2aE6sJM7CEKtyKnf/jRcU4="],
  ["region", "config/listen(ns1)", "1700000000000", "JyWqNPP3X03SxlXqxEJg1BqugmI="],
  ["region", "config/listen(public)", "1700000000000", "JyWqNPP3X03SxlXqxEJg1BqugmI="],
  ["region", "naming/ns+group+svc", "1700000000000@@DEFAULT_GROUP@@orders", "A/ijvmbdsh1usSvBjDkl7WOC2xc="],
  ["region", "naming/grouped-name", "1700000000000@@G@@orders", "S6RZzCeZwx+MeRzw7yLj33EczSs="],
  ["region", "naming/empty-group+svc", "1700000000000@@orders", "HFRJ8LnOBNlZ0oN1B+JSsVakj+I="],
  ["region", "naming/null-group+svc", "1700000000000@@orders", "HFRJ8LnOBNlZ0oN1B+JSsVakj+I="],
  ["region", "naming/group+empty-svc", "1700000000000@@DEFAULT_GROUP@@", "aiQn+d0qOh96TbB4ERlYAjAjqXQ="],
  // The Java run left no value for these two (its naming injector fails on the null service name)
  ["region", "naming/group+null-svc", undefined],
  ["region", "naming/null-group+null-svc", undefined],
  ["region", "naming/unicode-svc", "1700000000000@@DEFAULT_GROUP@@服务", "NNx0nYAaAbcPkM4t5PA38JKkRso="],
  ["region", "ai/public", "public+DEFAULT_GROUP+1700000000000", "/hqnXKneD5adWBW8q1hfVZtmp20="],
  ["region", "ai/ns1", "ns1+DEFAULT_GROUP+1700000000000", "/V+VZSHb9yLrwbAv4vbvlVX/4mg="],
  ["region", "ai/empty-ns", "+DEFAULT_GROUP+1700000000000", "s31bCJ+/zFodImGaZhmoqSLcr0A="],
  ["region", "ai/null-ns", "null+DEFAULT_GROUP+1700000000000", "N4MzAHNVb5JmPh36Wmn7C0xJ2Dk="],
  ["blankSk", "config/ns+group", undefined],
  ["blankSk", "config/public+group", undefined],
  ["blankSk", "config/empty-ns+group", undefined],
  ["blankSk", "config/null-ns+group", undefined],
  ["blankSk", "config/blank-ns+group", undefined],
  ["blankSk", "config/ns+empty-group", undefined],
  ["blankSk", "config/ns+null-group", undefined],
  ["blankSk", "config/no-ns-no-group", undefined],
  ["blankSk", "config/unicode-group", undefined],
  ["blankSk", "config/listen(ns1)", undefined],
  ["blankSk", "config/listen(public)", undefined],
  ["blankSk", "naming/ns+group+svc", undefined],
  ["blankSk", "naming/grouped-name", undefined],
  ["blankSk", "naming/empty-group+svc", undefined],
  ["blankSk", "naming/null-group+svc", undefined],
  ["blankSk", "naming/group+empty-svc", undefined],
  ["blankSk", "naming/group+null-svc", undefined],
  ["blankSk", "naming/null-group+null-svc", undefined],
  ["blankSk", "naming/unicode-svc", undefined],
  ["blankSk", "ai/public", undefined],
  ["blankSk", "ai/ns1", undefined],
  ["blankSk", "ai/empty-ns", undefined],
  ["blankSk", "ai/null-ns", undefined]
]

/** The headers the Java client sends for a row: config and AI carry the Spas set, naming ak/data/signature. */
const expectedHeaders = (vector: Vector, module: Auth.AuthResource["module"]): Record<string, string> => {
  const [credentials, , signed, signature] = vector
  if (signed === undefined) return {}
  const version: Record<string, string> = credentials === "region" ? { signatureVersion: "v4" } : {}
  return module === "naming"
    ? { ...version, ak: ACCESS_KEY, data: signed, signature }
    : { ...version, "Spas-AccessKey": ACCESS_KEY, Timestamp: String(TIMESTAMP), "Spas-Signature": signature }
}

const identityAt = (
  timestampMillis: number,
  options: NacosOptions.NacosOptionsInput,
  resource: Auth.AuthResource,
  authLayer: Layer.Layer<Auth.Auth, InvalidArgumentError, NacosOptions.NacosOptions> = Auth.layerAccessKey
) =>
  Effect.gen(function* () {
    yield* TestClock.setTime(timestampMillis)
    return yield* Auth.Auth.use((auth) => auth.identity(resource))
  }).pipe(Effect.provide(authLayer), Effect.provide(NacosOptions.layer(options)))

describe("access-key signing, as the Java client", () => {
  it("the table covers every case of every credential set", () => {
    for (const credentials of Object.keys(CREDENTIALS)) {
      const cases = VECTORS.filter((vector) => vector[0] === credentials).map((vector) => vector[1])
      assert.deepStrictEqual(cases, Object.keys(RESOURCES), credentials)
    }
  })

  it.effect.each(VECTORS.map((vector) => ({ vector, label: `${vector[0]} ${vector[1]}` })))("$label", ({ vector }) =>
    Effect.gen(function* () {
      const [credentials, caseName] = vector
      const resource = RESOURCES[caseName]!
      const headers = yield* identityAt(
        TIMESTAMP,
        { serverAddr: "127.0.0.1:8848", ...CREDENTIALS[credentials] },
        resource
      )
      assert.deepStrictEqual(headers, expectedHeaders(vector, resource.module))
    })
  )
})

describe("Auth.layerAccessKey", () => {
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
              secretKey: Redacted.make("testSecretKey"),
              securityToken: Redacted.make("sts-token")
            }
          })
      }
      const config = yield* identityAt(TIMESTAMP, options, RESOURCES["config/ns+group"]!)
      assert.deepStrictEqual(config, {
        "Spas-SecurityToken": "sts-token",
        "Spas-AccessKey": "sts-ak-1",
        Timestamp: "1700000000000",
        "Spas-Signature": "T+N3qSIkQDWiYgA45eCIQ0nwSPw="
      })
      const naming = yield* identityAt(TIMESTAMP, options, RESOURCES["naming/ns+group+svc"]!)
      assert.strictEqual(naming["Spas-SecurityToken"], "sts-token")
      assert.strictEqual(naming.ak, "sts-ak-2")
    })
  )

  it.effect("the timestamp follows the Clock; V4 derives its key from the UTC date of that timestamp", () =>
    Effect.gen(function* () {
      const basic = { serverAddr: "127.0.0.1:8848", ...CREDENTIALS.basic }
      const headers = yield* identityAt(1_234, basic, { module: "config", group: "G" })
      assert.strictEqual(headers.Timestamp, "1234")
      // python3: base64(hmac.new(b"testSecretKey", b"G+1234", sha1)) → jJTi0p23efBs/5BZPHcV1f2Pb6U=
      assert.strictEqual(headers["Spas-Signature"], "jJTi0p23efBs/5BZPHcV1f2Pb6U=")
      // 2023-11-14T23:59:59.999Z and 2023-11-15T00:00:00Z sign with the keys of two different days
      const region = { serverAddr: "127.0.0.1:8848", ...CREDENTIALS.region }
      const lastMilli = yield* identityAt(1_700_006_399_999, region, { module: "config" })
      const nextDay = yield* identityAt(1_700_006_400_000, region, { module: "config" })
      // python3: the V4 steps of CalculateV4SigningKeyUtil with dates 20231114 and 20231115, then HMAC-SHA1 over the timestamp
      assert.strictEqual(lastMilli["Spas-Signature"], "KfK5eVGD8KSUI+ba7kFCI+QUed4=")
      assert.strictEqual(nextDay["Spas-Signature"], "vF6EJsN1u2vSb3L4R5xMdJfzb+Q=")
    })
  )

  it.effect("a blank access key sends no access-key headers either (Java's RamContext#validate)", () =>
    Effect.gen(function* () {
      const options = { serverAddr: "127.0.0.1:8848", accessKey: " \t", secretKey: "testSecretKey" }
      for (const caseName of ["config/ns+group", "naming/ns+group+svc", "ai/public"]) {
        assert.deepStrictEqual(yield* identityAt(TIMESTAMP, options, RESOURCES[caseName]!), {}, caseName)
      }
    })
  )

  it.effect("internal requests are not signed", () =>
    Effect.gen(function* () {
      const options = { serverAddr: "127.0.0.1:8848", ...CREDENTIALS.basic }
      assert.deepStrictEqual(yield* identityAt(TIMESTAMP, options, { module: "internal" }), {})
    })
  )

  it.effect("fails to build without credentials", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(identityAt(TIMESTAMP, { serverAddr: "127.0.0.1:8848" }, { module: "config" }))
      assert.strictEqual(error._tag, "InvalidArgumentError")
    })
  )
})

describe("Auth.layer with username/password and access keys", () => {
  it.effect("sends the token and the signature headers, as the Java client does", () => {
    const server = makeFakeHttp(() =>
      Effect.succeed({ status: 200, body: JSON.stringify({ accessToken: "tok-1", tokenTtl: 18_000 }) })
    )
    const authLayer = Auth.layer.pipe(
      Layer.provide([
        fixedServerListOf([new ServerAddress({ scheme: "http", host: "10.0.0.1", port: 8848 })]),
        server.layer
      ])
    )
    const options = { serverAddr: "10.0.0.1:8848", username: "nacos", password: "pw", ...CREDENTIALS.basic }
    return Effect.gen(function* () {
      const config = yield* identityAt(TIMESTAMP, options, RESOURCES["config/ns+group"]!, authLayer)
      assert.deepStrictEqual(config, {
        accessToken: "tok-1",
        "Spas-AccessKey": ACCESS_KEY,
        Timestamp: "1700000000000",
        "Spas-Signature": "T+N3qSIkQDWiYgA45eCIQ0nwSPw="
      })
    })
  })
})
