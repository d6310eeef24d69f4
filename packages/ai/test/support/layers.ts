/**
 * The live AiService against the fake AI server: the whole client stack (`Nacos.layer`) pointed at it.
 */
import { randomUUID } from "node:crypto"
import * as os from "node:os"
import * as path from "node:path"
import { AiService } from "@effect-nacos/ai"
import { Nacos } from "@effect-nacos/core"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { FakeAiServer } from "./FakeAiServer.ts"

export const liveLayer = (
  target: { readonly address: string; readonly portOffset: number },
  options: AiService.AiServiceOptions = {}
) =>
  AiService.layerWith(options).pipe(
    Layer.provide(
      Nacos.layer({
        serverAddr: target.address,
        appName: "ai-test",
        cacheDir: path.join(os.tmpdir(), `effect-nacos-ai-test-${randomUUID()}`),
        grpc: { portOffset: target.portOffset, timeoutMillis: 2000 }
      })
    ),
    Layer.orDie
  )

/** A fake AI server (HTTP + gRPC) for the lifetime of the scope. */
export const fakeServer = (options: ConstructorParameters<typeof FakeAiServer>[0] = {}) =>
  Effect.acquireRelease(
    Effect.promise(async () => {
      const fake = new FakeAiServer(options)
      const target = await fake.start()
      return { fake, target }
    }),
    ({ fake }) => Effect.promise(() => fake.stop())
  )
