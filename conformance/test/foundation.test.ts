/**
 * The foundation against a real Nacos server (3.1.0 from Maven Central): handshake, health check, login and auth failures, HTTP envelopes.
 */
import { describe, expect, it } from "@effect/vitest"
import { Auth, NacosHttp, Transport } from "@effect-nacos/core"
import * as Effect from "effect/Effect"
import * as Logger from "effect/Logger"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import * as SubscriptionRef from "effect/SubscriptionRef"
import { nacosLayer, servers } from "../support.ts"

const Base = Schema.Struct({ resultCode: Schema.Number, errorCode: Schema.optional(Schema.Number) })
const ConfigQueryAnswer = Schema.Struct({
  resultCode: Schema.Number,
  content: Schema.optional(Schema.NullOr(Schema.String))
})

const missingConfig = { dataId: `conformance-missing-${Date.now()}`, group: "DEFAULT_GROUP", tenant: "public" }

const openConnection = (module: "config" | "naming") =>
  Effect.flatMap(Effect.service(Transport.Transport), (transport) =>
    transport.connect({ module, tenant: module === "config" ? "public" : undefined })
  )

describe("handshake and health check (auth off)", () => {
  it.live("ServerCheck → bi-stream → ConnectionSetup → SetupAck with the server's abilities", () =>
    Effect.gen(function* () {
      const connection = yield* openConnection("naming")
      const session = yield* connection.awaitSession(15_000)
      // connectionId is "<millis>_<clientIp>_<clientPort>" as the server saw the transport
      expect(session.connectionId).toMatch(/^\d+_[\d.]+_\d+$/)
      // what the server (3.1.0) announces in SetupAckRequest (a missing key means "not supported")
      expect(session.abilities).toMatchObject({ supportPersistentInstanceByGrpc: true, fuzzyWatch: true, mcp: true })
      yield* connection.requireAbility("supportPersistentInstanceByGrpc", "persistent instances over gRPC")
      const missing = yield* Effect.flip(connection.requireAbility("noSuchAbility", "a feature from the future"))
      expect(missing._tag).toBe("NotSupportedError")
    }).pipe(Effect.provide(nacosLayer(servers().authOff)))
  )

  it.live("HealthCheckRequest is answered with success, and a 300 ms health cadence keeps the session", () =>
    Effect.gen(function* () {
      const connection = yield* openConnection("config")
      const session = yield* connection.awaitSession(15_000)
      const health = yield* connection.request("HealthCheckRequest", { module: "internal" }, Base)
      expect(health.resultCode).toBe(200)
      // over ~10 health-check periods the state must never leave Connected(session)
      const states = yield* SubscriptionRef.changes(connection.state).pipe(
        Stream.takeUntilEffect(() => Effect.as(Effect.sleep("3 seconds"), true)),
        Stream.runCollect,
        Effect.timeout("10 seconds")
      )
      expect(states.map((s) => s._tag)).toEqual(["Connected"])
      expect((yield* connection.awaitSession()).connectionId).toBe(session.connectionId)
    }).pipe(Effect.provide(nacosLayer(servers().authOff, { grpc: { healthCheckIntervalMillis: 300 } })))
  )

  it.live("a config query for a missing key answers errorCode 300 (config not found)", () =>
    Effect.gen(function* () {
      const connection = yield* openConnection("config")
      const error = yield* Effect.flip(connection.request("ConfigQueryRequest", missingConfig, ConfigQueryAnswer))
      expect(error).toMatchObject({ _tag: "ServerError", errorCode: 300 })
    }).pipe(Effect.provide(nacosLayer(servers().authOff)))
  )
})

describe("auth (auth on)", () => {
  it.live("login yields an accessToken that the server accepts on gRPC requests", () =>
    Effect.gen(function* () {
      const auth = yield* Auth.Auth
      const identity = yield* auth.identity({ module: "config" })
      expect(Object.keys(identity)).toEqual(["accessToken"])
      expect(identity.accessToken!.length).toBeGreaterThan(20)
      const connection = yield* openConnection("config")
      // with the token the server gets as far as "not found" rather than refusing the request
      const error = yield* Effect.flip(connection.request("ConfigQueryRequest", missingConfig, ConfigQueryAnswer))
      expect(error).toMatchObject({ _tag: "ServerError", errorCode: 300 })
    }).pipe(Effect.provide(nacosLayer(servers().authOn)))
  )

  it.live("a wrong password is a typed AuthError that does not contain the password", () =>
    Effect.gen(function* () {
      const auth = yield* Auth.Auth
      const error = yield* Effect.flip(auth.identity({ module: "config" }))
      expect(error._tag).toBe("AuthError")
      expect(JSON.stringify(error)).not.toContain("not-the-password")
      expect(error.message).not.toContain("not-the-password")
    }).pipe(Effect.provide(nacosLayer(servers().authOn, { password: "not-the-password" })))
  )

  it.live("the server's answers to wrong credentials: 500 without a message (wrong password), 403 (unknown user)", () =>
    Effect.gen(function* () {
      // what 3.1.0 answers on the server port, so the client's reading of it stays checked against the real thing
      const server = servers().authOn
      const answer = (username: string) =>
        Effect.promise(async () => {
          const response = await fetch(
            `http://${server.serverAddr}/nacos/v3/auth/user/login?username=${encodeURIComponent(username)}`,
            { method: "POST", body: new URLSearchParams({ password: "not-the-password" }) }
          )
          return { status: response.status, body: await response.text() }
        })
      const wrongPassword = yield* answer(server.username)
      expect(wrongPassword.status).toBe(500)
      expect(JSON.parse(wrongPassword.body)).toMatchObject({ status: 500, message: "No message available" })
      const unknownUser = yield* answer("no-such-user")
      expect(unknownUser.status).toBe(403)
    })
  )

  it.live("a wrong password or an unknown user says 'wrong username or password', with no server body at WARN", () =>
    Effect.gen(function* () {
      for (const credentials of [
        { password: "not-the-password" },
        { username: "no-such-user", password: "not-the-password" }
      ]) {
        const lines: Array<string> = []
        const captureLogs = Logger.layer([Logger.make((options) => lines.push(Logger.formatSimple.log(options)))])
        const error = yield* Effect.flip(Auth.Auth.use((auth) => auth.identity({ module: "config" }))).pipe(
          Effect.provide(nacosLayer(servers().authOn, credentials)),
          Effect.provide(captureLogs)
        )
        expect(error._tag).toBe("AuthError")
        expect(error.message).toContain("wrong username or password")
        expect(error.message).toContain(servers().authOn.serverAddr)
        const warnings = lines.filter((line) => line.includes("WARN"))
        expect(warnings.length).toBe(1)
        expect(warnings[0]).toContain("wrong username or password")
        for (const line of lines) {
          expect(line).not.toContain("No message available")
          expect(line).not.toContain("Internal Server Error")
          expect(line).not.toContain("Access Denied")
          expect(line).not.toContain("not-the-password")
        }
      }
    })
  )

  it.live("a request without a token is refused with a typed AuthError (403)", () =>
    Effect.gen(function* () {
      const connection = yield* openConnection("config")
      const error = yield* Effect.flip(connection.request("ConfigQueryRequest", missingConfig, ConfigQueryAnswer))
      expect(error).toMatchObject({ _tag: "AuthError", errorCode: 403 })
    }).pipe(Effect.provide(nacosLayer(servers().authOn, { credentials: false })))
  )
})

describe("HTTP", () => {
  it.live("v3 client API answers in the {code, message, data} envelope: missing config → NotFoundError", () =>
    Effect.gen(function* () {
      const http = yield* NacosHttp.NacosHttp
      const raw = yield* http.request({
        method: "GET",
        path: "/v3/client/cs/config",
        urlParams: { dataId: missingConfig.dataId, groupName: "DEFAULT_GROUP" },
        resource: { module: "config", group: "DEFAULT_GROUP", name: missingConfig.dataId }
      })
      expect(JSON.parse(raw.text)).toMatchObject({ code: 20004 })
      const error = yield* Effect.flip(
        http.getEnvelope(Schema.Unknown, {
          method: "GET",
          path: "/v3/client/cs/config",
          urlParams: { dataId: missingConfig.dataId, groupName: "DEFAULT_GROUP" },
          resource: { module: "config", group: "DEFAULT_GROUP", name: missingConfig.dataId }
        })
      )
      expect(error._tag).toBe("NotFoundError")
    }).pipe(Effect.provide(nacosLayer(servers().authOn)))
  )
})
