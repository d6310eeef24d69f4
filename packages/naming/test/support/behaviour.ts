/**
 * The behaviour every NamingService layer must show, run against `layerMemory`, the live layer on the fake server
 * (unit tests) and the live layer on the real Nacos server (conformance).
 *
 * The real server applies registrations asynchronously: a query right after a register may not see it yet, so
 * reads after writes wait until the expected value shows (`eventually`), which costs nothing on the other layers.
 */
import { randomUUID } from "node:crypto"
import { describe, expect, it } from "@effect/vitest"
import { InvalidArgumentError } from "@effect-nacos/core"
import { StreamProbe } from "@effect-nacos/core/testing"
import { type Instance, type NamingModels, NamingService, type ServiceEvent } from "@effect-nacos/naming"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import type * as Layer from "effect/Layer"
import * as Queue from "effect/Queue"
import * as Random from "effect/Random"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"

/** A name no other test (or run) uses. */
export const uniqueName = (label: string) => `${label}-${randomUUID().slice(0, 8)}`

export const { WAIT, eventually } = StreamProbe

export type Subscriber = StreamProbe.Probe<ServiceEvent>

/** Runs `naming.subscribe(params)` in the background, collecting its events. */
export const startSubscriber = (naming: NamingService.Service, params: NamingModels.SubscribeParams) =>
  StreamProbe.start(naming.subscribe(params), params.serviceName)

export const addresses = (instances: ReadonlyArray<Instance>) =>
  instances.map((instance) => `${instance.ip}:${instance.port}`).sort()

/** An event that shows exactly these ip:port addresses. */
export const shows =
  (...expected: ReadonlyArray<string>) =>
  (event: ServiceEvent) =>
    event._tag === "InstancesChanged" &&
    JSON.stringify(addresses(event.service.hosts)) === JSON.stringify([...expected].sort())

/** Pearson's chi-square statistic of observed counts against expected proportions. */
export const chiSquare = (observed: ReadonlyArray<number>, weights: ReadonlyArray<number>) => {
  const draws = observed.reduce((sum, count) => sum + count, 0)
  const total = weights.reduce((sum, weight) => sum + weight, 0)
  return observed.reduce((sum, count, index) => {
    const expected = (draws * (weights[index] ?? 0)) / total
    return sum + (count - expected) ** 2 / expected
  }, 0)
}

export interface BehaviourOptions {
  /** Builds a fresh service (and whatever it needs) for one test. */
  readonly layer: () => Layer.Layer<NamingService.NamingService>
  readonly timeout?: number
}

type TestBody = (naming: NamingService.Service) => Effect.Effect<void, unknown, Scope.Scope>

export const describeNamingBehaviour = (label: string, options: BehaviourOptions) =>
  describe(`NamingService behaviour: ${label}`, () => {
    const test = (name: string, body: TestBody) =>
      it.live(
        name,
        () => Effect.flatMap(Effect.service(NamingService.NamingService), body).pipe(Effect.provide(options.layer())),
        options.timeout ?? 60_000
      )

    test("register then subscribe sees the instance, with its fields", (naming) =>
      Effect.gen(function* () {
        const serviceName = uniqueName("register")
        yield* naming.registerInstance({ serviceName, ip: "10.0.0.1", port: 8080, weight: 2, metadata: { zone: "a" } })
        const subscriber = yield* startSubscriber(naming, { serviceName })
        // the first view may still be empty on a real server (it indexes a registration asynchronously)
        const event = (yield* subscriber.until(shows("10.0.0.1:8080"))).at(-1)
        expect(event).toMatchObject({
          _tag: "InstancesChanged",
          service: { name: serviceName, groupName: "DEFAULT_GROUP" }
        })
        if (event?._tag !== "InstancesChanged") return
        expect(event.added).toHaveLength(1)
        expect(event.service.hosts[0]).toMatchObject({
          ip: "10.0.0.1",
          port: 8080,
          weight: 2,
          healthy: true,
          enabled: true,
          ephemeral: true,
          clusterName: "DEFAULT",
          serviceName,
          metadata: { zone: "a" }
        })
      }))

    test("a subscriber sees instances come and go, with the diff", (naming) =>
      Effect.gen(function* () {
        const serviceName = uniqueName("diff")
        const subscriber = yield* startSubscriber(naming, { serviceName })
        yield* naming.registerInstance({ serviceName, ip: "10.0.0.1", port: 1 })
        yield* subscriber.until(shows("10.0.0.1:1"))
        yield* naming.registerInstance({ serviceName, ip: "10.0.0.2", port: 2 })
        const added = (yield* subscriber.until(shows("10.0.0.1:1", "10.0.0.2:2"))).at(-1)
        expect(added?._tag === "InstancesChanged" && addresses(added.added)).toEqual(["10.0.0.2:2"])
        yield* naming.deregisterInstance({ serviceName, ip: "10.0.0.1", port: 1 })
        const removed = (yield* subscriber.until(shows("10.0.0.2:2"))).at(-1)
        expect(removed?._tag === "InstancesChanged" && addresses(removed.removed)).toEqual(["10.0.0.1:1"])
        yield* naming.updateInstance({ serviceName, ip: "10.0.0.2", port: 2, weight: 5 })
        const modified = yield* subscriber.until(
          (event) => event._tag === "InstancesChanged" && event.modified.length > 0
        )
        const last = modified.at(-1)
        expect(last?._tag === "InstancesChanged" && last.modified.map((instance) => instance.weight)).toEqual([5])
        // metadata alone is a modification too
        yield* naming.updateInstance({ serviceName, ip: "10.0.0.2", port: 2, weight: 5, metadata: { zone: "b" } })
        const relabelled = (yield* subscriber.until(
          (event) => event._tag === "InstancesChanged" && event.modified.length > 0
        )).at(-1)
        expect(
          relabelled?._tag === "InstancesChanged" && relabelled.modified.map((instance) => instance.metadata)
        ).toEqual([{ zone: "b" }])
      }))

    test("batch register and batch deregister", (naming) =>
      Effect.gen(function* () {
        const serviceName = uniqueName("batch")
        const instances = [1, 2, 3].map((n) => ({ ip: `10.0.1.${n}`, port: 9000 + n }))
        yield* naming.batchRegisterInstances({ serviceName, instances })
        const all = yield* eventually(
          naming.listInstances({ serviceName, subscribe: false }),
          (found) => found.length === 3
        )
        expect(addresses(all)).toEqual(["10.0.1.1:9001", "10.0.1.2:9002", "10.0.1.3:9003"])
        yield* naming.batchDeregisterInstances({ serviceName, instances: instances.slice(0, 2) })
        const rest = yield* eventually(
          naming.listInstances({ serviceName, subscribe: false }),
          (found) => found.length === 1
        )
        expect(addresses(rest)).toEqual(["10.0.1.3:9003"])
        yield* naming.batchDeregisterInstances({ serviceName, instances: instances.slice(2) })
        yield* eventually(naming.listInstances({ serviceName, subscribe: false }), (found) => found.length === 0)
      }))

    test("instances of one service registered one by one are all kept", (naming) =>
      Effect.gen(function* () {
        const serviceName = uniqueName("several")
        yield* naming.registerInstance({ serviceName, ip: "10.0.2.1", port: 1 })
        yield* naming.registerInstance({ serviceName, ip: "10.0.2.2", port: 2 })
        // the same ip/port/cluster again replaces, it does not add
        yield* naming.registerInstance({ serviceName, ip: "10.0.2.2", port: 2, weight: 3 })
        const found = yield* eventually(
          naming.listInstances({ serviceName, subscribe: false }),
          (instances) => instances.length === 2 && instances.some((instance) => instance.weight === 3)
        )
        expect(addresses(found)).toEqual(["10.0.2.1:1", "10.0.2.2:2"])
      }))

    test("listInstances: healthyOnly and clusters", (naming) =>
      Effect.gen(function* () {
        const serviceName = uniqueName("filters")
        yield* naming.batchRegisterInstances({
          serviceName,
          instances: [
            { ip: "10.0.3.1", port: 1, clusterName: "east" },
            { ip: "10.0.3.2", port: 2, clusterName: "west", healthy: false },
            { ip: "10.0.3.3", port: 3, clusterName: "west" }
          ]
        })
        yield* eventually(naming.listInstances({ serviceName, subscribe: false }), (found) => found.length === 3)
        const healthy = yield* naming.listInstances({ serviceName, healthyOnly: true, subscribe: false })
        expect(addresses(healthy)).toEqual(["10.0.3.1:1", "10.0.3.3:3"])
        const west = yield* naming.listInstances({ serviceName, clusters: ["west"], subscribe: false })
        expect(addresses(west)).toEqual(["10.0.3.2:2", "10.0.3.3:3"])
        const westHealthy = yield* naming.listInstances({
          serviceName,
          clusters: ["west"],
          healthyOnly: true,
          subscribe: false
        })
        expect(addresses(westHealthy)).toEqual(["10.0.3.3:3"])
        const east = yield* naming.getService({ serviceName, clusters: ["east"] })
        expect(east).toMatchObject({ name: serviceName, groupName: "DEFAULT_GROUP" })
        expect(addresses(east.hosts)).toEqual(["10.0.3.1:1"])
        // the same answers from a live subscription
        const subscriber = yield* startSubscriber(naming, { serviceName, clusters: ["west"] })
        yield* subscriber.until(shows("10.0.3.2:2", "10.0.3.3:3"))
        expect(addresses(yield* naming.listInstances({ serviceName, clusters: ["west"], healthyOnly: true }))).toEqual([
          "10.0.3.3:3"
        ])
      }))

    test("a subscriber of some clusters sees only their changes", (naming) =>
      Effect.gen(function* () {
        const serviceName = uniqueName("cluster-subscriber")
        const east = yield* startSubscriber(naming, { serviceName, clusters: ["east"] })
        const all = yield* startSubscriber(naming, { serviceName })
        yield* naming.registerInstance({ serviceName, ip: "10.0.12.1", port: 1, clusterName: "west" })
        yield* all.until(shows("10.0.12.1:1"))
        yield* naming.registerInstance({ serviceName, ip: "10.0.12.2", port: 2, clusterName: "east" })
        yield* all.until(shows("10.0.12.1:1", "10.0.12.2:2"))
        // east saw its empty start, then the east instance only: the west one was never an event for it
        const seen = yield* east.until(shows("10.0.12.2:2"))
        expect(seen.map((event) => (event._tag === "InstancesChanged" ? addresses(event.service.hosts) : []))).toEqual([
          [],
          ["10.0.12.2:2"]
        ])
        expect(seen.at(-1)).toMatchObject({ service: { clusters: "east" } })
      }))

    test("a service is ephemeral or persistent: the other kind is refused, naming the ephemeral field", (naming) =>
      Effect.gen(function* () {
        const persistentName = uniqueName("kind-persistent")
        const ephemeralName = uniqueName("kind-ephemeral")
        // loopback: the real server health-checks a persistent instance by connecting to it
        yield* naming.registerInstance({ serviceName: persistentName, ip: "127.0.13.1", port: 1, ephemeral: false })
        yield* naming.registerInstance({ serviceName: ephemeralName, ip: "127.0.13.2", port: 2 })
        const intoPersistent = yield* Effect.flip(
          naming.registerInstance({ serviceName: persistentName, ip: "127.0.13.3", port: 3 })
        )
        expect(intoPersistent).toMatchObject({ _tag: "InvalidArgumentError", field: "ephemeral" })
        const intoEphemeral = yield* Effect.flip(
          naming.registerInstance({ serviceName: ephemeralName, ip: "127.0.13.4", port: 4, ephemeral: false })
        )
        expect(intoEphemeral).toMatchObject({ _tag: "InvalidArgumentError", field: "ephemeral" })
        const kept = yield* eventually(
          naming.listInstances({ serviceName: persistentName, subscribe: false }),
          (found) => found.length === 1
        )
        expect(kept).toMatchObject([{ ip: "127.0.13.1", ephemeral: false }])
        yield* naming.deregisterInstance({ serviceName: persistentName, ip: "127.0.13.1", port: 1, ephemeral: false })
        yield* eventually(
          naming.listInstances({ serviceName: persistentName, subscribe: false }),
          (found) => found.length === 0
        )
      }))

    test("selectInstances by metadata (all / any), health and ip", (naming) =>
      Effect.gen(function* () {
        const serviceName = uniqueName("select")
        yield* naming.batchRegisterInstances({
          serviceName,
          instances: [
            { ip: "10.0.4.1", port: 1, metadata: { zone: "a", tier: "gold" } },
            { ip: "10.0.4.2", port: 2, metadata: { zone: "a", tier: "silver" } },
            { ip: "192.168.4.3", port: 3, metadata: { zone: "b" }, healthy: false }
          ]
        })
        yield* eventually(naming.listInstances({ serviceName, subscribe: false }), (found) => found.length === 3)
        const select = (selector: NamingModels.InstanceSelector) =>
          Effect.map(naming.selectInstances({ serviceName }, selector), addresses)
        expect(yield* select({ metadata: { entries: { zone: "a", tier: "gold" } } })).toEqual(["10.0.4.1:1"])
        expect(yield* select({ metadata: { entries: { tier: "gold", zone: "b" }, match: "any" } })).toEqual([
          "10.0.4.1:1",
          "192.168.4.3:3"
        ])
        expect(yield* select({ healthy: true })).toEqual(["10.0.4.1:1", "10.0.4.2:2"])
        expect(yield* select({ ip: (ip) => ip.startsWith("192.168.") })).toEqual(["192.168.4.3:3"])
      }))

    test("an instance's metadata round-trips exactly", (naming) =>
      Effect.gen(function* () {
        const serviceName = uniqueName("metadata")
        const metadata = { "app.version": "1.2.3", empty: "", unicode: "zürich ✓", json: '{"a":[1,2]}' }
        yield* naming.registerInstance({ serviceName, ip: "10.0.5.1", port: 80, metadata })
        const [found] = yield* eventually(
          naming.listInstances({ serviceName, subscribe: false }),
          (instances) => instances.length === 1
        )
        expect(found?.metadata).toEqual(metadata)
      }))

    test("listServices pages through 30 services of a group and says the total", (naming) =>
      Effect.gen(function* () {
        const groupName = uniqueName("PAGING")
        const names = Array.from({ length: 30 }, (_, index) => `svc-${String(index).padStart(2, "0")}`)
        yield* Effect.forEach(
          names,
          (serviceName) => naming.registerInstance({ serviceName, groupName, ip: "10.0.6.1", port: 1 }),
          {
            concurrency: 8,
            discard: true
          }
        )
        yield* eventually(naming.listServices({ groupName, pageSize: 10 }), (page) => page.count === 30)
        const pages = yield* Effect.forEach([1, 2, 3, 4], (pageNo) =>
          naming.listServices({ groupName, pageNo, pageSize: 10 })
        )
        expect(pages.map((page) => page.services.length)).toEqual([10, 10, 10, 0])
        expect(pages.flatMap((page) => page.services).sort()).toEqual(names)
        expect(pages.every((page) => page.count === 30)).toBe(true)
      }))

    test("selectOneHealthyInstance picks by weight, never a zero weight or an unhealthy one", (naming) =>
      Effect.gen(function* () {
        const serviceName = uniqueName("weights")
        const weights = [1, 3, 6]
        yield* naming.batchRegisterInstances({
          serviceName,
          instances: [
            ...weights.map((weight, index) => ({ ip: `10.0.7.${index + 1}`, port: 1, weight })),
            { ip: "10.0.7.9", port: 1, weight: 0 },
            { ip: "10.0.7.8", port: 1, weight: 50, healthy: false }
          ]
        })
        // draws answered from a live subscription, not 3000 queries
        const subscriber = yield* startSubscriber(naming, { serviceName })
        yield* subscriber.until((event) => event._tag === "InstancesChanged" && event.service.hosts.length === 5)
        const counts = new Map<string, number>()
        yield* Effect.forEach(
          Array.from({ length: 3000 }),
          () =>
            Effect.map(naming.selectOneHealthyInstance({ serviceName }), (instance) =>
              counts.set(instance.ip, (counts.get(instance.ip) ?? 0) + 1)
            ),
          { discard: true }
        ).pipe(Random.withSeed("naming-weights"))
        expect([...counts.keys()].sort()).toEqual(["10.0.7.1", "10.0.7.2", "10.0.7.3"])
        const observed = weights.map((_, index) => counts.get(`10.0.7.${index + 1}`) ?? 0)
        // 2 degrees of freedom: 13.82 is the 0.1% critical value
        expect(chiSquare(observed, weights)).toBeLessThan(13.82)
      }))

    test("selectOneHealthyInstance of a service without instances fails with NotFoundError", (naming) =>
      Effect.gen(function* () {
        const error = yield* Effect.flip(naming.selectOneHealthyInstance({ serviceName: uniqueName("nobody") }))
        expect(error._tag).toBe("NotFoundError")
      }))

    test("the last deregister: a protect subscriber keeps its view and signals, a deliver one sees empty", (naming) =>
      Effect.gen(function* () {
        const serviceName = uniqueName("empty")
        yield* naming.registerInstance({ serviceName, ip: "10.0.8.1", port: 1 })
        const protect = yield* startSubscriber(naming, { serviceName })
        const deliver = yield* startSubscriber(naming, { serviceName, emptyPush: "deliver" })
        yield* protect.until(shows("10.0.8.1:1"))
        yield* deliver.until(shows("10.0.8.1:1"))
        yield* naming.deregisterInstance({ serviceName, ip: "10.0.8.1", port: 1 })
        const signal = yield* protect.next
        expect(signal._tag).toBe("EmptyPushIgnored")
        expect(signal._tag === "EmptyPushIgnored" && addresses(signal.service.hosts)).toEqual(["10.0.8.1:1"])
        const empty = yield* deliver.next
        expect(empty._tag === "InstancesChanged" && [empty.service.hosts.length, addresses(empty.removed)]).toEqual([
          0,
          ["10.0.8.1:1"]
        ])
        // and the protect subscriber resumes with the next real view
        yield* naming.registerInstance({ serviceName, ip: "10.0.8.2", port: 2 })
        const back = yield* protect.until((event) => event._tag === "InstancesChanged")
        const resumed = back.at(-1)
        expect(resumed?._tag === "InstancesChanged" && [addresses(resumed.added), addresses(resumed.removed)]).toEqual([
          ["10.0.8.2:2"],
          ["10.0.8.1:1"]
        ])
      }))

    test("closing one subscriber never affects another of the same service", (naming) =>
      Effect.gen(function* () {
        const serviceName = uniqueName("two-subscribers")
        const first = yield* startSubscriber(naming, { serviceName })
        const second = yield* startSubscriber(naming, { serviceName })
        yield* naming.registerInstance({ serviceName, ip: "10.0.9.1", port: 1 })
        yield* first.until(shows("10.0.9.1:1"))
        yield* second.until(shows("10.0.9.1:1"))
        yield* Fiber.interrupt(first.fiber)
        yield* naming.registerInstance({ serviceName, ip: "10.0.9.2", port: 2 })
        yield* second.until(shows("10.0.9.1:1", "10.0.9.2:2"))
      }))

    test("subscribeMany: each service's instances first, then the changes of any of them, each event naming its service", (naming) =>
      Effect.gen(function* () {
        const a = uniqueName("many-a")
        const b = uniqueName("many-b")
        yield* naming.registerInstance({ serviceName: a, ip: "10.0.12.1", port: 1 })
        yield* naming.registerInstance({ serviceName: b, ip: "10.0.12.2", port: 2, clusterName: "east" })
        // a given twice is subscribed once (its first entry's options apply); b is followed in cluster west only
        const probe = yield* StreamProbe.start(
          naming.subscribeMany([
            { serviceName: a },
            { serviceName: b, clusters: ["west"] },
            { serviceName: a, groupName: "DEFAULT_GROUP", clusters: ["east"] }
          ]),
          "subscribeMany"
        )
        const seen: Array<ServiceEvent> = []
        const of = (serviceName: string) => seen.filter((event) => event.service.name === serviceName)
        // on a real server a first view may still be empty (it indexes a registration asynchronously)
        while (!of(a).some(shows("10.0.12.1:1")) || of(b).length === 0) seen.push(yield* probe.next)
        expect(seen.every((event) => event.service.groupName === "DEFAULT_GROUP")).toBe(true)
        // b's instance is in east: the west view is empty
        expect(of(b)[0]).toMatchObject({ _tag: "InstancesChanged", service: { clusters: "west", hosts: [] } })
        // one follower of a: no view of it is delivered twice
        expect(of(a).every((event) => event.service.clusters === "")).toBe(true)
        const views = of(a).map((event) => `${event._tag} ${addresses(event.service.hosts)}`)
        expect(new Set(views).size).toBe(views.length)
        yield* naming.registerInstance({ serviceName: b, ip: "10.0.12.3", port: 3, clusterName: "west" })
        const west = (yield* probe.until((event) => event.service.name === b && shows("10.0.12.3:3")(event))).at(-1)
        expect(west?._tag === "InstancesChanged" && addresses(west.added)).toEqual(["10.0.12.3:3"])
        // a's last instance going: the protect policy keeps the view and says so, for a
        yield* naming.deregisterInstance({ serviceName: a, ip: "10.0.12.1", port: 1 })
        const protectedView = (yield* probe.until((event) => event._tag === "EmptyPushIgnored")).at(-1)
        expect(protectedView?.service.name).toBe(a)
        expect(addresses(protectedView?.service.hosts ?? [])).toEqual(["10.0.12.1:1"])
      }))

    test("subscribeMany: an invalid service fails the stream with InvalidArgumentError", (naming) =>
      Effect.gen(function* () {
        const error = yield* Effect.flip(
          Stream.runHead(naming.subscribeMany([{ serviceName: uniqueName("many-ok") }, { serviceName: "a@@b" }]))
        )
        expect(error).toMatchObject({ _tag: "InvalidArgumentError", field: "serviceName" })
      }))

    test("subscribeMany and subscribe of one service share its view; closing one leaves the other", (naming) =>
      Effect.gen(function* () {
        const serviceName = uniqueName("many-shared")
        const many = yield* StreamProbe.start(
          naming.subscribeMany([{ serviceName }, { serviceName: uniqueName("many-other") }]),
          "subscribeMany"
        )
        const single = yield* startSubscriber(naming, { serviceName })
        yield* naming.registerInstance({ serviceName, ip: "10.0.13.1", port: 1 })
        yield* many.until((event) => event.service.name === serviceName && shows("10.0.13.1:1")(event))
        yield* single.until(shows("10.0.13.1:1"))
        yield* Fiber.interrupt(many.fiber)
        yield* naming.registerInstance({ serviceName, ip: "10.0.13.2", port: 2 })
        yield* single.until(shows("10.0.13.1:1", "10.0.13.2:2"))
      }))

    test("onChange calls the handler with every event until its scope closes", (naming) =>
      Effect.gen(function* () {
        const serviceName = uniqueName("on-change")
        const seen = yield* Queue.unbounded<ServiceEvent>()
        yield* naming.onChange({ serviceName }, (event) => Queue.offer(seen, event))
        yield* naming.registerInstance({ serviceName, ip: "10.0.10.1", port: 1 })
        while (true) {
          const event = yield* Queue.take(seen).pipe(
            Effect.timeoutOrElse({ duration: WAIT, orElse: () => Effect.die("no event") })
          )
          if (shows("10.0.10.1:1")(event)) break
        }
      }))

    test("updateInstance of an ephemeral instance this client did not register fails with NotFoundError", (naming) =>
      Effect.gen(function* () {
        const error = yield* Effect.flip(
          naming.updateInstance({ serviceName: uniqueName("update"), ip: "10.0.11.1", port: 1 })
        )
        expect(error._tag).toBe("NotFoundError")
      }))

    test("invalid input fails with InvalidArgumentError naming the field, before anything is sent", (naming) =>
      Effect.gen(function* () {
        const field = (effect: Effect.Effect<unknown, { readonly _tag: string }>) =>
          Effect.map(Effect.flip(effect), (error) => (error instanceof InvalidArgumentError ? error.field : error._tag))
        const base = { serviceName: "valid", ip: "10.0.0.1", port: 80 }
        expect(yield* field(naming.registerInstance({ ...base, serviceName: "" }))).toBe("serviceName")
        expect(yield* field(naming.registerInstance({ ...base, serviceName: "a@@b" }))).toBe("serviceName")
        expect(yield* field(naming.registerInstance({ ...base, groupName: "bad group" }))).toBe("groupName")
        expect(yield* field(naming.registerInstance({ ...base, clusterName: "under_score" }))).toBe("clusterName")
        expect(yield* field(naming.registerInstance({ ...base, port: 0 }))).toBe("port")
        expect(yield* field(naming.registerInstance({ ...base, port: 65536 }))).toBe("port")
        expect(yield* field(naming.registerInstance({ ...base, weight: 10001 }))).toBe("weight")
        expect(yield* field(naming.registerInstance({ ...base, weight: -1 }))).toBe("weight")
        expect(yield* field(naming.registerInstance({ ...base, ip: "" }))).toBe("ip")
        expect(yield* field(naming.registerInstance({ ...base, metadata: { big: "x".repeat(2000) } }))).toBe("metadata")
        expect(
          yield* field(
            naming.batchRegisterInstances({ serviceName: "valid", instances: [{ ip: "10.0.0.1", port: -5 }] })
          )
        ).toBe("instances.0.port")
        expect(yield* field(naming.listInstances({ serviceName: "valid", clusters: ["a,b"] }))).toBe("clusters.0")
        expect(yield* field(naming.listServices({ pageSize: 0 }))).toBe("pageSize")
        const subscribed = yield* Effect.flip(Stream.runDrain(naming.subscribe({ serviceName: " " })))
        expect(subscribed).toMatchObject({ _tag: "InvalidArgumentError", field: "serviceName" })
        expect(yield* naming.listInstances({ serviceName: "valid", subscribe: false })).toEqual([])
      }))
  })
