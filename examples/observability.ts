/**
 * Observability: the client's spans, metrics and module-annotated log lines, seen through Effect's own
 * OpenTelemetry integration (`effect/observability`: OTLP traces, metrics and logs, no extra package).
 *
 *   npm run example -- examples/observability.ts      # a fake in-process Nacos, spans and metrics on the console
 *   NACOS_SERVER_ADDR=127.0.0.1:8848 npm run example -- examples/observability.ts       # on a real server
 *   OTEL_EXPORTER_OTLP_ENDPOINT=http://localhost:4318 npm run example -- examples/observability.ts
 *                                                      # export to an OpenTelemetry collector (OTLP/HTTP JSON) instead
 *
 * Without NACOS_SERVER_ADDR the client talks gRPC to `FakeNacosServer` from `@effect-nacos/core/testing`, scripted
 * here to keep configs in a map: every span and metric below is the real client's.
 */

import * as os from "node:os"
import * as path from "node:path"
import { ConfigService } from "@effect-nacos/config"
import { Nacos, NacosMetrics } from "@effect-nacos/core"
import { FakeNacosServer } from "@effect-nacos/core/testing"
import { Effect, Layer, Logger, Metric, Schedule, Tracer } from "effect"
import { FetchHttpClient } from "effect/http"
import { Otlp } from "effect/observability"

const serverAddr = process.env.NACOS_SERVER_ADDR?.trim() ?? ""
const collector = process.env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim() ?? ""

// ---------------------------------------------------------------------------------------------------------------
// Where telemetry goes: an OTLP collector when one is named, else the console
// ---------------------------------------------------------------------------------------------------------------

/** A span that prints itself when it ends: name, duration, attributes, outcome. */
class PrintedSpan extends Tracer.NativeSpan {
  override end(endTime: bigint, exit: Parameters<Tracer.NativeSpan["end"]>[1]): void {
    super.end(endTime, exit)
    const millis = Number(endTime - this.startTime) / 1_000_000
    const attributes = [...this.attributes].map(([key, value]) => `${key}=${String(value)}`).join(" ")
    process.stdout.write(`span ${this.name} ${millis.toFixed(1)} ms ${exit._tag} ${attributes}\n`)
  }
}
const consoleTracer = Tracer.make({ span: (options) => new PrintedSpan(options) })

/** Every `nacos.*` metric with its attributes and current state. */
const printMetrics = Effect.gen(function* () {
  const snapshots = yield* Metric.snapshot
  for (const metric of snapshots.filter((snapshot) => snapshot.id.startsWith("nacos."))) {
    const attributes = Object.entries(metric.attributes ?? {})
      .map(([key, value]) => `${key}=${value}`)
      .join(" ")
    const state =
      metric.type === "Histogram"
        ? `count=${metric.state.count} min=${metric.state.min.toFixed(1)} max=${metric.state.max.toFixed(1)}`
        : metric.type === "Counter"
          ? `count=${metric.state.count}`
          : metric.type === "Gauge"
            ? `value=${metric.state.value}`
            : metric.type
    process.stdout.write(`metric ${metric.id} {${attributes}} ${state}\n`)
  }
})

const Telemetry: Layer.Layer<never> =
  collector === ""
    ? // logfmt shows each line's annotations, nacos.module among them
      Layer.mergeAll(Layer.succeed(Tracer.Tracer, consoleTracer), Logger.layer([Logger.consoleLogFmt]))
    : Otlp.layerJson({ baseUrl: collector, resource: { serviceName: "effect-nacos-example" } }).pipe(
        Layer.provide(FetchHttpClient.layer),
        Layer.orDie
      )

// ---------------------------------------------------------------------------------------------------------------
// The server: a real one, or the fake scripted as a tiny config store
// ---------------------------------------------------------------------------------------------------------------

const ConfigBody = (json: unknown): { readonly dataId: string; readonly content: string } => {
  const body = typeof json === "object" && json !== null ? json : {}
  return {
    dataId: "dataId" in body && typeof body.dataId === "string" ? body.dataId : "",
    content: "content" in body && typeof body.content === "string" ? body.content : ""
  }
}

const fakeConfigServer = Effect.suspend(() => {
  const store = new Map<string, string>()
  return FakeNacosServer.scoped({
    onRequest: (type, json) => {
      const { dataId, content } = ConfigBody(json)
      if (type === "ConfigPublishRequest") store.set(dataId, content)
      if (type === "ConfigRemoveRequest") store.delete(dataId)
      if (type !== "ConfigQueryRequest") return undefined
      const found = store.get(dataId)
      return found === undefined
        ? { type: "ConfigQueryResponse", body: { resultCode: 500, errorCode: 300, message: "config data not exist" } }
        : { type: "ConfigQueryResponse", body: { resultCode: 200, content: found, contentType: "text" } }
    }
  })
})

const ConfigLive: Layer.Layer<ConfigService.ConfigService, unknown> =
  serverAddr === ""
    ? Layer.unwrap(
        Effect.map(fakeConfigServer, (fake) =>
          ConfigService.layer.pipe(
            Layer.provide(
              Nacos.layer({
                serverAddr: fake.address,
                grpc: { portOffset: 0 },
                appName: "observability-example",
                cacheDir: path.join(os.tmpdir(), "effect-nacos-observability-example")
              })
            )
          )
        )
      )
    : ConfigService.layer.pipe(Layer.provide(Nacos.layerConfig))

// ---------------------------------------------------------------------------------------------------------------
// The program
// ---------------------------------------------------------------------------------------------------------------

const dataId = `observability-${Date.now()}.properties`

const program = Effect.gen(function* () {
  const config = yield* ConfigService.ConfigService
  yield* config.publish({ dataId, content: "level=info" })
  // a real server answers reads from a cache refreshed ~100 ms after a publish
  yield* config.get({ dataId }).pipe(Effect.retry({ schedule: Schedule.spaced("100 millis"), times: 30 }))
  yield* config.remove({ dataId })
  if (collector === "") yield* printMetrics
}).pipe(Effect.withSpan("example.observability"))

program.pipe(Effect.provide(ConfigLive), Effect.provide(Telemetry), Effect.scoped, Effect.runPromise).then(
  () => {
    process.exitCode = 0
  },
  (error: unknown) => {
    console.error("observability example failed:", error)
    process.exitCode = 1
  }
)

// The metrics a dashboard would chart (all in the default registry, exported by Otlp / PrometheusMetrics):
export const charted = [
  NacosMetrics.requests,
  NacosMetrics.requestDuration,
  NacosMetrics.reconnects,
  NacosMetrics.httpFallbacks,
  NacosMetrics.activeWatches
]
