/**
 * The live NamingService against fake servers: the whole client stack (`Nacos.layer`) with an in-memory cache
 * exposed to the test (to seed failover and snapshot files and read them back).
 */
import { randomUUID } from "node:crypto"
import * as os from "node:os"
import * as path from "node:path"
import { Cache, Nacos } from "@effect-nacos/core"
import { NamingService } from "@effect-nacos/naming"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { FakeNamingServer } from "./FakeNamingServer.ts"

export interface LiveOptions extends NamingService.NamingServiceOptions {
  readonly address: string
  readonly timeoutMillis?: number | undefined
  readonly cache?: Layer.Layer<Cache.NacosCache | Cache.NacosCacheMemory> | undefined
}

export const liveLayer = ({
  address,
  timeoutMillis = 2000,
  cache = Cache.layerMemory(),
  ...serviceOptions
}: LiveOptions) =>
  NamingService.layerWith(serviceOptions).pipe(
    Layer.provideMerge(cache),
    Layer.provide(
      Nacos.layer({
        serverAddr: address,
        appName: "naming-test",
        cacheDir: path.join(os.tmpdir(), `effect-nacos-naming-test-${randomUUID()}`),
        grpc: { portOffset: 0, timeoutMillis }
      })
    ),
    Layer.orDie
  )

/** A fake naming server for the lifetime of the scope. */
export const fakeServer = (options: ConstructorParameters<typeof FakeNamingServer>[0] = {}) =>
  Effect.acquireRelease(
    Effect.promise(() => new FakeNamingServer(options).start()),
    (fake) => Effect.promise(() => fake.stop())
  )

/** The live service on a fresh fake server, for the shared behaviour suite. */
export const liveOnFakeServer = () =>
  Layer.unwrap(Effect.map(fakeServer(), (fake) => liveLayer({ address: fake.address })))
