import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import { Auth } from "../../src/Auth.ts"
import type { GrpcOptions } from "../../src/NacosOptions.ts"
import * as NacosOptions from "../../src/NacosOptions.ts"
import * as ServerAddress from "../../src/ServerAddress.ts"
import { ServerList } from "../../src/ServerList.ts"
import * as Transport from "../../src/Transport.ts"

/** Auth that adds nothing: the transport tests are about the connection, not identity. */
export const noAuth = Layer.succeed(Auth, Auth.of({ identity: () => Effect.succeed({}), onForbidden: Effect.void }))

/** A fixed list with deterministic rotation starting at the first entry. */
export const fixedServerListOf = (list: ReadonlyArray<ServerAddress.ServerAddress>) => {
  const indexOf = (server: ServerAddress.ServerAddress) => list.findIndex((s) => s.authority === server.authority)
  return Layer.succeed(
    ServerList,
    ServerList.of({
      current: Effect.succeed(list),
      changes: Stream.make(list).pipe(Stream.concat(Stream.never)),
      next: (previous) =>
        Effect.succeed(list[Option.isSome(previous) ? (indexOf(previous.value) + 1) % list.length : 0]!),
      find: (host, port) =>
        Effect.succeed(
          Option.fromNullishOr(list.find((s) => s.host === host && (port === undefined || s.port === port)))
        )
    })
  )
}

/** {@link fixedServerListOf} from address strings. */
export const fixedServerList = (addresses: ReadonlyArray<string>) =>
  Layer.unwrap(Effect.map(ServerAddress.parseList(addresses), fixedServerListOf))

/** Transport against fake servers (gRPC port = "HTTP" port: offset 0). */
export const transportLayer = (
  addresses: ReadonlyArray<string>,
  grpc: Partial<GrpcOptions> = {},
  transportOptions: Transport.TransportOptions = {}
) =>
  Transport.layerGrpc(transportOptions).pipe(
    Layer.provide([
      NacosOptions.layer({ serverAddr: addresses, appName: "transport-test", grpc: { portOffset: 0, ...grpc } }),
      fixedServerList(addresses),
      noAuth
    ]),
    Layer.orDie
  )
