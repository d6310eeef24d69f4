/**
 * The attempts of a background registration, told in its `RegistrationStatus`: `Registering` before each,
 * `Failed` (retrying) after each failure, `Registered` once an attempt says so, and `Failed` (not retrying) when
 * the schedule gives up. Failures are logged as warnings (their messages carry no secret).
 */
import * as Effect from "effect/Effect"
import * as Ref from "effect/Ref"
import type * as Schedule from "effect/Schedule"
import * as Stream from "effect/Stream"
import * as SubscriptionRef from "effect/SubscriptionRef"
import { isSettled, type RegistrationStatus } from "../RegistrationStatus.ts"

export const run = <E extends { readonly message: string }, R>(options: {
  readonly status: SubscriptionRef.SubscriptionRef<RegistrationStatus>
  /** What is registered where, for the logs: `agent echo 1.0.0 with nacos`. */
  readonly label: string
  /** One attempt; it calls `registered` with the endpoints once they are published (and may then go on). */
  readonly attempt: (registered: (urls: ReadonlyArray<string>) => Effect.Effect<void>) => Effect.Effect<void, E, R>
  readonly schedule: Schedule.Schedule<unknown, E>
  /** Errors worth another attempt (default: all). */
  readonly retryWhile?: ((error: E) => boolean) | undefined
}): Effect.Effect<void, never, R> =>
  Effect.gen(function* () {
    const attempts = yield* Ref.make(0)
    const once = Effect.gen(function* () {
      const attempt = yield* Ref.updateAndGet(attempts, (n) => n + 1)
      yield* SubscriptionRef.set(options.status, { _tag: "Registering", attempt })
      yield* options
        .attempt((urls) =>
          Effect.andThen(
            SubscriptionRef.set(options.status, { _tag: "Registered", attempt, urls }),
            Effect.logInfo(`${options.label}: registered (${urls.join(", ")})`)
          )
        )
        .pipe(
          Effect.tapError((error) =>
            Effect.andThen(
              SubscriptionRef.set(options.status, { _tag: "Failed", attempt, reason: error.message, retrying: true }),
              Effect.logWarning(`${options.label}: attempt ${attempt} failed: ${error.message}; trying again`)
            )
          )
        )
    })
    yield* once.pipe(
      Effect.retry({ schedule: options.schedule, while: options.retryWhile ?? (() => true) }),
      Effect.catch((error) =>
        Effect.flatMap(Ref.get(attempts), (attempt) =>
          Effect.andThen(
            SubscriptionRef.set(options.status, { _tag: "Failed", attempt, reason: error.message, retrying: false }),
            Effect.logWarning(`${options.label}: given up after ${attempt} attempts: ${error.message}`)
          )
        )
      )
    )
  })

/** The status once nothing more will happen by itself: `Registered`, or `Failed` with no attempt left. */
export const settled = (status: SubscriptionRef.SubscriptionRef<RegistrationStatus>) =>
  SubscriptionRef.changes(status).pipe(
    Stream.filter(isSettled),
    Stream.runHead,
    Effect.flatMap((head) => (head._tag === "Some" ? Effect.succeed(head.value) : SubscriptionRef.get(status)))
  )
