/**
 * The live ConfigService against fake servers: the whole client stack (`Nacos.layer`) with an in-memory cache
 * exposed to the test (to seed failover files and read snapshots).
 */
import { randomUUID } from "node:crypto"
import * as os from "node:os"
import * as path from "node:path"
import { ConfigService } from "@effect-nacos/config"
import { Cache, Nacos } from "@effect-nacos/core"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { FakeConfigServer } from "./FakeConfigServer.ts"

export interface LiveOptions extends ConfigService.ConfigServiceOptions {
  readonly address: string
  /** gRPC port = HTTP port + this; 0 for a gRPC-only fake. */
  readonly portOffset?: number | undefined
  readonly timeoutMillis?: number | undefined
  readonly maxReceiveMessageLength?: number | undefined
  /** The HTTP context path (default `/nacos`, where the fake serves). */
  readonly contextPath?: string | undefined
  /** The local files; default an in-memory cache the test can reach. */
  readonly cache?: Layer.Layer<Cache.NacosCache | Cache.NacosCacheMemory> | undefined
}

export const liveLayer = ({
  address,
  portOffset = 0,
  timeoutMillis = 2000,
  maxReceiveMessageLength,
  contextPath,
  cache = Cache.layerMemory(),
  ...serviceOptions
}: LiveOptions) =>
  ConfigService.layerWith(serviceOptions).pipe(
    Layer.provideMerge(cache),
    Layer.provide(
      Nacos.layer({
        serverAddr: address,
        appName: "config-test",
        cacheDir: path.join(os.tmpdir(), `effect-nacos-config-test-${randomUUID()}`),
        ...(contextPath === undefined ? {} : { contextPath }),
        grpc: {
          portOffset,
          timeoutMillis,
          ...(maxReceiveMessageLength === undefined ? {} : { maxReceiveMessageLength })
        }
      })
    ),
    Layer.orDie
  )

/** A fake config server for the lifetime of the scope. */
export const fakeServer = Effect.acquireRelease(
  Effect.promise(() => new FakeConfigServer().start()),
  (fake) => Effect.promise(() => fake.stop())
)

/** A fake config server answering HTTP, with gRPC (on HTTP port + offset) or without. */
export const fakeServerWithHttp = (options: { readonly grpc: boolean }) =>
  Effect.acquireRelease(
    Effect.promise(async () => {
      const fake = new FakeConfigServer()
      const { address, portOffset } = await fake.startWithHttp(options)
      return { fake, address, portOffset }
    }),
    ({ fake }) => Effect.promise(() => fake.stop())
  )

/** The live service on a fresh fake server, for the shared behaviour suite. */
export const liveOnFakeServer = (serviceOptions: ConfigService.ConfigServiceOptions = {}) =>
  Layer.unwrap(Effect.map(fakeServer, (fake) => liveLayer({ address: fake.address, ...serviceOptions })))
