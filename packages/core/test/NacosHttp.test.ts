import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import { TestClock } from "effect/testing"
import * as Auth from "../src/Auth.ts"
import { CLIENT_VERSION } from "../src/internal/version.ts"
import type { InvalidArgumentError } from "../src/NacosError.ts"
import * as NacosHttp from "../src/NacosHttp.ts"
import * as NacosOptions from "../src/NacosOptions.ts"
import { ServerAddress } from "../src/ServerAddress.ts"
import { type FakeAnswer, makeFakeHttp, type RecordedRequest } from "./support/fakeHttp.ts"
import { fixedServerListOf } from "./support/layers.ts"

const SERVER_A = new ServerAddress({ scheme: "http", host: "10.0.0.1", port: 8848 })
const SERVER_B = new ServerAddress({ scheme: "http", host: "10.0.0.2", port: 8848 })

/** Nacos servers in memory: `answer` decides each reply; every request is recorded. */
const makeFakeServers = (answer: (request: RecordedRequest) => FakeAnswer) =>
  makeFakeHttp((request) => Effect.sync(() => answer(request)))

/** An Auth that hands out a fixed token and counts 403 reports. */
const makeFakeAuth = () => {
  const state = { forbidden: 0, resources: [] as Array<Auth.AuthResource> }
  const layer = Layer.succeed(
    Auth.Auth,
    Auth.Auth.of({
      identity: (resource) =>
        Effect.sync(() => {
          state.resources.push(resource)
          return { accessToken: "token-abc" }
        }),
      onForbidden: Effect.sync(() => {
        state.forbidden++
      })
    })
  )
  return { state, layer }
}

const httpLayer = (
  servers: ReturnType<typeof makeFakeServers>,
  auth: Layer.Layer<Auth.Auth, InvalidArgumentError> = makeFakeAuth().layer,
  addresses: ReadonlyArray<ServerAddress> = [SERVER_A, SERVER_B]
) =>
  NacosHttp.layer.pipe(
    Layer.provide([
      NacosOptions.layer({ serverAddr: "10.0.0.1:8848,10.0.0.2:8848" }),
      fixedServerListOf(addresses),
      auth,
      servers.layer
    ])
  )

const configResource: Auth.AuthResource = {
  module: "config",
  namespace: "public",
  group: "DEFAULT_GROUP",
  name: "app.yaml"
}

const getConfig: NacosHttp.RequestOptions = {
  method: "GET",
  path: "/v3/client/cs/config",
  urlParams: { namespaceId: "public", groupName: "DEFAULT_GROUP", dataId: "app.yaml", tag: undefined },
  resource: configResource
}

const ConfigData = Schema.Struct({ content: Schema.String, md5: Schema.String })

const envelope = (code: number, message: string, data: unknown = null) => JSON.stringify({ code, message, data })

const http = NacosHttp.NacosHttp

describe("NacosHttp.request", () => {
  it.effect("prefixes the context path and sends version, module and auth headers", () => {
    const servers = makeFakeServers(() => ({
      status: 200,
      body: envelope(0, "success", { content: "a: 1", md5: "x", extra: true })
    }))
    const auth = makeFakeAuth()
    return Effect.gen(function* () {
      const data = yield* http.use((client) => client.getEnvelope(ConfigData, getConfig))
      assert.deepStrictEqual(data, { content: "a: 1", md5: "x" })
      const [request] = servers.requests
      assert.strictEqual(request!.method, "GET")
      assert.strictEqual(request!.server, "10.0.0.1:8848")
      assert.strictEqual(request!.path, "/nacos/v3/client/cs/config")
      assert.deepStrictEqual(request!.query, { namespaceId: "public", groupName: "DEFAULT_GROUP", dataId: "app.yaml" })
      assert.strictEqual(request!.headers.accesstoken, "token-abc")
      assert.strictEqual(request!.headers["client-version"], CLIENT_VERSION)
      assert.strictEqual(request!.headers["user-agent"], CLIENT_VERSION)
      assert.strictEqual(request!.headers["request-module"], "Config")
      assert.deepStrictEqual(auth.state.resources, [configResource])
    }).pipe(Effect.provide(httpLayer(servers, auth.layer)))
  })

  it.effect("sends a form body", () => {
    const servers = makeFakeServers(() => ({ status: 200, body: "true" }))
    return Effect.gen(function* () {
      const text = yield* http.use((client) =>
        client.getText({
          method: "POST",
          path: "/v1/cs/configs",
          form: { dataId: "app.yaml", group: "DEFAULT_GROUP", content: "a: 1 & b", tag: undefined },
          headers: { casMd5: "abc" },
          resource: configResource
        })
      )
      assert.strictEqual(text, "true")
      const [request] = servers.requests
      assert.strictEqual(request!.method, "POST")
      assert.strictEqual(request!.headers["content-type"], "application/x-www-form-urlencoded")
      assert.strictEqual(request!.headers.casmd5, "abc")
      assert.deepStrictEqual(Object.fromEntries(new URLSearchParams(request!.body)), {
        dataId: "app.yaml",
        group: "DEFAULT_GROUP",
        content: "a: 1 & b"
      })
    }).pipe(Effect.provide(httpLayer(servers)))
  })

  it.effect("returns any status as is", () => {
    const servers = makeFakeServers(() => ({ status: 404, body: "config data not exist" }))
    return Effect.gen(function* () {
      const response = yield* http.use((client) => client.request(getConfig))
      assert.strictEqual(response.status, 404)
      assert.strictEqual(response.text, "config data not exist")
      assert.strictEqual(response.server.host, "10.0.0.1")
    }).pipe(Effect.provide(httpLayer(servers)))
  })

  it.effect("moves to the next server on a transport failure and stays there", () => {
    const servers = makeFakeServers((request) =>
      request.server === "10.0.0.1:8848" ? "unreachable" : { status: 200, body: "ok" }
    )
    return Effect.gen(function* () {
      assert.strictEqual(yield* http.use((client) => client.getText(getConfig)), "ok")
      assert.deepStrictEqual(
        servers.requests.map((request) => request.server),
        ["10.0.0.1:8848", "10.0.0.2:8848"]
      )
      assert.strictEqual(yield* http.use((client) => client.getText(getConfig)), "ok")
      assert.strictEqual(servers.requests[2]!.server, "10.0.0.2:8848")
    }).pipe(Effect.provide(httpLayer(servers)))
  })

  it.effect("moves to the next server on 503 (request not handled)", () => {
    const servers = makeFakeServers((request) =>
      request.server === "10.0.0.1:8848" ? { status: 503, body: "busy" } : { status: 200, body: "ok" }
    )
    return Effect.gen(function* () {
      assert.strictEqual(yield* http.use((client) => client.getText(getConfig)), "ok")
      assert.strictEqual(servers.requests.length, 2)
    }).pipe(Effect.provide(httpLayer(servers)))
  })

  it.effect("tries each server once, then fails with TransportError", () => {
    const servers = makeFakeServers(() => "unreachable")
    return Effect.gen(function* () {
      const error = yield* Effect.flip(http.use((client) => client.getText(getConfig)))
      assert.strictEqual(error._tag, "TransportError")
      assert.include(error.message, "ECONNREFUSED")
      assert.strictEqual(servers.requests.length, 2)
    }).pipe(Effect.provide(httpLayer(servers)))
  })

  it.effect("times out per request with TransportError", () => {
    const servers = makeFakeServers(() => "hang")
    return Effect.gen(function* () {
      const fiber = yield* Effect.forkChild(
        Effect.flip(http.use((client) => client.request({ ...getConfig, timeoutMillis: 1_000 })))
      )
      yield* TestClock.adjust("1 second")
      assert.strictEqual(servers.requests.length, 2) // the first server timed out, then the second
      yield* TestClock.adjust("1 second")
      const error = yield* Fiber.join(fiber)
      assert.strictEqual(error._tag, "TransportError")
      assert.include(error.message, "timed out after 1000 ms")
    }).pipe(Effect.provide(httpLayer(servers)))
  })
})

const publishConfig: NacosHttp.RequestOptions = {
  method: "POST",
  path: "/v1/cs/configs",
  form: { dataId: "app.yaml", group: "DEFAULT_GROUP", content: "a: 1" },
  resource: configResource
}

describe("NacosHttp.request: writes that may have reached a server are not re-sent", () => {
  it.effect("a POST that timed out fails with the outcome unknown, without trying the next server", () => {
    const servers = makeFakeServers(() => "hang")
    return Effect.gen(function* () {
      const fiber = yield* Effect.forkChild(
        Effect.flip(http.use((client) => client.request({ ...publishConfig, timeoutMillis: 1_000 })))
      )
      yield* TestClock.adjust("1 second")
      const error = yield* Fiber.join(fiber)
      assert.strictEqual(error._tag, "TransportError")
      assert.include(error.message, "outcome unknown")
      assert.include(error.message, "timed out after 1000 ms")
      assert.deepStrictEqual(
        servers.requests.map((request) => request.server),
        ["10.0.0.1:8848"]
      )
    }).pipe(Effect.provide(httpLayer(servers)))
  })

  it.effect("a POST whose connection was refused goes to the next server", () => {
    const servers = makeFakeServers((request) =>
      request.server === "10.0.0.1:8848" ? "unreachable" : { status: 200, body: "true" }
    )
    return Effect.gen(function* () {
      assert.strictEqual(yield* http.use((client) => client.getText(publishConfig)), "true")
      assert.deepStrictEqual(
        servers.requests.map((request) => request.server),
        ["10.0.0.1:8848", "10.0.0.2:8848"]
      )
    }).pipe(Effect.provide(httpLayer(servers)))
  })

  it.effect("a POST answered 502 by a gateway is not re-sent; 503 (not handled) is", () => {
    const answers: Record<string, FakeAnswer> = {
      "10.0.0.1:8848": { status: 502, body: "bad gateway" },
      "10.0.0.2:8848": { status: 200, body: "true" }
    }
    const servers = makeFakeServers((request) => answers[request.server]!)
    return Effect.gen(function* () {
      const error = yield* Effect.flip(http.use((client) => client.getText(publishConfig)))
      assert.strictEqual(error._tag, "ServerError")
      assert.strictEqual(servers.requests.length, 1)
      answers["10.0.0.1:8848"] = { status: 503, body: "busy" }
      assert.strictEqual(yield* http.use((client) => client.getText(publishConfig)), "true")
      assert.strictEqual(servers.requests.length, 3)
    }).pipe(Effect.provide(httpLayer(servers)))
  })

  it.effect("a POST marked idempotent is re-sent after a timeout, as a GET is", () => {
    const servers = makeFakeServers((request) =>
      request.server === "10.0.0.1:8848" ? "hang" : { status: 200, body: "ok" }
    )
    return Effect.gen(function* () {
      const fiber = yield* Effect.forkChild(
        http.use((client) => client.getText({ ...publishConfig, idempotent: true, timeoutMillis: 1_000 }))
      )
      yield* TestClock.adjust("1 second")
      assert.strictEqual(yield* Fiber.join(fiber), "ok")
      assert.strictEqual(servers.requests.length, 2)
    }).pipe(Effect.provide(httpLayer(servers)))
  })

  it.effect("the identity is obtained again for every server tried (signatures carry a timestamp)", () => {
    const servers = makeFakeServers((request) =>
      request.server === "10.0.0.1:8848" ? "unreachable" : { status: 200, body: "ok" }
    )
    let signed = 0
    const signing = Layer.succeed(
      Auth.Auth,
      Auth.Auth.of({
        identity: () => Effect.sync(() => ({ signature: `signature-${++signed}` })),
        onForbidden: Effect.void
      })
    )
    return Effect.gen(function* () {
      yield* http.use((client) => client.getText(getConfig))
      assert.deepStrictEqual(
        servers.requests.map((request) => request.headers.signature),
        ["signature-1", "signature-2"]
      )
    }).pipe(Effect.provide(httpLayer(servers, signing)))
  })
})

describe("NacosHttp.getEnvelope error mapping", () => {
  const cases: ReadonlyArray<{
    readonly status: number
    readonly body: string
    readonly tag: string
    readonly errorCode?: number
  }> = [
    { status: 200, body: envelope(20004, "resource not found"), tag: "NotFoundError" },
    { status: 404, body: envelope(20004, "resource not found"), tag: "NotFoundError" },
    // without Nacos' envelope a 404 is a wrong path or a foreign server, not "the resource is gone"
    { status: 404, body: "Not Found", tag: "ServerError", errorCode: 404 },
    { status: 404, body: "<html><h1>HTTP Status 404 – Not Found</h1></html>", tag: "ServerError", errorCode: 404 },
    { status: 409, body: "Conflict", tag: "ServerError", errorCode: 409 },
    // a gateway's own JSON that happens to look like an envelope
    { status: 404, body: envelope(404, "no route matched"), tag: "ServerError", errorCode: 404 },
    { status: 200, body: envelope(404, "Not Found"), tag: "ServerError", errorCode: 404 },
    { status: 409, body: envelope(20005, "resource conflict"), tag: "ConflictError" },
    { status: 400, body: envelope(20002, "parameter validate error", "dataId is blank"), tag: "InvalidArgumentError" },
    { status: 400, body: envelope(10000, "parameter missing"), tag: "InvalidArgumentError" },
    { status: 403, body: envelope(10001, "access denied"), tag: "AuthError", errorCode: 10001 },
    { status: 403, body: "authorization failed!", tag: "AuthError", errorCode: 403 },
    { status: 410, body: envelope(40000, "Current API will be deprecated"), tag: "ServerError", errorCode: 40000 },
    { status: 500, body: envelope(30000, "server error"), tag: "ServerError", errorCode: 30000 },
    { status: 500, body: "<html>boom</html>", tag: "ServerError", errorCode: 500 },
    { status: 200, body: "not json", tag: "ServerError", errorCode: -1 },
    { status: 200, body: envelope(0, "success", { content: 1 }), tag: "ServerError", errorCode: -1 }
  ]
  for (const testCase of cases) {
    it.effect(`HTTP ${testCase.status} ${testCase.body} → ${testCase.tag}`, () => {
      const servers = makeFakeServers(() => ({ status: testCase.status, body: testCase.body }))
      const auth = makeFakeAuth()
      return Effect.gen(function* () {
        const error = yield* Effect.flip(http.use((client) => client.getEnvelope(ConfigData, getConfig)))
        assert.strictEqual(error._tag, testCase.tag)
        if (testCase.errorCode !== undefined) {
          assert.isTrue("errorCode" in error && error.errorCode === testCase.errorCode, JSON.stringify(error))
        }
        assert.strictEqual(auth.state.forbidden, testCase.tag === "AuthError" ? 1 : 0)
        // a server's answer is not a reason to try another server
        assert.strictEqual(servers.requests.length, 1)
      }).pipe(Effect.provide(httpLayer(servers, auth.layer)))
    })
  }

  it.effect("keeps the server's detail message", () => {
    const servers = makeFakeServers(() => ({
      status: 400,
      body: envelope(20002, "parameter validate error", "dataId is blank")
    }))
    return Effect.gen(function* () {
      const error = yield* Effect.flip(http.use((client) => client.getEnvelope(ConfigData, getConfig)))
      assert.include(error.message, "parameter validate error")
      assert.include(error.message, "dataId is blank")
    }).pipe(Effect.provide(httpLayer(servers)))
  })
})

describe("NacosHttp: no secret from a server's answer reaches an error", () => {
  const jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJuYWNvcyJ9.c2lnbmF0dXJl"
  it.effect.each([
    { status: 500, body: `{"accessToken":"${jwt}","oops":true}` },
    { status: 200, body: `not an envelope accessToken=${jwt}` },
    { status: 400, body: envelope(20002, `bad token ${jwt}`, `password=hunter2 and ${jwt}`) }
  ])("HTTP $status", ({ status, body }) => {
    const servers = makeFakeServers(() => ({ status, body }))
    return Effect.gen(function* () {
      const error = yield* Effect.flip(http.use((client) => client.getEnvelope(ConfigData, getConfig)))
      assert.notInclude(error.message, jwt)
      assert.notInclude(error.message, "hunter2")
    }).pipe(Effect.provide(httpLayer(servers)))
  })
})

describe("NacosHttp.getText", () => {
  it.effect("maps non-2xx statuses; 403 reports to Auth", () => {
    const answers = [
      { status: 404, body: "config data not exist" },
      { status: 409, body: "conflict" },
      { status: 403, body: "no right" },
      { status: 500, body: "boom" }
    ]
    let next = 0
    const servers = makeFakeServers(() => answers[next++]!)
    const auth = makeFakeAuth()
    return Effect.gen(function* () {
      const tags: Array<string> = []
      for (let i = 0; i < answers.length; i++) {
        tags.push((yield* Effect.flip(http.use((client) => client.getText(getConfig))))._tag)
      }
      assert.deepStrictEqual(tags, ["NotFoundError", "ConflictError", "AuthError", "ServerError"])
      assert.strictEqual(auth.state.forbidden, 1)
    }).pipe(Effect.provide(httpLayer(servers, auth.layer, [SERVER_A])))
  })
})

describe("NacosHttp with username/password Auth", () => {
  it.effect("logs in first, then sends the token as the accessToken header", () => {
    const servers = makeFakeServers((request) =>
      request.path.endsWith("/login")
        ? { status: 200, body: JSON.stringify({ accessToken: "jwt-1", tokenTtl: 18000, globalAdmin: false }) }
        : { status: 200, body: envelope(0, "success", { content: "x", md5: "y" }) }
    )
    const authLayer = Auth.layerUsernamePassword.pipe(
      Layer.provide([
        NacosOptions.layer({ serverAddr: "10.0.0.1:8848", username: "nacos", password: "pw" }),
        fixedServerListOf([SERVER_A]),
        servers.layer
      ])
    )
    return Effect.gen(function* () {
      yield* http.use((client) => client.getEnvelope(ConfigData, getConfig))
      const [login, config] = servers.requests
      assert.strictEqual(login!.path, "/nacos/v3/auth/user/login")
      assert.strictEqual(config!.path, "/nacos/v3/client/cs/config")
      assert.strictEqual(config!.headers.accesstoken, "jwt-1")
    }).pipe(Effect.provide(httpLayer(servers, authLayer, [SERVER_A])))
  })
})
