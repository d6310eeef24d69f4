/**
 * Waiting in tests without hanging them: a bounded `eventually`, and a probe that collects a Stream's events in the
 * background so a test can take them one at a time. A missing feature then fails the test within {@link WAIT}
 * instead of stalling the run.
 *
 * @module
 * @since 0.1.0
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Fiber from "effect/Fiber"
import * as Queue from "effect/Queue"
import * as Schedule from "effect/Schedule"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"

/**
 * The generous bound for anything a test waits for.
 *
 * @category constants
 * @since 0.1.0
 */
export const WAIT: Duration.Duration = Duration.seconds(20)

/**
 * Retries `effect` every 50 ms until it succeeds with a value `accept` takes; dies after {@link WAIT}.
 *
 * @example
 * ```ts
 * import { StreamProbe } from "@effect-nacos/core/testing"
 * import * as Effect from "effect/Effect"
 *
 * let calls = 0
 * const third = StreamProbe.eventually(Effect.sync(() => ++calls), (n) => n >= 3)
 * ```
 *
 * @category waiting
 * @since 0.1.0
 */
export const eventually = <A, E, R>(effect: Effect.Effect<A, E, R>, accept: (value: A) => boolean = () => true) =>
  effect.pipe(
    Effect.filterOrFail(accept, (value) => `not yet: ${JSON.stringify(value)}`),
    Effect.retry(Schedule.spaced("50 millis")),
    Effect.timeoutOrElse({ duration: WAIT, orElse: () => Effect.die("the expected value never showed") })
  )

/**
 * A Stream run in the background of the test's scope, its events queued.
 *
 * @category models
 * @since 0.1.0
 */
export interface Probe<A> {
  /** The next event; dies if none comes within {@link WAIT}. */
  readonly next: Effect.Effect<A>
  /** Events until (and including) the first one `stop` accepts. */
  readonly until: (stop: (event: A) => boolean) => Effect.Effect<ReadonlyArray<A>>
  /** The fiber running the stream (e.g. to interrupt it, or to see how it ended). */
  readonly fiber: Fiber.Fiber<void, unknown>
}

/**
 * Runs `stream` in the background for as long as the scope lives, collecting its events; `label` names it when an
 * event does not come.
 *
 * @example
 * ```ts
 * import { StreamProbe } from "@effect-nacos/core/testing"
 * import * as Effect from "effect/Effect"
 * import * as Stream from "effect/Stream"
 *
 * const firstTwo = Effect.scoped(
 *   Effect.flatMap(StreamProbe.start(Stream.make(1, 2, 3), "numbers"), (probe) => probe.until((n) => n === 2))
 * )
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const start = <A, E, R>(
  stream: Stream.Stream<A, E, R>,
  label: string
): Effect.Effect<Probe<A>, never, R | Scope.Scope> =>
  Effect.gen(function* () {
    const queue = yield* Queue.unbounded<A>()
    const fiber = yield* stream.pipe(
      Stream.runForEach((event) => Queue.offer(queue, event)),
      Effect.forkScoped
    )
    const next = Queue.take(queue).pipe(
      Effect.timeoutOrElse({ duration: WAIT, orElse: () => Effect.die(`no event for ${label}`) })
    )
    const until = (stop: (event: A) => boolean) =>
      Effect.gen(function* () {
        const seen: Array<A> = []
        while (true) {
          const event = yield* next
          seen.push(event)
          if (stop(event)) return seen
        }
      })
    return { next, until, fiber }
  })
