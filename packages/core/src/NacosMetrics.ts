/**
 * The client's metrics, as Effect `Metric`s in the default registry: export them with any Effect metrics
 * exporter (`OtlpMetrics` / `Otlp.layerJson` from `effect/observability` for OpenTelemetry, `PrometheusMetrics`),
 * or read them with `Metric.snapshot`. Every service records into these; their attributes (`nacos.module`,
 * `nacos.request.type`, `nacos.outcome`) are low-cardinality and carry no secret.
 *
 * @since 0.1.0
 * @module
 */
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Metric from "effect/Metric"
import * as Scope from "effect/Scope"
import { ModuleKey, RequestTypeKey } from "./NacosTelemetry.ts"

/**
 * gRPC requests, by `nacos.module`, `nacos.request.type` and `nacos.outcome` (see {@link Outcome}).
 *
 * @category metrics
 * @since 0.1.0
 */
export const requests = Metric.counter("nacos.client.requests", {
  description: "gRPC requests sent to Nacos, by module, request type and outcome",
  incremental: true
})

/**
 * Milliseconds from a request's start to its outcome (waiting for a session and retries included), by
 * `nacos.module` and `nacos.request.type`.
 *
 * @category metrics
 * @since 0.1.0
 */
export const requestDuration = Metric.histogram("nacos.client.request.duration", {
  description: "Milliseconds from a gRPC request's start to its outcome, retries included",
  // 1 ms … ~16 s
  boundaries: Metric.exponentialBoundaries({ start: 1, factor: 2, count: 15 }),
  attributes: { unit: "ms" }
})

/**
 * Sessions lost, each the start of a reconnect, by `nacos.module`.
 *
 * @category metrics
 * @since 0.1.0
 */
export const reconnects = Metric.counter("nacos.client.reconnects", {
  description: "gRPC sessions lost (each starts a reconnect), by module",
  incremental: true
})

/**
 * Operations that went over HTTP because gRPC was unavailable, by `nacos.module` and `nacos.operation`.
 *
 * @category metrics
 * @since 0.1.0
 */
export const httpFallbacks = Metric.counter("nacos.client.http_fallbacks", {
  description: "Operations sent over HTTP because gRPC was unavailable, by module and operation",
  incremental: true
})

/**
 * Watches and subscriptions open now (config watches and listeners, naming subscriptions …), by `nacos.module`.
 *
 * @category metrics
 * @since 0.1.0
 */
export const activeWatches = Metric.gauge("nacos.client.active_watches", {
  description: "Watches and subscriptions currently open, by module"
})

/**
 * How a request ended: `success`, or the tag of its failure in snake case (`transport_error`, `server_error`,
 * `auth_error`, `invalid_argument_error`), or `interrupted`.
 *
 * @category models
 * @since 0.1.0
 */
export type Outcome = string

const snakeCase = (tag: string) => tag.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toLowerCase()

/**
 * @category metrics
 * @since 0.1.0
 */
export const outcomeOf = <A, E extends { readonly _tag: string }>(exit: Exit.Exit<A, E>): Outcome => {
  if (Exit.isSuccess(exit)) return "success"
  const failure = exit.cause.reasons.find((reason) => reason._tag === "Fail")
  if (failure !== undefined && failure._tag === "Fail") return snakeCase(failure.error._tag)
  return exit.cause.reasons.some((reason) => reason._tag === "Interrupt") ? "interrupted" : "defect"
}

/**
 * Records one request of `requestType` from `module`: counts it by outcome and observes its duration.
 *
 * @category metrics
 * @since 0.1.0
 */
export const trackRequest = (module: string, requestType: string) => {
  // the attributed metrics are made once per request type and outcome, not on every request (a hot path)
  const attributes = { [ModuleKey]: module, [RequestTypeKey]: requestType }
  const duration = Metric.withAttributes(requestDuration, attributes)
  // nearly every request succeeds: its counter is looked up once, not by a key built on every request
  const succeeded = requestCounter(attributes, "success")
  return <A, E extends { readonly _tag: string }, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    // the fiber's clock and registry are read directly: four effects less on every request
    Effect.withFiber((fiber) => {
      const clock = fiber.getRef(Clock.Clock)
      const start = clock.currentTimeNanosUnsafe()
      return Effect.onExit(self, (exit) =>
        Effect.sync(() => {
          const millis = Number(clock.currentTimeNanosUnsafe() - start) / 1_000_000
          const counter = Exit.isSuccess(exit) ? succeeded : requestCounter(attributes, outcomeOf(exit))
          counter.updateUnsafe(1, fiber.context)
          duration.updateUnsafe(millis, fiber.context)
        })
      )
    })
}

const requestCounters = new Map<string, Metric.Counter<number>>()
const requestCounter = (attributes: Record<string, string>, outcome: Outcome): Metric.Counter<number> => {
  const id = `${attributes[ModuleKey]}\u0000${attributes[RequestTypeKey]}\u0000${outcome}`
  let counter = requestCounters.get(id)
  if (counter === undefined) {
    counter = Metric.withAttributes(requests, { ...attributes, "nacos.outcome": outcome })
    requestCounters.set(id, counter)
  }
  return counter
}

/**
 * Counts a watch or subscription of `module` as active for as long as the scope lives.
 *
 * @category metrics
 * @since 0.1.0
 */
export const trackActiveWatch = (module: string): Effect.Effect<void, never, Scope.Scope> => {
  const { opened, closed } = activeWatchUpdates(module)
  // one finalizer holding a shared effect: a watch keeps nothing of its own for the gauge
  return Effect.uninterruptible(
    Effect.andThen(
      opened,
      Effect.flatMap(Effect.scope, (scope) => Scope.addFinalizer(scope, closed))
    )
  )
}

/**
 * The active-watches gauge's two updates for `module`, for code that already holds one finalizer per watch and
 * runs `closed` in it (a second finalizer per watch is a scope entry more for each of 10 000 watches).
 *
 * @category metrics
 * @since 0.1.0
 */
export interface ActiveWatchUpdates {
  readonly opened: Effect.Effect<void>
  readonly closed: Effect.Effect<void>
}

/** The gauge's updates per module, made once: 10 000 watches need not carry 10 000 copies. */
const activeWatchGauges = new Map<string, ActiveWatchUpdates>()

/**
 * {@link ActiveWatchUpdates} of `module`: run `opened` when a watch starts and `closed` once when it ends.
 *
 * @category metrics
 * @since 0.1.0
 */
export const activeWatchUpdates = (module: string): ActiveWatchUpdates => {
  let updates = activeWatchGauges.get(module)
  if (updates === undefined) {
    const gauge = Metric.withAttributes(activeWatches, { [ModuleKey]: module })
    updates = { opened: Metric.modify(gauge, 1), closed: Metric.modify(gauge, -1) }
    activeWatchGauges.set(module, updates)
  }
  return updates
}

/**
 * @category metrics
 * @since 0.1.0
 */
export const countReconnect = (module: string): Effect.Effect<void> =>
  Metric.update(Metric.withAttributes(reconnects, { [ModuleKey]: module }), 1)

/**
 * @category metrics
 * @since 0.1.0
 */
export const countHttpFallback = (module: string, operation: string): Effect.Effect<void> =>
  Metric.update(Metric.withAttributes(httpFallbacks, { [ModuleKey]: module, "nacos.operation": operation }), 1)
