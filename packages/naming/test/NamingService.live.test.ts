/**
 * The live NamingService on the fake naming server: the shared behaviour suite, then what only the wire shows —
 * the requests sent, pushes acknowledged, redo after the server lost every connection, empty pushes, the local
 * files and the close of the layer.
 */
import { describe, expect, it } from "@effect/vitest"
import { Cache } from "@effect-nacos/core"
import { StreamProbe } from "@effect-nacos/core/testing"
import { NamingService } from "@effect-nacos/naming"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import { describeNamingBehaviour, eventually, shows, startSubscriber, uniqueName } from "./support/behaviour.ts"
import { FakeNamingServer } from "./support/FakeNamingServer.ts"
import { fakeServer, type LiveOptions, liveLayer, liveOnFakeServer } from "./support/layers.ts"

describeNamingBehaviour("live layer on the fake server", { layer: liveOnFakeServer })

/** A client on `fake` for the rest of the test (or until `close`). */
const client = (fake: FakeNamingServer, options: Omit<LiveOptions, "address"> = {}) =>
  Effect.gen(function* () {
    const scope = yield* Scope.make()
    yield* Effect.addFinalizer(() => Scope.close(scope, Exit.void))
    const context = yield* Layer.buildWithScope(liveLayer({ address: fake.address, ...options }), scope)
    return {
      naming: Context.get(context, NamingService.NamingService),
      cache: Context.get(context, Cache.NacosCache),
      control: Context.get(context, Cache.NacosCacheMemory),
      close: Scope.close(scope, Exit.void)
    }
  })

const InstanceType = Schema.Struct({ type: Schema.String })
const typesOf = (fake: FakeNamingServer, requestType: string) =>
  fake.received(requestType).map((received) => Schema.decodeUnknownSync(InstanceType)(received.json).type)
const SubscribeFlag = Schema.Struct({ subscribe: Schema.Boolean })
const subscribeFlags = (fake: FakeNamingServer) =>
  fake
    .received("SubscribeServiceRequest")
    .map((received) => Schema.decodeUnknownSync(SubscribeFlag)(received.json).subscribe)

const otherInstance = (ip: string, port: number) => ({
  ip,
  port,
  weight: 1,
  healthy: true,
  enabled: true,
  ephemeral: true,
  clusterName: "DEFAULT",
  metadata: {}
})

describe("NamingService on the fake server", () => {
  it.live("every request names the namespace, group and service; the connection is labelled module=naming", () =>
    Effect.gen(function* () {
      const fake = yield* fakeServer()
      const { naming } = yield* client(fake)
      yield* naming.registerInstance({ serviceName: "labels", ip: "10.0.0.1", port: 1 })
      const [register] = fake.received("InstanceRequest")
      expect(register?.json).toMatchObject({
        namespace: "public",
        groupName: "DEFAULT_GROUP",
        serviceName: "labels",
        type: "registerInstance",
        instance: {
          ip: "10.0.0.1",
          port: 1,
          clusterName: "DEFAULT",
          ephemeral: true,
          weight: 1
        }
      })
      // the server fills it (as group@@service) and builds the instance id from it
      expect(register?.json).not.toHaveProperty("instance.serviceName")
      const [setup] = fake.received("ConnectionSetupRequest")
      expect(setup?.json).toMatchObject({ labels: { module: "naming", source: "sdk" } })
    })
  )

  it.live("pushes are acknowledged with NotifySubscriberResponse and reach the subscriber", () =>
    Effect.gen(function* () {
      const fake = yield* fakeServer()
      const { naming } = yield* client(fake)
      const serviceName = uniqueName("push")
      const subscriber = yield* startSubscriber(naming, { serviceName })
      expect(yield* subscriber.next).toMatchObject({ _tag: "InstancesChanged", service: { hosts: [] } })
      fake.publishAsOther(serviceName, [otherInstance("10.1.0.1", 1)])
      yield* subscriber.until(shows("10.1.0.1:1"))
      const requestId = fake.pushes.at(-1) ?? ""
      const ack = yield* Effect.promise(() => fake.nacos.ackFor(requestId))
      expect(ack.type).toBe("NotifySubscriberResponse")
    })
  )

  it.live("subscribers of one service share one server subscription; the last one leaving unsubscribes", () =>
    Effect.gen(function* () {
      const fake = yield* fakeServer()
      const { naming } = yield* client(fake)
      const serviceName = uniqueName("shared")
      const first = yield* startSubscriber(naming, { serviceName })
      const second = yield* startSubscriber(naming, { serviceName, clusters: ["DEFAULT"] })
      yield* first.next
      yield* second.next
      expect(subscribeFlags(fake)).toEqual([true])
      yield* Fiber.interrupt(first.fiber)
      expect(fake.subscribersOf(serviceName)).toBe(1)
      yield* Fiber.interrupt(second.fiber)
      yield* eventually(
        Effect.sync(() => fake.subscribersOf(serviceName)),
        (count) => count === 0
      )
      expect(subscribeFlags(fake)).toEqual([true, false])
    })
  )

  it.live("subscribeMany subscribes each service once, and each is unsubscribed when the stream ends", () =>
    Effect.gen(function* () {
      const fake = yield* fakeServer()
      const { naming } = yield* client(fake)
      const [a, b] = [uniqueName("many-wire-a"), uniqueName("many-wire-b")]
      const probe = yield* StreamProbe.start(
        naming.subscribeMany([{ serviceName: a }, { serviceName: b }, { serviceName: a }]),
        "subscribeMany"
      )
      const firsts = [yield* probe.next, yield* probe.next].map((event) => event.service.name).sort()
      expect(firsts).toEqual([a, b].sort())
      expect(subscribeFlags(fake)).toEqual([true, true])
      expect([fake.subscribersOf(a), fake.subscribersOf(b)]).toEqual([1, 1])
      yield* Fiber.interrupt(probe.fiber)
      yield* eventually(
        Effect.sync(() => fake.subscribersOf(a) + fake.subscribersOf(b)),
        (count) => count === 0
      )
      expect(subscribeFlags(fake)).toEqual([true, true, false, false])
    })
  )

  it.live("subscribeMany with an invalid service sends no subscription at all", () =>
    Effect.gen(function* () {
      const fake = yield* fakeServer()
      const { naming } = yield* client(fake)
      const error = yield* Effect.flip(
        Stream.runHead(naming.subscribeMany([{ serviceName: uniqueName("many-valid") }, { serviceName: "" }]))
      )
      expect(error).toMatchObject({ _tag: "InvalidArgumentError", field: "serviceName" })
      // a valid subscription made afterwards is the first the server sees
      const probe = yield* startSubscriber(naming, { serviceName: uniqueName("after") })
      yield* probe.next
      expect(subscribeFlags(fake)).toEqual([true])
    })
  )

  it.live("one instance goes as InstanceRequest, several as one BatchInstanceRequest, none as a deregister", () =>
    Effect.gen(function* () {
      const fake = yield* fakeServer()
      const { naming } = yield* client(fake)
      const serviceName = uniqueName("wire")
      yield* naming.registerInstance({ serviceName, ip: "10.2.0.1", port: 1 })
      yield* naming.registerInstance({ serviceName, ip: "10.2.0.2", port: 2 })
      expect(
        fake
          .instancesOf(serviceName)
          .map((instance) => instance.ip)
          .sort()
      ).toEqual(["10.2.0.1", "10.2.0.2"])
      yield* naming.deregisterInstance({ serviceName, ip: "10.2.0.1", port: 1 })
      yield* naming.deregisterInstance({ serviceName, ip: "10.2.0.2", port: 2 })
      expect(typesOf(fake, "InstanceRequest")).toEqual(["registerInstance", "registerInstance", "deregisterInstance"])
      expect(typesOf(fake, "BatchInstanceRequest")).toEqual(["batchRegisterInstance"])
      expect(fake.instancesOf(serviceName)).toEqual([])
    })
  )

  it.live(
    "after the server lost every connection, registrations and subscriptions come back, and a change made meanwhile is delivered",
    () =>
      Effect.gen(function* () {
        const fake = yield* fakeServer()
        const { naming } = yield* client(fake)
        const serviceName = uniqueName("redo")
        const watched = uniqueName("redo-watched")
        yield* naming.batchRegisterInstances({
          serviceName,
          instances: [
            { ip: "10.3.0.1", port: 1 },
            { ip: "10.3.0.2", port: 2 }
          ]
        })
        const subscriber = yield* startSubscriber(naming, { serviceName: watched })
        yield* subscriber.next
        fake.dropConnections()
        expect(fake.instancesOf(serviceName)).toEqual([])
        // a change the client cannot be told about: nobody is subscribed on the server
        fake.publishAsOther(watched, [otherInstance("10.3.1.1", 1)])
        yield* subscriber.until(shows("10.3.1.1:1"))
        const back = yield* eventually(
          Effect.sync(() => fake.instancesOf(serviceName)),
          (instances) => instances.length === 2
        )
        expect(back.map((instance) => instance.ip).sort()).toEqual(["10.3.0.1", "10.3.0.2"])
        expect(fake.subscribersOf(watched)).toBe(1)
        // and pushes reach the subscriber again
        fake.publishAsOther(watched, [otherInstance("10.3.1.1", 1), otherInstance("10.3.1.2", 2)])
        yield* subscriber.until(shows("10.3.1.1:1", "10.3.1.2:2"))
      })
  )

  it.live("an empty push: protect keeps the view and signals, deliver empties it", () =>
    Effect.gen(function* () {
      const fake = yield* fakeServer()
      const { naming } = yield* client(fake)
      const serviceName = uniqueName("empty-push")
      fake.publishAsOther(serviceName, [otherInstance("10.4.0.1", 1)])
      const protect = yield* startSubscriber(naming, { serviceName, emptyPush: "protect" })
      const deliver = yield* startSubscriber(naming, { serviceName, emptyPush: "deliver" })
      yield* protect.until(shows("10.4.0.1:1"))
      yield* deliver.until(shows("10.4.0.1:1"))
      const requestId = fake.pushEmpty(serviceName) ?? ""
      expect(yield* protect.next).toMatchObject({ _tag: "EmptyPushIgnored", service: { hosts: [{ ip: "10.4.0.1" }] } })
      expect(yield* deliver.next).toMatchObject({
        _tag: "InstancesChanged",
        service: { hosts: [] },
        removed: [{ ip: "10.4.0.1" }]
      })
      expect((yield* Effect.promise(() => fake.nacos.ackFor(requestId))).type).toBe("NotifySubscriberResponse")
      // the listInstances answer from the subscription is the server's: empty
      expect(yield* naming.listInstances({ serviceName })).toEqual([])
    })
  )

  it.live(
    "persistent instances go as PersistentInstanceRequest and survive the client's close; ephemeral ones are deregistered on close",
    () =>
      Effect.gen(function* () {
        const fake = yield* fakeServer()
        const registering = yield* client(fake)
        const other = yield* client(fake)
        const serviceName = uniqueName("lifetimes")
        const persistentName = uniqueName("persistent")
        yield* registering.naming.registerInstance({ serviceName, ip: "10.5.0.1", port: 1 })
        yield* registering.naming.registerInstance({
          serviceName: persistentName,
          ip: "10.5.0.2",
          port: 2,
          ephemeral: false
        })
        expect(typesOf(fake, "PersistentInstanceRequest")).toEqual(["registerInstance"])
        const subscriber = yield* startSubscriber(other.naming, { serviceName, emptyPush: "deliver" })
        yield* subscriber.until(shows("10.5.0.1:1"))
        yield* registering.close
        // a graceful deregister, before the connection closed
        expect(typesOf(fake, "InstanceRequest")).toEqual(["registerInstance", "deregisterInstance"])
        yield* subscriber.until((event) => event._tag === "InstancesChanged" && event.service.hosts.length === 0)
        expect(yield* other.naming.listInstances({ serviceName: persistentName, subscribe: false })).toMatchObject([
          { ip: "10.5.0.2", ephemeral: false }
        ])
        yield* other.naming.deregisterInstance({
          serviceName: persistentName,
          ip: "10.5.0.2",
          port: 2,
          ephemeral: false
        })
        expect(yield* other.naming.listInstances({ serviceName: persistentName, subscribe: false })).toEqual([])
      })
  )

  it.live(
    "a persistent instance on a server without supportPersistentInstanceByGrpc fails with NotSupportedError",
    () =>
      Effect.gen(function* () {
        const fake = yield* fakeServer({ persistentAbility: false })
        const { naming } = yield* client(fake)
        const error = yield* Effect.flip(
          naming.registerInstance({ serviceName: "p", ip: "10.6.0.1", port: 1, ephemeral: false })
        )
        expect(error).toMatchObject({ _tag: "NotSupportedError", ability: "supportPersistentInstanceByGrpc" })
        expect(fake.received("PersistentInstanceRequest")).toEqual([])
      })
  )

  it.live("every server view of a subscribed service is written to its snapshot", () =>
    Effect.gen(function* () {
      const fake = yield* fakeServer()
      const { naming, cache } = yield* client(fake)
      const serviceName = uniqueName("snapshot")
      fake.publishAsOther(serviceName, [otherInstance("10.7.0.1", 1)])
      const subscriber = yield* startSubscriber(naming, { serviceName })
      yield* subscriber.until(shows("10.7.0.1:1"))
      const snapshot = yield* eventually(cache.readServiceSnapshot("public", `DEFAULT_GROUP@@${serviceName}`), (json) =>
        Option.exists(json, (text) => text.includes("10.7.0.1"))
      )
      expect(Option.map(snapshot, (text) => JSON.parse(text))).toMatchObject(
        Option.some({ name: serviceName, groupName: "DEFAULT_GROUP", hosts: [{ ip: "10.7.0.1", port: 1 }] })
      )
    })
  )

  it.live("loadCacheAtStart shows the snapshot until the server answers", () =>
    Effect.gen(function* () {
      const fake = yield* fakeServer()
      const serviceName = uniqueName("cache-at-start")
      const json = JSON.stringify({
        name: serviceName,
        groupName: "DEFAULT_GROUP",
        hosts: [otherInstance("10.8.0.1", 1)]
      })
      const cache = Cache.layerMemory({
        serviceSnapshots: [{ namespace: "public", groupedName: `DEFAULT_GROUP@@${serviceName}`, json }]
      })
      fake.publishAsOther(serviceName, [otherInstance("10.8.0.2", 2)])
      const { naming } = yield* client(fake, { cache, loadCacheAtStart: true })
      const subscriber = yield* startSubscriber(naming, { serviceName })
      expect(yield* subscriber.next).toSatisfy(shows("10.8.0.1:1"))
      yield* subscriber.until(shows("10.8.0.2:2"))
    })
  )

  it.live("a failover file overrides the server for queries and subscriptions while it exists", () =>
    Effect.gen(function* () {
      const fake = yield* fakeServer()
      const serviceName = uniqueName("failover")
      const groupedName = `DEFAULT_GROUP@@${serviceName}`
      fake.publishAsOther(serviceName, [otherInstance("10.9.0.1", 1)])
      const { naming, control } = yield* client(fake, { failoverCheckSchedule: Schedule.spaced("50 millis") })
      const subscriber = yield* startSubscriber(naming, { serviceName })
      yield* subscriber.until(shows("10.9.0.1:1"))
      yield* control.putServiceFailover(
        "public",
        groupedName,
        JSON.stringify({ name: serviceName, groupName: "DEFAULT_GROUP", hosts: [otherInstance("10.9.9.9", 9)] })
      )
      yield* control.setServiceFailoverSwitch(true)
      yield* subscriber.until(shows("10.9.9.9:9"))
      expect((yield* naming.listInstances({ serviceName, subscribe: false })).map((instance) => instance.ip)).toEqual([
        "10.9.9.9"
      ])
      yield* control.removeServiceFailover("public", groupedName)
      yield* subscriber.until(shows("10.9.0.1:1"))
    })
  )

  it.live("a redo the server refuses is retried until it takes", () =>
    Effect.gen(function* () {
      const fake = yield* fakeServer()
      const { naming } = yield* client(fake, { redoRetrySchedule: Schedule.spaced("50 millis") })
      const serviceName = uniqueName("redo-retry")
      yield* naming.registerInstance({ serviceName, ip: "10.10.0.1", port: 1 })
      fake.refuseRegistrations = 3
      fake.dropConnections()
      yield* eventually(
        Effect.sync(() => fake.instancesOf(serviceName)),
        (instances) => instances.length === 1
      )
      expect(fake.refuseRegistrations).toBe(0)
      expect(typesOf(fake, "InstanceRequest")).toEqual(Array.from({ length: 5 }, () => "registerInstance"))
    })
  )

  it.live("invalid input sends nothing", () =>
    Effect.gen(function* () {
      const fake = yield* fakeServer()
      const { naming } = yield* client(fake)
      const base = { serviceName: "valid", ip: "10.11.0.1", port: 80 }
      const failures = yield* Effect.forEach(
        [
          naming.registerInstance({ ...base, clusterName: "under_score" }),
          naming.registerInstance({ ...base, port: 0, ephemeral: false }),
          naming.deregisterInstance({ ...base, ip: " " }),
          naming.batchRegisterInstances({
            serviceName: "valid",
            instances: [{ ip: "10.11.0.1", port: 1, weight: 1e6 }]
          }),
          naming.getService({ serviceName: "@bad" })
        ],
        (effect) => Effect.map(Effect.flip(effect), (error) => error._tag)
      )
      expect(failures).toEqual(Array.from({ length: 5 }, () => "InvalidArgumentError"))
      for (const type of [
        "InstanceRequest",
        "PersistentInstanceRequest",
        "BatchInstanceRequest",
        "ServiceQueryRequest"
      ]) {
        expect(fake.received(type)).toEqual([])
      }
    })
  )

  it.live("loadCacheAtStart serves the snapshot while the server cannot be reached", () =>
    Effect.gen(function* () {
      // a port nothing listens on: a fake started and stopped
      const gone = yield* Effect.promise(() => new FakeNamingServer().start())
      const address = gone.address
      yield* Effect.promise(() => gone.stop())
      const serviceName = uniqueName("offline")
      const json = JSON.stringify({
        name: serviceName,
        groupName: "DEFAULT_GROUP",
        hosts: [{ ...otherInstance("10.12.0.1", 1), serviceName: `DEFAULT_GROUP@@${serviceName}` }]
      })
      const cache = Cache.layerMemory({
        serviceSnapshots: [{ namespace: "public", groupedName: `DEFAULT_GROUP@@${serviceName}`, json }]
      })
      const scope = yield* Scope.make()
      yield* Effect.addFinalizer(() => Scope.close(scope, Exit.void))
      const context = yield* Layer.buildWithScope(liveLayer({ address, cache, loadCacheAtStart: true }), scope)
      const naming = Context.get(context, NamingService.NamingService)
      const subscriber = yield* startSubscriber(naming, { serviceName })
      const [first] = yield* subscriber.until(shows("10.12.0.1:1"))
      expect(first).toMatchObject({ service: { hosts: [{ serviceName, ip: "10.12.0.1" }] } })
      expect((yield* naming.listInstances({ serviceName })).map((instance) => instance.ip)).toEqual(["10.12.0.1"])
    })
  )
})
