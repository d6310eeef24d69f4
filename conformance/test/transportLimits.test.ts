/**
 * gRPC message size limits against the real server: a size refusal from either side is a final, typed
 * `InvalidArgumentError`, never a retried `TransportError`, and the session survives it.
 */
import { describe, expect, it } from "@effect/vitest"
import { Transport } from "@effect-nacos/core"
import * as Effect from "effect/Effect"
import * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import * as SubscriptionRef from "effect/SubscriptionRef"
import { nacosLayer, servers } from "../support.ts"

const Base = Schema.Struct({ resultCode: Schema.Number })
const MiB = 1024 * 1024

const openConfigConnection = Effect.flatMap(Effect.service(Transport.Transport), (transport) =>
  transport.connect({ module: "config", tenant: "public" })
)

const keyOf = (dataId: string) => ({ dataId, group: "DEFAULT_GROUP", tenant: "public" })

describe("gRPC message size limits (auth off)", () => {
  it.live(
    "a request over the server's inbound limit (10 MiB) is refused: InvalidArgumentError, the session lives on",
    () =>
      Effect.gen(function* () {
        const connection = yield* openConfigConnection
        const session = yield* connection.awaitSession(15_000)
        const error = yield* Effect.flip(
          connection.request(
            "ConfigPublishRequest",
            { ...keyOf(`conformance-too-large-${Date.now()}`), content: "x".repeat(11 * MiB) },
            Base,
            { timeoutMillis: 20_000 }
          )
        )
        expect(error._tag).toBe("InvalidArgumentError")
        expect(error).toMatchObject({ field: "request" })
        // the server's (grpc-java) words: "gRPC message exceeds maximum size 10485760: <size>"
        expect(error.message).toContain("refused ConfigPublishRequest")
        expect(error.message).toContain("exceeds maximum size 10485760")
        // the refusal ends only that call: the same session answers the next request
        const health = yield* connection.request("HealthCheckRequest", { module: "internal" }, Base)
        expect(health.resultCode).toBe(200)
        const now = yield* SubscriptionRef.get(connection.state)
        expect(now).toMatchObject({ _tag: "Connected", session: { connectionId: session.connectionId } })
      }).pipe(Effect.provide(nacosLayer(servers().authOff, { grpc: { maxReceiveMessageLength: 32 * MiB } }))),
    60_000
  )

  it.live("an answer over the client's limit is refused by the client, naming the option to raise", () => {
    const key = keyOf(`conformance-large-answer-${Date.now()}`)
    const publish = Effect.gen(function* () {
      const connection = yield* openConfigConnection
      yield* connection.request("ConfigPublishRequest", { ...key, content: "y".repeat(256 * 1024) }, Base, {
        timeoutMillis: 10_000
      })
    }).pipe(Effect.scoped, Effect.provide(nacosLayer(servers().authOff)))
    const query = Effect.gen(function* () {
      const connection = yield* openConfigConnection
      const error = yield* Effect.flip(
        connection.request("ConfigQueryRequest", key, Base, { timeoutMillis: 10_000, headers: { notify: "false" } })
      ).pipe(
        // the server dumps a publish to its cache asynchronously: until then a query answers "config data not
        // exist" (300) or "requested file is being modified, please try later." (400)
        Effect.repeat({
          schedule: Schedule.spaced("200 millis"),
          while: (failure) => failure._tag === "ServerError" && (failure.errorCode === 300 || failure.errorCode === 400)
        }),
        Effect.timeout("10 seconds")
      )
      expect(error.message).toContain("ConfigQueryRequest")
      expect(error._tag).toBe("InvalidArgumentError")
      expect(error).toMatchObject({ field: "grpc.maxReceiveMessageLength" })
      const health = yield* connection.request("HealthCheckRequest", { module: "internal" }, Base)
      expect(health.resultCode).toBe(200)
    }).pipe(
      Effect.scoped,
      Effect.provide(nacosLayer(servers().authOff, { grpc: { maxReceiveMessageLength: 64 * 1024 } }))
    )
    return Effect.andThen(publish, query)
  })
})
