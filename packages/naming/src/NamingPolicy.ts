/**
 * The naming service's cadences, as named Schedules users can replace (through `NamingService.layerWith`).
 *
 * @since 0.1.0
 * @module
 */

import { Policy } from "@effect-nacos/core"
import * as Schedule from "effect/Schedule"

/**
 * Pause between attempts when a redo (re-registering or re-subscribing after a reconnect) or a first subscribe
 * fails: full-jitter backoff from 200 ms capped at 5 s, for up to 2 minutes. The next reconnect starts over.
 *
 * @category schedules
 * @since 0.1.0
 */
export const redoRetry: Schedule.Schedule<unknown> = Policy.exponentialFullJitter({
  base: "200 millis",
  cap: "5 seconds"
}).pipe(Schedule.upTo({ duration: "2 minutes" }))

/**
 * How often a subscribed service looks for a failover file (and notices one that went away). The Java client
 * checks its failover switch every 5 s.
 *
 * @category schedules
 * @since 0.1.0
 */
export const failoverCheck: Schedule.Schedule<unknown> = Schedule.spaced("5 seconds")
