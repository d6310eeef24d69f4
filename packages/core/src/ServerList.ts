/**
 * The list of Nacos servers a client may talk to, and the rotation over it.
 *
 * Static addresses come from the options; with an `endpoint` (address server) the list is fetched from
 * `http://{endpoint}{endpointContextPath}/serverlist` and refreshed on a Schedule. DNS names are kept as names, so
 * every new gRPC channel resolves them again (re-resolution on reconnect comes for free).
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import type * as Option from "effect/Option"
import type * as Stream from "effect/Stream"
import type { ServerAddress } from "./ServerAddress.ts"

/**
 * @category services
 */
export class ServerList extends Context.Service<
  ServerList,
  {
    /** The current list (never empty once the layer is built). */
    readonly current: Effect.Effect<ReadonlyArray<ServerAddress>>
    /** The current list first, then every change. */
    readonly changes: Stream.Stream<ReadonlyArray<ServerAddress>>
    /**
     * The server to try after `previous`: the next one in the list (round robin); a random start when there is
     * no previous server or it left the list.
     */
    readonly next: (previous: Option.Option<ServerAddress>) => Effect.Effect<ServerAddress>
    /** The list entry with this host (and port, when given), if any: used by ConnectReset. */
    readonly find: (host: string, port?: number) => Effect.Effect<Option.Option<ServerAddress>>
  }
>()("@effect-nacos/core/ServerList") {}
