/**
 * Which transport a prompt query takes: gRPC with an HTTP fallback driven by a Schedule (the default), gRPC only,
 * or HTTP only (the Java client's `nacosAiTransportMode=http`). A server's answer (found, not modified, not found,
 * not supported) is final and never triggers the fallback; only a transport failure does.
 */
import type { TransportError } from "@effect-nacos/core"
import * as Effect from "effect/Effect"
import * as Predicate from "effect/Predicate"
import type * as Schedule from "effect/Schedule"
import type { AiBackend } from "./backend.ts"

const isTransportError = (error: unknown): error is TransportError => Predicate.isTagged(error, "TransportError")

export const route = (options: {
  readonly mode: "grpc" | "http"
  readonly grpc: AiBackend["queryPrompt"]
  readonly http: AiBackend["queryPrompt"]
  /** `false`: never HTTP in gRPC mode. */
  readonly fallback: Schedule.Schedule<unknown> | false
  /** `Connection.available`: false while gRPC is known down. */
  readonly grpcAvailable: Effect.Effect<boolean>
}): AiBackend["queryPrompt"] => {
  if (options.mode === "http") return options.http
  const { fallback } = options
  if (fallback === false) return options.grpc
  return (query) =>
    Effect.flatMap(options.grpcAvailable, (available) =>
      available
        ? options.grpc(query).pipe(
            Effect.retry({ schedule: fallback, while: isTransportError }),
            Effect.catchIf(isTransportError, (error) =>
              Effect.logDebug(`prompt ${query.key}: gRPC unavailable (${error.message}); using HTTP`).pipe(
                Effect.andThen(options.http(query))
              )
            )
          )
        : options.http(query)
    )
}
