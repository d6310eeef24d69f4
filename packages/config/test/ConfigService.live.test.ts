/**
 * The live layer against the in-test gRPC server: the shared behaviour suite, then what only the protocol shows
 * (acks, listen chunks, shared listens, reconnects, full sync, the local files, the HTTP fallback).
 */
import { describe, expect, it } from "@effect/vitest"
import { ConfigService } from "@effect-nacos/config"
import { Cache } from "@effect-nacos/core"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as Schedule from "effect/Schedule"
import * as Stream from "effect/Stream"
import { describeConfigBehaviour, eventually, md5, startWatch, uniqueId, WAIT } from "./support/behaviour.ts"
import { fakeServer, fakeServerWithHttp, liveLayer, liveOnFakeServer } from "./support/layers.ts"

describeConfigBehaviour("live layer on the fake server", { layer: (options) => liveOnFakeServer(options) })

/** Builds the live layer into the test's scope: the service (and the cache it uses) live until the test ends. */
const build = (layer: ReturnType<typeof liveLayer>) =>
  Effect.map(Layer.build(layer), (context) => ({
    config: Context.get(context, ConfigService.ConfigService),
    files: Context.get(context, Cache.NacosCache),
    control: Context.get(context, Cache.NacosCacheMemory)
  }))
const serviceOf = (layer: ReturnType<typeof liveLayer>) => Effect.map(build(layer), ({ config }) => config)

/** Waits (within the generous bound) until the fake has seen what `check` looks for. */
const until = (check: () => boolean) => eventually(Effect.sync(check), (ok) => ok)

const keyOf = (dataId: string, group = "DEFAULT_GROUP") => ({ namespace: "public", group, dataId })

describe("ConfigService live: listen protocol", () => {
  it.live("a change push is acknowledged, then the key is re-read; no event while the md5 stays", () =>
    Effect.gen(function* () {
      const fake = yield* fakeServer
      const config = yield* serviceOf(liveLayer({ address: fake.address }))
      const dataId = uniqueId("push")
      fake.write(dataId, "DEFAULT_GROUP", "one")
      const watcher = yield* startWatch(config, { dataId })
      expect(yield* watcher.next).toMatchObject({ _tag: "Changed", content: "one" })
      const queriesBefore = fake.received("ConfigQueryRequest").length
      // a notification without a change: acked, re-checked, not emitted
      const requestId = fake.notify(dataId, "DEFAULT_GROUP")
      const ack = yield* Effect.promise(() => fake.nacos.ackFor(requestId))
      expect(ack).toMatchObject({ type: "ConfigChangeNotifyResponse", json: { requestId, resultCode: 200 } })
      yield* until(() => fake.listenRequests().length >= 2)
      fake.write(dataId, "DEFAULT_GROUP", "two")
      expect(yield* watcher.next).toMatchObject({ _tag: "Changed", content: "two", md5: md5("two") })
      // only the real change was re-read: the listen told the client the first push changed nothing
      expect(fake.received("ConfigQueryRequest").length - queriesBefore).toBe(1)
      expect(fake.received("ConfigQueryRequest").at(-1)?.json).toMatchObject({
        dataId,
        group: "DEFAULT_GROUP",
        tenant: "public"
      })
    })
  )

  it.live("a key reported changed whose re-read shows the same md5 emits nothing", () =>
    Effect.gen(function* () {
      const fake = yield* fakeServer
      const config = yield* serviceOf(liveLayer({ address: fake.address }))
      const dataId = uniqueId("same-md5")
      fake.write(dataId, "DEFAULT_GROUP", "same")
      const watcher = yield* startWatch(config, { dataId })
      expect(yield* watcher.next).toMatchObject({ content: "same" })
      const queriesBefore = fake.received("ConfigQueryRequest").length
      fake.reportEveryKeyChanged = true
      fake.notify(dataId, "DEFAULT_GROUP")
      yield* until(() => fake.received("ConfigQueryRequest").length > queriesBefore)
      fake.reportEveryKeyChanged = false
      fake.write(dataId, "DEFAULT_GROUP", "different")
      // the re-read of "same" was swallowed: the next event is the real change
      expect(yield* watcher.next).toMatchObject({ content: "different" })
    })
  )

  it.live("watchers of one key share one server listen; the last one leaving sends listen=false", () =>
    Effect.gen(function* () {
      const fake = yield* fakeServer
      const config = yield* serviceOf(liveLayer({ address: fake.address }))
      const dataId = uniqueId("shared")
      const a = yield* startWatch(config, { dataId })
      const b = yield* startWatch(config, { dataId })
      yield* a.next
      yield* b.next
      const listensFor = (listen: boolean) =>
        fake
          .listenRequests()
          .filter((r) => r.listen === listen && r.configListenContexts.some((c) => c.dataId === dataId)).length
      expect(listensFor(true)).toBe(1)
      yield* Fiber.interrupt(a.fiber)
      fake.write(dataId, "DEFAULT_GROUP", "still")
      expect(yield* b.next).toMatchObject({ content: "still" })
      expect(listensFor(false)).toBe(0)
      yield* Fiber.interrupt(b.fiber)
      yield* until(() => listensFor(false) === 1)
      const stop = fake.listenRequests().find((r) => !r.listen)
      expect(stop?.configListenContexts).toEqual([
        expect.objectContaining({ dataId, group: "DEFAULT_GROUP", tenant: "public" })
      ])
    })
  )

  it.live(
    "keys are listened in chunks of at most 3000",
    () =>
      Effect.gen(function* () {
        const fake = yield* fakeServer
        const config = yield* serviceOf(liveLayer({ address: fake.address }))
        const prefix = uniqueId("many")
        const present = `${prefix}-7`
        fake.write(present, "DEFAULT_GROUP", "exists")
        const firstEvents = yield* Effect.forEach(
          Array.from({ length: 3500 }, (_, i) => `${prefix}-${i}`),
          (dataId) =>
            config.watch({ dataId }).pipe(
              Stream.take(1),
              Stream.runCollect,
              Effect.map((events) => events[0]!)
            ),
          { concurrency: "unbounded" }
        )
        const sizes = fake.listenRequests().map((r) => r.configListenContexts.length)
        expect(Math.max(...sizes)).toBeLessThanOrEqual(3000)
        expect(sizes.reduce((sum, size) => sum + size, 0)).toBeGreaterThanOrEqual(3500)
        expect(firstEvents.filter((event) => event._tag === "Changed").map((event) => event.dataId)).toEqual([present])
        // only the one existing key needed a read: the others were known absent from the listen answer
        expect(fake.received("ConfigQueryRequest")).toHaveLength(1)
      }),
    120_000
  )

  it.live("after the stream is cut, watches resume by themselves and catch what changed meanwhile", () =>
    Effect.gen(function* () {
      const fake = yield* fakeServer
      const config = yield* serviceOf(liveLayer({ address: fake.address }))
      const dataId = uniqueId("reconnect")
      fake.write(dataId, "DEFAULT_GROUP", "before")
      const watcher = yield* startWatch(config, { dataId })
      expect(yield* watcher.next).toMatchObject({ content: "before" })
      const listensBefore = fake.listenRequests().length
      fake.nacos.dropStreams()
      // changed while the client is away, and no push will ever say so
      fake.writeSilently(dataId, "DEFAULT_GROUP", "while away")
      expect(yield* watcher.next).toMatchObject({ _tag: "Changed", content: "while away" })
      // the re-listen carried the md5 the client held, so the server could tell what changed
      const relisten = fake
        .listenRequests()
        .slice(listensBefore)
        .find((r) => r.listen)
      expect(relisten?.configListenContexts).toEqual([expect.objectContaining({ dataId, md5: md5("before") })])
      // and pushes reach the same watch on the new connection
      fake.write(dataId, "DEFAULT_GROUP", "after")
      expect(yield* watcher.next).toMatchObject({ content: "after" })
    })
  )

  it.live("the periodic full sync catches a change whose push was lost", () =>
    Effect.gen(function* () {
      const fake = yield* fakeServer
      const config = yield* serviceOf(
        liveLayer({ address: fake.address, fullSyncSchedule: Schedule.spaced("100 millis") })
      )
      const dataId = uniqueId("full-sync")
      const watcher = yield* startWatch(config, { dataId })
      expect((yield* watcher.next)._tag).toBe("Absent")
      fake.writeSilently(dataId, "DEFAULT_GROUP", "found by the full sync")
      expect(yield* watcher.next).toMatchObject({ content: "found by the full sync" })
    })
  )

  it.live("without a full sync, a silent change stays unseen until something rings (push)", () =>
    Effect.gen(function* () {
      const fake = yield* fakeServer
      const config = yield* serviceOf(liveLayer({ address: fake.address, fullSyncSchedule: Schedule.spaced("1 hour") }))
      const dataId = uniqueId("no-full-sync")
      const watcher = yield* startWatch(config, { dataId })
      expect((yield* watcher.next)._tag).toBe("Absent")
      fake.writeSilently(dataId, "DEFAULT_GROUP", "silent")
      fake.write(dataId, "DEFAULT_GROUP", "pushed")
      // the first event after the silent write is the pushed one: nothing polled in between
      expect(yield* watcher.next).toMatchObject({ content: "pushed" })
    })
  )
})

describe("ConfigService live: requests", () => {
  it.live("publish sends the key, content, casMd5 and the additionMap the server reads", () =>
    Effect.gen(function* () {
      const fake = yield* fakeServer
      const config = yield* serviceOf(liveLayer({ address: fake.address }))
      yield* config.publish({
        dataId: "app.yaml",
        group: "G",
        content: "a: 1",
        type: "yaml",
        appName: "shop",
        srcUser: "ci",
        betaIps: ["10.0.0.1", "10.0.0.2"],
        casMd5: md5("a: 0"),
        desc: "about",
        configTags: ["x", "y"]
      })
      expect(fake.received("ConfigPublishRequest")[0]?.json).toEqual(
        expect.objectContaining({
          dataId: "app.yaml",
          group: "G",
          tenant: "public",
          content: "a: 1",
          casMd5: md5("a: 0"),
          additionMap: {
            encryptedDataKey: "",
            type: "yaml",
            appName: "shop",
            src_user: "ci",
            betaIps: "10.0.0.1,10.0.0.2",
            desc: "about",
            config_tags: "x,y"
          }
        })
      )
      expect(fake.received("ConfigPublishRequest")[0]?.headers).not.toHaveProperty("accessToken")
    })
  )

  it.live("invalid input is refused before any request", () =>
    Effect.gen(function* () {
      const fake = yield* fakeServer
      const config = yield* serviceOf(liveLayer({ address: fake.address }))
      yield* Effect.flip(config.publish({ dataId: "a b", content: "x" }))
      yield* Effect.flip(config.get({ dataId: "ok", tag: "x".repeat(17) }))
      yield* Effect.flip(config.remove({ dataId: "", group: "G" }))
      const configRequests = fake.nacos.received.filter(
        (r) => r.type.startsWith("Config") && r.type !== "ConnectionSetupRequest"
      )
      expect(configRequests).toEqual([])
    })
  )

  it.live("a server 'Cas publish fail' is a ConflictError, and a CAS publish is never re-sent", () =>
    Effect.gen(function* () {
      const fake = yield* fakeServer
      const config = yield* serviceOf(liveLayer({ address: fake.address }))
      fake.write("cas", "DEFAULT_GROUP", "current")
      const conflict = yield* Effect.flip(config.publish({ dataId: "cas", content: "new", casMd5: md5("old") }))
      expect(conflict).toMatchObject({ _tag: "ConflictError", message: expect.stringContaining("Cas publish fail") })
      // a CAS publish is not re-sent after a failure
      expect(fake.received("ConfigPublishRequest")).toHaveLength(1)
    })
  )
})

describe("ConfigService live: local files", () => {
  it.live("a failover file overrides the server", () =>
    Effect.gen(function* () {
      const fake = yield* fakeServer
      const layer = liveLayer({ address: fake.address })
      const { config, control } = yield* build(layer)
      fake.write("fo", "DEFAULT_GROUP", "from server")
      expect(yield* config.get({ dataId: "fo" })).toBe("from server")
      yield* control.putConfigFailover(keyOf("fo"), { content: "from failover" })
      expect(yield* config.getInfo({ dataId: "fo" })).toMatchObject({
        content: "from failover",
        source: "failover",
        md5: md5("from failover")
      })
      yield* control.removeConfigFailover(keyOf("fo"))
      expect(yield* config.get({ dataId: "fo" })).toBe("from server")
    })
  )

  it.live("every server read writes the snapshot; not found removes it; unreachable serves it", () =>
    Effect.gen(function* () {
      const { fake, address, portOffset } = yield* fakeServerWithHttp({ grpc: true })
      const layer = liveLayer({ address, portOffset, timeoutMillis: 500, httpFallback: false })
      const { config, files } = yield* build(layer)
      fake.write("snap", "DEFAULT_GROUP", "last known good")
      expect(yield* config.get({ dataId: "snap" })).toBe("last known good")
      expect(yield* files.readConfigSnapshot(keyOf("snap"))).toEqual(
        expect.objectContaining({ _tag: "Some", value: expect.objectContaining({ content: "last known good" }) })
      )
      // the server stops answering: streams cut, every new connection refused at ServerCheck
      fake.nacos.refuseServerCheck = true
      fake.nacos.dropStreams()
      expect(yield* config.getInfo({ dataId: "snap" })).toMatchObject({
        content: "last known good",
        source: "snapshot"
      })
      // no snapshot, no server: the transport error comes through
      expect((yield* Effect.flip(config.get({ dataId: "never-read" })))._tag).toBe("TransportError")
    })
  )

  it.live("a not-found answer removes the snapshot", () =>
    Effect.gen(function* () {
      const fake = yield* fakeServer
      const layer = liveLayer({ address: fake.address })
      const { config, files } = yield* build(layer)
      yield* files.writeConfigSnapshot(keyOf("gone"), { content: "stale" })
      expect((yield* Effect.flip(config.get({ dataId: "gone" })))._tag).toBe("NotFoundError")
      expect((yield* files.readConfigSnapshot(keyOf("gone")))._tag).toBe("None")
    })
  )
})

/** An in-memory cache whose snapshot writes fail while `state.broken` (a full or read-only disk). */
const flakyDisk = Effect.gen(function* () {
  const { cache, control } = yield* Cache.makeMemory()
  const state = { broken: false, failedWrites: 0 }
  const flaky = Cache.NacosCache.of({
    ...cache,
    writeConfigSnapshot: (key, value) =>
      state.broken
        ? Effect.sync(() => state.failedWrites++).pipe(
            Effect.andThen(Effect.fail(new Cache.CacheWriteError({ message: `cannot write ${key.dataId}: disk full` })))
          )
        : cache.writeConfigSnapshot(key, value)
  })
  const layer = Layer.succeedContext(
    Context.make(Cache.NacosCache, flaky).pipe(Context.add(Cache.NacosCacheMemory, control))
  )
  return { state, layer }
})

/** Warnings logged while `effect` runs. */
const warningsDuring = <A, E, R>(effect: Effect.Effect<A, E, R>) => {
  const warnings: Array<string> = []
  const capture = Logger.layer([
    Logger.make(({ logLevel, message }) => {
      if (logLevel === "Warn") warnings.push(Array.isArray(message) ? message.join(" ") : String(message))
    })
  ])
  return Effect.map(Effect.provide(effect, capture), (value) => ({ value, warnings }))
}

describe("ConfigService live: what removes or keeps a snapshot", () => {
  it.live(
    "a bare 404 from something that is not Nacos (a wrong contextPath, a proxy) keeps the snapshot and serves it",
    () =>
      Effect.gen(function* () {
        const { fake, address, portOffset } = yield* fakeServerWithHttp({ grpc: false })
        const { config, files } = yield* build(
          liveLayer({ address, portOffset, timeoutMillis: 300, contextPath: "/not-nacos" })
        )
        yield* files.writeConfigSnapshot(keyOf("kept"), { content: "last known good" })
        expect(yield* config.getInfo({ dataId: "kept" })).toMatchObject({
          content: "last known good",
          source: "snapshot"
        })
        expect(fake.httpRequests).toEqual(["GET /not-nacos/v3/client/cs/config"])
        expect(yield* files.readConfigSnapshot(keyOf("kept"))).toMatchObject({
          _tag: "Some",
          value: { content: "last known good" }
        })
      })
  )

  it.live(
    "a gRPC 'server is starting' answer shares the not-found code 300, yet keeps the snapshot and serves it",
    () =>
      Effect.gen(function* () {
        const fake = yield* fakeServer
        const { config, files } = yield* build(liveLayer({ address: fake.address, httpFallback: false }))
        yield* files.writeConfigSnapshot(keyOf("starting"), { content: "last known good" })
        fake.answerQueriesAsStarting = true
        expect(yield* config.getInfo({ dataId: "starting" })).toMatchObject({
          content: "last known good",
          source: "snapshot"
        })
        expect((yield* files.readConfigSnapshot(keyOf("starting")))._tag).toBe("Some")
      })
  )

  it.live("Nacos' own 'not found' over HTTP (code 20004) removes the snapshot", () =>
    Effect.gen(function* () {
      const { address, portOffset } = yield* fakeServerWithHttp({ grpc: false })
      const { config, files } = yield* build(liveLayer({ address, portOffset, timeoutMillis: 300 }))
      yield* files.writeConfigSnapshot(keyOf("gone-over-http"), { content: "stale" })
      expect((yield* Effect.flip(config.get({ dataId: "gone-over-http" })))._tag).toBe("NotFoundError")
      expect((yield* files.readConfigSnapshot(keyOf("gone-over-http")))._tag).toBe("None")
    })
  )

  it.live("a successful remove removes the snapshot (a tag removal leaves it)", () =>
    Effect.gen(function* () {
      const fake = yield* fakeServer
      const { config, files } = yield* build(liveLayer({ address: fake.address }))
      fake.write("removed", "DEFAULT_GROUP", "was here")
      expect(yield* config.get({ dataId: "removed" })).toBe("was here")
      yield* config.remove({ dataId: "removed", tag: "canary" })
      expect((yield* files.readConfigSnapshot(keyOf("removed")))._tag).toBe("Some")
      yield* config.remove({ dataId: "removed" })
      expect((yield* files.readConfigSnapshot(keyOf("removed")))._tag).toBe("None")
      // and the md5 it was written with is forgotten: the same content read again is written again
      fake.write("removed", "DEFAULT_GROUP", "was here")
      expect(yield* config.get({ dataId: "removed" })).toBe("was here")
      expect((yield* files.readConfigSnapshot(keyOf("removed")))._tag).toBe("Some")
    })
  )

  it.live(
    "a snapshot write that failed is retried on the next read; the disk problem is one warning, never a failure",
    () =>
      Effect.gen(function* () {
        const fake = yield* fakeServer
        const disk = yield* flakyDisk
        const { config, files } = yield* build(liveLayer({ address: fake.address, cache: disk.layer }))
        const dataId = uniqueId("flaky-disk")
        fake.write(dataId, "DEFAULT_GROUP", "v1")
        expect(yield* config.get({ dataId })).toBe("v1")

        disk.state.broken = true
        fake.write(dataId, "DEFAULT_GROUP", "v2")
        const { warnings } = yield* warningsDuring(
          Effect.gen(function* () {
            expect(yield* config.get({ dataId })).toBe("v2")
            expect(yield* config.get({ dataId })).toBe("v2")
          })
        )
        expect(disk.state.failedWrites).toBe(2)
        expect(warnings.filter((warning) => warning.includes("snapshot"))).toHaveLength(1)

        disk.state.broken = false
        expect(yield* config.get({ dataId })).toBe("v2")
        expect(yield* files.readConfigSnapshot(keyOf(dataId))).toMatchObject({ _tag: "Some", value: { content: "v2" } })
      })
  )
})

describe("ConfigService live: watching while the server is away", () => {
  it.live("a watch starts from the local snapshot, then follows the server once it is back", () =>
    Effect.gen(function* () {
      const { fake, address, portOffset } = yield* fakeServerWithHttp({ grpc: false })
      const { config, files } = yield* build(liveLayer({ address, portOffset, timeoutMillis: 300 }))
      yield* files.writeConfigSnapshot(keyOf("offline"), { content: "from the snapshot" })
      const watcher = yield* startWatch(config, { dataId: "offline" })
      expect(yield* watcher.next).toMatchObject({
        _tag: "Changed",
        content: "from the snapshot",
        md5: md5("from the snapshot")
      })
      fake.writeSilently("offline", "DEFAULT_GROUP", "from the server")
      yield* Effect.promise(() => fake.nacos.start(fake.httpPort + portOffset))
      expect(yield* watcher.next).toMatchObject({ _tag: "Changed", content: "from the server" })
      // the first listen carried the snapshot's md5: that is how the server knew the client was behind
      expect(fake.listenRequests()[0]?.configListenContexts).toEqual([
        expect.objectContaining({ dataId: "offline", md5: md5("from the snapshot") })
      ])
    })
  )
})

describe("ConfigService live: HTTP fallback", () => {
  it.live("with gRPC unreachable, get/publish/remove go over HTTP", () =>
    Effect.gen(function* () {
      const { fake, address, portOffset } = yield* fakeServerWithHttp({ grpc: false })
      const config = yield* serviceOf(liveLayer({ address, portOffset, timeoutMillis: 300 }))
      yield* config.publish({ dataId: "via-http", content: "over http", type: "json" })
      expect(yield* config.getInfo({ dataId: "via-http" })).toMatchObject({
        content: "over http",
        md5: md5("over http"),
        type: "json"
      })
      const conflict = yield* Effect.flip(config.publish({ dataId: "via-http", content: "x", casMd5: md5("stale") }))
      expect(conflict._tag).toBe("ConflictError")
      yield* config.remove({ dataId: "via-http" })
      expect((yield* Effect.flip(config.get({ dataId: "via-http" })))._tag).toBe("NotFoundError")
      expect(fake.httpRequests).toEqual([
        "POST /nacos/v1/cs/configs",
        "GET /nacos/v3/client/cs/config",
        "POST /nacos/v1/cs/configs",
        "DELETE /nacos/v1/cs/configs",
        "GET /nacos/v3/client/cs/config"
      ])
    })
  )

  it.live("a tag query has no HTTP fallback: the HTTP API would answer the formal config", () =>
    Effect.gen(function* () {
      const { fake, address, portOffset } = yield* fakeServerWithHttp({ grpc: false })
      const config = yield* serviceOf(liveLayer({ address, portOffset, timeoutMillis: 300 }))
      expect((yield* Effect.flip(config.get({ dataId: "tagged", tag: "canary" })))._tag).toBe("TransportError")
      expect(fake.httpRequests).toEqual([])
    })
  )

  it.live("with gRPC up, HTTP is never used", () =>
    Effect.gen(function* () {
      const { fake, address, portOffset } = yield* fakeServerWithHttp({ grpc: true })
      const config = yield* serviceOf(liveLayer({ address, portOffset }))
      yield* config.publish({ dataId: "via-grpc", content: "over grpc" })
      expect(yield* config.get({ dataId: "via-grpc" })).toBe("over grpc")
      yield* config.remove({ dataId: "via-grpc" })
      expect(fake.httpRequests).toEqual([])
      expect(fake.received("ConfigPublishRequest")).toHaveLength(1)
    })
  )

  it.live(
    "while gRPC is up, the schedule decides how many gRPC attempts come before HTTP; false never falls back",
    () =>
      Effect.gen(function* () {
        const { fake, address, portOffset } = yield* fakeServerWithHttp({ grpc: true })
        // the session is up, but the server does not answer queries: each gRPC attempt times out
        fake.stallQueries = true
        fake.write("late-http", "DEFAULT_GROUP", "x")
        let attempts = 0
        const counting = Schedule.recurs(2).pipe(Schedule.tap(() => Effect.sync(() => attempts++)))
        const config = yield* serviceOf(liveLayer({ address, portOffset, timeoutMillis: 200, httpFallback: counting }))
        expect(yield* config.get({ dataId: "late-http" })).toBe("x")
        expect(attempts).toBe(2)
        expect(fake.httpRequests).toEqual(["GET /nacos/v3/client/cs/config"])
        const grpcOnly = yield* serviceOf(liveLayer({ address, portOffset, timeoutMillis: 200, httpFallback: false }))
        expect((yield* Effect.flip(grpcOnly.get({ dataId: "late-http" })))._tag).toBe("TransportError")
        expect(fake.httpRequests).toHaveLength(1)
      })
  )

  it.live("once gRPC is known down, every call goes straight to HTTP (no gRPC wait) until a session is back", () =>
    Effect.gen(function* () {
      const { fake, address, portOffset } = yield* fakeServerWithHttp({ grpc: false })
      fake.write("down", "DEFAULT_GROUP", "v1")
      // consulted after each gRPC attempt that failed in transport: counts the calls that tried gRPC first
      let grpcTries = 0
      const counting = Schedule.recurs(1).pipe(Schedule.tap(() => Effect.sync(() => grpcTries++)))
      const config = yield* serviceOf(liveLayer({ address, portOffset, timeoutMillis: 300, httpFallback: counting }))
      // the first call may start before the first connect attempt has failed
      expect(yield* config.get({ dataId: "down" })).toBe("v1")
      grpcTries = 0
      const httpBefore = fake.httpRequests.length
      for (let call = 0; call < 3; call++) expect(yield* config.get({ dataId: "down" })).toBe("v1")
      yield* config.publish({ dataId: "down", content: "v2" })
      expect(grpcTries).toBe(0)
      expect(fake.httpRequests.slice(httpBefore)).toEqual([
        "GET /nacos/v3/client/cs/config",
        "GET /nacos/v3/client/cs/config",
        "GET /nacos/v3/client/cs/config",
        "POST /nacos/v1/cs/configs"
      ])
      // gRPC comes back: once a session is up, calls use it again
      yield* Effect.promise(() => fake.nacos.start(fake.httpPort + portOffset))
      yield* eventually(
        Effect.andThen(
          config.get({ dataId: "down" }),
          Effect.sync(() => fake.received("ConfigQueryRequest").length)
        ),
        (queries) => queries > 0
      )
    })
  )
})

describe("ConfigService live: lifecycle", () => {
  it.live("closing the layer closes the connection", () =>
    Effect.gen(function* () {
      const fake = yield* fakeServer
      yield* Effect.scoped(
        Effect.gen(function* () {
          const config = yield* serviceOf(liveLayer({ address: fake.address }))
          const watcher = yield* startWatch(config, { dataId: "x" })
          yield* watcher.next
          expect(fake.nacos.openStreams).toBe(1)
        })
      )
      yield* until(() => fake.nacos.openStreams === 0)
    }).pipe(Effect.timeout(WAIT))
  )
})
