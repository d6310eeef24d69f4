/**
 * ConfigService against the real Nacos server (3.1.0 here), auth off and auth on: the shared behaviour suite (the same
 * one layerMemory and the fake-server unit tests run), then what only a real deployment shows — two clients,
 * the local files, the HTTP endpoints the server really serves, and connections cut under a watch.
 */

import * as fs from "node:fs/promises"
import * as path from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { ConfigService } from "@effect-nacos/config"
import { Cache, NacosOptions } from "@effect-nacos/core"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import {
  describeConfigBehaviour,
  eventually,
  md5,
  startWatch,
  uniqueId
} from "../../packages/config/test/support/behaviour.ts"
import { holdingProxyAbove } from "../../packages/config/test/support/holdingProxy.ts"
import { fullProxyFor, grpcProxyFor } from "../cuttingProxy.ts"
import { type ConformanceServer, nacosLayer, type Overrides, servers, tempCacheDir } from "../support.ts"

// =============================================================================
// Layers
// =============================================================================

const configLayer = (
  server: ConformanceServer,
  overrides: Overrides = {},
  options: ConfigService.ConfigServiceOptions = {}
) =>
  ConfigService.layerWith(options).pipe(
    Layer.provideMerge(nacosLayer(server, { cacheDir: tempCacheDir("config-conformance"), ...overrides })),
    Layer.orDie
  )

/** A client for the rest of the test. */
const client = (
  server: ConformanceServer,
  overrides: Overrides = {},
  options: ConfigService.ConfigServiceOptions = {}
) =>
  Effect.map(Layer.build(configLayer(server, overrides, options)), (context) => ({
    config: Context.get(context, ConfigService.ConfigService),
    options: Context.get(context, NacosOptions.NacosOptions)
  }))

// =============================================================================
// Tests
// =============================================================================

const profiles = (): ReadonlyArray<readonly [string, ConformanceServer]> => {
  const { authOff, authOn } = servers()
  return [
    ["auth off", authOff],
    ["auth on", authOn]
  ]
}

for (const [label, server] of profiles()) {
  describeConfigBehaviour(`real Nacos, ${label}`, {
    layer: (options) => configLayer(server, {}, options),
    timeout: 90_000
  })

  describe(`ConfigService on the real Nacos server (3.1.0 here), ${label}`, () => {
    it.live(
      "two clients: a publish by one reaches the other's watch",
      () =>
        Effect.gen(function* () {
          const watcherClient = yield* client(server)
          const publisherClient = yield* client(server)
          const dataId = uniqueId("two-clients")
          const watcher = yield* startWatch(watcherClient.config, { dataId })
          expect((yield* watcher.next)._tag).toBe("Absent")
          yield* publisherClient.config.publish({ dataId, content: "from the other client" })
          // bounded by the suite's wait; the latency itself is measured in bench/config.ts
          expect(yield* watcher.next).toMatchObject({ _tag: "Changed", content: "from the other client" })
          yield* publisherClient.config.remove({ dataId })
          expect((yield* watcher.next)._tag).toBe("Deleted")
        }),
      90_000
    )

    it.live(
      "a failover file overrides the server",
      () =>
        Effect.gen(function* () {
          const cacheDir = tempCacheDir("config-conformance")
          const { config, options } = yield* client(server, { cacheDir })
          const dataId = uniqueId("failover")
          yield* config.publish({ dataId, content: "from the server" })
          yield* eventually(config.get({ dataId }), (content) => content === "from the server")
          // the Java client's layout, so files maintained for Java clients work unchanged
          const file = path.join(
            cacheDir,
            "config",
            `${Cache.configEnvName(options)}_nacos`,
            "data",
            "config-data-tenant",
            "public",
            "DEFAULT_GROUP",
            dataId
          )
          yield* Effect.promise(() => fs.mkdir(path.dirname(file), { recursive: true }))
          yield* Effect.promise(() => fs.writeFile(file, "from the failover file"))
          expect(yield* config.getInfo({ dataId })).toMatchObject({
            content: "from the failover file",
            source: "failover"
          })
          yield* Effect.promise(() => fs.rm(file))
          expect(yield* config.get({ dataId })).toBe("from the server")
          yield* config.remove({ dataId })
        }),
      90_000
    )

    it.live(
      "the snapshot is served when the server cannot be reached",
      () =>
        Effect.gen(function* () {
          const proxies = yield* fullProxyFor(server)
          const { config } = yield* client(server, {
            serverAddr: proxies.serverAddr,
            grpc: { portOffset: proxies.portOffset, timeoutMillis: 1500 }
          })
          const dataId = uniqueId("snapshot")
          yield* config.publish({ dataId, content: "last known good" })
          yield* eventually(config.get({ dataId }), (content) => content === "last known good")
          yield* Effect.promise(() => Promise.all([proxies.grpc.cut(), proxies.http.cut()]))
          expect(yield* config.getInfo({ dataId })).toMatchObject({
            content: "last known good",
            md5: md5("last known good"),
            source: "snapshot"
          })
          // nothing to fall back on: the failure comes through
          expect((yield* Effect.flip(config.get({ dataId: uniqueId("never-read") })))._tag).toBe("TransportError")
          yield* Effect.promise(() => Promise.all([proxies.grpc.restore(), proxies.http.restore()]))
          yield* eventually(config.remove({ dataId }))
        }),
      90_000
    )

    it.live(
      "with gRPC unreachable, get/publish/remove work over the server's HTTP API",
      () =>
        Effect.gen(function* () {
          const { proxy, portOffset } = yield* grpcProxyFor(server)
          yield* Effect.promise(() => proxy.cut())
          const { config } = yield* client(server, { grpc: { portOffset, timeoutMillis: 1000 } })
          const dataId = uniqueId("http-fallback")
          yield* config.publish({ dataId, content: "over http", type: "json" })
          const info = yield* eventually(config.getInfo({ dataId }), (info) => info.content === "over http")
          expect(info).toMatchObject({ md5: md5("over http"), type: "json", source: "server" })
          const conflict = yield* Effect.flip(config.publish({ dataId, content: "x", casMd5: md5("stale") }))
          expect(conflict._tag).toBe("ConflictError")
          yield* config.publish({ dataId, content: "cas over http", casMd5: md5("over http") })
          yield* eventually(config.get({ dataId }), (content) => content === "cas over http")
          yield* config.remove({ dataId })
          yield* eventually(Effect.flip(config.get({ dataId })), (error) => error._tag === "NotFoundError")
        }),
      90_000
    )

    // with auth on, a wrong contextPath also means no login, so nothing could be published to be kept
    if (!server.authEnabled) {
      it.live(
        "a bare 404 (a wrong contextPath) with gRPC unreachable is not 'not found': the snapshot answers and stays",
        () =>
          Effect.gen(function* () {
            const { proxy, portOffset } = yield* grpcProxyFor(server)
            const { config } = yield* client(server, {
              contextPath: "/not-nacos",
              grpc: { portOffset, timeoutMillis: 1000 }
            })
            const dataId = uniqueId("foreign-404")
            yield* config.publish({ dataId, content: "last known good" })
            yield* eventually(config.get({ dataId }), (content) => content === "last known good")
            yield* Effect.promise(() => proxy.cut())
            // the HTTP fallback reaches the server's Tomcat, which answers its own HTML 404 for the wrong path
            expect(yield* config.getInfo({ dataId })).toMatchObject({ content: "last known good", source: "snapshot" })
            expect(yield* config.getInfo({ dataId })).toMatchObject({ source: "snapshot" })
            yield* Effect.promise(() => proxy.restore())
            yield* eventually(config.remove({ dataId }))
          }),
        90_000
      )
    }

    it.live(
      "a CAS publish whose gRPC answer is late is confirmed by md5: success, though the server applied it before answering",
      () =>
        Effect.gen(function* () {
          const { proxy, portOffset } = yield* holdingProxyAbove(server.grpcPort, server.httpPort)
          const { config } = yield* client(server, { grpc: { portOffset, timeoutMillis: 1000 } })
          const dataId = uniqueId("late-cas")
          yield* config.publish({ dataId, content: "old" })
          yield* eventually(config.get({ dataId }), (content) => content === "old")
          proxy.holdAnswers()
          // over HTTP this would be re-sent and refused as a conflict with itself
          yield* config.publish({ dataId, content: "new", casMd5: md5("old") })
          proxy.release()
          yield* eventually(config.get({ dataId }), (content) => content === "new")
          yield* config.remove({ dataId })
        }),
      90_000
    )

    it.live(
      "size: 10 MiB is refused before sending; 4 MiB, slower than a short base timeout, is stored within its size-grown budget",
      () =>
        Effect.gen(function* () {
          const { config } = yield* client(server, { grpc: { timeoutMillis: 500 } })
          const dataId = uniqueId("large")
          // connected first: the short timeout is for the publish, not for a handshake on a busy machine
          yield* eventually(Effect.flip(config.get({ dataId })), (error) => error._tag === "NotFoundError")
          const refused = yield* Effect.flip(config.publish({ dataId, content: "a".repeat(10 * 1024 * 1024) }))
          expect(refused).toMatchObject({ _tag: "InvalidArgumentError", field: "content" })
          // storing 4 MiB takes the server about a second even when idle; with 500 ms it used to time out and be
          // re-sent over HTTP, whose form the server drops ("'dataId' is not present") after storing the first
          const large = "b".repeat(4 * 1024 * 1024)
          yield* config.publish({ dataId, content: large })
          yield* eventually(config.getInfo({ dataId }), (info) => info.md5 === md5(large))
          yield* eventually(config.remove({ dataId }))
        }),
      120_000
    )

    it.live(
      "over HTTP, a form past the server's post-size limit is refused as such, and nothing is stored",
      () =>
        Effect.gen(function* () {
          const { proxy, portOffset } = yield* grpcProxyFor(server)
          yield* Effect.promise(() => proxy.cut())
          const { config } = yield* client(server, { grpc: { portOffset, timeoutMillis: 1000 } })
          const dataId = uniqueId("large-form")
          const error = yield* Effect.flip(config.publish({ dataId, content: "c".repeat(3 * 1024 * 1024) }))
          expect(error).toMatchObject({ _tag: "InvalidArgumentError", field: "content" })
          expect(error.message).toContain("post-size limit")
          expect((yield* Effect.flip(config.get({ dataId })))._tag).toBe("NotFoundError")
        }),
      90_000
    )

    it.live(
      "after the connection is cut, a watch keeps firing without re-subscribing",
      () =>
        Effect.gen(function* () {
          const { proxy, portOffset } = yield* grpcProxyFor(server)
          const watching = yield* client(server, { grpc: { portOffset } })
          const publisher = yield* client(server)
          const dataId = uniqueId("cut")
          yield* publisher.config.publish({ dataId, content: "before the cut" })
          yield* eventually(publisher.config.get({ dataId }), (content) => content === "before the cut")
          const watcher = yield* startWatch(watching.config, { dataId })
          expect(yield* watcher.next).toMatchObject({ content: "before the cut" })

          yield* Effect.promise(() => proxy.cut())
          yield* publisher.config.publish({ dataId, content: "while cut" })
          yield* eventually(publisher.config.get({ dataId }), (content) => content === "while cut")
          yield* Effect.promise(() => proxy.restore())
          // the reconnect re-listens with the md5 held: the change made while away is caught
          expect(yield* watcher.next).toMatchObject({ _tag: "Changed", content: "while cut" })

          // a second cut, this time with the server side still knowing nothing of the change until after it
          yield* Effect.promise(() => proxy.cut())
          yield* Effect.promise(() => proxy.restore())
          yield* publisher.config.publish({ dataId, content: "after the cuts" })
          expect(
            yield* watcher.until((event) => event._tag === "Changed" && event.content === "after the cuts")
          ).toEqual([expect.objectContaining({ content: "after the cuts" })])
          yield* publisher.config.remove({ dataId })
        }),
      120_000
    )
  })
}
