/**
 * The cadences of the MCP glue, as named Schedules a user may replace.
 *
 * @since 0.1.0
 * @module
 */
import type * as Duration from "effect/Duration"

/**
 * How many endpoints a client tries in a row before a call fails (each failed endpoint is left out of the next
 * choice): 3.
 *
 * @category schedules
 * @since 0.1.0
 */
export const connectAttempts = 3

/**
 * How long a client's call waits for Nacos to list a first endpoint of the server when it lists none: 5 s (on
 * 3.1.0 an endpoint is listed about 0.6 s after its registration).
 *
 * @category schedules
 * @since 0.1.0
 */
export const endpointWait: Duration.Input = "5 seconds"
