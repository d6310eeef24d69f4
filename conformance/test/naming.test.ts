/**
 * NamingService against the real Nacos server (3.1.0 here), auth off and auth on: the shared behaviour suite (the
 * same one layerMemory and the fake-server unit tests run), then what only a real deployment shows — two clients,
 * instance lifetimes across a client's close, and a connection cut under registrations and subscriptions.
 */

import * as fs from "node:fs/promises"
import * as path from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { NamingService } from "@effect-nacos/naming"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Schedule from "effect/Schedule"
import * as Scope from "effect/Scope"
import {
  addresses,
  describeNamingBehaviour,
  eventually,
  shows,
  startSubscriber,
  uniqueName
} from "../../packages/naming/test/support/behaviour.ts"
import { grpcProxyFor } from "../cuttingProxy.ts"
import { type ConformanceServer, nacosLayer, type Overrides, servers, tempCacheDir } from "../support.ts"

// =============================================================================
// Layers
// =============================================================================

const namingLayer = (
  server: ConformanceServer,
  overrides: Overrides = {},
  options: NamingService.NamingServiceOptions = {}
) =>
  NamingService.layerWith(options).pipe(
    Layer.provide(nacosLayer(server, { cacheDir: tempCacheDir("naming-conformance"), ...overrides })),
    Layer.orDie
  )

/** A client for the rest of the test, or until `close`. */
const client = (
  server: ConformanceServer,
  overrides: Overrides = {},
  options: NamingService.NamingServiceOptions = {}
) =>
  Effect.gen(function* () {
    const scope = yield* Scope.make()
    yield* Effect.addFinalizer(() => Scope.close(scope, Exit.void))
    const context = yield* Layer.buildWithScope(namingLayer(server, overrides, options), scope)
    return { naming: Context.get(context, NamingService.NamingService), close: Scope.close(scope, Exit.void) }
  })

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
  describeNamingBehaviour(`real Nacos, ${label}`, { layer: () => namingLayer(server), timeout: 90_000 })

  describe(`NamingService on the real Nacos server (3.1.0 here), ${label}`, () => {
    it.live(
      "two clients: a registration by one reaches the other's subscription, and so does its deregistration",
      () =>
        Effect.gen(function* () {
          const registering = yield* client(server)
          const watching = yield* client(server)
          const serviceName = uniqueName("two-clients")
          const subscriber = yield* startSubscriber(watching.naming, { serviceName, emptyPush: "deliver" })
          yield* registering.naming.registerInstance({ serviceName, ip: "10.20.0.1", port: 8080 })
          // bounded by the suite's wait; the latency itself is measured in bench/naming.ts
          yield* subscriber.until(shows("10.20.0.1:8080"))
          yield* registering.naming.deregisterInstance({ serviceName, ip: "10.20.0.1", port: 8080 })
          const gone = yield* subscriber.until(shows())
          const last = gone.at(-1)
          expect(last?._tag === "InstancesChanged" && addresses(last.removed)).toEqual(["10.20.0.1:8080"])
        }),
      90_000
    )

    it.live(
      "a persistent instance survives its client's close; an ephemeral one disappears for the other client",
      () =>
        Effect.gen(function* () {
          const registering = yield* client(server)
          const other = yield* client(server)
          const ephemeralName = uniqueName("ephemeral")
          const persistentName = uniqueName("persistent")
          // loopback addresses: the server health-checks a persistent instance by connecting to it
          yield* registering.naming.registerInstance({ serviceName: ephemeralName, ip: "127.21.0.1", port: 1 })
          yield* registering.naming.registerInstance({
            serviceName: persistentName,
            ip: "127.21.0.2",
            port: 2,
            ephemeral: false
          })
          const subscriber = yield* startSubscriber(other.naming, { serviceName: ephemeralName, emptyPush: "deliver" })
          yield* subscriber.until(shows("127.21.0.1:1"))
          yield* eventually(
            other.naming.listInstances({ serviceName: persistentName, subscribe: false }),
            (found) => found.length === 1
          )
          yield* registering.close
          yield* subscriber.until(shows())
          const kept = yield* other.naming.listInstances({ serviceName: persistentName, subscribe: false })
          expect(kept).toMatchObject([{ ip: "127.21.0.2", port: 2, ephemeral: false }])
          yield* other.naming.deregisterInstance({
            serviceName: persistentName,
            ip: "127.21.0.2",
            port: 2,
            ephemeral: false
          })
          yield* eventually(
            other.naming.listInstances({ serviceName: persistentName, subscribe: false }),
            (found) => found.length === 0
          )
        }),
      90_000
    )

    it.live(
      "after the connection is cut, registrations and subscriptions come back by themselves and a change made during the cut is delivered",
      () =>
        Effect.gen(function* () {
          const { proxy, portOffset } = yield* grpcProxyFor(server)
          const cutClient = yield* client(server, { grpc: { portOffset, timeoutMillis: 3000 } })
          const observer = yield* client(server)
          const registered = uniqueName("cut-registered")
          const watched = uniqueName("cut-watched")
          yield* cutClient.naming.registerInstance({ serviceName: registered, ip: "10.22.0.1", port: 1 })
          const cutSubscriber = yield* startSubscriber(cutClient.naming, { serviceName: watched, emptyPush: "deliver" })
          yield* cutSubscriber.next
          const observing = yield* startSubscriber(observer.naming, { serviceName: registered, emptyPush: "deliver" })
          yield* observing.until(shows("10.22.0.1:1"))

          yield* Effect.promise(() => proxy.cut())
          // the server drops the cut client's ephemeral instance with its connection
          yield* observing.until(shows())
          // a change the cut client cannot be told about now
          yield* observer.naming.registerInstance({ serviceName: watched, ip: "10.22.1.1", port: 1 })
          yield* Effect.promise(() => proxy.restore())

          yield* observing.until(shows("10.22.0.1:1"))
          yield* cutSubscriber.until(shows("10.22.1.1:1"))
          // pushes reach the re-subscribed client again
          yield* observer.naming.registerInstance({ serviceName: watched, ip: "10.22.1.2", port: 2 })
          yield* cutSubscriber.until(shows("10.22.1.1:1", "10.22.1.2:2"))
        }),
      120_000
    )

    it.live(
      "the server names an instance ip#port#cluster#group@@service and returns its plain service name",
      () =>
        Effect.gen(function* () {
          const { naming } = yield* client(server)
          const serviceName = uniqueName("instance-id")
          yield* naming.registerInstance({ serviceName, ip: "10.24.0.1", port: 7, clusterName: "east" })
          const [instance] = yield* eventually(
            naming.listInstances({ serviceName, subscribe: false }),
            (found) => found.length === 1
          )
          expect(instance).toMatchObject({
            instanceId: `10.24.0.1#7#east#DEFAULT_GROUP@@${serviceName}`,
            serviceName,
            clusterName: "east",
            ephemeral: true
          })
        }),
      90_000
    )

    it.live(
      "the snapshot is written in the Java layout, and a failover file there overrides the server while it exists",
      () =>
        Effect.gen(function* () {
          const cacheDir = tempCacheDir("naming-conformance")
          const registering = yield* client(server)
          const { naming } = yield* client(
            server,
            { cacheDir },
            { failoverCheckSchedule: Schedule.spaced("100 millis") }
          )
          const serviceName = uniqueName("local-files")
          yield* registering.naming.registerInstance({ serviceName, ip: "10.23.0.1", port: 1 })
          const subscriber = yield* startSubscriber(naming, { serviceName })
          yield* subscriber.until(shows("10.23.0.1:1"))
          // the Java client's names: {cacheDir}/naming/{namespace}/URLEncoder(group@@service)
          const fileName = `DEFAULT_GROUP%40%40${serviceName}`
          const snapshot = yield* eventually(
            Effect.tryPromise(() => fs.readFile(path.join(cacheDir, "naming", "public", fileName), "utf8")),
            (text) => text.includes("10.23.0.1")
          )
          expect(JSON.parse(snapshot)).toMatchObject({
            name: serviceName,
            groupName: "DEFAULT_GROUP",
            hosts: [{ ip: "10.23.0.1", port: 1, serviceName: `DEFAULT_GROUP@@${serviceName}` }]
          })
          const failoverDir = path.join(cacheDir, "naming", "public", "failover")
          yield* Effect.promise(() => fs.mkdir(failoverDir, { recursive: true }))
          yield* Effect.promise(() =>
            fs.writeFile(path.join(failoverDir, fileName), snapshot.replaceAll("10.23.0.1", "10.23.9.9"))
          )
          yield* Effect.promise(() =>
            fs.writeFile(path.join(failoverDir, "00-00---000-VIPSRV_FAILOVER_SWITCH-000---00-00"), "1\n")
          )
          yield* subscriber.until(shows("10.23.9.9:1"))
          expect(addresses(yield* naming.listInstances({ serviceName, subscribe: false }))).toEqual(["10.23.9.9:1"])
          yield* Effect.promise(() => fs.rm(path.join(failoverDir, fileName)))
          yield* subscriber.until(shows("10.23.0.1:1"))
        }),
      90_000
    )
  })
}
