import { describe, expect, it } from "@effect/vitest"
import { FakeNacosServer } from "@effect-nacos/core/testing"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import type * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as Metric from "effect/Metric"
import * as References from "effect/References"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import * as SubscriptionRef from "effect/SubscriptionRef"
import * as Tracer from "effect/Tracer"
import type { ConnectionSpec } from "../src/Connection.ts"
import * as NacosMetrics from "../src/NacosMetrics.ts"
import { Transport } from "../src/Transport.ts"
import { transportLayer } from "./support/layers.ts"

const Echo = Schema.Struct({ resultCode: Schema.Number })

/** A tracer that keeps every span it starts. */
const recordingTracer = () => {
  const spans: Array<Tracer.NativeSpan> = []
  const tracer = Tracer.make({
    span: (options) => {
      const span = new Tracer.NativeSpan(options)
      spans.push(span)
      return span
    }
  })
  return { spans, tracer }
}

const connect = (address: string, spec: ConnectionSpec, logs: Layer.Layer<never> = Logger.layer([])) =>
  Effect.flatMap(Effect.service(Transport), (transport) => transport.connect(spec)).pipe(
    Effect.provide(transportLayer([address])),
    Effect.provide(logs)
  )

describe("observability", () => {
  it.live("a request is a client span with its type, module, namespace and server; the handshake has spans too", () => {
    const { spans, tracer } = recordingTracer()
    return Effect.gen(function* () {
      const fake = yield* FakeNacosServer.scoped()
      const connection = yield* connect(fake.address, { module: "config", tenant: "dev" })
      yield* connection.request("ConfigQueryRequest", { dataId: "a", group: "G", tenant: "dev" }, Echo)

      const request = spans.find((span) => span.name === "Connection.request")
      expect(request?.kind).toBe("client")
      expect(Object.fromEntries(request?.attributes ?? [])).toMatchObject({
        "nacos.request.type": "ConfigQueryRequest",
        "nacos.module": "config",
        "nacos.namespace": "dev",
        "server.address": "127.0.0.1",
        "server.port": fake.port
      })
      expect(request?.status._tag).toBe("Ended")
      const handshake = spans.find((span) => span.name === "Connection.handshake")
      expect(handshake?.attributes.get("server.port")).toBe(fake.port)
      expect(spans.some((span) => span.name === "Connection.connect")).toBe(true)
    }).pipe(Effect.withTracer(tracer))
  })

  it.live("requests are counted by type and outcome with their latency; a lost session counts a reconnect", () =>
    Effect.gen(function* () {
      const fake = yield* FakeNacosServer.scoped({
        onRequest: (type) =>
          type === "ConfigRemoveRequest"
            ? { type: "ConfigRemoveResponse", body: { resultCode: 500, errorCode: 500, message: "refused" } }
            : undefined
      })
      const connection = yield* connect(fake.address, { module: "config" })
      yield* connection.request("ConfigQueryRequest", {}, Echo)
      yield* connection.request("ConfigQueryRequest", {}, Echo)
      yield* Effect.flip(connection.request("ConfigRemoveRequest", {}, Echo))

      const count = (requestType: string, outcome: string) =>
        Effect.map(
          Metric.value(
            Metric.withAttributes(NacosMetrics.requests, {
              "nacos.module": "config",
              "nacos.request.type": requestType,
              "nacos.outcome": outcome
            })
          ),
          (state) => state.count
        )
      expect(yield* count("ConfigQueryRequest", "success")).toBe(2)
      expect(yield* count("ConfigRemoveRequest", "server_error")).toBe(1)
      expect(yield* count("ConfigRemoveRequest", "success")).toBe(0)
      const latency = yield* Metric.value(
        Metric.withAttributes(NacosMetrics.requestDuration, {
          "nacos.module": "config",
          "nacos.request.type": "ConfigQueryRequest"
        })
      )
      expect(latency.count).toBe(2)
      expect(latency.min).toBeGreaterThanOrEqual(0)

      const reconnects = Metric.withAttributes(NacosMetrics.reconnects, { "nacos.module": "config" })
      expect((yield* Metric.value(reconnects)).count).toBe(0)
      const first = yield* connection.awaitSession(5000)
      const next = yield* connection.reconnected.pipe(Stream.runHead, Effect.forkChild)
      yield* Effect.sleep(50)
      fake.dropStreams()
      yield* Fiber.join(next)
      const again = yield* connection.awaitSession(5000)
      expect(again.connectionId).not.toBe(first.connectionId)
      expect((yield* Metric.value(reconnects)).count).toBe(1)
    }).pipe(Effect.provideService(Metric.MetricRegistry, new Map()))
  )

  it.live("the connection's log lines carry nacos.module", () => {
    const lines: Array<{ readonly text: string; readonly module: unknown }> = []
    const capture = Logger.layer([
      Logger.make(({ message, fiber }) => {
        const annotations = fiber.getRef(References.CurrentLogAnnotations)
        lines.push({
          text: Array.isArray(message) ? message.join(" ") : String(message),
          module: annotations["nacos.module"]
        })
      })
    ])
    return Effect.gen(function* () {
      const fake = yield* FakeNacosServer.scoped()
      fake.refuseServerCheck = true
      const connection = yield* connect(fake.address, { module: "naming" }, capture)
      yield* Effect.promise(() => fake.awaitReceived("ServerCheckRequest", 2))
      fake.refuseServerCheck = false
      // the "connected" line is written before the state turns Connected
      yield* SubscriptionRef.changes(connection.state).pipe(
        Stream.filter((state) => state._tag === "Connected"),
        Stream.runHead
      )
      expect(lines.some((line) => line.text.includes("gRPC unavailable"))).toBe(true)
      expect(lines.some((line) => line.text.includes("connected to"))).toBe(true)
      expect(lines.filter((line) => line.module !== "naming")).toEqual([])
    })
  })
})
