import { describe, expect, it } from "@effect/vitest"
import { ConfigService } from "@effect-nacos/config"
import { NacosMetrics } from "@effect-nacos/core"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as Metric from "effect/Metric"
import * as References from "effect/References"
import * as Stream from "effect/Stream"
import * as Tracer from "effect/Tracer"
import { fakeServerWithHttp, liveLayer } from "./support/layers.ts"

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

const serviceOf = <E, R>(layer: Layer.Layer<ConfigService.ConfigService, E, R>) =>
  Effect.map(Layer.build(layer), (context) => Context.get(context, ConfigService.ConfigService))

const activeConfigWatches = Metric.withAttributes(NacosMetrics.activeWatches, { "nacos.module": "config" })

describe("ConfigService observability", () => {
  /** A memory layer whose one filter records the stack frame `get` runs its filters in. */
  const recordingFrames = () => {
    const frames: Array<{ readonly name: string | undefined; readonly stack: string | undefined }> = []
    const layer = ConfigService.layerMemory({
      configs: [{ dataId: "app.yaml", content: "a: 1" }],
      filters: [
        {
          name: "records the stack frame it runs in",
          afterGet: (context) =>
            Effect.map(Effect.service(References.CurrentStackFrame), (frame) => {
              frames.push({ name: frame?.name, stack: frame?.stack() })
              return context
            })
        }
      ]
    })
    return { frames, layer }
  }

  it.effect("with a tracing backend, get runs in its span, which captured no stack at the call", () => {
    const { spans, tracer } = recordingTracer()
    const { frames, layer } = recordingFrames()
    return Effect.gen(function* () {
      const config = yield* serviceOf(layer)
      expect(yield* config.get({ dataId: "app.yaml" })).toBe("a: 1")
      expect(frames).toEqual([{ name: "ConfigService.getInfo", stack: undefined }])
      expect(spans.map((span) => span.name)).toEqual(["ConfigService.getInfo"])
    }).pipe(Effect.withTracer(tracer))
  })

  it.effect("without a tracing backend, get makes no span of its own (nobody could see it)", () => {
    const { frames, layer } = recordingFrames()
    return Effect.gen(function* () {
      const config = yield* serviceOf(layer)
      expect(yield* config.get({ dataId: "app.yaml" })).toBe("a: 1")
      expect(frames).toEqual([{ name: undefined, stack: undefined }])
    })
  })

  it.effect("get, publish and remove are spans naming the key and namespace", () => {
    const { spans, tracer } = recordingTracer()
    return Effect.gen(function* () {
      const config = yield* serviceOf(ConfigService.layerMemory({ namespace: "dev" }))
      yield* config.publish({ dataId: "app.yaml", group: "G", content: "a: 1" })
      yield* config.get({ dataId: "app.yaml", group: "G" })
      yield* config.remove({ dataId: "app.yaml", group: "G" })
      expect(spans.map((span) => span.name)).toEqual([
        "ConfigService.publish",
        "ConfigService.getInfo",
        "ConfigService.remove"
      ])
      for (const span of spans) {
        expect(Object.fromEntries(span.attributes)).toEqual({
          "nacos.config.dataId": "app.yaml",
          "nacos.config.group": "G",
          "nacos.namespace": "dev"
        })
        expect(span.status._tag).toBe("Ended")
      }
    }).pipe(Effect.withTracer(tracer))
  })

  it.effect("a watch is a span and an active watch for as long as its stream runs; listen too", () => {
    const { spans, tracer } = recordingTracer()
    return Effect.gen(function* () {
      const config = yield* serviceOf(ConfigService.layerMemory({ configs: [{ dataId: "w", content: "1" }] }))
      const watchOpen = yield* config.watch({ dataId: "w" }).pipe(
        Stream.take(1),
        Stream.mapEffect(() => Metric.value(activeConfigWatches)),
        Stream.runCollect
      )
      expect(watchOpen.map((state) => state.value)).toEqual([1])
      expect((yield* Metric.value(activeConfigWatches)).value).toBe(0)
      const watchSpan = spans.find((span) => span.name === "ConfigService.watch")
      expect(watchSpan?.status._tag).toBe("Ended")
      expect(watchSpan?.attributes.get("nacos.config.dataId")).toBe("w")

      yield* Effect.scoped(
        Effect.gen(function* () {
          yield* config.listen({ dataId: "w" }, () => Effect.void)
          yield* Effect.yieldNow
          expect(spans.some((span) => span.name === "ConfigService.listen")).toBe(true)
          expect((yield* Metric.value(activeConfigWatches)).value).toBe(1)
        })
      )
      expect((yield* Metric.value(activeConfigWatches)).value).toBe(0)
    }).pipe(Effect.withTracer(tracer), Effect.provideService(Metric.MetricRegistry, new Map()))
  })

  it.effect("a failing listener's log line carries nacos.module = config", () => {
    const lines: Array<{ readonly text: string; readonly module: unknown }> = []
    const capture = Logger.layer([
      Logger.make(({ message, fiber }) => {
        lines.push({
          text: Array.isArray(message) ? message.join(" ") : String(message),
          module: fiber.getRef(References.CurrentLogAnnotations)["nacos.module"]
        })
      })
    ])
    return Effect.gen(function* () {
      const config = yield* serviceOf(ConfigService.layerMemory({ configs: [{ dataId: "l", content: "1" }] }))
      yield* Effect.scoped(
        Effect.gen(function* () {
          yield* config.listen({ dataId: "l" }, () => Effect.die("listener bug"))
          while (lines.length === 0) yield* Effect.yieldNow
        })
      )
      expect(lines[0]).toMatchObject({ module: "config" })
      expect(lines[0]?.text).toContain("listener failed")
    }).pipe(Effect.provide(capture))
  })

  it.live("with gRPC unreachable, the switch to HTTP is a span and counted", () => {
    const { spans, tracer } = recordingTracer()
    return Effect.gen(function* () {
      const { address, portOffset } = yield* fakeServerWithHttp({ grpc: false })
      const config = yield* serviceOf(liveLayer({ address, portOffset, timeoutMillis: 300 }))
      yield* config.publish({ dataId: "via-http", content: "over http" })
      yield* config.get({ dataId: "via-http" })
      const fallbacks = spans.filter((span) => span.name === "ConfigService.httpFallback")
      expect(fallbacks.map((span) => span.attributes.get("nacos.operation"))).toEqual(["publish", "get"])
      const counted = (operation: string) =>
        Effect.map(
          Metric.value(
            Metric.withAttributes(NacosMetrics.httpFallbacks, {
              "nacos.module": "config",
              "nacos.operation": operation
            })
          ),
          (state) => state.count
        )
      expect(yield* counted("publish")).toBe(1)
      expect(yield* counted("get")).toBe(1)
    }).pipe(
      Effect.withTracer(tracer),
      Effect.provideService(Metric.MetricRegistry, new Map()),
      Effect.provide(Logger.layer([]))
    )
  })
})
