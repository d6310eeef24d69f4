/**
 * `watchConfigs` (config fuzzy watch) on the fake fuzzy-watch server — the wire, the shared watch, the redo after a
 * reconnect, the server's limits, the refusals before sending — and on `layerMemory`.
 */
import { describe, expect, it } from "@effect/vitest"
import { type ConfigModels, ConfigService } from "@effect-nacos/config"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Queue from "effect/Queue"
import * as Stream from "effect/Stream"
import { configWire, FakeFuzzyWatchServer } from "../../core/test/support/FakeFuzzyWatchServer.ts"
import { eventually, WAIT } from "./support/behaviour.ts"
import { liveLayer } from "./support/layers.ts"

type KeysEvent = ConfigModels.ConfigKeysEvent

const fuzzyServer = (abilities?: Readonly<Record<string, boolean>>) =>
  Effect.acquireRelease(
    Effect.promise(() => new FakeFuzzyWatchServer(configWire, abilities === undefined ? {} : { abilities }).start()),
    (fake) => Effect.promise(() => fake.stop())
  )

const serviceOn = (fake: FakeFuzzyWatchServer) =>
  Effect.map(Layer.build(liveLayer({ address: fake.address })), (context) =>
    Context.get(context, ConfigService.ConfigService)
  )

const until = (check: () => boolean) => eventually(Effect.sync(check), (ok) => ok)

/** Runs a watch in the background; `next` takes its next event, `failure` its error. */
const startWatching = (config: ConfigService.Service, params: ConfigModels.WatchConfigsParams) =>
  Effect.gen(function* () {
    const events = yield* Queue.unbounded<KeysEvent>()
    const fiber = yield* config.watchConfigs(params).pipe(
      Stream.runForEach((event) => Queue.offer(events, event)),
      Effect.forkScoped
    )
    const next = Queue.take(events).pipe(
      Effect.timeoutOrElse({ duration: WAIT, orElse: () => Effect.die("no fuzzy-watch event") })
    )
    return { next, fiber }
  })

const groupKey = (dataId: string, group = "DEFAULT_GROUP") => `${dataId}+${group}+public`
const sortedIds = (event: KeysEvent) => (event._tag === "Snapshot" ? event.configs.map((c) => c.dataId).sort() : [])

describe("watchConfigs on the fake server", () => {
  it.live("the initial set is one Snapshot, after the server's batches and finish mark, each push acked", () =>
    Effect.gen(function* () {
      const fake = yield* fuzzyServer()
      const matching = Array.from({ length: 12 }, (_, index) => `app-${String(index).padStart(2, "0")}`)
      for (const dataId of matching) fake.keys.add(groupKey(dataId))
      fake.keys.add(groupKey("other"))
      fake.keys.add(groupKey("app-elsewhere", "OTHER_GROUP"))
      const config = yield* serviceOn(fake)
      const watcher = yield* startWatching(config, { groupPattern: "DEFAULT_GROUP", dataIdPattern: "app-*" })
      const first = yield* watcher.next
      expect(first._tag).toBe("Snapshot")
      expect(sortedIds(first)).toEqual(matching)
      expect(fake.watchRequests()).toEqual([
        {
          groupKeyPattern: "public>>DEFAULT_GROUP>>app-*",
          receivedGroupKeys: [],
          watchType: "WATCH",
          initializing: true
        }
      ])
      // 12 keys: two batches of initial sync, then the finish mark; every one answered with the paired response
      yield* until(() => fake.acksOf("ConfigFuzzyWatchSyncRequest").length === 3)
      yield* until(() => fake.acksOf("ConfigFuzzyWatchSyncRequest").every((ack) => ack !== undefined))
      for (const ack of fake.acksOf("ConfigFuzzyWatchSyncRequest")) {
        expect(ack).toMatchObject({ type: "ConfigFuzzyWatchSyncResponse", json: { resultCode: 200 } })
      }
    })
  )

  it.live("an empty match is an empty Snapshot; a config created then deleted is Added then Removed, acked", () =>
    Effect.gen(function* () {
      const fake = yield* fuzzyServer()
      const config = yield* serviceOn(fake)
      const watcher = yield* startWatching(config, { groupPattern: "*", dataIdPattern: "*orders*" })
      expect(yield* watcher.next).toEqual({ _tag: "Snapshot", configs: [] })
      fake.add(groupKey("svc-orders.yaml", "PROD"))
      expect(yield* watcher.next).toEqual({
        _tag: "Added",
        dataId: "svc-orders.yaml",
        group: "PROD",
        namespace: "public"
      })
      fake.remove(groupKey("svc-orders.yaml", "PROD"))
      expect(yield* watcher.next).toEqual({
        _tag: "Removed",
        dataId: "svc-orders.yaml",
        group: "PROD",
        namespace: "public"
      })
      yield* until(() => fake.acksOf("ConfigFuzzyWatchChangeNotifyRequest").every((ack) => ack !== undefined))
      expect(fake.acksOf("ConfigFuzzyWatchChangeNotifyRequest")).toHaveLength(2)
      for (const ack of fake.acksOf("ConfigFuzzyWatchChangeNotifyRequest")) {
        expect(ack).toMatchObject({ type: "ConfigFuzzyWatchChangeNotifyResponse", json: { resultCode: 200 } })
      }
    })
  )

  it.live("watchers of one pattern share one server watch; CANCEL_WATCH goes when the last one leaves", () =>
    Effect.gen(function* () {
      const fake = yield* fuzzyServer()
      fake.keys.add(groupKey("shared-1"))
      const config = yield* serviceOn(fake)
      const params = { groupPattern: "DEFAULT_GROUP", dataIdPattern: "shared-*" }
      const first = yield* startWatching(config, params)
      expect(sortedIds(yield* first.next)).toEqual(["shared-1"])
      const second = yield* startWatching(config, params)
      // the late watcher starts from the current set, without a second server watch
      expect(sortedIds(yield* second.next)).toEqual(["shared-1"])
      fake.add(groupKey("shared-2"))
      expect(yield* first.next).toMatchObject({ _tag: "Added", dataId: "shared-2" })
      expect(yield* second.next).toMatchObject({ _tag: "Added", dataId: "shared-2" })
      expect(fake.watchRequests().map((r) => r.watchType)).toEqual(["WATCH"])
      yield* Fiber.interrupt(first.fiber)
      fake.add(groupKey("shared-3"))
      expect(yield* second.next).toMatchObject({ _tag: "Added", dataId: "shared-3" })
      expect(fake.watchRequests().map((r) => r.watchType)).toEqual(["WATCH"])
      yield* Fiber.interrupt(second.fiber)
      yield* until(() => fake.watchRequests().length === 2)
      expect(fake.watchRequests()[1]).toMatchObject({
        groupKeyPattern: "public>>DEFAULT_GROUP>>shared-*",
        watchType: "CANCEL_WATCH"
      })
    })
  )

  it.live("after a reconnect the pattern is watched again with the keys held; what changed meanwhile arrives", () =>
    Effect.gen(function* () {
      const fake = yield* fuzzyServer()
      fake.keys.add(groupKey("cut-kept"))
      fake.keys.add(groupKey("cut-gone"))
      const config = yield* serviceOn(fake)
      const watcher = yield* startWatching(config, { groupPattern: "DEFAULT_GROUP", dataIdPattern: "cut-*" })
      expect(sortedIds(yield* watcher.next)).toEqual(["cut-gone", "cut-kept"])
      fake.disconnectAll()
      // while the client is away: no watcher on the server, so no push — only the re-watch can tell
      fake.keys.delete(groupKey("cut-gone"))
      fake.keys.add(groupKey("cut-new"))
      const changes = [yield* watcher.next, yield* watcher.next]
      expect(changes).toEqual(
        expect.arrayContaining([
          { _tag: "Removed", dataId: "cut-gone", group: "DEFAULT_GROUP", namespace: "public" },
          { _tag: "Added", dataId: "cut-new", group: "DEFAULT_GROUP", namespace: "public" }
        ])
      )
      const rewatch = fake.watchRequests()[1]
      expect(rewatch).toMatchObject({ watchType: "WATCH", initializing: false })
      expect([...(rewatch?.receivedGroupKeys ?? [])].sort()).toEqual([groupKey("cut-gone"), groupKey("cut-kept")])
      // and the watch goes on on the new connection
      fake.add(groupKey("cut-after"))
      expect(yield* watcher.next).toMatchObject({ _tag: "Added", dataId: "cut-after" })
    })
  )

  it.live("the server's pattern limit fails the watch with ServerError 50310", () =>
    Effect.gen(function* () {
      const fake = yield* fuzzyServer()
      fake.maxPatterns = 1
      const config = yield* serviceOn(fake)
      const accepted = yield* startWatching(config, { groupPattern: "DEFAULT_GROUP", dataIdPattern: "first-*" })
      expect((yield* accepted.next)._tag).toBe("Snapshot")
      const refused = yield* Effect.flip(
        Stream.runCollect(config.watchConfigs({ groupPattern: "DEFAULT_GROUP", dataIdPattern: "second-*" }))
      )
      expect(refused).toMatchObject({ _tag: "ServerError", errorCode: 50310 })
      expect(refused.message).toContain("public>>DEFAULT_GROUP>>second-*")
    })
  )

  it.live("a pattern matching more than the server follows fails with ServerError 50311, then is cancelled", () =>
    Effect.gen(function* () {
      const fake = yield* fuzzyServer()
      fake.maxMatches = 2
      for (const dataId of ["wide-1", "wide-2", "wide-3"]) fake.keys.add(groupKey(dataId))
      const config = yield* serviceOn(fake)
      const refused = yield* Effect.flip(
        Stream.runCollect(config.watchConfigs({ groupPattern: "DEFAULT_GROUP", dataIdPattern: "wide-*" }))
      )
      expect(refused).toMatchObject({ _tag: "ServerError", errorCode: 50311 })
      // the server registered the watch before refusing it: the client takes it back
      yield* until(() => fake.watchRequests().some((r) => r.watchType === "CANCEL_WATCH"))
    })
  )

  it.live("patterns the server would match wrongly or never are refused before anything is sent", () =>
    Effect.gen(function* () {
      const fake = yield* fuzzyServer()
      const config = yield* serviceOn(fake)
      const refusals: Array<readonly [ConfigModels.WatchConfigsParams, string]> = [
        [{ groupPattern: "DEFAULT_GROUP", dataIdPattern: "a*b" }, "dataIdPattern"],
        [{ groupPattern: "DEFAULT_GROUP", dataIdPattern: "**" }, "dataIdPattern"],
        [{ groupPattern: "DEFAULT_GROUP", dataIdPattern: "*a*b*" }, "dataIdPattern"],
        [{ groupPattern: "DEFAULT_GROUP", dataIdPattern: "" }, "dataIdPattern"],
        [{ groupPattern: "bad group*", dataIdPattern: "*" }, "groupPattern"],
        [{ groupPattern: "G>>x", dataIdPattern: "*" }, "groupPattern"]
      ]
      for (const [params, field] of refusals) {
        const error = yield* Effect.flip(Stream.runCollect(config.watchConfigs(params)))
        expect(error).toMatchObject({ _tag: "InvalidArgumentError", field })
      }
      expect(fake.watchRequests()).toEqual([])
    })
  )

  it.live("a server without the fuzzyWatch ability: NotSupportedError, nothing sent", () =>
    Effect.gen(function* () {
      const fake = yield* fuzzyServer({})
      const config = yield* serviceOn(fake)
      const error = yield* Effect.flip(
        Stream.runCollect(config.watchConfigs({ groupPattern: "*", dataIdPattern: "*" }))
      )
      expect(error).toMatchObject({ _tag: "NotSupportedError", ability: "fuzzyWatch" })
      expect(fake.watchRequests()).toEqual([])
    })
  )

  it.live("the connection announces the fuzzyWatch ability, as the Java client does", () =>
    Effect.gen(function* () {
      const fake = yield* fuzzyServer()
      const config = yield* serviceOn(fake)
      const watcher = yield* startWatching(config, { groupPattern: "*", dataIdPattern: "*" })
      yield* watcher.next
      expect(fake.nacos.typesReceived("ConnectionSetupRequest").at(-1)?.json).toMatchObject({
        abilityTable: { fuzzyWatch: true }
      })
    })
  )
})

describe("watchConfigs on layerMemory", () => {
  it.effect("the matched configs first, then creations and deletions of matching configs only", () =>
    Effect.gen(function* () {
      const config = yield* ConfigService.ConfigService
      const events = yield* Queue.unbounded<KeysEvent>()
      yield* config.watchConfigs({ groupPattern: "DEFAULT_GROUP", dataIdPattern: "*.yaml" }).pipe(
        Stream.runForEach((event) => Queue.offer(events, event)),
        Effect.forkScoped
      )
      expect(yield* Queue.take(events)).toEqual({
        _tag: "Snapshot",
        configs: [{ dataId: "seed.yaml", group: "DEFAULT_GROUP", namespace: "public" }]
      })
      yield* config.publish({ dataId: "other.properties", content: "x=1" })
      yield* config.publish({ dataId: "new.yaml", content: "a: 1" })
      // an update of a matched config is no new key
      yield* config.publish({ dataId: "new.yaml", content: "a: 2" })
      yield* config.remove({ dataId: "seed.yaml" })
      expect(yield* Queue.take(events)).toEqual({
        _tag: "Added",
        dataId: "new.yaml",
        group: "DEFAULT_GROUP",
        namespace: "public"
      })
      expect(yield* Queue.take(events)).toEqual({
        _tag: "Removed",
        dataId: "seed.yaml",
        group: "DEFAULT_GROUP",
        namespace: "public"
      })
      expect(yield* Queue.size(events)).toBe(0)
    }).pipe(Effect.provide(ConfigService.layerMemory({ configs: [{ dataId: "seed.yaml", content: "s: 1" }] })))
  )

  it.effect("the same pattern rules as the live layer", () =>
    Effect.gen(function* () {
      const config = yield* ConfigService.ConfigService
      const error = yield* Effect.flip(
        Stream.runCollect(config.watchConfigs({ groupPattern: "*", dataIdPattern: "a*b" }))
      )
      expect(error).toMatchObject({ _tag: "InvalidArgumentError", field: "dataIdPattern" })
    }).pipe(Effect.provide(ConfigService.layerMemory()))
  )
})
