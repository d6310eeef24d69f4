/**
 * Naming fuzzy watch (the `watchServices` front end over a naming connection) on the fake fuzzy-watch server: the
 * naming wire (service keys, `namespace` field, batches of the initial sync), acks, the redo after a reconnect, the
 * refusals before sending and without the server ability. The shared mechanism's other rules are tested through
 * config's `watchConfigs`.
 */
import { randomUUID } from "node:crypto"
import * as os from "node:os"
import * as path from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { Nacos, Transport } from "@effect-nacos/core"
import { type NamingModels, NamingService } from "@effect-nacos/naming"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Queue from "effect/Queue"
import * as Schedule from "effect/Schedule"
import * as Stream from "effect/Stream"
import { FakeFuzzyWatchServer, namingWire } from "../../core/test/support/FakeFuzzyWatchServer.ts"
import * as NamingFuzzyWatch from "../src/internal/fuzzyWatch.ts"

const WAIT = "20 seconds"

const fuzzyServer = (abilities?: Readonly<Record<string, boolean>>) =>
  Effect.acquireRelease(
    Effect.promise(() => new FakeFuzzyWatchServer(namingWire, abilities === undefined ? {} : { abilities }).start()),
    (fake) => Effect.promise(() => fake.stop())
  )

/** The naming front end over its own naming connection to `fake`. */
const frontEndOn = (fake: FakeFuzzyWatchServer) =>
  Effect.gen(function* () {
    const context = yield* Layer.build(
      Nacos.layer({
        serverAddr: fake.address,
        appName: "naming-fuzzy-test",
        cacheDir: path.join(os.tmpdir(), `effect-nacos-naming-fuzzy-${randomUUID()}`),
        grpc: { portOffset: 0, timeoutMillis: 2000 }
      })
    )
    const connection = yield* Context.get(context, Transport.Transport).connect({ module: "naming" })
    return yield* NamingFuzzyWatch.make(connection, "public")
  })

const until = (check: () => boolean) =>
  Effect.sync(check).pipe(
    Effect.repeat({ until: (ok) => ok, schedule: Schedule.spaced("50 millis") }),
    Effect.timeoutOrElse({ duration: WAIT, orElse: () => Effect.die("the expected state never showed") })
  )

const startWatching = (naming: NamingFuzzyWatch.NamingFuzzyWatch, params: NamingModels.WatchServicesParams) =>
  Effect.gen(function* () {
    const events = yield* Queue.unbounded<NamingModels.ServiceKeysEvent>()
    yield* naming.watchServices(params).pipe(
      Stream.runForEach((event) => Queue.offer(events, event)),
      Effect.forkScoped
    )
    return Queue.take(events).pipe(
      Effect.timeoutOrElse({ duration: WAIT, orElse: () => Effect.die("no fuzzy-watch event") })
    )
  })

const serviceKey = (serviceName: string, group = "DEFAULT_GROUP", namespace = "public") =>
  `${namespace}@@${group}@@${serviceName}`

const namesOf = (event: NamingModels.ServiceKeysEvent) =>
  event._tag === "Snapshot" ? event.services.map((service) => service.serviceName).sort() : []

describe("naming fuzzy watch on the fake server", () => {
  it.live("the initial set (two batches) is one Snapshot; the request carries the namespace; pushes acked", () =>
    Effect.gen(function* () {
      const fake = yield* fuzzyServer()
      const names = Array.from({ length: 13 }, (_, index) => `orders-${String(index).padStart(2, "0")}`)
      for (const name of names) fake.keys.add(serviceKey(name))
      fake.keys.add(serviceKey("orders-elsewhere", "DEFAULT_GROUP", "dev"))
      fake.keys.add(serviceKey("payments"))
      const naming = yield* frontEndOn(fake)
      const next = yield* startWatching(naming, { groupPattern: "*", servicePattern: "orders-*" })
      const first = yield* next
      expect(first._tag).toBe("Snapshot")
      expect(namesOf(first)).toEqual(names)
      expect(fake.watchRequests()).toEqual([
        {
          namespace: "public",
          groupKeyPattern: "public>>*>>orders-*",
          receivedGroupKeys: [],
          watchType: "WATCH",
          initializing: true
        }
      ])
      yield* until(() => fake.acksOf("NamingFuzzyWatchSyncRequest").length === 3)
      yield* until(() => fake.acksOf("NamingFuzzyWatchSyncRequest").every((ack) => ack !== undefined))
      for (const ack of fake.acksOf("NamingFuzzyWatchSyncRequest")) {
        expect(ack).toMatchObject({ type: "NamingFuzzyWatchSyncResponse", json: { resultCode: 200 } })
      }
    })
  )

  it.live("a service that appears and disappears is Added then Removed; another namespace is its own", () =>
    Effect.gen(function* () {
      const fake = yield* fuzzyServer()
      const naming = yield* frontEndOn(fake)
      const next = yield* startWatching(naming, {
        namespace: "dev",
        groupPattern: "PROD",
        servicePattern: "*-api"
      })
      expect(yield* next).toEqual({ _tag: "Snapshot", services: [] })
      fake.add(serviceKey("users-api", "PROD", "public"))
      fake.add(serviceKey("users-api", "PROD", "dev"))
      expect(yield* next).toEqual({ _tag: "Added", namespace: "dev", groupName: "PROD", serviceName: "users-api" })
      fake.remove(serviceKey("users-api", "PROD", "dev"))
      expect(yield* next).toEqual({ _tag: "Removed", namespace: "dev", groupName: "PROD", serviceName: "users-api" })
      expect(fake.watchRequests()[0]).toMatchObject({ namespace: "dev", groupKeyPattern: "dev>>PROD>>*-api" })
      yield* until(() => fake.acksOf("NamingFuzzyWatchChangeNotifyRequest").every((ack) => ack !== undefined))
      for (const ack of fake.acksOf("NamingFuzzyWatchChangeNotifyRequest")) {
        expect(ack).toMatchObject({ type: "NamingFuzzyWatchChangeNotifyResponse", json: { resultCode: 200 } })
      }
    })
  )

  it.live("after a reconnect the services added and removed meanwhile are delivered", () =>
    Effect.gen(function* () {
      const fake = yield* fuzzyServer()
      fake.keys.add(serviceKey("cut-a"))
      const naming = yield* frontEndOn(fake)
      const next = yield* startWatching(naming, { groupPattern: "DEFAULT_GROUP", servicePattern: "cut-*" })
      expect(namesOf(yield* next)).toEqual(["cut-a"])
      fake.disconnectAll()
      fake.keys.delete(serviceKey("cut-a"))
      fake.keys.add(serviceKey("cut-b"))
      const changes = [yield* next, yield* next]
      expect(changes).toEqual(
        expect.arrayContaining([
          { _tag: "Removed", namespace: "public", groupName: "DEFAULT_GROUP", serviceName: "cut-a" },
          { _tag: "Added", namespace: "public", groupName: "DEFAULT_GROUP", serviceName: "cut-b" }
        ])
      )
      expect(fake.watchRequests()[1]).toMatchObject({
        watchType: "WATCH",
        initializing: false,
        receivedGroupKeys: [serviceKey("cut-a")]
      })
    })
  )

  it.live("bad patterns are refused before sending; a server without fuzzyWatch gives NotSupportedError", () =>
    Effect.gen(function* () {
      const fake = yield* fuzzyServer({})
      const naming = yield* frontEndOn(fake)
      const refusals: Array<readonly [NamingModels.WatchServicesParams, string]> = [
        [{ groupPattern: "*", servicePattern: "a*b" }, "servicePattern"],
        [{ groupPattern: "*", servicePattern: "@@x*" }, "servicePattern"],
        [{ groupPattern: "G G", servicePattern: "*" }, "groupPattern"],
        [{ namespace: "a*", groupPattern: "*", servicePattern: "*" }, "namespace"]
      ]
      for (const [params, field] of refusals) {
        const error = yield* Effect.flip(Stream.runCollect(naming.watchServices(params)))
        expect(error).toMatchObject({ _tag: "InvalidArgumentError", field })
      }
      const unsupported = yield* Effect.flip(
        Stream.runCollect(naming.watchServices({ groupPattern: "*", servicePattern: "*" }))
      )
      expect(unsupported).toMatchObject({ _tag: "NotSupportedError", ability: "fuzzyWatch" })
      expect(fake.watchRequests()).toEqual([])
    })
  )
})

describe("naming fuzzy watch in memory", () => {
  it.effect("the present services first, then a service's first and last instance only, for matching ones", () =>
    Effect.gen(function* () {
      const memory = yield* NamingFuzzyWatch.makeMemory("public")
      const service = (serviceName: string, groupName = "DEFAULT_GROUP") => ({
        namespace: "public",
        groupName,
        serviceName
      })
      yield* memory.servicePresence(service("orders"), true)
      yield* memory.servicePresence(service("payments"), true)
      const events = yield* Queue.unbounded<NamingModels.ServiceKeysEvent>()
      yield* memory.watchServices({ groupPattern: "DEFAULT_GROUP", servicePattern: "ord*" }).pipe(
        Stream.runForEach((event) => Queue.offer(events, event)),
        Effect.forkScoped
      )
      expect(yield* Queue.take(events)).toEqual({ _tag: "Snapshot", services: [service("orders")] })
      yield* memory.servicePresence(service("ordering"), true)
      // a second instance of a present service, and services the pattern does not match: nothing
      yield* memory.servicePresence(service("ordering"), true)
      yield* memory.servicePresence(service("orders", "OTHER"), true)
      yield* memory.servicePresence(service("payments"), false)
      yield* memory.servicePresence(service("orders"), false)
      expect(yield* Queue.take(events)).toEqual({ _tag: "Added", ...service("ordering") })
      expect(yield* Queue.take(events)).toEqual({ _tag: "Removed", ...service("orders") })
      expect(yield* Queue.size(events)).toBe(0)
      const refused = yield* Effect.flip(
        Stream.runCollect(memory.watchServices({ groupPattern: "*", servicePattern: "a*b" }))
      )
      expect(refused).toMatchObject({ _tag: "InvalidArgumentError", field: "servicePattern" })
    })
  )

  it.effect("layerMemory: registering a service's first instance adds it, deregistering its last removes it", () =>
    Effect.gen(function* () {
      const naming = yield* NamingService.NamingService
      const events = yield* Queue.unbounded<NamingModels.ServiceKeysEvent>()
      yield* naming.registerInstance({ serviceName: "mem-one", ip: "10.0.0.1", port: 80 })
      yield* naming.watchServices({ groupPattern: "*", servicePattern: "mem-*" }).pipe(
        Stream.runForEach((event) => Queue.offer(events, event)),
        Effect.forkScoped
      )
      const one = { namespace: "public", groupName: "DEFAULT_GROUP", serviceName: "mem-one" }
      const two = { namespace: "public", groupName: "DEFAULT_GROUP", serviceName: "mem-two" }
      expect(yield* Queue.take(events)).toEqual({ _tag: "Snapshot", services: [one] })
      yield* naming.registerInstance({ serviceName: "mem-two", ip: "10.0.0.2", port: 80 })
      yield* naming.registerInstance({ serviceName: "mem-two", ip: "10.0.0.3", port: 80 })
      yield* naming.deregisterInstance({ serviceName: "mem-one", ip: "10.0.0.1", port: 80 })
      expect(yield* Queue.take(events)).toEqual({ _tag: "Added", ...two })
      expect(yield* Queue.take(events)).toEqual({ _tag: "Removed", ...one })
      expect(yield* Queue.size(events)).toBe(0)
    }).pipe(Effect.provide(NamingService.layerMemory()))
  )
})
