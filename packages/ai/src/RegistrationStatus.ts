/**
 * Where a background registration stands, as a `SubscriptionRef` shows it — the same for an A2A agent
 * (`@effect-nacos/ai/a2a`, one status per registry) and an MCP server (`@effect-nacos/ai/mcp`): `Pending` (not
 * started), `Registering` (an attempt is on its way), `Registered` (released and the endpoints published),
 * `Failed` (the last attempt failed; `retrying` says whether another one is scheduled).
 *
 * @since 0.1.0
 * @module
 */
import * as Schema from "effect/Schema"

/**
 * Not started yet (e.g. the HTTP server is not listening yet).
 *
 * @category schemas
 * @since 0.1.0
 */
export const Pending = Schema.TaggedStruct("Pending", {})

/**
 * An attempt (1 = the first) is on its way.
 *
 * @category schemas
 * @since 0.1.0
 */
export const Registering = Schema.TaggedStruct("Registering", { attempt: Schema.Number })

/**
 * Released (or found released) and the endpoints published.
 *
 * @category schemas
 * @since 0.1.0
 */
export const Registered = Schema.TaggedStruct("Registered", {
  attempt: Schema.Number,
  /** The endpoints published, `http://address:port/path`. */
  urls: Schema.Array(Schema.String)
})

/**
 * The attempt failed for `reason` (the error's message, never a secret); `retrying` is false once the retry
 * schedule is spent.
 *
 * @category schemas
 * @since 0.1.0
 */
export const Failed = Schema.TaggedStruct("Failed", {
  attempt: Schema.Number,
  reason: Schema.String,
  retrying: Schema.Boolean
})

/**
 * @category schemas
 * @since 0.1.0
 */
export const RegistrationStatus = Schema.Union([Pending, Registering, Registered, Failed])

/**
 * @category models
 * @since 0.1.0
 */
export type RegistrationStatus = typeof RegistrationStatus.Type

/**
 * Registered, or failed with no attempt left: nothing more will happen by itself.
 *
 * @category predicates
 * @since 0.1.0
 */
export const isSettled = (status: RegistrationStatus): boolean =>
  status._tag === "Registered" || (status._tag === "Failed" && !status.retrying)
