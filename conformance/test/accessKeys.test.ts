/**
 * Access keys against the real server. The auth-on profile runs the `nacos` auth plugin, which checks tokens and
 * ignores access-key signatures: the signatures themselves are judged by the Java client's vectors
 * (packages/core/test/AccessKeySigning.test.ts). What the real server can show: the signature headers (V4 included)
 * next to the token do not disturb it, and access keys alone do not get past its token check.
 */
import { describe, expect, it } from "@effect/vitest"
import { ConfigService } from "@effect-nacos/config"
import * as Effect from "effect/Effect"
import * as References from "effect/References"
import { eventually, startWatch, uniqueId } from "../../packages/config/test/support/behaviour.ts"
import { nacosLayer, servers } from "../support.ts"

/** Connection news at info level is not what these tests are about. */
const quiet = Effect.provideService(References.MinimumLogLevel, "Warn")

const accessKeys = { accessKey: "testAccessKey", secretKey: "testSecretKey", signatureRegionId: "cn-hangzhou" }

describe("access keys on the real server (auth on)", () => {
  it.live("token and V4 signature headers together: publish, get and listen work", () =>
    Effect.gen(function* () {
      const config = yield* ConfigService.ConfigService
      const dataId = uniqueId("aksk")
      yield* config.publish({ dataId, content: "signed" })
      expect(yield* eventually(config.get({ dataId }), (content) => content === "signed")).toBe("signed")
      const watcher = yield* startWatch(config, { dataId })
      expect(yield* watcher.next).toMatchObject({ _tag: "Changed", content: "signed" })
      yield* config.publish({ dataId, content: "signed again" })
      expect(yield* watcher.until((event) => event._tag === "Changed" && event.content === "signed again")).not.toEqual(
        []
      )
      yield* config.remove({ dataId })
    }).pipe(Effect.provide(ConfigService.layer), Effect.provide(nacosLayer(servers().authOn, accessKeys)), quiet)
  )

  it.live("access keys without a username are refused by the token check", () =>
    Effect.gen(function* () {
      const config = yield* ConfigService.ConfigService
      const error = yield* Effect.flip(config.publish({ dataId: uniqueId("aksk-only"), content: "x" }))
      expect(error._tag).toBe("AuthError")
    }).pipe(
      Effect.provide(ConfigService.layer),
      Effect.provide(nacosLayer(servers().authOn, { credentials: false, ...accessKeys })),
      quiet
    )
  )
})
