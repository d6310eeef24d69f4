import { describe, expect, it } from "@effect/vitest"
import { FanOut } from "@effect-nacos/core"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as Result from "effect/Result"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"

describe("FanOut", () => {
  it.effect("a follower gets the current value, then every published value in order", () =>
    Effect.gen(function* () {
      const value = FanOut.make("a")
      const seen = yield* FanOut.changes(value).pipe(Stream.take(4), Stream.runCollect, Effect.forkChild)
      yield* Effect.yieldNow
      yield* value.publish("b")
      yield* value.publish("c")
      yield* value.publish("d")
      expect(yield* Fiber.join(seen)).toEqual(["a", "b", "c", "d"])
    })
  )

  it.effect("a subclass of Followed is a fan-out with its own fields: followed, published, current", () =>
    Effect.gen(function* () {
      class Watched extends FanOut.Followed<string> {
        readonly name: string
        watchers = 1
        constructor(name: string) {
          super(Option.none())
          this.name = name
        }
      }
      const entry = new Watched("app.yaml")
      expect(Option.isNone(entry.current())).toBe(true)
      const seen = yield* FanOut.changes(entry).pipe(Stream.take(2), Stream.runCollect, Effect.forkChild)
      yield* Effect.yieldNow
      expect(entry.followers()).toBe(1)
      entry.publishUnsafe("v1")
      yield* entry.publish("v2")
      expect(yield* Fiber.join(seen)).toEqual(["v1", "v2"])
      expect(entry.current()).toEqual(Option.some("v2"))
      expect(entry.followers()).toBe(0)
      expect([entry.name, entry.watchers]).toEqual(["app.yaml", 1])
    })
  )

  it.effect("a value with none yet emits nothing until the first publish", () =>
    Effect.gen(function* () {
      const value = FanOut.make<number>()
      expect(Option.isNone(value.current())).toBe(true)
      const head = yield* FanOut.changes(value).pipe(Stream.runHead, Effect.forkChild)
      yield* Effect.yieldNow
      expect(head.pollUnsafe()).toBeUndefined()
      yield* value.publish(7)
      expect(yield* Fiber.join(head)).toEqual(Option.some(7))
    })
  )

  it.effect("a slow consumer loses nothing: values published while it works wait in order", () =>
    Effect.gen(function* () {
      const value = FanOut.make(0)
      const gate = yield* Deferred.make<void>()
      const seen: Array<number> = []
      const consumer = yield* FanOut.changes(value).pipe(
        Stream.mapEffect((n) => Effect.as(n === 0 ? Deferred.await(gate) : Effect.void, n)),
        Stream.take(101),
        Stream.runForEach((n) => Effect.sync(() => seen.push(n))),
        Effect.forkChild
      )
      yield* Effect.yieldNow
      for (let n = 1; n <= 100; n++) value.publishUnsafe(n)
      yield* Deferred.succeed(gate, undefined)
      yield* Fiber.join(consumer)
      expect(seen).toEqual(Array.from({ length: 101 }, (_, n) => n))
    })
  )

  it.effect("the stream ending or being interrupted removes its follower", () =>
    Effect.gen(function* () {
      const value = FanOut.make(1)
      yield* FanOut.changes(value).pipe(Stream.take(1), Stream.runDrain)
      expect(value.followers()).toBe(0)
      const running = yield* FanOut.changes(value).pipe(Stream.runDrain, Effect.forkChild)
      yield* Effect.yieldNow
      expect(value.followers()).toBe(1)
      yield* Fiber.interrupt(running)
      expect(value.followers()).toBe(0)
    })
  )

  it.effect("stream: one stream follows many values; its start's failure fails the stream", () =>
    Effect.gen(function* () {
      const a = FanOut.make("a1")
      const b = FanOut.make("b1")
      const both = FanOut.stream<string, never, never>((emit, scope) =>
        Effect.forEach([a, b], (value) => Scope.addFinalizer(scope, Effect.sync(value.subscribeUnsafe(emit))), {
          discard: true
        })
      )
      const seen = yield* both.pipe(Stream.take(3), Stream.runCollect, Effect.forkChild)
      yield* Effect.yieldNow
      yield* b.publish("b2")
      expect(yield* Fiber.join(seen)).toEqual(["a1", "b1", "b2"])
      expect(a.followers() + b.followers()).toBe(0)
      const failed = yield* Effect.flip(Stream.runDrain(FanOut.stream<never, string, never>(() => Effect.fail("no"))))
      expect(failed).toBe("no")
    })
  )

  it.effect("streamResults: a failure ends the stream after the values before it, waiting or not", () =>
    Effect.gen(function* () {
      const value = FanOut.make<Result.Result<number, string>>(Result.succeed(1))
      const results = FanOut.streamResults<number, string, never, never>((emit, scope) =>
        Scope.addFinalizer(scope, Effect.sync(value.subscribeUnsafe(emit)))
      )
      // delivered while the consumer waits for its next value
      const waiting = yield* results.pipe(Stream.runCollect, Effect.exit, Effect.forkChild)
      yield* Effect.yieldNow
      yield* value.publish(Result.succeed(2))
      yield* Effect.yieldNow
      yield* value.publish(Result.fail("gone"))
      yield* value.publish(Result.succeed(3))
      expect(yield* Fiber.join(waiting)).toEqual(Exit.fail("gone"))
      // delivered before the consumer asks: the values first, then the failure
      const late = FanOut.make<Result.Result<number, string>>()
      const burst = FanOut.streamResults<number, string, never, never>((emit, scope) =>
        Effect.andThen(
          Scope.addFinalizer(scope, Effect.sync(late.subscribeUnsafe(emit))),
          Effect.sync(() => {
            late.publishUnsafe(Result.succeed(1))
            late.publishUnsafe(Result.succeed(2))
            late.publishUnsafe(Result.fail("gone"))
          })
        )
      )
      const seen: Array<number> = []
      const exit = yield* burst.pipe(
        Stream.runForEach((n) => Effect.sync(() => seen.push(n))),
        Effect.exit
      )
      expect(seen).toEqual([1, 2])
      expect(exit).toEqual(Exit.fail("gone"))
      expect(late.followers()).toBe(0)
    })
  )

  it.effect("listen: one value at a time, in order, until the scope closes; nothing runs after", () =>
    Effect.gen(function* () {
      const value = FanOut.make(0)
      const seen: Array<string> = []
      const scope = yield* Scope.make()
      yield* FanOut.listen(
        (emit, listenScope) => Scope.addFinalizer(listenScope, Effect.sync(value.subscribeUnsafe(emit))),
        (n: number) =>
          Effect.sync(() => seen.push(`start ${n}`)).pipe(
            Effect.andThen(Effect.yieldNow),
            Effect.andThen(Effect.sync(() => seen.push(`end ${n}`)))
          )
      ).pipe(Scope.provide(scope))
      value.publishUnsafe(1)
      value.publishUnsafe(2)
      while (seen.length < 6) yield* Effect.yieldNow
      expect(seen).toEqual(["start 0", "end 0", "start 1", "end 1", "start 2", "end 2"])
      // idle again: a later value starts a new run
      value.publishUnsafe(3)
      while (seen.length < 8) yield* Effect.yieldNow
      expect(seen.slice(6)).toEqual(["start 3", "end 3"])
      yield* Scope.close(scope, Exit.void)
      expect(value.followers()).toBe(0)
      value.publishUnsafe(4)
      yield* Effect.yieldNow
      expect(seen).toHaveLength(8)
    })
  )
})
