/**
 * The behaviour every ConfigService layer must show, run against `layerMemory`, the live layer on the fake
 * server (unit tests) and the live layer on the real Nacos server (conformance).
 *
 * The real server reads configs from an asynchronously refreshed cache: a get right after a publish may still
 * see the previous value for a few milliseconds. Reads after writes therefore wait until the expected value shows
 * (`eventually`), which costs nothing on the other layers.
 */
import { createHash, randomUUID } from "node:crypto"
import { describe, expect, it } from "@effect/vitest"
import { type ConfigEvent, ConfigFilter, ConfigService } from "@effect-nacos/config"
import { InvalidArgumentError } from "@effect-nacos/core"
import { StreamProbe } from "@effect-nacos/core/testing"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import type * as Layer from "effect/Layer"
import * as Queue from "effect/Queue"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"

export const md5 = (content: string) => createHash("md5").update(content, "utf8").digest("hex")

/** A dataId no other test (or run) uses. */
export const uniqueId = (label: string) => `${label}-${randomUUID().slice(0, 8)}`

export const { WAIT, eventually } = StreamProbe

export type Watcher = StreamProbe.Probe<ConfigEvent>

/** Runs `config.watch(params)` in the background, collecting its events. */
export const startWatch = (config: ConfigService.Service, params: { dataId: string; group?: string }) =>
  StreamProbe.start(config.watch(params), params.dataId)

const contentOf = (event: ConfigEvent) => (event._tag === "Changed" ? event.content : undefined)

/** A toy cipher: enough to see that content is stored sealed and read back in clear. */
export const toyCipher = ConfigFilter.cipher({
  encrypt: (config) =>
    Effect.succeed({ content: Buffer.from(config.content).toString("base64"), encryptedDataKey: "key-1" }),
  decrypt: (config) =>
    config.encryptedDataKey === "key-1"
      ? Effect.succeed(Buffer.from(config.content, "base64").toString())
      : Effect.fail(new InvalidArgumentError({ field: "encryptedDataKey", message: "unknown data key" }))
})

export interface BehaviourOptions {
  /** Builds a fresh service (and whatever it needs) for one test. */
  readonly layer: (options?: {
    readonly filters?: ReadonlyArray<ConfigFilter.ConfigFilter>
  }) => Layer.Layer<ConfigService.ConfigService>
  readonly timeout?: number
}

type TestBody = (config: ConfigService.Service) => Effect.Effect<void, unknown, Scope.Scope>

export const describeConfigBehaviour = (label: string, options: BehaviourOptions) =>
  describe(`ConfigService behaviour: ${label}`, () => {
    const test = (name: string, body: TestBody, filters?: ReadonlyArray<ConfigFilter.ConfigFilter>) =>
      it.live(
        name,
        () =>
          Effect.flatMap(Effect.service(ConfigService.ConfigService), body).pipe(
            Effect.provide(options.layer(filters === undefined ? {} : { filters }))
          ),
        options.timeout ?? 60_000
      )

    test("publish then get returns the content, with md5 and type", (config) =>
      Effect.gen(function* () {
        const dataId = uniqueId("publish-get")
        yield* config.publish({ dataId, content: "port: 8080", type: "yaml" })
        const info = yield* eventually(config.getInfo({ dataId }), (info) => info.content === "port: 8080")
        expect(info).toMatchObject({
          dataId,
          group: "DEFAULT_GROUP",
          namespace: "public",
          md5: md5("port: 8080"),
          type: "yaml",
          source: "server",
          beta: false
        })
        expect(yield* config.get({ dataId, group: "" })).toBe("port: 8080")
      }))

    test("get of a missing config fails with NotFoundError", (config) =>
      Effect.gen(function* () {
        const error = yield* Effect.flip(config.get({ dataId: uniqueId("missing"), group: "SOME_GROUP" }))
        expect(error._tag).toBe("NotFoundError")
      }))

    test("groups are separate configs", (config) =>
      Effect.gen(function* () {
        const dataId = uniqueId("groups")
        yield* config.publish({ dataId, group: "G1", content: "one" })
        yield* config.publish({ dataId, group: "G2", content: "two" })
        expect(yield* eventually(config.get({ dataId, group: "G1" }))).toBe("one")
        expect(yield* eventually(config.get({ dataId, group: "G2" }))).toBe("two")
        expect((yield* Effect.flip(config.get({ dataId })))._tag).toBe("NotFoundError")
      }))

    test("invalid input fails with InvalidArgumentError naming the field", (config) =>
      Effect.gen(function* () {
        const field = (effect: Effect.Effect<unknown, { readonly _tag: string }>) =>
          Effect.map(Effect.flip(effect), (error) => (error instanceof InvalidArgumentError ? error.field : error._tag))
        expect(yield* field(config.get({ dataId: "has space" }))).toBe("dataId")
        expect(yield* field(config.get({ dataId: "" }))).toBe("dataId")
        expect(yield* field(config.get({ dataId: "x".repeat(257) }))).toBe("dataId")
        expect(yield* field(config.get({ dataId: "ok", group: "a/b" }))).toBe("group")
        expect(yield* field(config.publish({ dataId: "ok", content: "  " }))).toBe("content")
        expect(yield* field(config.publish({ dataId: "ok", content: "x", tag: "t".repeat(17) }))).toBe("tag")
        expect(
          yield* field(config.publish({ dataId: "ok", content: "x", configTags: ["a", "b", "c", "d", "e", "f"] }))
        ).toBe("configTags")
        expect(yield* field(config.publish({ dataId: "ok", content: "x", configTags: ["a,b"] }))).toBe("configTags.0")
        expect(yield* field(config.remove({ dataId: "bad/id" }))).toBe("dataId")
        const watchError = yield* Effect.flip(Stream.runHead(config.watch({ dataId: "bad id" })))
        expect(watchError).toMatchObject({ _tag: "InvalidArgumentError", field: "dataId" })
        const listenError = yield* Effect.flip(config.listen({ dataId: "bad:id", group: "é" }, () => Effect.void))
        expect(listenError).toMatchObject({ _tag: "InvalidArgumentError", field: "group" })
      }))

    test("compare-and-set: the current md5 wins, a stale one is a ConflictError", (config) =>
      Effect.gen(function* () {
        const dataId = uniqueId("cas")
        yield* config.publish({ dataId, content: "v1" })
        yield* eventually(config.get({ dataId }), (content) => content === "v1")
        yield* config.publish({ dataId, content: "v2", casMd5: md5("v1") })
        yield* eventually(config.get({ dataId }), (content) => content === "v2")
        const conflict = yield* Effect.flip(config.publish({ dataId, content: "v3", casMd5: md5("v1") }))
        expect(conflict._tag).toBe("ConflictError")
        expect(yield* config.get({ dataId })).toBe("v2")
      }))

    test("a tag publish is served to that tag only", (config) =>
      Effect.gen(function* () {
        const dataId = uniqueId("tag")
        yield* config.publish({ dataId, content: "formal" })
        yield* config.publish({ dataId, content: "gray", tag: "canary" })
        const tagged = yield* eventually(config.getInfo({ dataId, tag: "canary" }), (info) => info.content === "gray")
        expect(tagged.tag).toBe("canary")
        expect(yield* eventually(config.get({ dataId }))).toBe("formal")
        expect((yield* Effect.flip(config.get({ dataId, tag: "other" })))._tag).toBe("NotFoundError")
      }))

    test("remove deletes; removing a missing config succeeds", (config) =>
      Effect.gen(function* () {
        const dataId = uniqueId("remove")
        yield* config.publish({ dataId, content: "bye" })
        yield* eventually(config.get({ dataId }))
        yield* config.remove({ dataId })
        yield* eventually(Effect.flip(config.get({ dataId })), (error) => error._tag === "NotFoundError")
        yield* config.remove({ dataId })
      }))

    test("watch: Absent first for a missing config, then the value once published", (config) =>
      Effect.gen(function* () {
        const dataId = uniqueId("watch-absent")
        const watcher = yield* startWatch(config, { dataId })
        expect((yield* watcher.next)._tag).toBe("Absent")
        yield* config.publish({ dataId, content: "hello" })
        expect(yield* watcher.next).toMatchObject({ _tag: "Changed", content: "hello", md5: md5("hello"), dataId })
      }))

    test("watch: the current value first, then each change; identical content is no change", (config) =>
      Effect.gen(function* () {
        const dataId = uniqueId("watch-current")
        yield* config.publish({ dataId, content: "a" })
        yield* eventually(config.get({ dataId }))
        const watcher = yield* startWatch(config, { dataId })
        expect(contentOf(yield* watcher.next)).toBe("a")
        yield* config.publish({ dataId, content: "a" })
        yield* config.publish({ dataId, content: "b" })
        expect(contentOf(yield* watcher.next)).toBe("b")
      }))

    test("watch: 20 rapid publishes end on the final value, in order, without repeats", (config) =>
      Effect.gen(function* () {
        const dataId = uniqueId("watch-rapid")
        const watcher = yield* startWatch(config, { dataId })
        expect((yield* watcher.next)._tag).toBe("Absent")
        for (let i = 1; i <= 20; i++) yield* config.publish({ dataId, content: `v${i}` })
        const events = yield* watcher.until((event) => contentOf(event) === "v20")
        const versions = events.map((event) => Number(contentOf(event)?.slice(1)))
        expect(events.every((event) => event._tag === "Changed")).toBe(true)
        expect(versions).toEqual([...versions].sort((a, b) => a - b))
        expect(new Set(versions).size).toBe(versions.length)
      }))

    test("watch: removal is a Deleted event; a later watcher starts from Absent", (config) =>
      Effect.gen(function* () {
        const dataId = uniqueId("watch-delete")
        yield* config.publish({ dataId, content: "here" })
        yield* eventually(config.get({ dataId }))
        const first = yield* startWatch(config, { dataId })
        expect(contentOf(yield* first.next)).toBe("here")
        yield* config.remove({ dataId })
        expect(yield* first.next).toMatchObject({ _tag: "Deleted", dataId, group: "DEFAULT_GROUP" })
        const late = yield* startWatch(config, { dataId })
        expect((yield* late.next)._tag).toBe("Absent")
        yield* config.publish({ dataId, content: "back" })
        expect(contentOf(yield* first.next)).toBe("back")
        expect(contentOf(yield* late.next)).toBe("back")
      }))

    test("watchMany: every key's current value or Absent first, then the changes of any key, in one stream", (config) =>
      Effect.gen(function* () {
        const present = uniqueId("many-present")
        const absent = uniqueId("many-absent")
        yield* config.publish({ dataId: present, content: "here" })
        yield* eventually(config.get({ dataId: present }))
        // the same key twice is one watch of it
        const watcher = yield* StreamProbe.start(
          config.watchMany([{ dataId: present }, { dataId: absent }, { dataId: present, group: "DEFAULT_GROUP" }]),
          "watchMany"
        )
        const first = [yield* watcher.next, yield* watcher.next]
        expect(first).toEqual(
          expect.arrayContaining([
            expect.objectContaining({ _tag: "Changed", dataId: present, content: "here", md5: md5("here") }),
            expect.objectContaining({ _tag: "Absent", dataId: absent, group: "DEFAULT_GROUP" })
          ])
        )
        yield* config.publish({ dataId: absent, content: "now here" })
        expect(yield* watcher.next).toMatchObject({ _tag: "Changed", dataId: absent, content: "now here" })
        yield* config.remove({ dataId: present })
        expect(yield* watcher.next).toMatchObject({ _tag: "Deleted", dataId: present })
        // a single watch of one of the keys shares its state and sees the same
        const single = yield* startWatch(config, { dataId: absent })
        expect(contentOf(yield* single.next)).toBe("now here")
        yield* Fiber.interrupt(watcher.fiber)
        yield* config.publish({ dataId: absent, content: "after" })
        expect(contentOf(yield* single.next)).toBe("after")
        yield* config.remove({ dataId: absent })
      }))

    test("watchMany: an invalid key fails the stream before anything is watched", (config) =>
      Effect.gen(function* () {
        const error = yield* Effect.flip(
          Stream.runHead(config.watchMany([{ dataId: uniqueId("many-ok") }, { dataId: "bad id" }]))
        )
        expect(error).toMatchObject({ _tag: "InvalidArgumentError", field: "dataId" })
      }))

    test("watchMany: one stream run again watches the same keys; an invalid one fails every run", (config) =>
      Effect.gen(function* () {
        const a = uniqueId("many-again-a")
        const b = uniqueId("many-again-b")
        const both = config.watchMany([{ dataId: a }, { dataId: b }])
        const firstRun = yield* Stream.runCollect(Stream.take(both, 2))
        expect(firstRun.map((event) => event.dataId).sort()).toEqual([a, b].sort())
        yield* config.publish({ dataId: b, content: "b1" })
        yield* eventually(config.get({ dataId: b }))
        const secondRun = yield* Stream.runCollect(Stream.take(both, 2))
        expect(secondRun).toEqual(
          expect.arrayContaining([
            expect.objectContaining({ _tag: "Absent", dataId: a }),
            expect.objectContaining({ _tag: "Changed", dataId: b, content: "b1" })
          ])
        )
        const invalid = config.watchMany([{ dataId: "bad id" }])
        for (const _ of [1, 2]) {
          const error = yield* Effect.flip(Stream.runHead(invalid))
          expect(error).toMatchObject({ _tag: "InvalidArgumentError", field: "dataId" })
        }
        yield* config.remove({ dataId: b })
      }))

    test("watch: watchers of one key are independent; closing one leaves the others", (config) =>
      Effect.gen(function* () {
        const dataId = uniqueId("watch-shared")
        const a = yield* startWatch(config, { dataId })
        const b = yield* startWatch(config, { dataId })
        expect((yield* a.next)._tag).toBe("Absent")
        expect((yield* b.next)._tag).toBe("Absent")
        yield* Fiber.interrupt(a.fiber)
        yield* config.publish({ dataId, content: "for b" })
        expect(contentOf(yield* b.next)).toBe("for b")
        const c = yield* startWatch(config, { dataId })
        expect(contentOf(yield* c.next)).toBe("for b")
      }))

    test("listen: the callback gets the current value and changes until its scope closes", (config) =>
      Effect.gen(function* () {
        const dataId = uniqueId("listen")
        const received = yield* Queue.unbounded<ConfigEvent>()
        const seen: Array<string> = []
        yield* Effect.scoped(
          Effect.gen(function* () {
            yield* config.listen({ dataId }, (event) =>
              Effect.sync(() => seen.push(event._tag)).pipe(Effect.andThen(Queue.offer(received, event)))
            )
            expect((yield* Queue.take(received).pipe(Effect.timeout(WAIT)))._tag).toBe("Absent")
            yield* config.publish({ dataId, content: "one" })
            expect(contentOf(yield* Queue.take(received).pipe(Effect.timeout(WAIT)))).toBe("one")
          })
        )
        // after the scope: a change reaches another watcher but not the closed callback
        const other = yield* startWatch(config, { dataId })
        expect(contentOf(yield* other.next)).toBe("one")
        yield* config.publish({ dataId, content: "two" })
        expect(contentOf(yield* other.next)).toBe("two")
        expect(seen).toEqual(["Absent", "Changed"])
      }))

    test(
      "filters: a cipher- config is stored sealed, read and watched in clear",
      (config) =>
        Effect.gen(function* () {
          const dataId = uniqueId("cipher-secret")
          const watcher = yield* startWatch(config, { dataId })
          expect((yield* watcher.next)._tag).toBe("Absent")
          yield* config.publish({ dataId, content: "password=42" })
          const info = yield* eventually(config.getInfo({ dataId }), (info) => info.content === "password=42")
          const sealed = Buffer.from("password=42").toString("base64")
          // the md5 is the server's, over the sealed content
          expect(info).toMatchObject({ encryptedDataKey: "key-1", md5: md5(sealed) })
          expect(yield* watcher.next).toMatchObject({
            _tag: "Changed",
            content: "password=42",
            encryptedDataKey: "key-1"
          })
          // dataIds without the prefix are untouched
          const plainId = uniqueId("plain")
          yield* config.publish({ dataId: plainId, content: "clear" })
          expect(yield* eventually(config.getInfo({ dataId: plainId }))).toMatchObject({ md5: md5("clear") })
        }),
      [toyCipher]
    )
  })
