/**
 * The baseline: a bare `@grpc/grpc-js` unary call carrying the very Payload effect-nacos sends for a `get`
 * (`ConfigQueryRequest`, header `notify=false`), after the same connection setup (ServerCheck, bi-stream,
 * ConnectionSetupRequest, SetupAck, a health check every 5 s) — and nothing else: no retries, no failover or
 * snapshot files, no Schemas, no fibers. It encodes with the same protobuf runtime and generated schema as
 * effect-nacos, so the ratio between the two is what the client itself costs. Only `get` is offered.
 *
 *   node --expose-gc bench/peers/drivers/bare.ts <serverAddr> <workDir>
 */
import * as os from "node:os"
import { create, fromBinary, toBinary } from "@bufbuild/protobuf"
import { AnySchema } from "@bufbuild/protobuf/wkt"
import * as grpc from "@grpc/grpc-js"
import { type Payload, PayloadSchema } from "../../../packages/core/src/internal/generated/nacos_grpc_service_pb.ts"
import { type DriverClient, driverArgs, runGetBatch, serve } from "./lineDriver.ts"

const encoder = new TextEncoder()
const decoder = new TextDecoder()
const clientIp =
  Object.values(os.networkInterfaces())
    .flatMap((list) => list ?? [])
    .find((info) => info.family === "IPv4" && !info.internal)?.address ?? "127.0.0.1"

const payload = (type: string, body: Record<string, unknown>, headers: Record<string, string> = {}): Payload =>
  create(PayloadSchema, {
    metadata: { type, clientIp, headers },
    body: create(AnySchema, { typeUrl: "", value: encoder.encode(JSON.stringify({ headers: {}, ...body })) })
  })

const serialize = (message: Payload) => Buffer.from(toBinary(PayloadSchema, message))
const deserialize = (bytes: Buffer) => fromBinary(PayloadSchema, bytes)

/** The answer's type and JSON body; an answer that is not JSON is an error. */
const open = (message: Payload): { readonly type: string; readonly json: Record<string, unknown> } => {
  const parsed: unknown = JSON.parse(message.body ? decoder.decode(message.body.value) : "{}")
  if (typeof parsed !== "object" || parsed === null) throw new Error("answer body is not a JSON object")
  return { type: message.metadata?.type ?? "", json: { ...parsed } }
}

const connect = async (): Promise<DriverClient> => {
  const { serverAddr } = driverArgs()
  const [host, port] = serverAddr.split(":")
  const target = `${host}:${Number(port) + 1000}`
  // its own HTTP/2 connection: the server ties the connection id to the transport
  const client = new grpc.Client(target, grpc.credentials.createInsecure(), { "grpc.use_local_subchannel_pool": 1 })
  const unary = (request: Payload) =>
    new Promise<Payload>((resolve, reject) => {
      client.makeUnaryRequest(
        "/Request/request",
        serialize,
        deserialize,
        request,
        new grpc.Metadata(),
        { deadline: Date.now() + 3000 },
        (error, answer) =>
          error ? reject(error) : answer === undefined ? reject(new Error("empty answer")) : resolve(answer)
      )
    })

  const check = open(await unary(payload("ServerCheckRequest", {})))
  if (check.type !== "ServerCheckResponse") throw new Error(`ServerCheck answered ${check.type}`)

  const stream = client.makeBidiStreamRequest("/BiRequestStream/requestBiStream", serialize, deserialize)
  const setupAck = new Promise<void>((resolve, reject) => {
    stream.on("data", (message: Payload) => {
      const push = open(message)
      if (push.type === "SetupAckRequest") resolve()
      else if (push.type.endsWith("Request")) {
        // ClientDetection and the like: acknowledged, as the server drops connections that never answer
        const responseType = push.type.replace(/Request$/, "Response")
        stream.write(payload(responseType, { requestId: push.json.requestId, resultCode: 200, errorCode: 0 }))
      }
    })
    stream.on("error", (error: Error) => reject(error))
  })
  stream.write(
    payload("ConnectionSetupRequest", {
      clientVersion: "bare-grpc-js",
      labels: { taskId: "0", source: "sdk", module: "config", AppName: "bench" },
      tenant: "public",
      abilityTable: { fuzzyWatch: true }
    })
  )
  await setupAck
  // as every Nacos client does: the server drops a connection that has been idle for 20 s, which a get driver
  // waiting for the other clients' turns would otherwise be
  const keepAlive = setInterval(() => {
    unary(payload("HealthCheckRequest", {})).catch(() => {})
  }, 5000)

  return {
    getBatch: ({ dataId, group, inFlight, requests }) =>
      runGetBatch(
        async () => {
          const answer = open(
            await unary(payload("ConfigQueryRequest", { dataId, group, tenant: "public" }, { notify: "false" }))
          )
          if (answer.type !== "ConfigQueryResponse" || answer.json.resultCode !== 200) {
            throw new Error(`ConfigQuery answered ${answer.type} ${String(answer.json.errorCode)}`)
          }
          if (typeof answer.json.content !== "string") throw new Error("ConfigQueryResponse without content")
          return answer.json.content
        },
        inFlight,
        requests
      ),
    close: async () => {
      clearInterval(keepAlive)
      stream.removeAllListeners("data")
      stream.on("error", () => {})
      stream.cancel()
      client.close()
    }
  }
}

serve("bare grpc-js", connect).then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(
      `bare driver failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`
    )
    process.exit(1)
  }
)
