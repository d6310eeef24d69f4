/**
 * One value that many Streams follow — a watched config, a subscribed service — at a few hundred bytes per
 * follower. `SubscriptionRef.changes` gives every follower a PubSub subscription, a replay buffer, latches and
 * several channel stages (about 13 KiB each in practice; 10 000 watches were 127 MiB). Here a follower is a
 * callback in the value's list, and {@link stream} turns callbacks into a Stream with one pending array and no
 * queue or fiber of its own: the consumer's fiber pulls, and a callback wakes it.
 *
 * Delivery is as `SubscriptionRef.changes` delivers: the current value first, then every published value in
 * order, none dropped (a slow consumer's values wait in its pending array).
 *
 * @since 0.1.0
 * @module
 */
import * as Arr from "effect/Array"
import * as Channel from "effect/Channel"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as Result from "effect/Result"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"

/**
 * Where a published value goes: called synchronously, once per value, in publish order.
 *
 * @category models
 * @since 0.1.0
 */
export type Sink<A> = (value: A) => void

/**
 * A value with followers. Its methods are synchronous: they are called from the one fiber that owns the value
 * (a registry's round, a push handler), and a follower's {@link Sink} only records the value and wakes its
 * consumer.
 *
 * @category models
 * @since 0.1.0
 */
export interface FanOut<A> {
  /** The last published value; `None` before the first. */
  readonly current: () => Option.Option<A>
  /** Sets the value and hands it to every follower. */
  readonly publishUnsafe: (value: A) => void
  /** `publishUnsafe` as an Effect. */
  readonly publish: (value: A) => Effect.Effect<void>
  /**
   * Adds a follower: it gets the current value at once (when there is one, unless `replayCurrent` is false),
   * then every later one. Returns the function that removes it.
   */
  readonly subscribeUnsafe: (sink: Sink<A>, replayCurrent?: boolean) => () => void
  /**
   * Removes a follower (`subscribeUnsafe`'s returned function does the same): for code following many values
   * with one sink, which need not keep a function per value.
   */
  readonly unsubscribeUnsafe: (sink: Sink<A>) => void
  /** How many followers there are now. */
  readonly followers: () => number
}

/**
 * A value with no followers yet, `initial` or none.
 *
 * @example
 * ```ts
 * import { FanOut } from "@effect-nacos/core"
 * import { Effect, Fiber, Stream } from "effect"
 *
 * const program = Effect.gen(function* () {
 *   const value = FanOut.make<number>(1)
 *   const seen = yield* FanOut.changes(value).pipe(Stream.take(2), Stream.runCollect, Effect.forkChild)
 *   yield* Effect.yieldNow
 *   yield* value.publish(2)
 *   return yield* Fiber.join(seen) // [1, 2]
 * })
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const make = <A>(...initial: [] | [A]): FanOut<A> =>
  new Followed<A>(initial.length === 0 ? Option.none() : Option.some(initial[0]))

/** No value yet (a value may itself be `undefined`). */
const nothing: unique symbol = Symbol("FanOut/nothing")

/**
 * What {@link make} makes, as a class to extend: a registry whose entry is its own fan-out keeps one object per
 * watched value instead of two (10 000 watched keys are 10 000 entries). Its methods live once on the prototype,
 * and an instance is two fields more than the subclass's own.
 *
 * @example
 * ```ts
 * import { FanOut } from "@effect-nacos/core"
 * import { Option } from "effect"
 *
 * class Watched extends FanOut.Followed<string> {
 *   readonly name: string
 *   watchers = 1
 *   constructor(name: string) {
 *     super(Option.none())
 *     this.name = name
 *   }
 * }
 * const entry = new Watched("app.yaml")
 * entry.publishUnsafe("v1")
 * entry.current() // Some("v1")
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export class Followed<A> implements FanOut<A> {
  // one follower (the usual case) is kept as itself, more in an array; either is replaced, never changed in
  // place, so a follower leaving during a publish does not make another one miss it
  private sinks: Sink<A> | ReadonlyArray<Sink<A>> | undefined = undefined
  // the value itself, not an Option: one object less per value
  private latest: A | typeof nothing
  constructor(latest: Option.Option<A>) {
    this.latest = Option.isSome(latest) ? latest.value : nothing
  }
  current(): Option.Option<A> {
    const latest = this.latest
    return latest === nothing ? Option.none() : Option.some(latest)
  }
  publishUnsafe(value: A) {
    this.latest = value
    const sinks = this.sinks
    if (typeof sinks === "function") sinks(value)
    else if (sinks !== undefined) for (const sink of sinks) sink(value)
  }
  publish(value: A) {
    return Effect.sync(() => this.publishUnsafe(value))
  }
  subscribeUnsafe(sink: Sink<A>, replayCurrent = true) {
    const sinks = this.sinks
    this.sinks = sinks === undefined ? sink : typeof sinks === "function" ? [sinks, sink] : [...sinks, sink]
    const latest = this.latest
    if (replayCurrent && latest !== nothing) sink(latest)
    return () => this.unsubscribeUnsafe(sink)
  }
  unsubscribeUnsafe(sink: Sink<A>) {
    const sinks = this.sinks
    if (sinks === sink) this.sinks = undefined
    else if (Array.isArray(sinks)) {
      const rest = sinks.filter((other) => other !== sink)
      this.sinks = rest.length === 0 ? undefined : rest.length === 1 ? rest[0] : rest
    }
  }
  followers() {
    const sinks = this.sinks
    return sinks === undefined ? 0 : typeof sinks === "function" ? 1 : sinks.length
  }
}

/**
 * A Stream of what `start` emits. `start` runs when the stream starts, in the stream's scope: it subscribes
 * `emit` wherever values come from and adds to `scope` whatever undoes that; the scope closes when the stream
 * ends or is interrupted. Values emitted before the consumer asks wait in order; the stream itself never ends
 * (`Stream.take` and friends end it).
 *
 * @example
 * ```ts
 * import { FanOut } from "@effect-nacos/core"
 * import { Effect, Scope, Stream } from "effect"
 *
 * const a = FanOut.make("a1")
 * const b = FanOut.make("b1")
 * // one stream following two values
 * const both = FanOut.stream<string, never, never>((emit, scope) =>
 *   Effect.forEach([a, b], (value) => Scope.addFinalizer(scope, Effect.sync(value.subscribeUnsafe(emit))), {
 *     discard: true
 *   })
 * )
 * const firstTwo = both.pipe(Stream.take(2), Stream.runCollect) // ["a1", "b1"]
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const stream = <A, E, R>(
  start: (emit: Sink<A>, scope: Scope.Scope) => Effect.Effect<void, E, R>
): Stream.Stream<A, E, R> => follow<A, never, E, R>(start, false)

/**
 * {@link stream} for a source that can also fail: `start` subscribes a sink of `Result`s; a failure ends the
 * stream with it, after the values delivered before it (later deliveries are ignored).
 *
 * ```ts
 * import { FanOut } from "@effect-nacos/core"
 * import { Effect, Result, Scope, Stream } from "effect"
 *
 * const value = FanOut.make<Result.Result<number, string>>(Result.succeed(1))
 * const numbers = FanOut.streamResults<number, string, never, never>((emit, scope) =>
 *   Scope.addFinalizer(scope, Effect.sync(value.subscribeUnsafe(emit)))
 * )
 * const firstOne = numbers.pipe(Stream.runHead) // Some(1)
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const streamResults = <A, E, E2, R>(
  start: (emit: Sink<Result.Result<A, E>>, scope: Scope.Scope) => Effect.Effect<void, E2, R>
): Stream.Stream<A, E | E2, R> =>
  follow<A, E, E2, R>(
    (emit, scope, fail) =>
      start((result) => (Result.isFailure(result) ? fail(result.failure) : emit(result.success)), scope),
    true
  )

const ignoreFailure = () => {}

/**
 * The consumer side of {@link stream} and {@link streamResults}: one pending array, the failure delivered (if
 * any), and the waiting pull's wake-up. `fail` is made only for a source that can fail (a closure less per
 * stream otherwise).
 */
const follow = <A, E, E2, R>(
  start: (emit: Sink<A>, scope: Scope.Scope, fail: (error: E) => void) => Effect.Effect<void, E2, R>,
  failures: boolean
): Stream.Stream<A, E | E2, R> =>
  Stream.fromChannel(
    Channel.fromTransform((_upstream, scope) => {
      let pending: Array<A> = []
      let failure: Effect.Effect<never, E> | undefined
      let wake: ((batch: Effect.Effect<Arr.NonEmptyReadonlyArray<A>, E>) => void) | undefined
      const emit: Sink<A> = (value) => {
        if (failure !== undefined) return
        if (wake === undefined) {
          pending.push(value)
          return
        }
        const resume = wake
        wake = undefined
        resume(Effect.succeed([value]))
      }
      const fail = failures
        ? (error: E) => {
            if (failure !== undefined) return
            failure = Effect.fail(error)
            // a waiting pull means nothing is pending: the failure is next
            const resume = wake
            wake = undefined
            resume?.(failure)
          }
        : ignoreFailure
      // one resumable effect for the stream's whole life; a waiting pull that is interrupted forgets its wake-up
      const forget = Effect.sync(() => {
        wake = undefined
      })
      const pull = Effect.callback<Arr.NonEmptyReadonlyArray<A>, E>((resume) => {
        const batch = pending
        if (Arr.isArrayNonEmpty(batch)) {
          pending = []
          resume(Effect.succeed(batch))
          return
        }
        if (failure !== undefined) {
          resume(failure)
          return
        }
        wake = resume
        return forget
      })
      return Effect.as(start(emit, scope, fail), pull)
    })
  )

/**
 * The value's current value (when there is one), then every later one.
 *
 * @example
 * ```ts
 * import { FanOut } from "@effect-nacos/core"
 * import { Stream } from "effect"
 *
 * const value = FanOut.make("first")
 * const head = FanOut.changes(value).pipe(Stream.runHead) // Some("first")
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const changes = <A>(fanOut: FanOut<A>): Stream.Stream<A> =>
  stream((emit, scope) => Scope.addFinalizer(scope, Effect.sync(fanOut.subscribeUnsafe(emit))))

/**
 * Runs `handler` for every value `start` emits, one at a time and in order, until the scope closes — with no
 * fiber while there is nothing to handle: a fiber is started when a value arrives and ends when the values are
 * handled. A listener that waits (nearly always) costs its state, not a suspended fiber and a stream (about
 * 2 KiB in Effect 4). `handler` runs with the services of the caller; the scope closing stops it, interrupting
 * a handler in progress.
 *
 * @example
 * ```ts
 * import { FanOut } from "@effect-nacos/core"
 * import { Effect, Scope } from "effect"
 *
 * const value = FanOut.make(1)
 * const program = Effect.scoped(
 *   Effect.gen(function* () {
 *     yield* FanOut.listen<number, never, never, never>(
 *       (emit, scope) => Scope.addFinalizer(scope, Effect.sync(value.subscribeUnsafe(emit))),
 *       (n) => Effect.log(`now ${n}`)
 *     )
 *     yield* value.publish(2) // logged: now 1, now 2
 *   })
 * )
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const listen = <A, E, R, R2>(
  start: (emit: Sink<A>, scope: Scope.Scope) => Effect.Effect<void, E, R>,
  handler: (value: A) => Effect.Effect<void, never, R2>
): Effect.Effect<void, E, R | R2 | Scope.Scope> =>
  Effect.uninterruptible(
    Effect.gen(function* () {
      const scope = yield* Effect.scope
      const context = yield* Effect.context<R2>()
      let pending: Array<A> = []
      /** A fiber is handling values (set before it starts: a fiber may finish before `runForkWith` returns). */
      let active = false
      let running: Fiber.Fiber<void> | undefined
      let closed = false
      const drain: Effect.Effect<void, never, R2> = Effect.suspend(() => {
        const waiting = pending
        if (closed || !Arr.isArrayNonEmpty(waiting)) {
          active = false
          running = undefined
          return Effect.void
        }
        const [next, ...rest] = waiting
        pending = rest
        return Effect.andThen(handler(next), drain)
      })
      yield* Scope.addFinalizer(
        scope,
        Effect.suspend(() => {
          closed = true
          pending = []
          const fiber = running
          running = undefined
          return fiber === undefined ? Effect.void : Fiber.interrupt(fiber)
        })
      )
      const emit: Sink<A> = (value) => {
        if (closed) return
        pending.push(value)
        if (active) return
        active = true
        const fiber = Effect.runForkWith(context)(drain)
        if (active) running = fiber
      }
      yield* start(emit, scope)
    })
  )
