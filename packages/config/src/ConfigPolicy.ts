/**
 * The config service's cadences, as named Schedules users can replace (through `ConfigService.layerWith`).
 *
 * @since 0.1.0
 * @module
 */

import { Policy } from "@effect-nacos/core"
import * as Schedule from "effect/Schedule"

/**
 * How long get/publish/remove keep trying gRPC before going over HTTP: the schedule is consulted after each
 * gRPC attempt that failed in transport (an attempt already waits up to `grpc.timeoutMillis` for a connection and
 * retries inside it). Default: no further gRPC attempt — the next one is over HTTP. While the connection knows
 * gRPC is down (a connect attempt failed, no session since), the schedule is not consulted: calls go straight to
 * HTTP until a session is back.
 *
 * @category schedules
 * @since 0.1.0
 */
export const httpFallback: Schedule.Schedule<unknown> = Schedule.recurs(0)

/**
 * Safety net behind server pushes: every so often all watched keys are re-listened with their md5, and whatever
 * differs is re-read. The Java client does this every 3 minutes.
 *
 * @category schedules
 * @since 0.1.0
 */
export const fullSync: Schedule.Schedule<unknown> = Schedule.spaced("3 minutes")

/**
 * Pause between attempts when a listen round fails (no connection, server refused): full-jitter backoff from
 * 200 ms capped at 5 s, forever — watches resume by themselves when the server is back.
 *
 * @category schedules
 * @since 0.1.0
 */
export const listenRetry: Schedule.Schedule<unknown> = Policy.exponentialFullJitter({
  base: "200 millis",
  cap: "5 seconds"
})
