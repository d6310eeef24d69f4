/**
 * Every retry, reconnect and poll cadence of the client, as named Schedules users can replace.
 *
 * @since 0.1.0
 * @module
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Random from "effect/Random"
import * as Schedule from "effect/Schedule"

/**
 * Exponential backoff with **full jitter**: the n-th delay is uniform in `[0, min(cap, base · 2ⁿ))`.
 * Full jitter spreads a fleet of clients that lost the same server, so they do not reconnect in lock-step.
 *
 * @category schedules
 * @since 0.1.0
 */
export const exponentialFullJitter = (options: {
  readonly base: Duration.Input
  readonly cap: Duration.Input
}): Schedule.Schedule<Duration.Duration> => {
  const capMillis = Duration.toMillis(Duration.fromInputUnsafe(options.cap))
  return Schedule.exponential(options.base, 2).pipe(
    Schedule.modifyDelay(({ duration }) =>
      Effect.map(Random.next, (random) =>
        Duration.millis(Math.floor(random * Math.min(capMillis, Duration.toMillis(duration))))
      )
    )
  )
}

/**
 * Reconnect cadence: full-jitter backoff from 100 ms capped at 5 s (the Java client's ceiling), forever.
 *
 * @category schedules
 * @since 0.1.0
 */
export const reconnect: Schedule.Schedule<Duration.Duration> = exponentialFullJitter({
  base: "100 millis",
  cap: "5 seconds"
})

/**
 * ServerCheck answered "server is starting" (errorCode 300): retry for up to 30 s with full-jitter backoff from
 * 500 ms capped at 5 s. A restarting server answers 300 to everyone until it is up: a fixed step (the Go client's
 * 1 s) lets every waiting client through within the same second then, jitter spreads them as `reconnect` does.
 *
 * @category schedules
 * @since 0.1.0
 */
export const serverStarting: Schedule.Schedule<unknown> = exponentialFullJitter({
  base: "500 millis",
  cap: "5 seconds"
}).pipe(Schedule.upTo({ duration: "30 seconds" }))

/**
 * Retry of a request that failed in transport: short jittered pauses, `times` retries at most.
 * The request's own timeout bounds the whole attempt sequence.
 *
 * @category schedules
 * @since 0.1.0
 */
export const requestRetry = (times: number): Schedule.Schedule<unknown> =>
  exponentialFullJitter({ base: "50 millis", cap: "500 millis" }).pipe(Schedule.upTo({ times }))
