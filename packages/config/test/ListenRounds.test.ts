/**
 * The listen rounds of the live service against the fake server: what a watch shows while a failover file exists,
 * and that a key the server keeps refusing (its re-read, or a listen naming it) holds back no other key, also past
 * the first chunk of 3000.
 */
import { describe, expect, it } from "@effect/vitest"
import { ConfigService } from "@effect-nacos/config"
import { Cache } from "@effect-nacos/core"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import { LISTEN_CHUNK_SIZE } from "../src/internal/listenRegistry.ts"
import { eventually, md5, startWatch, uniqueId } from "./support/behaviour.ts"
import type { FakeConfigServer } from "./support/FakeConfigServer.ts"
import { fakeServer, liveLayer } from "./support/layers.ts"

/** Builds the live layer into the test's scope: the service and the in-memory cache's control hand. */
const build = (layer: ReturnType<typeof liveLayer>) =>
  Effect.map(Layer.build(layer), (context) => ({
    config: Context.get(context, ConfigService.ConfigService),
    control: Context.get(context, Cache.NacosCacheMemory)
  }))

/** The test's log lines, kept out of the output (the faults below are meant to be logged). */
const capturedLogs = () => {
  const lines: Array<string> = []
  const layer = Logger.layer([Logger.make((options) => lines.push(Logger.formatSimple.log(options)))])
  return { lines, layer }
}

const until = (check: () => boolean) => eventually(Effect.sync(check), (ok) => ok)

const keyOf = (dataId: string) => ({ namespace: "public", group: "DEFAULT_GROUP", dataId })

const QueriedKey = Schema.Struct({ dataId: Schema.String })

const queriesOf = (fake: FakeConfigServer, dataId: string) =>
  fake
    .received("ConfigQueryRequest")
    .filter((request) => Schema.decodeUnknownSync(QueriedKey)(request.json).dataId === dataId).length

const listensOf = (fake: FakeConfigServer, dataId: string) =>
  fake
    .listenRequests()
    .filter((request) => request.listen && request.configListenContexts.some((context) => context.dataId === dataId))
    .length

describe("ConfigService live: a watch and the failover file", () => {
  it.live("a watch started while a failover file exists shows the file, like get, and never asks the server", () =>
    Effect.gen(function* () {
      const fake = yield* fakeServer
      const { config, control } = yield* build(liveLayer({ address: fake.address }))
      const dataId = uniqueId("failover-first")
      fake.write(dataId, "DEFAULT_GROUP", "from the server")
      yield* control.putConfigFailover(keyOf(dataId), { content: "from the failover file" })
      const watcher = yield* startWatch(config, { dataId })
      expect(yield* watcher.next).toMatchObject({
        _tag: "Changed",
        content: "from the failover file",
        md5: md5("from the failover file")
      })
      expect(yield* config.get({ dataId })).toBe("from the failover file")
      expect(queriesOf(fake, dataId)).toBe(0)
    }).pipe(Effect.provide(capturedLogs().layer))
  )

  it.live("a watch follows the failover file as it appears, changes and goes; server changes do not override it", () =>
    Effect.gen(function* () {
      const fake = yield* fakeServer
      const { config, control } = yield* build(
        liveLayer({ address: fake.address, fullSyncSchedule: Schedule.spaced("100 millis") })
      )
      const dataId = uniqueId("failover-follow")
      fake.write(dataId, "DEFAULT_GROUP", "server one")
      const watcher = yield* startWatch(config, { dataId })
      expect(yield* watcher.next).toMatchObject({ _tag: "Changed", content: "server one" })

      yield* control.putConfigFailover(keyOf(dataId), { content: "failover one" })
      expect(yield* watcher.next).toMatchObject({ _tag: "Changed", content: "failover one", md5: md5("failover one") })
      // pushed while the file exists: neither shown nor served by get
      fake.write(dataId, "DEFAULT_GROUP", "server two")
      yield* control.putConfigFailover(keyOf(dataId), { content: "failover two" })
      expect(yield* watcher.next).toMatchObject({ _tag: "Changed", content: "failover two" })
      expect(yield* config.get({ dataId })).toBe("failover two")

      // the file goes: back to what the server holds now, which differs from what was shown
      yield* control.removeConfigFailover(keyOf(dataId))
      expect(yield* watcher.next).toMatchObject({ _tag: "Changed", content: "server two", md5: md5("server two") })
      expect(yield* config.get({ dataId })).toBe("server two")
      // and the key is listened again
      fake.write(dataId, "DEFAULT_GROUP", "server three")
      expect(yield* watcher.next).toMatchObject({ _tag: "Changed", content: "server three" })
    }).pipe(Effect.provide(capturedLogs().layer))
  )

  it.live("a failover file removed while the server is away gives way to the snapshot, as get does", () =>
    Effect.gen(function* () {
      const fake = yield* fakeServer
      const { config, control } = yield* build(
        liveLayer({
          address: fake.address,
          timeoutMillis: 300,
          httpFallback: false,
          fullSyncSchedule: Schedule.spaced("100 millis"),
          listenRetrySchedule: Schedule.spaced("100 millis")
        })
      )
      const dataId = uniqueId("failover-away")
      fake.write(dataId, "DEFAULT_GROUP", "server one")
      const watcher = yield* startWatch(config, { dataId })
      expect(yield* watcher.next).toMatchObject({ _tag: "Changed", content: "server one" })
      yield* control.putConfigFailover(keyOf(dataId), { content: "failover one" })
      expect(yield* watcher.next).toMatchObject({ _tag: "Changed", content: "failover one" })

      // the server stops answering: streams cut, every new connection refused at ServerCheck
      fake.nacos.refuseServerCheck = true
      fake.nacos.dropStreams()
      yield* control.removeConfigFailover(keyOf(dataId))
      expect(yield* watcher.next).toMatchObject({ _tag: "Changed", content: "server one", md5: md5("server one") })
      expect(yield* config.getInfo({ dataId })).toMatchObject({ content: "server one", source: "snapshot" })

      fake.writeSilently(dataId, "DEFAULT_GROUP", "server two")
      fake.nacos.refuseServerCheck = false
      expect(yield* watcher.next).toMatchObject({ _tag: "Changed", content: "server two" })
    }).pipe(Effect.provide(capturedLogs().layer))
  )
})

describe("ConfigService live: one failing key holds back no other", () => {
  /** The failing key first (so it leads the first chunk of a full round), then one more chunk's worth of keys. */
  const watchMany = (config: ConfigService.Service, prefix: string) =>
    Effect.forEach(
      Array.from({ length: LISTEN_CHUNK_SIZE + 1 }, (_, i) => `${prefix}-${i}`),
      (dataId) => startWatch(config, { dataId })
    )

  const retrying = {
    listenRetrySchedule: Schedule.spaced("100 millis"),
    // full rounds list every key: the failing one always lands in the first chunk
    fullSyncSchedule: Schedule.spaced("200 millis")
  }

  it.live(
    "a key whose re-read keeps failing is retried while every other key, past the first chunk too, is delivered",
    () => {
      const logs = capturedLogs()
      return Effect.gen(function* () {
        const fake = yield* fakeServer
        const { config } = yield* build(liveLayer({ address: fake.address, ...retrying }))
        const prefix = uniqueId("reread")
        const failing = `${prefix}-failing`
        fake.write(failing, "DEFAULT_GROUP", "readable later")
        fake.refusedQueries.add(failing)
        const failingWatch = yield* startWatch(config, { dataId: failing })
        yield* until(() => queriesOf(fake, failing) >= 1)
        const others = yield* watchMany(config, prefix)
        const firsts = yield* Effect.forEach(others, (watcher) => watcher.next, { concurrency: "unbounded" })
        expect(firsts.filter((event) => event._tag !== "Absent")).toEqual([])

        fake.write(`${prefix}-0`, "DEFAULT_GROUP", "first pushed")
        fake.write(`${prefix}-${LISTEN_CHUNK_SIZE}`, "DEFAULT_GROUP", "last pushed")
        expect(yield* others[0]!.next).toMatchObject({ _tag: "Changed", content: "first pushed" })
        expect(yield* others[LISTEN_CHUNK_SIZE]!.next).toMatchObject({ _tag: "Changed", content: "last pushed" })

        // the failing key was retried meanwhile, and is delivered once the server answers
        expect(queriesOf(fake, failing)).toBeGreaterThan(1)
        fake.refusedQueries.delete(failing)
        expect(yield* failingWatch.next).toMatchObject({ _tag: "Changed", content: "readable later" })
        // one warning for the whole outage of that key, not one per retry
        expect(logs.lines.filter((line) => line.includes("WARN"))).toEqual([
          expect.stringContaining("1 watched key(s) held back")
        ])
      }).pipe(Effect.provide(logs.layer))
    },
    120_000
  )

  it.live(
    "a key whose listens the server refuses is retried while every other key, past the first chunk too, is delivered",
    () => {
      const logs = capturedLogs()
      return Effect.gen(function* () {
        const fake = yield* fakeServer
        const { config } = yield* build(liveLayer({ address: fake.address, ...retrying }))
        const prefix = uniqueId("listen")
        const failing = `${prefix}-failing`
        fake.refusedListens.add(failing)
        const failingWatch = yield* startWatch(config, { dataId: failing })
        yield* until(() => listensOf(fake, failing) >= 1)
        const others = yield* watchMany(config, prefix)
        const firsts = yield* Effect.forEach(others, (watcher) => watcher.next, { concurrency: "unbounded" })
        expect(firsts.filter((event) => event._tag !== "Absent")).toEqual([])

        fake.write(`${prefix}-0`, "DEFAULT_GROUP", "first pushed")
        fake.write(`${prefix}-${LISTEN_CHUNK_SIZE}`, "DEFAULT_GROUP", "last pushed")
        expect(yield* others[0]!.next).toMatchObject({ _tag: "Changed", content: "first pushed" })
        expect(yield* others[LISTEN_CHUNK_SIZE]!.next).toMatchObject({ _tag: "Changed", content: "last pushed" })

        expect(listensOf(fake, failing)).toBeGreaterThan(1)
        fake.refusedListens.delete(failing)
        expect((yield* failingWatch.next)._tag).toBe("Absent")
        // one warning for the whole outage of that key, not one per retry
        expect(logs.lines.filter((line) => line.includes("WARN"))).toEqual([
          expect.stringContaining("1 watched key(s) held back")
        ])
      }).pipe(Effect.provide(logs.layer))
    },
    120_000
  )

  it.live(
    "a refused listen is narrowed down to the key the server will not take: the rest of its chunk is listened at once",
    () => {
      const logs = capturedLogs()
      return Effect.gen(function* () {
        const fake = yield* fakeServer
        const { config } = yield* build(
          liveLayer({ address: fake.address, listenRetrySchedule: Schedule.spaced("100 millis") })
        )
        const prefix = uniqueId("narrowed")
        const others = yield* watchMany(config, prefix)
        const firsts = yield* Effect.forEach(others, (watcher) => watcher.next, { concurrency: "unbounded" })
        expect(firsts.filter((event) => event._tag !== "Absent")).toEqual([])

        // from now on the server refuses any listen naming the first key, and two keys change without a push:
        // only the re-listen of every key after a reconnect can find them, one of them in the refused chunk
        const failing = `${prefix}-0`
        fake.refusedListens.add(failing)
        fake.writeSilently(`${prefix}-1`, "DEFAULT_GROUP", "changed in the refused chunk")
        fake.writeSilently(`${prefix}-${LISTEN_CHUNK_SIZE}`, "DEFAULT_GROUP", "changed in the next chunk")
        fake.writeSilently(failing, "DEFAULT_GROUP", "changed on the refused key")
        fake.nacos.dropStreams()
        expect(yield* others[1]!.next).toMatchObject({ _tag: "Changed", content: "changed in the refused chunk" })
        expect(yield* others[LISTEN_CHUNK_SIZE]!.next).toMatchObject({
          _tag: "Changed",
          content: "changed in the next chunk"
        })

        yield* until(() => listensOf(fake, failing) > 2)
        fake.refusedListens.delete(failing)
        expect(yield* others[0]!.next).toMatchObject({ _tag: "Changed", content: "changed on the refused key" })
      }).pipe(Effect.provide(logs.layer))
    },
    120_000
  )
})
