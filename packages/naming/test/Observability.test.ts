import { describe, expect, it } from "@effect/vitest"
import { NacosMetrics } from "@effect-nacos/core"
import { NamingService } from "@effect-nacos/naming"
import * as Cause from "effect/Cause"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as Metric from "effect/Metric"
import * as Option from "effect/Option"
import * as References from "effect/References"
import * as Stream from "effect/Stream"
import * as Tracer from "effect/Tracer"

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

const memoryService = Effect.map(Layer.build(NamingService.layerMemory()), (context) =>
  Context.get(context, NamingService.NamingService)
)

const activeNamingWatches = Metric.withAttributes(NacosMetrics.activeWatches, { "nacos.module": "naming" })

describe("NamingService observability", () => {
  it.effect("a subscription is an active watch for as long as its stream runs", () =>
    Effect.gen(function* () {
      const naming = yield* memoryService
      yield* naming.registerInstance({ serviceName: "watched", ip: "10.0.0.1", port: 1 })
      expect((yield* Metric.value(activeNamingWatches)).value).toBe(0)
      const whileOpen = yield* naming.subscribe({ serviceName: "watched" }).pipe(
        Stream.take(1),
        Stream.mapEffect(() => Metric.value(activeNamingWatches)),
        Stream.runCollect
      )
      expect(whileOpen.map((state) => state.value)).toEqual([1])
      expect((yield* Metric.value(activeNamingWatches)).value).toBe(0)
    }).pipe(Effect.provideService(Metric.MetricRegistry, new Map()))
  )

  it.effect("registerInstance, listInstances and the selections are spans with no stack captured", () => {
    const { spans, tracer } = recordingTracer()
    return Effect.gen(function* () {
      const naming = yield* memoryService
      yield* naming.registerInstance({ serviceName: "orders", ip: "10.0.0.1", port: 1 })
      yield* naming.selectOneHealthyInstance({ serviceName: "orders" })
      yield* naming.selectInstances({ serviceName: "orders" })
      const names = spans.map((span) => span.name).filter((name) => name.startsWith("NamingService."))
      expect(names).toEqual([
        "NamingService.registerInstance",
        "NamingService.selectOneHealthyInstance",
        "NamingService.listInstances",
        "NamingService.selectInstances",
        "NamingService.listInstances"
      ])
      const registered = spans.find((span) => span.name === "NamingService.registerInstance")
      expect(registered?.attributes.get("nacos.naming.service")).toBe("orders")
      // a failure records the stack frame it happened in: the span's name, and no stack captured at the call
      const exit = yield* Effect.exit(naming.selectOneHealthyInstance({ serviceName: "nobody-here" }))
      expect(Exit.isFailure(exit)).toBe(true)
      const frames = Exit.isFailure(exit)
        ? exit.cause.reasons.map((reason) => {
            const frame = Context.getOption(Cause.reasonAnnotations(reason), Cause.StackTrace)
            return Option.map(frame, (found) => ({ name: found.name, stack: found.stack() }))
          })
        : []
      expect(frames).toEqual([Option.some({ name: "NamingService.selectOneHealthyInstance", stack: undefined })])
    }).pipe(Effect.withTracer(tracer))
  })

  it.effect("a failing listener's log line carries nacos.module = naming", () => {
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
      const naming = yield* memoryService
      yield* naming.registerInstance({ serviceName: "listened", ip: "10.0.0.1", port: 1 })
      yield* Effect.scoped(
        Effect.gen(function* () {
          yield* naming.onChange({ serviceName: "listened" }, () => Effect.die("listener bug"))
          while (lines.length === 0) yield* Effect.yieldNow
        })
      )
      expect(lines[0]).toMatchObject({ module: "naming" })
      expect(lines[0]?.text).toContain("listened: listener failed")
    }).pipe(Effect.provide(capture))
  })
})
