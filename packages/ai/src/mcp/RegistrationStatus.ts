/**
 * Where a background registration in Nacos stands, as a `SubscriptionRef` shows it: `Pending` (not started),
 * `Registering` (an attempt is on its way), `Registered` (released and the endpoint published), `Failed` (the last
 * attempt failed; `retrying` says whether another one is scheduled).
 *
 * @since 0.1.0
 * @module
 */
import * as Schema from "effect/Schema"

/**
 * Not started yet: the HTTP server is not listening yet.
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
 * Released (or found released) and the endpoint published.
 *
 * @category schemas
 * @since 0.1.0
 */
export const Registered = Schema.TaggedStruct("Registered", {
  attempt: Schema.Number,
  /** The endpoint published, `http://address:port/path`. */
  url: Schema.String
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
