import { assert, describe, expect, it } from "@effect/vitest"
import { FakeNacosServer } from "@effect-nacos/core/testing"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import type * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import * as SubscriptionRef from "effect/SubscriptionRef"
import { TestClock } from "effect/testing"
import type { Connection, ConnectionState } from "../src/Connection.ts"
import { Transport } from "../src/Transport.ts"
import { transportLayer } from "./support/layers.ts"

const startFake = (options?: ConstructorParameters<typeof FakeNacosServer>[0], port?: number) =>
  Effect.acquireRelease(
    Effect.promise(() => new FakeNacosServer(options).start(port)),
    (fake) => Effect.promise(() => fake.stop())
  )

/** For tests that provoke warnings on purpose, and to keep the lifecycle's info lines out of the test output. */
const quietLogs = Logger.layer([])

/** Connects; the lifecycle logs to `logs` (silent unless a test wants to see them). */
const connect = (
  connectionLayer: Layer.Layer<Transport>,
  spec: Parameters<Transport["Service"]["connect"]>[0],
  logs: Layer.Layer<never> = quietLogs
) =>
  Effect.flatMap(Effect.service(Transport), (transport) => transport.connect(spec)).pipe(
    Effect.provide(connectionLayer),
    Effect.provide(logs)
  )

const awaitState = <T extends ConnectionState["_tag"]>(
  connection: Connection,
  tag: T,
  where?: (s: Extract<ConnectionState, { _tag: T }>) => boolean
) =>
  SubscriptionRef.changes(connection.state).pipe(
    Stream.filter(
      (s): s is Extract<ConnectionState, { _tag: T }> =>
        s._tag === tag && (where === undefined || where(s as Extract<ConnectionState, { _tag: T }>))
    ),
    Stream.runHead,
    Effect.map((s) => s.pipe((o) => (o._tag === "Some" ? o.value : assert.fail(`state ${tag} never reached`))))
  )

const awaitConnected = (connection: Connection, notConnectionId?: string) =>
  Effect.map(
    awaitState(connection, "Connected", (s) => s.session.connectionId !== notConnectionId),
    (s) => s.session
  )

/** Real time passes while the fake server works; under TestClock only `adjust` moves the client's clock. */
const realPause = (millis: number) => Effect.promise(() => new Promise((resolve) => setTimeout(resolve, millis)))

/** Waits (in real time, at most `limitMillis`) until `condition` holds; fails the test otherwise. */
const eventually = (condition: () => boolean, what: string, limitMillis = 5000) =>
  Effect.gen(function* () {
    const deadline = Date.now() + limitMillis
    while (!condition()) {
      if (Date.now() > deadline) return assert.fail(`never happened: ${what}`)
      yield* realPause(10)
    }
  })

const Echo = Schema.Struct({ resultCode: Schema.Number })

describe("gRPC connection", () => {
  it.live("handshake: ServerCheck unary, then ConnectionSetupRequest on the stream with labels and abilities", () =>
    Effect.gen(function* () {
      const fake = yield* startFake({ setupAck: { fuzzyWatch: true, supportPersistentInstanceByGrpc: true } })
      const connection = yield* connect(transportLayer([fake.address]), {
        module: "config",
        tenant: "public",
        labels: { taskId: "0" },
        abilities: { fuzzyWatch: true }
      })
      const session = yield* connection.awaitSession(5000)
      expect(session.abilities).toEqual({ fuzzyWatch: true, supportPersistentInstanceByGrpc: true })
      expect(fake.received.map((r) => `${r.via}:${r.type}`).slice(0, 2)).toEqual([
        "unary:ServerCheckRequest",
        "stream:ConnectionSetupRequest"
      ])
      const setup = fake.typesReceived("ConnectionSetupRequest")[0]!
      expect(setup.json).toMatchObject({
        clientVersion: expect.stringMatching(/^Nacos-TS-Client:v\d/),
        tenant: "public",
        module: "internal",
        labels: { source: "sdk", module: "config", AppName: "transport-test", taskId: "0" },
        abilityTable: { fuzzyWatch: true }
      })
      expect(session.connectionId).toMatch(/_127\.0\.0\.1_/)
      yield* connection.requireAbility("fuzzyWatch", "fuzzy watch")
      const missing = yield* Effect.flip(connection.requireAbility("mcp", "MCP registry"))
      expect(missing._tag).toBe("NotSupportedError")
      expect(missing).toMatchObject({ feature: "MCP registry", ability: "mcp" })
    })
  )

  it.live("ServerCheck is retried while the server answers 'starting' (300)", () =>
    Effect.gen(function* () {
      const fake = yield* startFake({ startingFor: 2 })
      const connection = yield* connect(transportLayer([fake.address]), { module: "naming" })
      yield* connection.awaitSession(10_000)
      expect(fake.typesReceived("ServerCheckRequest")).toHaveLength(3)
    })
  )

  it.live("every push is acknowledged with its paired response and requestId; SetupAck is never answered", () =>
    Effect.gen(function* () {
      const fake = yield* startFake()
      const connection = yield* connect(transportLayer([fake.address]), { module: "config" })
      const seen: Array<unknown> = []
      yield* connection.handlePush(
        "ConfigChangeNotifyRequest",
        Schema.Struct({ dataId: Schema.String, group: Schema.String }),
        "ConfigChangeNotifyResponse",
        (push) => Effect.sync(() => void seen.push(push)).pipe(Effect.as({}))
      )
      yield* connection.awaitSession(5000)
      const changeId = fake.push("ConfigChangeNotifyRequest", { dataId: "a", group: "G" })
      const detectionId = fake.push("ClientDetectionRequest", {})
      const unknownId = fake.push("SomethingNewRequest", {})
      const changeAck = yield* Effect.promise(() => fake.ackFor(changeId))
      const detectionAck = yield* Effect.promise(() => fake.ackFor(detectionId))
      const unknownAck = yield* Effect.promise(() => fake.ackFor(unknownId))
      expect(changeAck).toMatchObject({
        type: "ConfigChangeNotifyResponse",
        json: { requestId: changeId, resultCode: 200 }
      })
      expect(detectionAck).toMatchObject({
        type: "ClientDetectionResponse",
        json: { requestId: detectionId, resultCode: 200 }
      })
      expect(unknownAck).toMatchObject({ type: "SomethingNewResponse", json: { requestId: unknownId } })
      expect(seen).toEqual([{ dataId: "a", group: "G" }])
      const streamTypes = fake.received.filter((r) => r.via === "stream").map((r) => r.type)
      expect(streamTypes).toEqual([
        "ConnectionSetupRequest",
        "ConfigChangeNotifyResponse",
        "ClientDetectionResponse",
        "SomethingNewResponse"
      ])
    })
  )

  it.live("a push the handler cannot decode is answered with ErrorResponse -500", () =>
    Effect.gen(function* () {
      const fake = yield* startFake()
      const connection = yield* connect(transportLayer([fake.address]), { module: "naming" })
      yield* connection.handlePush(
        "NotifySubscriberRequest",
        Schema.Struct({ serviceInfo: Schema.Struct({ name: Schema.String }) }),
        "NotifySubscriberResponse",
        () => Effect.succeed({})
      )
      yield* connection.awaitSession(5000)
      const id = fake.push("NotifySubscriberRequest", { serviceInfo: { name: 42 } })
      const ack = yield* Effect.promise(() => fake.ackFor(id))
      expect(ack).toMatchObject({ type: "ErrorResponse", json: { requestId: id, errorCode: -500, resultCode: 500 } })
    })
  )

  it.live("reconnects after the stream drops and announces it on `reconnected`", () =>
    Effect.gen(function* () {
      const fake = yield* startFake()
      const connection = yield* connect(transportLayer([fake.address]), { module: "config" })
      const first = yield* connection.awaitSession(5000)
      const reconnected = yield* connection.reconnected.pipe(Stream.take(1), Stream.runCollect, Effect.forkChild)
      yield* realPause(50)
      fake.dropStreams()
      const second = yield* awaitConnected(connection, first.connectionId)
      expect(second.connectionId).not.toBe(first.connectionId)
      const announced = yield* Fiber.join(reconnected)
      expect(announced.map((s) => s.connectionId)).toEqual([second.connectionId])
      expect(fake.typesReceived("ConnectionSetupRequest")).toHaveLength(2)
    })
  )

  it.effect("backoff between failed attempts is driven by the clock, within full-jitter bounds", () =>
    Effect.gen(function* () {
      const fake = yield* startFake()
      const connection = yield* connect(transportLayer([fake.address]), { module: "config" })
      yield* awaitConnected(connection)
      fake.refuseServerCheck = true
      fake.dropStreams()
      yield* awaitState(connection, "Reconnecting")
      const checks = () => fake.typesReceived("ServerCheckRequest").length
      // first attempt after the drop is immediate; then it waits for the clock
      yield* eventually(() => checks() === 2, "the immediate reconnect attempt")
      yield* realPause(300)
      expect(checks()).toBe(2)
      // attempt n waits < 100 ms · 2^(n-1): moving the clock by those bounds must release each retry
      yield* TestClock.adjust("100 millis")
      yield* eventually(() => checks() === 3, "the second attempt after 100 ms of clock")
      fake.refuseServerCheck = false
      yield* TestClock.adjust("200 millis")
      yield* awaitConnected(connection)
      expect(fake.typesReceived("ServerCheckRequest")).toHaveLength(4)
    })
  )

  it.live("rotates to the next server when the current one goes away", () =>
    Effect.gen(function* () {
      const a = yield* startFake()
      const b = yield* startFake()
      const connection = yield* connect(transportLayer([a.address, b.address]), { module: "naming" })
      const first = yield* connection.awaitSession(5000)
      expect(first.server.port).toBe(a.port)
      a.refuseServerCheck = true
      a.dropStreams()
      const second = yield* awaitConnected(connection, first.connectionId)
      expect(second.server.port).toBe(b.port)
    })
  )

  it.live("ConnectResetRequest moves the connection to the named server", () =>
    Effect.gen(function* () {
      const a = yield* startFake()
      const b = yield* startFake()
      const c = yield* startFake()
      const connection = yield* connect(transportLayer([a.address, b.address, c.address]), { module: "config" })
      const first = yield* connection.awaitSession(5000)
      expect(first.server.port).toBe(a.port)
      const id = a.push("ConnectResetRequest", { serverIp: "127.0.0.1", serverPort: String(c.port) })
      const ack = yield* Effect.promise(() => a.ackFor(id))
      expect(ack).toMatchObject({ type: "ConnectResetResponse", json: { requestId: id, resultCode: 200 } })
      const second = yield* awaitConnected(connection, first.connectionId)
      expect(second.server.port).toBe(c.port)
      expect(b.typesReceived("ServerCheckRequest")).toHaveLength(0)
    })
  )

  it.live("errorCode 301 triggers a full re-handshake and the request succeeds on the new session", () =>
    Effect.gen(function* () {
      const fake = yield* startFake()
      const connection = yield* connect(transportLayer([fake.address]), { module: "config" })
      const first = yield* connection.awaitSession(5000)
      fake.forgetConnections()
      const answer = yield* connection.request("ConfigQueryRequest", { dataId: "x" }, Echo, { timeoutMillis: 5000 })
      expect(answer.resultCode).toBe(200)
      const second = yield* connection.awaitSession(1000)
      expect(second.connectionId).not.toBe(first.connectionId)
      expect(fake.typesReceived("ServerCheckRequest")).toHaveLength(2)
      expect(fake.typesReceived("ConnectionSetupRequest")).toHaveLength(2)
    })
  )

  it.live("a failing health check reconnects", () =>
    Effect.gen(function* () {
      const fake = yield* startFake()
      const connection = yield* connect(transportLayer([fake.address], { healthCheckIntervalMillis: 100 }), {
        module: "naming"
      })
      const first = yield* connection.awaitSession(5000)
      fake.healthy = false
      const reason = yield* awaitState(connection, "Reconnecting")
      expect(reason.reason).toBe("health check failed")
      fake.healthy = true
      const second = yield* awaitConnected(connection, first.connectionId)
      expect(second.connectionId).not.toBe(first.connectionId)
    })
  )

  it.effect("a request while disconnected fails with TransportError once its timeout passes", () =>
    Effect.gen(function* () {
      const connection = yield* connect(transportLayer(["127.0.0.1:1"]), { module: "config" })
      const fiber = yield* connection
        .request("ConfigQueryRequest", {}, Echo, { timeoutMillis: 800 })
        .pipe(Effect.exit, Effect.forkChild)
      yield* TestClock.adjust("799 millis")
      expect(fiber.pollUnsafe()).toBeUndefined()
      yield* TestClock.adjust("1 millis")
      const exit = yield* Fiber.join(fiber)
      assert.isTrue(Exit.isFailure(exit))
      const error = yield* Effect.flip(exit)
      expect(error._tag).toBe("TransportError")
      expect(error.message).toContain("800 ms")
    })
  )

  it.live("server failures are typed: ServerError with the server's code, AuthError on 403", () =>
    Effect.gen(function* () {
      const fake = yield* startFake({
        onRequest: (type) =>
          type === "ConfigPublishRequest"
            ? { type: "ConfigPublishResponse", body: { resultCode: 500, errorCode: 403, message: "token expired" } }
            : {
                type: "ConfigQueryResponse",
                body: { resultCode: 500, errorCode: 300, message: "config data not exist" }
              }
      })
      const connection = yield* connect(transportLayer([fake.address]), { module: "config" })
      const notFound = yield* Effect.flip(connection.request("ConfigQueryRequest", {}, Echo))
      expect(notFound).toMatchObject({ _tag: "ServerError", errorCode: 300, requestType: "ConfigQueryRequest" })
      const forbidden = yield* Effect.flip(connection.request("ConfigPublishRequest", {}, Echo))
      expect(forbidden._tag).toBe("AuthError")
    })
  )

  it.live(
    "gRPC known down: `available` turns false, one warning names host:port and the cause, one info when back",
    () => {
      const lines: Array<{ readonly level: string; readonly text: string }> = []
      const captureLogs = Logger.layer([
        Logger.make(({ logLevel, message }) =>
          lines.push({ level: logLevel, text: Array.isArray(message) ? message.join(" ") : String(message) })
        )
      ])
      return Effect.gen(function* () {
        const fake = yield* startFake()
        fake.refuseServerCheck = true
        const connection = yield* connect(transportLayer([fake.address]), { module: "config" }, captureLogs)
        yield* eventually(() => fake.typesReceived("ServerCheckRequest").length >= 3, "three failed attempts")
        expect(yield* connection.available).toBe(false)
        const warnings = lines.filter((line) => line.level === "Warn")
        expect(warnings).toHaveLength(1)
        expect(warnings[0]!.text).toContain(fake.address)
        expect(warnings[0]!.text).toContain("refused by test")

        fake.refuseServerCheck = false
        const session = yield* awaitConnected(connection)
        expect(yield* connection.available).toBe(true)
        const back = lines.filter((line) => line.level === "Info" && line.text.includes(session.connectionId))
        expect(back).toHaveLength(1)
        expect(back[0]!.text).toContain("back")

        fake.refuseServerCheck = true
        fake.dropStreams()
        yield* awaitState(connection, "Reconnecting")
        const before = fake.typesReceived("ServerCheckRequest").length
        yield* eventually(() => fake.typesReceived("ServerCheckRequest").length >= before + 3, "three more attempts")
        expect(yield* connection.available).toBe(false)
        expect(lines.filter((line) => line.level === "Warn")).toHaveLength(2)
      })
    }
  )

  it.live("a request with no server names where it tried and why", () =>
    Effect.gen(function* () {
      const connection = yield* connect(transportLayer(["127.0.0.1:1"]), { module: "config" })
      const error = yield* Effect.flip(connection.request("ConfigQueryRequest", {}, Echo, { timeoutMillis: 1500 }))
      expect(error._tag).toBe("TransportError")
      expect(error.message).toContain("127.0.0.1:1")
      expect(error.message).toMatch(/ECONNREFUSED|UNAVAILABLE/)
      expect(yield* connection.available).toBe(false)
    })
  )

  it.live("reconnect() while disconnected cuts no later session", () =>
    Effect.gen(function* () {
      const fake = yield* startFake()
      const connection = yield* connect(transportLayer([fake.address]), { module: "config" })
      const first = yield* connection.awaitSession(5000)
      fake.refuseServerCheck = true
      fake.dropStreams()
      yield* awaitState(connection, "Reconnecting")
      yield* connection.reconnect("the caller saw trouble")
      fake.refuseServerCheck = false
      const second = yield* awaitConnected(connection, first.connectionId)
      // a round trip on the new session: a stale request would have cut it by then
      yield* connection.request("ConfigQueryRequest", {}, Echo, { timeoutMillis: 5000 })
      const now = yield* SubscriptionRef.get(connection.state)
      expect(now).toMatchObject({ _tag: "Connected", session: { connectionId: second.connectionId } })
      expect(fake.typesReceived("ConnectionSetupRequest")).toHaveLength(2)
    })
  )

  it.live("a reconnect schedule that runs out ends in Failed with the reason; requests then fail at once", () =>
    Effect.gen(function* () {
      const fake = yield* startFake()
      fake.refuseServerCheck = true
      const connection = yield* connect(transportLayer([fake.address], {}, { reconnectSchedule: Schedule.recurs(2) }), {
        module: "config"
      })
      const failed = yield* awaitState(connection, "Failed")
      expect(failed.reason).toContain(fake.address)
      expect(failed.reason).toContain("refused by test")
      expect(fake.typesReceived("ServerCheckRequest")).toHaveLength(3)
      expect(yield* connection.available).toBe(false)
      // far longer budgets than the test may take: only an immediate failure lets it pass
      const requestError = yield* Effect.flip(
        connection.request("ConfigQueryRequest", {}, Echo, { timeoutMillis: 600_000 })
      )
      expect(requestError._tag).toBe("TransportError")
      expect(requestError.message).toContain("reconnect schedule ended")
      const sessionError = yield* Effect.flip(connection.awaitSession(600_000))
      expect(sessionError.message).toContain("refused by test")
      expect(fake.typesReceived("ServerCheckRequest")).toHaveLength(3)
    })
  )

  it.live("a request in flight when the session drops fails at once and is retried on the next session", () =>
    Effect.gen(function* () {
      let stalledOnce = false
      const fake = yield* startFake({
        stall: (type) => {
          if (type !== "ConfigQueryRequest" || stalledOnce) return false
          stalledOnce = true
          return true
        }
      })
      const connection = yield* connect(transportLayer([fake.address]), { module: "config" })
      const first = yield* connection.awaitSession(5000)
      // a budget far beyond the test's own limit: only cancelling the call can end it in time
      const inFlight = yield* connection
        .request("ConfigQueryRequest", { dataId: "x" }, Echo, { timeoutMillis: 600_000 })
        .pipe(Effect.forkChild)
      yield* eventually(() => fake.stalledCalls === 1, "the request reached the server")
      fake.dropStreams()
      const answer = yield* Fiber.join(inFlight)
      expect(answer.resultCode).toBe(200)
      const second = yield* connection.awaitSession(1000)
      expect(second.connectionId).not.toBe(first.connectionId)
      const [stalled, retried] = fake.typesReceived("ConfigQueryRequest")
      expect(retried?.peer).not.toBe(stalled?.peer)
      yield* eventually(() => fake.cancelledStalledCalls === 1, "the server saw the stalled call cancelled")
    })
  )

  it.live("a non-retried request in flight when the session drops fails at once, saying the outcome is unknown", () =>
    Effect.gen(function* () {
      const fake = yield* startFake({ stall: (type) => type === "ConfigPublishRequest" })
      const connection = yield* connect(transportLayer([fake.address]), { module: "config" })
      yield* connection.awaitSession(5000)
      const inFlight = yield* connection
        .request("ConfigPublishRequest", { dataId: "x" }, Echo, { timeoutMillis: 600_000, retry: false })
        .pipe(Effect.flip, Effect.forkChild)
      yield* eventually(() => fake.stalledCalls === 1, "the request reached the server")
      fake.dropStreams()
      const error = yield* Fiber.join(inFlight)
      expect(error._tag).toBe("TransportError")
      expect(error.message).toContain("in flight")
      expect(error.message).toContain(fake.address)
      expect(fake.stalledCalls).toBe(1)
    })
  )

  describe("a message over the size limit is final: one attempt, InvalidArgumentError, never a TransportError", () => {
    const limit = 64 * 1024
    const tooLarge = "x".repeat(limit)

    it.live("a request over the client's limit is refused before it is sent, naming its size and the limit", () =>
      Effect.gen(function* () {
        const fake = yield* startFake()
        const connection = yield* connect(transportLayer([fake.address], { maxReceiveMessageLength: limit }), {
          module: "config"
        })
        const error = yield* Effect.flip(
          connection.request("ConfigPublishRequest", { content: tooLarge }, Echo, { timeoutMillis: 5000 })
        )
        expect(error._tag).toBe("InvalidArgumentError")
        expect(error).toMatchObject({ field: "request" })
        expect(error.message).toMatch(new RegExp(`ConfigPublishRequest is \\d+ bytes, over the ${limit}-byte`))
        expect(fake.typesReceived("ConfigPublishRequest")).toHaveLength(0)
      })
    )

    it.live("a request the server refuses as too large fails once, typed", () =>
      Effect.gen(function* () {
        const fake = yield* startFake({ maxReceiveMessageLength: limit })
        const connection = yield* connect(transportLayer([fake.address]), { module: "config" })
        yield* connection.awaitSession(5000)
        const error = yield* Effect.flip(
          connection.request("ConfigPublishRequest", { content: tooLarge }, Echo, { timeoutMillis: 5000 })
        )
        expect(error._tag).toBe("InvalidArgumentError")
        expect(error).toMatchObject({ field: "request" })
        expect(error.message).toContain(`${fake.address} refused ConfigPublishRequest`)
      })
    )

    it.live("an answer over the client's limit fails once, naming the option to raise; it is not re-sent", () =>
      Effect.gen(function* () {
        const fake = yield* startFake({
          onRequest: (type) =>
            type === "ConfigQueryRequest"
              ? { type: "ConfigQueryResponse", body: { resultCode: 200, content: tooLarge } }
              : undefined
        })
        const connection = yield* connect(transportLayer([fake.address], { maxReceiveMessageLength: limit }), {
          module: "config"
        })
        const error = yield* Effect.flip(
          connection.request("ConfigQueryRequest", { dataId: "big" }, Echo, { timeoutMillis: 5000 })
        )
        expect(error._tag).toBe("InvalidArgumentError")
        expect(error).toMatchObject({ field: "grpc.maxReceiveMessageLength" })
        expect(fake.typesReceived("ConfigQueryRequest")).toHaveLength(1)
      })
    )
  })
})
