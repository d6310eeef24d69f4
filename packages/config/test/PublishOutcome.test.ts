/**
 * A publish is sent once. When its answer is late or lost, the server's md5 says whether it was applied; it is
 * never re-sent over HTTP (a CAS publish would conflict with itself, a large one be refused after the first was
 * stored). What gRPC cannot carry is refused before anything is sent.
 */
import { describe, expect, it } from "@effect/vitest"
import { ConfigService } from "@effect-nacos/config"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import { eventually, md5, uniqueId } from "./support/behaviour.ts"
import { holdingProxyAbove } from "./support/holdingProxy.ts"
import { fakeServer, fakeServerWithHttp, liveLayer } from "./support/layers.ts"

const serviceOf = (layer: ReturnType<typeof liveLayer>) =>
  Effect.map(Layer.build(layer), (context) => Context.get(context, ConfigService.ConfigService))

/** A fake server (gRPC and HTTP) whose gRPC answers go through a proxy that can hold them back. */
const heldServer = Effect.gen(function* () {
  const { fake, address } = yield* fakeServerWithHttp({ grpc: true })
  const { proxy, portOffset } = yield* holdingProxyAbove(fake.nacos.port, fake.httpPort)
  return { fake, proxy, address, portOffset }
})

describe("ConfigService live: a publish whose answer is late or lost", () => {
  it.live("a CAS publish answered late is confirmed by the server's md5: success, not a conflict, not re-sent", () =>
    Effect.gen(function* () {
      const { fake, proxy, address, portOffset } = yield* heldServer
      const config = yield* serviceOf(liveLayer({ address, portOffset, timeoutMillis: 500 }))
      const dataId = uniqueId("late-cas")
      fake.write(dataId, "DEFAULT_GROUP", "old")
      expect(yield* config.get({ dataId })).toBe("old")
      const queriesBefore = fake.received("ConfigQueryRequest").length

      proxy.holdAnswers()
      const publishing = yield* Effect.forkChild(
        Effect.result(config.publish({ dataId, content: "new", casMd5: md5("old") }))
      )
      // the server applied it; its answer waits in the proxy until the client asks what the server holds
      yield* eventually(
        Effect.sync(
          () => fake.received("ConfigQueryRequest").length > queriesBefore || publishing.pollUnsafe() !== undefined
        ),
        (done) => done
      )
      proxy.release()
      const outcome = yield* Fiber.join(publishing)

      expect(outcome._tag).toBe("Success")
      expect(fake.store.get(`public/DEFAULT_GROUP/${dataId}`)?.content).toBe("new")
      expect(fake.received("ConfigPublishRequest")).toHaveLength(1)
      expect(fake.httpRequests).toEqual([])
    })
  )

  it.live("a publish answered late is confirmed over HTTP when gRPC still says nothing", () =>
    Effect.gen(function* () {
      const { fake, proxy, address, portOffset } = yield* heldServer
      const config = yield* serviceOf(liveLayer({ address, portOffset, timeoutMillis: 500 }))
      const dataId = uniqueId("late-answer")
      expect((yield* Effect.flip(config.get({ dataId })))._tag).toBe("NotFoundError")

      proxy.holdAnswers()
      yield* config.publish({ dataId, content: "applied, answer held" })
      proxy.release()

      expect(fake.received("ConfigPublishRequest")).toHaveLength(1)
      // the check was a read: nothing was published over HTTP
      expect(fake.httpRequests).toEqual(["GET /nacos/v3/client/cs/config"])
    })
  )

  it.live("a publish still on its way fails as outcome unknown and is not re-sent: it may arrive later", () =>
    Effect.gen(function* () {
      const { fake, proxy, address, portOffset } = yield* heldServer
      const config = yield* serviceOf(liveLayer({ address, portOffset, timeoutMillis: 500 }))
      const dataId = uniqueId("in-transit")
      expect((yield* Effect.flip(config.get({ dataId })))._tag).toBe("NotFoundError")

      proxy.holdEverything()
      const error = yield* Effect.flip(config.publish({ dataId, content: "on its way" }))
      expect(error._tag).toBe("TransportError")
      expect(error.message).toContain("outcome unknown")
      expect(fake.httpRequests.filter((request) => request.startsWith("POST"))).toEqual([])

      // and it does arrive: re-sending it over HTTP would have published it twice
      proxy.release()
      yield* eventually(
        Effect.sync(() => fake.store.get(`public/DEFAULT_GROUP/${dataId}`)?.content),
        (content) => content === "on its way"
      )
      expect(fake.received("ConfigPublishRequest")).toHaveLength(1)
    })
  )

  it.live("with gRPC unreachable (nothing sent), the publish still goes over HTTP", () =>
    Effect.gen(function* () {
      const { fake, address, portOffset } = yield* fakeServerWithHttp({ grpc: false })
      const config = yield* serviceOf(liveLayer({ address, portOffset, timeoutMillis: 300 }))
      yield* config.publish({ dataId: "unsent", content: "over http", casMd5: md5("none yet") })
      expect(fake.httpRequests).toEqual(["POST /nacos/v1/cs/configs"])
    })
  )

  it.live("a large publish gets time for its size: answered after the base timeout, it needs no check", () =>
    Effect.gen(function* () {
      const { fake, proxy, address, portOffset } = yield* heldServer
      const config = yield* serviceOf(
        liveLayer({ address, portOffset, timeoutMillis: 300, publishTimeoutMillisPerMiB: 20_000 })
      )
      const dataId = uniqueId("large")
      const content = "x".repeat(1024 * 1024)
      expect((yield* Effect.flip(config.get({ dataId })))._tag).toBe("NotFoundError")
      const queriesBefore = fake.received("ConfigQueryRequest").length

      proxy.holdAnswers()
      const publishing = yield* Effect.forkChild(config.publish({ dataId, content }))
      yield* eventually(
        Effect.sync(() => fake.received("ConfigPublishRequest").length === 1),
        (sent) => sent
      )
      // well past the 300 ms base timeout, well inside 300 ms + 20 s for the MiB
      yield* Effect.sleep("1 second")
      proxy.release()
      yield* Fiber.join(publishing)

      expect(fake.received("ConfigQueryRequest").length).toBe(queriesBefore)
      expect(fake.httpRequests).toEqual([])
    })
  )
})

describe("ConfigService live: what gRPC cannot carry is refused before sending", () => {
  it.live("exactly 10 MiB passes the server's content rule but not one gRPC message: InvalidArgumentError", () =>
    Effect.gen(function* () {
      const fake = yield* fakeServer
      const config = yield* serviceOf(liveLayer({ address: fake.address }))
      const error = yield* Effect.flip(config.publish({ dataId: "ten-mib", content: "a".repeat(10 * 1024 * 1024) }))
      expect(error).toMatchObject({ _tag: "InvalidArgumentError", field: "content" })
      expect(error.message).toContain("grpc.maxReceiveMessageLength")
      expect(fake.received("ConfigPublishRequest")).toEqual([])
    })
  )

  it.live("the JSON escapes count: 6 MiB of line breaks is 12 MiB on the wire", () =>
    Effect.gen(function* () {
      const fake = yield* fakeServer
      const config = yield* serviceOf(liveLayer({ address: fake.address }))
      const error = yield* Effect.flip(
        config.publish({ dataId: "breaks", content: `a${"\n".repeat(6 * 1024 * 1024)}` })
      )
      expect(error).toMatchObject({ _tag: "InvalidArgumentError", field: "content" })
      expect(fake.received("ConfigPublishRequest")).toEqual([])
    })
  )

  it.live("the configured message size is the limit", () =>
    Effect.gen(function* () {
      const fake = yield* fakeServer
      const config = yield* serviceOf(liveLayer({ address: fake.address, maxReceiveMessageLength: 1024 * 1024 }))
      const error = yield* Effect.flip(config.publish({ dataId: "over-1-mib", content: "a".repeat(1024 * 1024) }))
      expect(error).toMatchObject({ _tag: "InvalidArgumentError", field: "content" })
      yield* config.publish({ dataId: "under-1-mib", content: "a".repeat(900 * 1024) })
      expect(fake.received("ConfigPublishRequest")).toHaveLength(1)
    })
  )
})
