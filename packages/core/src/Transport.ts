/**
 * Opens Nacos connections. Each service opens its own (with its module label) because the server ties listen
 * state and ephemeral registrations to the connection that made them.
 *
 * @since 0.1.0
 * @module
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Schedule from "effect/Schedule"
import type * as Scope from "effect/Scope"
import { Auth } from "./Auth.ts"
import type { Connection, ConnectionSpec } from "./Connection.ts"
import * as GrpcConnection from "./internal/grpcConnection.ts"
import { NacosOptions } from "./NacosOptions.ts"
import * as Policy from "./Policy.ts"
import { ServerList } from "./ServerList.ts"

/**
 * @category services
 * @since 0.1.0
 */
export class Transport extends Context.Service<
  Transport,
  {
    /**
     * Starts a connection whose lifecycle (handshake, health checks, reconnects) runs until the scope closes.
     * Returns at once: requests wait (within their timeout) for the first session.
     *
     * @example
     * ```ts
     * import { Transport } from "@effect-nacos/core"
     * import { Effect, Schema } from "effect"
     *
     * // what a service layer does: its own connection, labelled with its module
     * const serverCheck = Effect.gen(function* () {
     *   const transport = yield* Transport.Transport
     *   const connection = yield* transport.connect({ module: "config" })
     *   return yield* connection.request("ServerCheckRequest", {}, Schema.Struct({ connectionId: Schema.String }))
     * }).pipe(Effect.scoped)
     * ```
     */
    readonly connect: (spec: ConnectionSpec) => Effect.Effect<Connection, never, Scope.Scope>
  }
>()("@effect-nacos/core/Transport") {}

/**
 * @category models
 * @since 0.1.0
 */
export interface TransportOptions {
  /** Delay between failed connect attempts; default {@link Policy.reconnect} (full jitter, 100 ms … 5 s). */
  readonly reconnectSchedule?: Schedule.Schedule<unknown> | undefined
}

/**
 * The gRPC transport.
 *
 * @category layers
 * @since 0.1.0
 */
export const layerGrpc = (
  transportOptions: TransportOptions = {}
): Layer.Layer<Transport, never, NacosOptions | ServerList | Auth> =>
  Layer.effect(
    Transport,
    Effect.gen(function* () {
      const deps: GrpcConnection.ConnectionDeps = {
        options: yield* NacosOptions,
        serverList: yield* ServerList,
        auth: yield* Auth,
        reconnectSchedule: transportOptions.reconnectSchedule ?? Policy.reconnect
      }
      return Transport.of({ connect: (spec) => GrpcConnection.make(spec, deps) })
    })
  )

/**
 * The gRPC transport with default policies.
 *
 * @category layers
 * @since 0.1.0
 */
export const layer: Layer.Layer<Transport, never, NacosOptions | ServerList | Auth> = layerGrpc()
