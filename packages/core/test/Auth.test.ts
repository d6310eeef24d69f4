import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Latch from "effect/Latch"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as References from "effect/References"
import { TestClock } from "effect/testing"
import * as Auth from "../src/Auth.ts"
import * as NacosOptions from "../src/NacosOptions.ts"
import { ServerAddress } from "../src/ServerAddress.ts"
import { type FakeAnswer, makeFakeHttp, type RecordedRequest } from "./support/fakeHttp.ts"
import { fixedServerListOf } from "./support/layers.ts"

const PASSWORD = "s3cr3t-P@ss word"
const SERVER_A = new ServerAddress({ scheme: "http", host: "10.0.0.1", port: 8848 })
const SERVER_B = new ServerAddress({ scheme: "http", host: "10.0.0.2", port: 8848 })

/** A Nacos login endpoint in memory: `answer` decides each reply; every request is recorded. */
const makeFakeServer = (answer: (request: RecordedRequest) => Effect.Effect<FakeAnswer>) => {
  const fake = makeFakeHttp(answer)
  const logins = () => fake.requests.filter((request) => request.path.endsWith("/login"))
  return { ...fake, logins }
}

const tokenBody = (token: string, ttlSeconds = 18_000) =>
  JSON.stringify({ accessToken: token, tokenTtl: ttlSeconds, globalAdmin: true, username: "nacos", extra: "ignored" })

/** Answers each login with the next token: tok-1, tok-2… */
const issuingTokens = (ttlSeconds = 18_000) => {
  let issued = 0
  return (): Effect.Effect<FakeAnswer> =>
    Effect.sync(() => ({ status: 200, body: tokenBody(`tok-${++issued}`, ttlSeconds) }))
}

const usernamePasswordLayer = (
  server: ReturnType<typeof makeFakeServer>,
  addresses: ReadonlyArray<ServerAddress> = [SERVER_A]
) =>
  Auth.layerUsernamePassword.pipe(
    Layer.provide([
      NacosOptions.layer({ serverAddr: "10.0.0.1:8848", username: "nacos", password: PASSWORD }),
      fixedServerListOf(addresses),
      server.layer
    ])
  )

const resource: Auth.AuthResource = { module: "config", namespace: "public", group: "DEFAULT_GROUP", name: "app.yaml" }

const identity = Auth.Auth.use((auth) => auth.identity(resource))

describe("Auth.layerNone", () => {
  it.effect("adds no identity", () =>
    Effect.gen(function* () {
      assert.deepStrictEqual(yield* identity, {})
    }).pipe(Effect.provide(Auth.layerNone))
  )
})

describe("Auth.layerUsernamePassword", () => {
  it.effect("logs in at /v3/auth/user/login: username in the query, password in a form body", () => {
    const server = makeFakeServer(issuingTokens())
    return Effect.gen(function* () {
      assert.deepStrictEqual(yield* identity, { accessToken: "tok-1" })
      const [login] = server.logins()
      assert.strictEqual(server.logins().length, 1)
      assert.strictEqual(login!.method, "POST")
      assert.strictEqual(login!.server, "10.0.0.1:8848")
      assert.strictEqual(login!.path, "/nacos/v3/auth/user/login")
      assert.deepStrictEqual(login!.query, { username: "nacos" })
      assert.strictEqual(login!.body, new URLSearchParams({ password: PASSWORD }).toString())
      assert.strictEqual(login!.headers["content-type"], "application/x-www-form-urlencoded")
    }).pipe(Effect.provide(usernamePasswordLayer(server)))
  })

  it.effect("falls back to /v1/auth/users/login when v3 answers 404 (and 501)", () =>
    Effect.gen(function* () {
      for (const missingStatus of [404, 501]) {
        const server = makeFakeServer((request) =>
          request.path.startsWith("/nacos/v3/")
            ? Effect.succeed({ status: missingStatus, body: "Not Found" })
            : Effect.succeed({ status: 200, body: tokenBody("v1-token") })
        )
        const token = yield* identity.pipe(Effect.provide(usernamePasswordLayer(server)))
        assert.deepStrictEqual(token, { accessToken: "v1-token" })
        assert.deepStrictEqual(
          server.logins().map((request) => request.path),
          ["/nacos/v3/auth/user/login", "/nacos/v1/auth/users/login"]
        )
        assert.deepStrictEqual(server.logins()[1]!.query, { username: "nacos" })
      }
    })
  )

  it.effect("wrong password: the first request fails with AuthError, and the layer still builds", () => {
    // Per the protocol reference the server answers 403 (not yet verified against a real server).
    const server = makeFakeServer(() => Effect.succeed({ status: 403, body: "unknown user!" }))
    return Effect.gen(function* () {
      const error = yield* Effect.flip(identity)
      assert.strictEqual(error._tag, "AuthError")
      assert.include(error.message, "403")
      assert.notInclude(error.message, PASSWORD)
      // credentials are shared by the cluster: a rejection is final, no v1 fallback or other server
      assert.strictEqual(server.logins().length, 1)
    }).pipe(Effect.provide(usernamePasswordLayer(server, [SERVER_A, SERVER_B])))
  })

  it.effect("tries servers in list order; all unreachable → TransportError without failing the layer", () => {
    const server = makeFakeServer(() => Effect.succeed("unreachable"))
    return Effect.gen(function* () {
      const error = yield* Effect.flip(identity)
      assert.strictEqual(error._tag, "TransportError")
      assert.deepStrictEqual(
        server.logins().map((request) => request.server),
        ["10.0.0.1:8848", "10.0.0.2:8848"]
      )
    }).pipe(Effect.provide(usernamePasswordLayer(server, [SERVER_A, SERVER_B])))
  })

  it.effect("uses the next server when the first is unreachable", () => {
    const tokens = issuingTokens()
    const server = makeFakeServer((request) =>
      request.server === "10.0.0.1:8848" ? Effect.succeed("unreachable") : tokens()
    )
    return Effect.gen(function* () {
      assert.deepStrictEqual(yield* identity, { accessToken: "tok-1" })
    }).pipe(Effect.provide(usernamePasswordLayer(server, [SERVER_A, SERVER_B])))
  })

  it.effect("refreshes the token before it expires: ttl 100 s → second login between 90 s and 93.4 s", () => {
    const server = makeFakeServer(issuingTokens(100))
    return Effect.gen(function* () {
      assert.deepStrictEqual(yield* identity, { accessToken: "tok-1" })
      yield* TestClock.adjust("89999 millis")
      assert.strictEqual(server.logins().length, 1)
      yield* TestClock.adjust("3401 millis")
      assert.strictEqual(server.logins().length, 2)
      assert.deepStrictEqual(yield* identity, { accessToken: "tok-2" })
      // and again one ttl later
      yield* TestClock.adjust("100 seconds")
      assert.strictEqual(server.logins().length, 3)
    }).pipe(Effect.provide(usernamePasswordLayer(server)))
  })

  it.effect("single-flight: 100 concurrent identity calls during a login cause exactly one login", () =>
    Effect.gen(function* () {
      const loginMayAnswer = yield* Latch.make()
      const tokens = issuingTokens()
      const server = makeFakeServer(() => Effect.andThen(loginMayAnswer.await, tokens()))
      yield* Effect.gen(function* () {
        const callers = yield* Effect.forkChild(
          Effect.all(
            Array.from({ length: 100 }, () => identity),
            { concurrency: "unbounded" }
          )
        )
        yield* Effect.yieldNow
        yield* Latch.open(loginMayAnswer)
        const identities = yield* Fiber.join(callers)
        assert.strictEqual(server.logins().length, 1)
        assert.strictEqual(identities.length, 100)
        assert.isTrue(identities.every((headers) => headers.accessToken === "tok-1"))
      }).pipe(Effect.provide(usernamePasswordLayer(server)))
    })
  )

  it.effect("a failed login is shared by its waiters and not repeated for 5 s", () => {
    const server = makeFakeServer(() => Effect.succeed({ status: 403, body: "unknown user!" }))
    return Effect.gen(function* () {
      const results = yield* Effect.all(
        Array.from({ length: 10 }, () => Effect.flip(identity)),
        { concurrency: "unbounded" }
      )
      assert.isTrue(results.every((error) => error._tag === "AuthError"))
      assert.strictEqual(server.logins().length, 1)
      yield* TestClock.adjust("5 seconds")
      yield* Effect.flip(identity)
      assert.strictEqual(server.logins().length, 2)
    }).pipe(Effect.provide(usernamePasswordLayer(server)))
  })

  it.effect("onForbidden logs in again, at most once per 60 s", () => {
    const server = makeFakeServer(issuingTokens())
    return Effect.gen(function* () {
      const auth = yield* Auth.Auth
      assert.deepStrictEqual(yield* identity, { accessToken: "tok-1" })
      // the token was issued just now: a 403 means "no permission", not "log in again"
      yield* auth.onForbidden
      assert.strictEqual(server.logins().length, 1)

      yield* TestClock.adjust("61 seconds")
      yield* auth.onForbidden
      assert.strictEqual(server.logins().length, 2)
      assert.deepStrictEqual(yield* identity, { accessToken: "tok-2" })

      yield* TestClock.adjust("30 seconds")
      yield* auth.onForbidden
      assert.strictEqual(server.logins().length, 2)

      yield* TestClock.adjust("31 seconds")
      yield* auth.onForbidden
      assert.strictEqual(server.logins().length, 3)
    }).pipe(Effect.provide(usernamePasswordLayer(server)))
  })

  it.effect("never writes the password or the token into a log line or an error", () => {
    const lines: Array<string> = []
    const captureLogs = Logger.layer([Logger.make((options) => lines.push(Logger.formatSimple.log(options)))])
    return Effect.gen(function* () {
      const errors: Array<string> = []
      const recordError = <A, E extends { readonly message: string }, R>(effect: Effect.Effect<A, E, R>) =>
        Effect.tapError(effect, (error) =>
          Effect.sync(() => errors.push(error.message, String(error), JSON.stringify(error)))
        )

      let calls = 0
      const server = makeFakeServer((request) =>
        Effect.sync((): FakeAnswer => {
          calls++
          // echo the request back, as a careless server might
          if (calls === 1) return { status: 403, body: `bad credentials: ${request.body}` }
          if (calls === 2) return "unreachable"
          if (calls === 3) return { status: 500, body: request.body }
          return { status: 200, body: tokenBody(`secret-token-${calls}`) }
        })
      )
      yield* Effect.gen(function* () {
        const auth = yield* Auth.Auth
        yield* Effect.ignore(recordError(identity)) // 403
        yield* TestClock.adjust("5 seconds")
        yield* Effect.ignore(recordError(identity)) // unreachable
        yield* TestClock.adjust("5 seconds")
        yield* Effect.ignore(recordError(identity)) // 500
        yield* TestClock.adjust("5 seconds")
        const headers = yield* identity
        assert.match(headers.accessToken ?? "", /^secret-token-/)
        yield* TestClock.adjust("61 seconds")
        yield* auth.onForbidden
      }).pipe(Effect.provide(usernamePasswordLayer(server)))

      assert.isAbove(server.logins().length, 4)
      assert.isAbove(lines.length, 0)
      assert.isAbove(errors.length, 0)
      for (const text of [...lines, ...errors]) {
        assert.notInclude(text, PASSWORD)
        assert.notInclude(text, encodeURIComponent(PASSWORD))
        assert.notInclude(text, new URLSearchParams({ p: PASSWORD }).toString().slice(2))
        assert.notInclude(text, "secret-token-")
      }
    }).pipe(Effect.provide(captureLogs), Effect.provideService(References.MinimumLogLevel, "All"))
  })
})

describe("Auth.layerUsernamePassword: error texts and token lifetime", () => {
  const captureLines = () => {
    const lines: Array<string> = []
    const layer = Logger.layer([Logger.make((options) => lines.push(Logger.formatSimple.log(options)))])
    return { lines, layer }
  }

  it.effect("a 2xx answer that does not decode: neither the AuthError nor the WARN line holds the token", () => {
    const logs = captureLines()
    const token = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJuYWNvcyJ9.c2lnbmF0dXJlLW9mLXRoZS10b2tlbg"
    const server = makeFakeServer(() =>
      Effect.succeed({
        status: 200,
        // a token the client cannot use (the ttl is not a number), next to a second, non-JWT one
        body: JSON.stringify({ accessToken: token, tokenTtl: "soon", data: { access_token: "plain-token-42" } })
      })
    )
    return Effect.gen(function* () {
      const error = yield* Effect.flip(identity)
      assert.strictEqual(error._tag, "AuthError")
      assert.include(error.message, "HTTP 200")
      const warnings = logs.lines.filter((line) => line.includes("WARN"))
      assert.isAbove(warnings.length, 0)
      for (const text of [error.message, JSON.stringify(error), ...logs.lines]) {
        assert.notInclude(text, token)
        assert.notInclude(text, token.split(".")[2]!)
        assert.notInclude(text, "plain-token-42")
      }
    }).pipe(
      Effect.provide(usernamePasswordLayer(server)),
      Effect.provide(logs.layer),
      Effect.provideService(References.MinimumLogLevel, "All")
    )
  })

  it.effect("a wrong password (Nacos 3.1: HTTP 500 'No message available') says so, without the body at WARN", () => {
    const logs = captureLines()
    const springError = JSON.stringify({
      timestamp: "2026-12-01T22:50:13.531+00:00",
      status: 500,
      error: "Internal Server Error",
      message: "No message available",
      path: "/nacos/v3/auth/user/login"
    })
    const server = makeFakeServer(() => Effect.succeed({ status: 500, body: springError }))
    return Effect.gen(function* () {
      const error = yield* Effect.flip(identity)
      assert.strictEqual(error._tag, "AuthError")
      assert.include(error.message, "wrong username or password")
      assert.include(error.message, "10.0.0.1:8848")
      // credentials are shared by the cluster: a rejection is final
      assert.strictEqual(server.logins().length, 1)
      const warnings = logs.lines.filter((line) => line.includes("WARN"))
      assert.strictEqual(warnings.length, 1)
      assert.include(warnings[0]!, "wrong username or password")
      assert.notInclude(warnings[0]!, "No message available")
      assert.notInclude(warnings[0]!, "Internal Server Error")
    }).pipe(
      Effect.provide(usernamePasswordLayer(server, [SERVER_A, SERVER_B])),
      Effect.provide(logs.layer),
      Effect.provideService(References.MinimumLogLevel, "All")
    )
  })

  it.effect("an unknown user (HTTP 403 'Access Denied') says 'wrong username or password' too", () => {
    const server = makeFakeServer(() =>
      Effect.succeed({
        status: 403,
        body: JSON.stringify({ status: 403, error: "Forbidden", message: "Access Denied" })
      })
    )
    return Effect.gen(function* () {
      const error = yield* Effect.flip(identity)
      assert.deepInclude(error, { _tag: "AuthError", errorCode: 403 })
      assert.include(error.message, "wrong username or password")
    }).pipe(Effect.provide(usernamePasswordLayer(server)))
  })

  it.effect(
    "a 404 on both login paths (a wrong contextPath, or no Nacos there) is a TransportError, not AuthError",
    () => {
      const server = makeFakeServer(() =>
        Effect.succeed({ status: 404, body: "<!doctype html><html><title>HTTP Status 404 – Not Found</title></html>" })
      )
      return Effect.gen(function* () {
        const error = yield* Effect.flip(identity)
        assert.strictEqual(error._tag, "TransportError")
        assert.include(error.message, "10.0.0.1:8848")
        assert.include(error.message, "contextPath")
        assert.notInclude(error.message, "<html>")
        assert.deepStrictEqual(
          server.logins().map((request) => request.path),
          ["/nacos/v3/auth/user/login", "/nacos/v1/auth/users/login"]
        )
      }).pipe(Effect.provide(usernamePasswordLayer(server)))
    }
  )

  it.effect("a repeated login failure warns once, not on every background retry", () => {
    const logs = captureLines()
    const server = makeFakeServer(() => Effect.succeed({ status: 403, body: "unknown user!" }))
    return Effect.gen(function* () {
      yield* Effect.flip(identity)
      for (let i = 0; i < 5; i++) yield* TestClock.adjust("5 seconds")
      assert.isAbove(server.logins().length, 3)
      assert.strictEqual(logs.lines.filter((line) => line.includes("WARN")).length, 1)
    }).pipe(
      Effect.provide(usernamePasswordLayer(server)),
      Effect.provide(logs.layer),
      Effect.provideService(References.MinimumLogLevel, "All")
    )
  })

  it.effect("a zero tokenTtl does not cost one login per request: 30 requests 1 s apart, at most 7 logins", () => {
    const server = makeFakeServer(issuingTokens(0))
    return Effect.gen(function* () {
      for (let i = 0; i < 30; i++) {
        const headers = yield* identity
        assert.match(headers.accessToken ?? "", /^tok-\d+$/)
        yield* TestClock.adjust("1 second")
      }
      // a token is used for at least LOGIN_RETRY_MILLIS (5 s): 30 s → about 6 logins
      assert.isAtMost(server.logins().length, 7)
      assert.isAtLeast(server.logins().length, 2)
    }).pipe(Effect.provide(usernamePasswordLayer(server)))
  })

  it.effect("a tokenTtl shorter than the gap between requests: logins stay bounded by the floor", () => {
    const server = makeFakeServer(issuingTokens(1))
    return Effect.gen(function* () {
      for (let i = 0; i < 20; i++) {
        yield* identity
        yield* TestClock.adjust("2 seconds")
      }
      // 40 s with a 5 s floor: about 8 logins, not 20
      assert.isAtMost(server.logins().length, 9)
    }).pipe(Effect.provide(usernamePasswordLayer(server)))
  })
})

describe("Auth.layer", () => {
  it.effect("picks username/password when a username is set", () => {
    const server = makeFakeServer(issuingTokens())
    return Effect.gen(function* () {
      assert.deepStrictEqual(yield* identity, { accessToken: "tok-1" })
    }).pipe(
      Effect.provide(
        Auth.layer.pipe(
          Layer.provide([
            NacosOptions.layer({ serverAddr: "10.0.0.1:8848", username: "nacos", password: PASSWORD }),
            fixedServerListOf([SERVER_A]),
            server.layer
          ])
        )
      )
    )
  })

  it.effect("picks access keys when credentials are set, none otherwise", () => {
    const server = makeFakeServer(issuingTokens())
    const build = (input: NacosOptions.NacosOptionsInput) =>
      Auth.layer.pipe(Layer.provide([NacosOptions.layer(input), fixedServerListOf([SERVER_A]), server.layer]))
    return Effect.gen(function* () {
      const signed = yield* identity.pipe(
        Effect.provide(build({ serverAddr: "10.0.0.1:8848", accessKey: "ak", secretKey: "sk" }))
      )
      assert.strictEqual(signed["Spas-AccessKey"], "ak")
      const none = yield* identity.pipe(Effect.provide(build({ serverAddr: "10.0.0.1:8848" })))
      assert.deepStrictEqual(none, {})
      assert.strictEqual(server.requests.length, 0)
    })
  })
})
