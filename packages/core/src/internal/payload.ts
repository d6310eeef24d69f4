/**
 * The Nacos gRPC envelope: `Payload{metadata{type, clientIp, headers}, body: Any{value: UTF-8 JSON}}`.
 * `Any.type_url` stays empty, as every Nacos SDK leaves it.
 */
import * as os from "node:os"
import { create, fromBinary, toBinary } from "@bufbuild/protobuf"
import { AnySchema } from "@bufbuild/protobuf/wkt"
import { type Payload, PayloadSchema } from "./generated/nacos_grpc_service_pb.ts"

export type { Payload }

const encoder = new TextEncoder()
const decoder = new TextDecoder()

export const encodePayload = (
  type: string,
  body: Readonly<Record<string, unknown>>,
  headers: Readonly<Record<string, string>> = {},
  clientIp = localIp()
): Payload =>
  create(PayloadSchema, {
    metadata: { type, clientIp, headers: { ...headers } },
    // Java clears request headers into metadata before serialising, so its bodies carry `"headers":{}`.
    body: create(AnySchema, { typeUrl: "", value: encoder.encode(JSON.stringify({ headers: {}, ...body })) })
  })

export interface DecodedPayload {
  readonly type: string
  readonly headers: Readonly<Record<string, string>>
  readonly json: unknown
}

/** Parses the JSON body; a body that is not JSON decodes to `undefined` (callers' schemas reject it). */
export const decodePayload = (payload: Payload): DecodedPayload => {
  const text = payload.body ? decoder.decode(payload.body.value) : ""
  let json: unknown
  try {
    json = text === "" ? {} : JSON.parse(text)
  } catch {
    json = undefined
  }
  return { type: payload.metadata?.type ?? "", headers: payload.metadata?.headers ?? {}, json }
}

export const serializePayload = (payload: Payload): Buffer => {
  const bytes = toBinary(PayloadSchema, payload)
  // a view of the same memory, not a copy
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}
export const deserializePayload = (bytes: Buffer): Payload => fromBinary(PayloadSchema, bytes)

let cachedIp: string | undefined
/** The first non-internal IPv4 address: the server records it as the connection's client IP. */
export const localIp = (): string => {
  if (cachedIp !== undefined) return cachedIp
  const candidates = Object.values(os.networkInterfaces())
    .flatMap((list) => list ?? [])
    .filter((info) => info.family === "IPv4" && !info.internal)
  cachedIp = candidates[0]?.address ?? "127.0.0.1"
  return cachedIp
}
