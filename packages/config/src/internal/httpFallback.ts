/**
 * gRPC first, HTTP when gRPC cannot be reached: each operation is retried over gRPC while it fails in transport
 * and the schedule allows; once the schedule gives up, the same operation goes over HTTP. While the connection
 * knows gRPC is down (a connect attempt failed and no session came up since), operations go straight to HTTP — one
 * HTTP round trip per call instead of a wait for a session first — until a session is back. A server's answer
 * (found, not found, conflict, refused) is final and never triggers the fallback, and neither does a publish that
 * was sent but not answered (`UnconfirmedPublish`: the server may have applied it; the service checks).
 */

import { NacosMetrics, NacosTelemetry, type TransportError } from "@effect-nacos/core"
import * as Effect from "effect/Effect"
import * as Predicate from "effect/Predicate"
import type * as Schedule from "effect/Schedule"
import type { ConfigOperations } from "./backend.ts"

const viaHttp = <A, E, R, A2, E2, R2>(
  name: string,
  grpc: Effect.Effect<A, E | TransportError, R>,
  /** Built only when used: most calls never need it, and building it (a span, a request) costs on every call. */
  http: () => Effect.Effect<A2, E2, R2>,
  schedule: Schedule.Schedule<unknown>,
  grpcAvailable: Effect.Effect<boolean>
) =>
  Effect.flatMap(grpcAvailable, (available) => {
    const overHttp = (reason: string) =>
      NacosMetrics.countHttpFallback("config", name).pipe(
        Effect.andThen(Effect.suspend(http)),
        Effect.withSpan(
          "ConfigService.httpFallback",
          {
            attributes: {
              [NacosTelemetry.ModuleKey]: "config",
              "nacos.operation": name,
              "nacos.fallback.reason": reason
            }
          },
          NacosTelemetry.hotPath
        )
      )
    // the connection has already warned (once, naming host:port) that gRPC is down
    if (!available) return overHttp("gRPC known down")
    // the first attempt runs bare; only a transport failure pays for the retry machinery, which starts from that
    // failure (replayed once) so the schedule sees exactly the attempts it would have seen
    return Effect.catchIf(grpc, isTransportError, (first) => {
      let replay: TransportError | undefined = first
      const again = Effect.suspend(() => {
        if (replay === undefined) return grpc
        const failure = replay
        replay = undefined
        return Effect.fail(failure)
      })
      return again.pipe(
        Effect.retry({ schedule, while: (error) => isTransportError(error) }),
        Effect.catchIf(isTransportError, (error) =>
          Effect.logDebug(`config ${name}: gRPC unavailable (${error.message}); using HTTP`).pipe(
            Effect.andThen(overHttp("gRPC failed"))
          )
        )
      )
    })
  })

const isTransportError = (error: unknown): error is TransportError => Predicate.isTagged(error, "TransportError")

export const withHttpFallback = (
  grpc: ConfigOperations,
  http: ConfigOperations,
  schedule: Schedule.Schedule<unknown>,
  /** `Connection.available`: false while gRPC is known down. */
  grpcAvailable: Effect.Effect<boolean>
): ConfigOperations => ({
  // the HTTP client API ignores `tag` (it answers the formal config): a tag query has no HTTP fallback
  query: (key, tag) =>
    tag === undefined
      ? viaHttp("get", grpc.query(key, tag), () => http.query(key, tag), schedule, grpcAvailable)
      : grpc.query(key, tag),
  publish: (key, request) =>
    viaHttp("publish", grpc.publish(key, request), () => http.publish(key, request), schedule, grpcAvailable),
  remove: (key, tag) => viaHttp("remove", grpc.remove(key, tag), () => http.remove(key, tag), schedule, grpcAvailable)
})
