/**
 * The names other Nacos SDKs give our options, where they mean exactly the same thing: accepted, and renamed to
 * ours before the options are decoded (which then rejects any key still unknown).
 *
 * Java's `PropertyKeyConst` names (`serverAddr`, `namespace`, `endpoint`, `endpointContextPath`, `contextPath`,
 * `username`, `password`, `accessKey`, `secretKey`, `signatureRegionId`) already are ours. The aliases: `namespaceId`
 * (the Go SDK's `NamespaceId`, the Python SDK's `namespace_id`) and the Python SDK's `ClientConfig`, `GRPCConfig` and
 * `TLSConfig` fields. Left out, as they mean something else: Python's `cache_dir` (another layout under another
 * default root) and `credentials_provider` (another interface).
 */
import * as Effect from "effect/Effect"
import * as Predicate from "effect/Predicate"
import { InvalidArgumentError } from "../NacosError.ts"

const TOP_LEVEL_ALIASES: ReadonlyMap<string, string> = new Map([
  ["namespaceId", "namespace"],
  ["namespace_id", "namespace"],
  ["server_address", "serverAddr"],
  ["access_key", "accessKey"],
  ["secret_key", "secretKey"],
  ["grpc_config", "grpc"],
  ["tls_config", "tls"]
])

const GRPC_ALIASES: ReadonlyMap<string, string> = new Map([
  ["grpc_timeout", "timeoutMillis"],
  ["port_offset", "portOffset"],
  ["max_keep_alive_ms", "keepAliveMillis"],
  ["max_receive_message_length", "maxReceiveMessageLength"],
  ["capability_negotiation_timeout", "capabilityNegotiationTimeoutMillis"]
])

const TLS_ALIASES: ReadonlyMap<string, string> = new Map([
  ["ca_file", "caFile"],
  ["cert_file", "certFile"],
  ["key_file", "keyFile"]
])

/**
 * Renames the aliases of one level. An alias given together with our name for the same option is accepted when
 * both carry the same value, else it is an error naming both (values are never shown: they may be secrets).
 */
const renameLevel = (
  input: unknown,
  aliases: ReadonlyMap<string, string>,
  prefix: string
): Effect.Effect<unknown, InvalidArgumentError> => {
  if (!Predicate.isObject(input) || !Object.keys(input).some((key) => aliases.has(key))) return Effect.succeed(input)
  const renamed: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(input)) {
    if (!aliases.has(key)) renamed[key] = value
  }
  for (const [alias, value] of Object.entries(input)) {
    const name = aliases.get(alias)
    if (name === undefined) continue
    if (Object.hasOwn(renamed, name) && renamed[name] !== value) {
      return Effect.fail(
        new InvalidArgumentError({
          field: `${prefix}${alias}`,
          message: `"${prefix}${alias}" and "${prefix}${name}" name the same option with different values: give one`
        })
      )
    }
    renamed[name] = value
  }
  return Effect.succeed(renamed)
}

/** The options with every alias renamed to our name, top level and inside `grpc` and `tls`. */
export const canonicalOptionNames = Effect.fnUntraced(function* (input: unknown) {
  const top = yield* renameLevel(input, TOP_LEVEL_ALIASES, "")
  if (!Predicate.isObject(top)) return top
  const grpc = yield* renameLevel(top.grpc, GRPC_ALIASES, "grpc.")
  const tls = yield* renameLevel(top.tls, TLS_ALIASES, "tls.")
  if (grpc === top.grpc && tls === top.tls) return top
  return { ...top, ...(grpc === undefined ? {} : { grpc }), ...(tls === undefined ? {} : { tls }) }
})
