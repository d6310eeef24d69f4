/**
 * The listen request's access-key signature, as the Java client signs it: over the bare timestamp, whatever the
 * namespace (its resource builder fills namespace and group only for query, publish and remove). The signature is
 * recomputed here with `node:crypto` from the `Timestamp` header the request carried.
 */
import * as crypto from "node:crypto"
import { randomUUID } from "node:crypto"
import * as os from "node:os"
import * as path from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { ConfigService } from "@effect-nacos/config"
import { Cache, Nacos } from "@effect-nacos/core"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as References from "effect/References"
import { eventually, startWatch, uniqueId } from "./support/behaviour.ts"
import { fakeServer } from "./support/layers.ts"

const SECRET_KEY = "testSecretKey"

const signedLayer = (address: string, namespace: string) =>
  ConfigService.layerWith({}).pipe(
    Layer.provideMerge(Cache.layerMemory()),
    Layer.provide(
      Nacos.layer({
        serverAddr: address,
        namespace,
        accessKey: "testAccessKey",
        secretKey: SECRET_KEY,
        cacheDir: path.join(os.tmpdir(), `effect-nacos-aksk-test-${randomUUID()}`),
        grpc: { portOffset: 0, timeoutMillis: 2000 }
      })
    ),
    Layer.orDie
  )

describe("ConfigBatchListenRequest access-key signature", () => {
  it.live.each(["ns1", "public"])("in namespace %s it signs the bare timestamp", (namespace) =>
    Effect.gen(function* () {
      const fake = yield* fakeServer
      const config = Context.get(yield* Layer.build(signedLayer(fake.address, namespace)), ConfigService.ConfigService)
      const dataId = uniqueId("signed-listen")
      fake.write(dataId, "DEFAULT_GROUP", "one", namespace)
      const watcher = yield* startWatch(config, { dataId })
      yield* watcher.next
      const [listen] = yield* eventually(
        Effect.sync(() => fake.received("ConfigBatchListenRequest")),
        (received) => received.length > 0
      )
      const headers = listen!.headers
      expect(headers["Spas-AccessKey"]).toBe("testAccessKey")
      const timestamp = headers.Timestamp ?? ""
      expect(timestamp).toMatch(/^\d+$/)
      const bareTimestampSignature = crypto.createHmac("sha1", SECRET_KEY).update(timestamp, "utf8").digest("base64")
      expect(headers["Spas-Signature"]).toBe(bareTimestampSignature)
    }).pipe(
      // quiet: connection news at info level is not what this test is about
      Effect.provideService(References.MinimumLogLevel, "Warn")
    )
  )
})
