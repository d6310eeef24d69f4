/**
 * The client's overhead on `ConfigService.get`, against a bare `@grpc/grpc-js` unary call of the same Payload to
 * the same server, interleaved round by round (a shared machine's load hits both alike). Prints one JSON object.
 *
 *   NACOS_SERVER_ADDR=127.0.0.1:8848 npx node --conditions=@effect-nacos/source --expose-gc bench/getOverhead.ts [rounds]
 *
 * For each round and each of 64 and 512 requests in flight: gets/s and client CPU (user + system) per 1000 gets,
 * for ours and for the bare call, then the ratios (ours / bare) of each round's median. The bare call is what any
 * Node client must do at the least: build the Payload (protobuf), send it, decode the answer's JSON. It runs on its
 * own registered connection (ServerCheck, bi-stream, ConnectionSetupRequest) because the server refuses requests
 * on a connection it does not know. Auth-off servers only (the bare call sends no token).
 */

import { randomUUID } from "node:crypto"
import * as os from "node:os"
import { create, fromBinary, toBinary } from "@bufbuild/protobuf"
import { AnySchema } from "@bufbuild/protobuf/wkt"
import { ConfigService } from "@effect-nacos/config"
import { Nacos } from "@effect-nacos/core"
import * as grpc from "@grpc/grpc-js"
import { Context, Effect, Layer, Schedule } from "effect"
import { type Payload, PayloadSchema } from "../packages/core/src/internal/generated/nacos_grpc_service_pb.ts"
import { round2, runBenchmark } from "./measure.ts"

const serverAddr = process.env.NACOS_SERVER_ADDR?.trim() ?? ""
if (serverAddr === "") {
  process.stderr.write("NACOS_SERVER_ADDR (an auth-off server) is required\n")
  process.exit(2)
}
const rounds = Number(process.argv[2] ?? 3)
const [host = "127.0.0.1", httpPort = "8848"] = serverAddr.split(":")
const grpcTarget = `${host}:${Number(httpPort) + 1000}`
const dataId = `bench-${randomUUID().slice(0, 8)}-overhead`
const group = "DEFAULT_GROUP"
const namespace = "public"

const encoder = new TextEncoder()
const decoder = new TextDecoder()
const payloadOf = (type: string, body: Record<string, unknown>, headers: Record<string, string> = {}): Payload =>
  create(PayloadSchema, {
    metadata: { type, clientIp: "127.0.0.1", headers },
    body: create(AnySchema, { typeUrl: "", value: encoder.encode(JSON.stringify({ headers: {}, ...body })) })
  })

/** A bare, registered connection: the minimum the server needs before it answers a ConfigQueryRequest. */
const bareClient = async () => {
  const client = new grpc.Client(grpcTarget, grpc.credentials.createInsecure(), { "grpc.use_local_subchannel_pool": 1 })
  const unary = (payload: Payload) =>
    new Promise<unknown>((resolve, reject) => {
      client.makeUnaryRequest(
        "/Request/request",
        (message: Payload) => Buffer.from(toBinary(PayloadSchema, message)),
        (bytes: Buffer) => fromBinary(PayloadSchema, bytes),
        payload,
        new grpc.Metadata(),
        { deadline: Date.now() + 10_000 },
        (error, response) => {
          if (error || response === undefined) reject(error ?? new Error("empty response"))
          else resolve(JSON.parse(decoder.decode(response.body?.value)))
        }
      )
    })
  await unary(payloadOf("ServerCheckRequest", { module: "internal" }))
  const stream = client.makeBidiStreamRequest(
    "/BiRequestStream/requestBiStream",
    (message: Payload) => Buffer.from(toBinary(PayloadSchema, message)),
    (bytes: Buffer) => fromBinary(PayloadSchema, bytes)
  )
  const acknowledged = new Promise<void>((resolve) => stream.on("data", () => resolve()))
  stream.on("error", () => {})
  stream.write(
    payloadOf("ConnectionSetupRequest", {
      module: "internal",
      clientVersion: "bench",
      labels: { source: "sdk", module: "config", taskId: "0" },
      tenant: namespace,
      abilityTable: {}
    })
  )
  await acknowledged
  const get = () =>
    unary(payloadOf("ConfigQueryRequest", { dataId, group, tenant: namespace }, { notify: "false" })) as Promise<{
      content?: string
    }>
  return {
    get,
    close: () => {
      stream.cancel()
      client.close()
    }
  }
}

/** Gets/s and CPU ms per 1000 calls of one measured run. */
const measured = async (total: number, run: () => Promise<unknown>) => {
  const cpuBefore = process.cpuUsage()
  const t0 = performance.now()
  await run()
  const millis = performance.now() - t0
  const cpu = process.cpuUsage(cpuBefore)
  return {
    perSecond: Math.round((total / millis) * 1000),
    cpuMillisPer1000: round2((cpu.user + cpu.system) / 1000 / (total / 1000))
  }
}

/** `total` calls of `call` with `inFlight` at a time, as plain promises. */
const drivePromises = (call: () => Promise<unknown>, inFlight: number, total: number) =>
  measured(total, async () => {
    let started = 0
    const worker = async () => {
      while (started < total) {
        started++
        await call()
      }
    }
    await Promise.all(Array.from({ length: inFlight }, worker))
  })

/** `total` runs of `effect` with `inFlight` at a time, the way an Effect application runs them. */
const driveEffect = (effect: Effect.Effect<unknown, unknown>, inFlight: number, total: number) =>
  measured(total, () =>
    Effect.runPromise(
      Effect.forEach(Array.from({ length: total }), () => effect, { concurrency: inFlight, discard: true })
    )
  )

const median = (values: ReadonlyArray<number>) => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN
}

const program = Effect.gen(function* () {
  const config = yield* Effect.map(
    Layer.build(ConfigService.layerWith({}).pipe(Layer.provide(Nacos.layerConfig), Layer.orDie)),
    (context) => Context.get(context, ConfigService.ConfigService)
  )
  yield* config.publish({ dataId, content: "x".repeat(1024) })
  yield* config.get({ dataId }).pipe(Effect.retry({ schedule: Schedule.spaced("50 millis"), times: 100 }))
  const bare = yield* Effect.promise(bareClient)
  const ours = config.get({ dataId })
  // warm-up of both (JIT, connection windows)
  yield* Effect.promise(() => driveEffect(ours, 16, 2000))
  yield* Effect.promise(() => drivePromises(bare.get, 16, 2000))
  const results: Record<string, Record<string, Array<{ perSecond: number; cpuMillisPer1000: number }>>> = {}
  for (let round = 0; round < rounds; round++) {
    for (const [inFlight, total] of [
      [64, 6000],
      [512, 10_000]
    ] as const) {
      const byClient = results[String(inFlight)] ?? { ours: [], bare: [] }
      results[String(inFlight)] = byClient
      byClient.ours?.push(yield* Effect.promise(() => driveEffect(ours, inFlight, total)))
      byClient.bare?.push(yield* Effect.promise(() => drivePromises(bare.get, inFlight, total)))
    }
  }
  bare.close()
  yield* config.remove({ dataId })
  const summary = Object.fromEntries(
    Object.entries(results).map(([inFlight, { ours = [], bare: bareRuns = [] }]) => {
      const oursRate = median(ours.map((run) => run.perSecond))
      const bareRate = median(bareRuns.map((run) => run.perSecond))
      const oursCpu = median(ours.map((run) => run.cpuMillisPer1000))
      const bareCpu = median(bareRuns.map((run) => run.cpuMillisPer1000))
      return [
        inFlight,
        {
          ours: { perSecond: oursRate, cpuMillisPer1000: oursCpu, runs: ours },
          bare: { perSecond: bareRate, cpuMillisPer1000: bareCpu, runs: bareRuns },
          throughputRatio: round2(oursRate / bareRate),
          cpuRatio: round2(oursCpu / bareCpu)
        }
      ]
    })
  )
  return {
    target: serverAddr,
    node: process.version,
    rounds,
    loadAverage: os.loadavg().map(round2),
    inFlight: summary
  }
})

runBenchmark(program)
