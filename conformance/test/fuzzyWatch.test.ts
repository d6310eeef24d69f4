/**
 * Fuzzy watch against the real Nacos 3.1.0 server: config (`watchConfigs`) and naming (`watchServices`) see the
 * initial set, then keys added and removed; the raw pushes show what the server really sends; the limits show how
 * the server counts them. The over-limit test runs last: the patterns it
 * takes stay counted on the server for 30-60 s after the watches end (`trimFuzzyWatchContext`).
 */
import { randomUUID } from "node:crypto"
import { describe, expect, it } from "@effect/vitest"
import { type ConfigModels, ConfigService } from "@effect-nacos/config"
import { Transport } from "@effect-nacos/core"
import { NamingService } from "@effect-nacos/naming"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Queue from "effect/Queue"
import * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import { nacosLayer, servers } from "../support.ts"

const WAIT = "30 seconds"

const configLayer = () => ConfigService.layer.pipe(Layer.provideMerge(nacosLayer(servers().authOff)))
const namingLayer = () => NamingService.layer.pipe(Layer.provideMerge(nacosLayer(servers().authOff)))

/** Runs a stream in the background; `next` is its next element (dying after {@link WAIT}). */
const collect = <A, E>(stream: Stream.Stream<A, E>) =>
  Effect.gen(function* () {
    const items = yield* Queue.unbounded<Exit.Exit<A, E>>()
    yield* stream.pipe(
      Stream.runForEach((item) => Queue.offer(items, Exit.succeed(item))),
      Effect.catch((error) => Queue.offer(items, Exit.fail(error))),
      Effect.forkScoped
    )
    return Queue.take(items).pipe(
      Effect.flatten,
      Effect.timeoutOrElse({ duration: WAIT, orElse: () => Effect.die("nothing came from the server") })
    )
  })

/**
 * Publishes and waits until the server serves it: the server matches a new pattern against its config cache, which a
 * publish reaches asynchronously (a config published a moment before the watch would come as Added instead).
 */
const publishAndAwait = (config: ConfigService.Service, dataId: string, content: string) =>
  config.publish({ dataId, content }).pipe(
    Effect.andThen(
      config.get({ dataId }).pipe(
        Effect.filterOrFail((served) => served === content),
        Effect.retry(Schedule.spaced("50 millis")),
        Effect.timeoutOrElse({ duration: WAIT, orElse: () => Effect.die(`${dataId} never served`) })
      )
    )
  )

const prefix = (label: string) => `fz-${label}-${randomUUID().slice(0, 8)}`

describe("config fuzzy watch on the real server", () => {
  it.live("the initial set, then a config created and deleted; an update of a matched config is no event", () =>
    Effect.gen(function* () {
      const config = yield* ConfigService.ConfigService
      const name = prefix("cfg")
      yield* publishAndAwait(config, `${name}-a`, "a")
      yield* publishAndAwait(config, `${name}-b`, "b")
      const next = yield* collect(config.watchConfigs({ groupPattern: "DEFAULT_GROUP", dataIdPattern: `${name}-*` }))
      const snapshot = yield* next
      expect(snapshot._tag).toBe("Snapshot")
      expect(
        snapshot._tag === "Snapshot" ? snapshot.configs.map((c: ConfigModels.ConfigCoordinates) => c.dataId).sort() : []
      ).toEqual([`${name}-a`, `${name}-b`])
      yield* config.publish({ dataId: `${name}-b`, content: "b changed" })
      yield* config.publish({ dataId: `${name}-c`, content: "c" })
      expect(yield* next).toEqual({ _tag: "Added", dataId: `${name}-c`, group: "DEFAULT_GROUP", namespace: "public" })
      yield* config.remove({ dataId: `${name}-a` })
      expect(yield* next).toEqual({ _tag: "Removed", dataId: `${name}-a`, group: "DEFAULT_GROUP", namespace: "public" })
    }).pipe(Effect.provide(configLayer()))
  )

  it.live(
    "the raw pushes: init batch, finish mark, a creation as CONFIG_CHANGED — to a client announcing no ability",
    () =>
      Effect.gen(function* () {
        const config = yield* ConfigService.ConfigService
        const name = prefix("raw")
        yield* publishAndAwait(config, `${name}-old`, "old")
        // a bare config connection announcing no client ability at all
        const transport = yield* Transport.Transport
        const connection = yield* transport.connect({ module: "config", tenant: "public", abilities: {} })
        const pushes = yield* Queue.unbounded<{ readonly type: string; readonly json: unknown }>()
        for (const type of ["ConfigFuzzyWatchSyncRequest", "ConfigFuzzyWatchChangeNotifyRequest"]) {
          yield* connection.handlePush(type, Schema.Unknown, type.replace(/Request$/, "Response"), (json) =>
            Effect.as(Queue.offer(pushes, { type, json }), {})
          )
        }
        const nextPush = Queue.take(pushes).pipe(
          Effect.timeoutOrElse({ duration: WAIT, orElse: () => Effect.die("no push") })
        )
        const pattern = `public>>DEFAULT_GROUP>>${name}-*`
        yield* connection.request(
          "ConfigFuzzyWatchRequest",
          { groupKeyPattern: pattern, receivedGroupKeys: [], watchType: "WATCH", initializing: true },
          Schema.Struct({ resultCode: Schema.Number })
        )
        expect(yield* nextPush).toMatchObject({
          type: "ConfigFuzzyWatchSyncRequest",
          json: {
            groupKeyPattern: pattern,
            syncType: "FUZZY_WATCH_INIT_NOTIFY",
            totalBatch: 1,
            currentBatch: 1,
            contexts: [{ groupKey: `${name}-old+DEFAULT_GROUP+public`, changedType: "ADD_CONFIG" }]
          }
        })
        expect(yield* nextPush).toMatchObject({
          type: "ConfigFuzzyWatchSyncRequest",
          json: { groupKeyPattern: pattern, syncType: "FINISH_FUZZY_WATCH_INIT_NOTIFY" }
        })
        yield* config.publish({ dataId: `${name}-new`, content: "new" })
        // the server cannot tell a creation from an update: a key new to the pattern comes as CONFIG_CHANGED
        expect(yield* nextPush).toMatchObject({
          type: "ConfigFuzzyWatchChangeNotifyRequest",
          json: { groupKey: `${name}-new+DEFAULT_GROUP+public`, changeType: "CONFIG_CHANGED" }
        })
        yield* config.remove({ dataId: `${name}-new` })
        expect(yield* nextPush).toMatchObject({
          type: "ConfigFuzzyWatchChangeNotifyRequest",
          json: { groupKey: `${name}-new+DEFAULT_GROUP+public`, changeType: "DELETE_CONFIG" }
        })
      }).pipe(Effect.provide(configLayer()))
  )
})

describe("naming fuzzy watch on the real server", () => {
  it.live("the initial set, then a service that gets its first instance and loses its last", () =>
    Effect.gen(function* () {
      const naming = yield* NamingService.NamingService
      const name = prefix("svc")
      yield* naming.registerInstance({ serviceName: `${name}-one`, ip: "10.0.0.1", port: 8080 })
      const next = yield* collect(naming.watchServices({ groupPattern: "DEFAULT_GROUP", servicePattern: `${name}-*` }))
      expect(yield* next).toEqual({
        _tag: "Snapshot",
        services: [{ namespace: "public", groupName: "DEFAULT_GROUP", serviceName: `${name}-one` }]
      })
      yield* naming.registerInstance({ serviceName: `${name}-two`, ip: "10.0.0.2", port: 8080 })
      expect(yield* next).toEqual({
        _tag: "Added",
        namespace: "public",
        groupName: "DEFAULT_GROUP",
        serviceName: `${name}-two`
      })
      yield* naming.deregisterInstance({ serviceName: `${name}-two`, ip: "10.0.0.2", port: 8080 })
      expect(yield* next).toEqual({
        _tag: "Removed",
        namespace: "public",
        groupName: "DEFAULT_GROUP",
        serviceName: `${name}-two`
      })
      // a new pattern is matched against every service the server holds: one without instances (not yet cleaned
      // up by the server) is in its initial set although the first pattern saw it removed
      const late = yield* collect(
        naming.watchServices({ groupPattern: "DEFAULT_GROUP", servicePattern: `${name}-tw*` })
      )
      expect(yield* late).toEqual({
        _tag: "Snapshot",
        services: [{ namespace: "public", groupName: "DEFAULT_GROUP", serviceName: `${name}-two` }]
      })
    }).pipe(Effect.provide(namingLayer()))
  )
})

describe("the server's limits", () => {
  it.live("a pattern matching more than 500 configs: ServerError 50311", () =>
    Effect.gen(function* () {
      const config = yield* ConfigService.ConfigService
      const name = prefix("wide")
      const dataIds = Array.from({ length: 501 }, (_, index) => `${name}-${index}`)
      yield* Effect.forEach(dataIds, (dataId) => config.publish({ dataId, content: "x" }), {
        concurrency: 16,
        discard: true
      })
      yield* publishAndAwait(config, `${name}-last`, "x")
      // the server counts a pattern's matches from a cache it fills asynchronously: until every config is in it, the
      // watch is accepted (and closed again here), so ask again until the count is over the limit
      const refused = yield* Stream.runHead(
        config.watchConfigs({ groupPattern: "DEFAULT_GROUP", dataIdPattern: `${name}-*` })
      ).pipe(
        Effect.andThen(Effect.fail("accepted: the server has not counted every config yet" as const)),
        Effect.retry({
          schedule: Schedule.spaced("500 millis"),
          times: 40,
          while: (error) => error === "accepted: the server has not counted every config yet"
        }),
        Effect.flip
      )
      expect(refused).toMatchObject({ _tag: "ServerError", errorCode: 50311 })
      yield* Effect.forEach([...dataIds, `${name}-last`], (dataId) => config.remove({ dataId }), {
        concurrency: 16,
        discard: true
      })
    }).pipe(Effect.provide(configLayer()))
  )

  it.live("at most 20 naming patterns: the next one is ServerError 50310", () =>
    Effect.gen(function* () {
      const naming = yield* NamingService.NamingService
      const name = prefix("nlimit")
      let accepted = 0
      let refusal: NamingService.WatchServicesError | undefined
      for (let index = 0; index < 25 && refusal === undefined; index++) {
        const first = yield* Effect.result(
          yield* collect(naming.watchServices({ groupPattern: "DEFAULT_GROUP", servicePattern: `${name}-${index}-*` }))
        )
        if (first._tag === "Success") accepted++
        else refusal = first.failure
      }
      expect(refusal).toMatchObject({ _tag: "ServerError", errorCode: 50310 })
      expect(accepted).toBeGreaterThan(0)
      expect(accepted).toBeLessThanOrEqual(20)
    }).pipe(Effect.provide(namingLayer()))
  )

  it.live("at most 20 config patterns over the whole server: the next one is ServerError 50310, from any client", () =>
    Effect.gen(function* () {
      const config = yield* ConfigService.ConfigService
      const name = prefix("limit")
      const accepted: Array<ConfigModels.WatchConfigsParams> = []
      let refusal: ConfigService.WatchConfigsError | undefined
      for (let index = 0; index < 25 && refusal === undefined; index++) {
        const params = { groupPattern: "DEFAULT_GROUP", dataIdPattern: `${name}-${index}-*` }
        const first = yield* Effect.result(yield* collect(config.watchConfigs(params)))
        if (first._tag === "Success") accepted.push(params)
        else refusal = first.failure
      }
      expect(refusal).toMatchObject({ _tag: "ServerError", errorCode: 50310 })
      // the patterns of the earlier tests in this file still count, so fewer than 20 may be accepted here
      expect(accepted.length).toBeGreaterThan(0)
      expect(accepted.length).toBeLessThanOrEqual(20)
      const other = yield* Effect.map(Layer.build(configLayer()), (context) =>
        Context.get(context, ConfigService.ConfigService)
      )
      // a new pattern from another client is refused as well: the count is the server's, not the connection's
      const refusedElsewhere = yield* Effect.flip(
        Stream.runHead(other.watchConfigs({ groupPattern: "DEFAULT_GROUP", dataIdPattern: `${name}-other-*` }))
      )
      expect(refusedElsewhere).toMatchObject({ _tag: "ServerError", errorCode: 50310 })
      // …while a pattern the server already has is accepted from the other client too
      const shared = yield* Stream.runHead(other.watchConfigs(accepted[0]!))
      expect(shared).toMatchObject({ _tag: "Some", value: { _tag: "Snapshot" } })
    }).pipe(Effect.provide(configLayer()))
  )
})
