/**
 * Client options: one Schema for what users pass, one resolved service every layer reads.
 *
 * Mirrors the Python SDK's `ClientConfigBuilder` (server address, namespace, credentials, cache dir, gRPC settings,
 * TLS, app name). Invalid options fail at layer build with an `InvalidArgumentError` naming the field.
 *
 * @since 0.1.0
 * @module
 */
import * as os from "node:os"
import * as path from "node:path"
import type * as Config from "effect/Config"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import * as SchemaIssue from "effect/SchemaIssue"
import { canonicalOptionNames } from "./internal/optionAliases.ts"
import { attributeToVariable, environmentConfig, optionsFromEnvironment } from "./internal/optionsEnvironment.ts"
import { InvalidArgumentError } from "./NacosError.ts"
import * as ServerAddress from "./ServerAddress.ts"

/** A secret given as plain text or already wrapped in `Redacted`. */
const Secret = Schema.Union([Schema.String, Schema.Redacted(Schema.String)])

const NonNegativeMillis = Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))
const PositiveMillis = Schema.Int.check(Schema.isGreaterThan(0))

/**
 * Access key credentials, possibly short-lived (STS).
 *
 * @since 0.1.0
 */
export interface Credentials {
  readonly accessKey: string
  readonly secretKey: Redacted.Redacted<string>
  readonly securityToken?: Redacted.Redacted<string> | undefined
}

/**
 * Supplies access-key credentials on demand (e.g. rotating STS credentials). Called for every signed request;
 * cache inside if fetching is expensive.
 *
 * @since 0.1.0
 */
export type CredentialsProvider = () => Effect.Effect<Credentials>

const CredentialsProviderSchema = Schema.declare((u: unknown): u is CredentialsProvider => typeof u === "function", {
  expected: "a function returning an Effect of Credentials"
})

/**
 * What users pass to `Nacos.layer`. Every field but `serverAddr` (or `endpoint`) is optional.
 *
 * @category models
 * @since 0.1.0
 */
export const NacosOptionsSchema = Schema.Struct({
  /** `host`, `host:port`, `http(s)://host:port`; a comma list or an array. */
  serverAddr: Schema.optional(Schema.Union([Schema.String, Schema.Array(Schema.String)])),
  /** Address server (`host[:port]`): the server list is fetched from `http://endpoint/{endpointContextPath}/serverlist`. */
  endpoint: Schema.optional(Schema.String),
  endpointContextPath: Schema.optional(Schema.String),
  endpointRefreshMillis: Schema.optional(PositiveMillis),
  /** Namespace id; empty means `public`, as in the Java client. */
  namespace: Schema.optional(Schema.String),
  contextPath: Schema.optional(Schema.String),
  username: Schema.optional(Schema.String),
  password: Schema.optional(Secret),
  accessKey: Schema.optional(Schema.String),
  secretKey: Schema.optional(Secret),
  credentialsProvider: Schema.optional(CredentialsProviderSchema),
  /** Region for V4 access-key signatures (Java's `signatureRegionId`); unset or empty signs V1. */
  signatureRegionId: Schema.optional(Schema.String),
  appName: Schema.optional(Schema.String),
  /** Root for snapshot/failover files; default `~/nacos`. */
  cacheDir: Schema.optional(Schema.String),
  grpc: Schema.optional(
    Schema.Struct({
      /** Per-request timeout. */
      timeoutMillis: Schema.optional(PositiveMillis),
      /** gRPC port = HTTP port + offset; per client, not a process-wide property. */
      portOffset: Schema.optional(Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: 65535 }))),
      /** HTTP/2 keepalive ping interval; the server refuses pings more often than every 5 minutes. */
      keepAliveMillis: Schema.optional(NonNegativeMillis),
      maxReceiveMessageLength: Schema.optional(PositiveMillis),
      capabilityNegotiationTimeoutMillis: Schema.optional(PositiveMillis),
      serverCheckTimeoutMillis: Schema.optional(PositiveMillis),
      healthCheckIntervalMillis: Schema.optional(PositiveMillis),
      /** How many times a failed request is retried (on transport errors only). */
      retryTimes: Schema.optional(Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: 100 })))
    })
  ),
  /**
   * TLS for every transport (gRPC, HTTP fallback, login, address server), never a plain-text fallback: a bare
   * address means https and an explicit `http://` is refused. `caFile`: PEM CA the servers are verified against
   * (the system roots when unset); `certFile` + `keyFile`: a client certificate (mutual TLS). `enabled: false`
   * switches it off.
   */
  tls: Schema.optional(
    Schema.Struct({
      enabled: Schema.optional(Schema.Boolean),
      caFile: Schema.optional(Schema.String),
      certFile: Schema.optional(Schema.String),
      keyFile: Schema.optional(Schema.String)
    })
  )
})

/**
 * @category models
 * @since 0.1.0
 */
export type NacosOptionsInput = typeof NacosOptionsSchema.Type

/**
 * @category models
 * @since 0.1.0
 */
export interface GrpcOptions {
  readonly timeoutMillis: number
  readonly portOffset: number
  readonly keepAliveMillis: number
  readonly maxReceiveMessageLength: number
  readonly capabilityNegotiationTimeoutMillis: number
  readonly serverCheckTimeoutMillis: number
  readonly healthCheckIntervalMillis: number
  readonly retryTimes: number
}

/**
 * @category models
 * @since 0.1.0
 */
export interface TlsOptions {
  readonly caFile?: string | undefined
  readonly certFile?: string | undefined
  readonly keyFile?: string | undefined
}

/**
 * Options after validation and defaults.
 *
 * @category models
 * @since 0.1.0
 */
export interface ResolvedNacosOptions {
  readonly serverAddresses: ReadonlyArray<ServerAddress.ServerAddress>
  readonly endpoint: Option.Option<{
    readonly address: ServerAddress.ServerAddress
    readonly contextPath: string
    readonly refreshMillis: number
  }>
  readonly namespace: string
  readonly contextPath: string
  readonly username: Option.Option<string>
  readonly password: Option.Option<Redacted.Redacted<string>>
  readonly credentialsProvider: Option.Option<CredentialsProvider>
  /** Non-empty when access-key requests are V4-signed. */
  readonly signatureRegionId: Option.Option<string>
  readonly appName: string
  readonly cacheDir: string
  readonly grpc: GrpcOptions
  readonly tls: Option.Option<TlsOptions>
}

/** @since 0.1.0 */
export const DEFAULT_NAMESPACE = "public"
// the server's parameter check: `^[\w-]+`, at most 64 characters
const NAMESPACE_PATTERN = /^[\w-]+$/

/** @since 0.1.0 */
export const defaultGrpcOptions: GrpcOptions = {
  timeoutMillis: 3000,
  portOffset: 1000,
  keepAliveMillis: 360_000,
  maxReceiveMessageLength: 10 * 1024 * 1024,
  capabilityNegotiationTimeoutMillis: 5000,
  serverCheckTimeoutMillis: 3000,
  healthCheckIntervalMillis: 5000,
  retryTimes: 3
}

const grpcWithDefaults = (input: NonNullable<NacosOptionsInput["grpc"]>): GrpcOptions => ({
  timeoutMillis: input.timeoutMillis ?? defaultGrpcOptions.timeoutMillis,
  portOffset: input.portOffset ?? defaultGrpcOptions.portOffset,
  keepAliveMillis: input.keepAliveMillis ?? defaultGrpcOptions.keepAliveMillis,
  maxReceiveMessageLength: input.maxReceiveMessageLength ?? defaultGrpcOptions.maxReceiveMessageLength,
  capabilityNegotiationTimeoutMillis:
    input.capabilityNegotiationTimeoutMillis ?? defaultGrpcOptions.capabilityNegotiationTimeoutMillis,
  serverCheckTimeoutMillis: input.serverCheckTimeoutMillis ?? defaultGrpcOptions.serverCheckTimeoutMillis,
  healthCheckIntervalMillis: input.healthCheckIntervalMillis ?? defaultGrpcOptions.healthCheckIntervalMillis,
  retryTimes: input.retryTimes ?? defaultGrpcOptions.retryTimes
})

const invalid = (field: string, message: string) => new InvalidArgumentError({ field, message })

/** A key that is no option (nor an alias of one) is reported as such, by name. */
const formatIssue = SchemaIssue.makeFormatterStandardSchemaV1({
  leafHook: (issue) => (issue._tag === "UnexpectedKey" ? "unknown option" : SchemaIssue.defaultLeafHook(issue))
})

const schemaErrorToInvalid = (error: Schema.SchemaError): InvalidArgumentError => {
  const first = formatIssue(error.issue).issues[0]
  const field = first?.path?.map((segment) => String(typeof segment === "object" ? segment.key : segment)).join(".")
  return field === undefined || field === ""
    ? invalid("options", first?.message ?? error.message)
    : invalid(field, `${field}: ${first?.message ?? error.message}`)
}

const secret = (value: string | Redacted.Redacted<string> | undefined): Option.Option<Redacted.Redacted<string>> =>
  value === undefined ? Option.none() : Option.some(Redacted.isRedacted(value) ? value : Redacted.make(value))

const normalizeContextPath = (raw: string | undefined): string => {
  const trimmed = (raw ?? "/nacos").trim().replace(/\/+$/, "")
  return trimmed === "" ? "" : trimmed.startsWith("/") ? trimmed : `/${trimmed}`
}

/**
 * Validates user input and applies defaults.
 *
 * @category constructors
 * @since 0.1.0
 */
export const resolve = Effect.fnUntraced(function* (
  input: unknown
): Effect.fn.Return<ResolvedNacosOptions, InvalidArgumentError> {
  const named = yield* canonicalOptionNames(input)
  // a misspelt key must not fall back silently to a default
  const options = yield* Schema.decodeUnknownEffect(NacosOptionsSchema)(named, { onExcessProperty: "error" }).pipe(
    Effect.mapError(schemaErrorToInvalid)
  )
  const hasServers = options.serverAddr !== undefined && options.serverAddr.length > 0
  if (!hasServers && options.endpoint === undefined) {
    return yield* invalid("serverAddr", "either serverAddr or endpoint is required")
  }
  const parseAddresses = Effect.fnUntraced(function* (addressOptions: { readonly tls: boolean }) {
    const serverAddresses = hasServers
      ? yield* ServerAddress.parseList(options.serverAddr!, "serverAddr", addressOptions)
      : []
    const endpoint =
      options.endpoint === undefined
        ? Option.none()
        : Option.some({
            // an address server listens on 8080 unless told otherwise (Java client default)
            address: yield* ServerAddress.parse(options.endpoint, "endpoint", 8080, addressOptions),
            contextPath: normalizeContextPath(options.endpointContextPath ?? "/nacos"),
            refreshMillis: options.endpointRefreshMillis ?? 30_000
          })
    return { serverAddresses, endpoint }
  })
  // with TLS on, a bare address means https and an explicit http:// is refused (never a plain-text downgrade)
  const tlsConfigured = options.tls !== undefined && (options.tls.enabled ?? true)
  let { serverAddresses, endpoint } = yield* parseAddresses({ tls: tlsConfigured })
  const namesHttps = [...serverAddresses, ...Option.toArray(endpoint).map((e) => e.address)].some(
    (address) => address.scheme === "https"
  )
  if (namesHttps && options.tls?.enabled === false) {
    return yield* invalid("tls.enabled", "tls.enabled is false, but an address asks for https://")
  }
  // an https:// address asks for TLS on every transport, gRPC included (verified against the system roots)
  const tlsImplied = namesHttps && options.tls === undefined
  if (tlsImplied) ({ serverAddresses, endpoint } = yield* parseAddresses({ tls: true }))
  const namespace = (options.namespace ?? "").trim() === "" ? DEFAULT_NAMESPACE : options.namespace!
  if (!NAMESPACE_PATTERN.test(namespace) || namespace.length > 64) {
    return yield* invalid("namespace", "namespace must be 1..64 characters of letters, digits, '_' or '-'")
  }
  if ((options.username === undefined) !== (options.password === undefined)) {
    return yield* invalid(options.username === undefined ? "username" : "password", "username and password go together")
  }
  if ((options.accessKey === undefined) !== (options.secretKey === undefined)) {
    return yield* invalid(
      options.accessKey === undefined ? "accessKey" : "secretKey",
      "accessKey and secretKey go together"
    )
  }
  const staticCredentials: Option.Option<CredentialsProvider> =
    options.accessKey !== undefined && options.secretKey !== undefined
      ? Option.some(() =>
          Effect.succeed({
            accessKey: options.accessKey!,
            secretKey: secret(options.secretKey).pipe(Option.getOrThrow)
          })
        )
      : Option.none()
  const tlsInput: NacosOptionsInput["tls"] = options.tls ?? (tlsImplied ? {} : undefined)
  const tlsEnabled = tlsInput !== undefined && (tlsInput.enabled ?? true)
  if (tlsInput !== undefined && (tlsInput.certFile === undefined) !== (tlsInput.keyFile === undefined)) {
    return yield* invalid("tls.certFile", "certFile and keyFile go together")
  }
  return {
    serverAddresses,
    endpoint,
    namespace,
    contextPath: normalizeContextPath(options.contextPath),
    username: Option.fromNullishOr(options.username),
    password: secret(options.password),
    credentialsProvider: Option.orElse(Option.fromNullishOr(options.credentialsProvider), () => staticCredentials),
    // Java signs V4 only for a non-empty region
    signatureRegionId: Option.filter(Option.fromNullishOr(options.signatureRegionId), (region) => region !== ""),
    appName: options.appName ?? "unknown",
    cacheDir: options.cacheDir ?? path.join(os.homedir(), "nacos"),
    grpc: grpcWithDefaults(options.grpc ?? {}),
    tls: tlsEnabled
      ? Option.some({ caFile: tlsInput!.caFile, certFile: tlsInput!.certFile, keyFile: tlsInput!.keyFile })
      : Option.none()
  } satisfies ResolvedNacosOptions
})

/**
 * The resolved options, read by every other layer.
 *
 * @category services
 * @since 0.1.0
 */
export class NacosOptions extends Context.Service<NacosOptions, ResolvedNacosOptions>()(
  "@effect-nacos/core/NacosOptions"
) {}

/**
 * Options from a plain object.
 *
 * @example
 * ```ts
 * import { NacosOptions } from "@effect-nacos/core"
 * import { Redacted } from "effect"
 *
 * const options = NacosOptions.layer({
 *   serverAddr: ["10.0.0.1:8848", "10.0.0.2:8848"],
 *   namespace: "dev",
 *   username: "nacos",
 *   password: Redacted.make("secret"),
 *   grpc: { timeoutMillis: 5_000 }
 * }) // an invalid option fails the build with InvalidArgumentError naming the field
 * ```
 *
 * @category layers
 * @since 0.1.0
 */
export const layer = (input: NacosOptionsInput): Layer.Layer<NacosOptions, InvalidArgumentError> =>
  Layer.effect(NacosOptions, resolve(input))

/**
 * Options from the `NACOS_*` environment variables (any `ConfigProvider`):
 *
 * `NACOS_SERVER_ADDR` (comma list), `NACOS_ENDPOINT`, `NACOS_ENDPOINT_CONTEXT_PATH`, `NACOS_ENDPOINT_REFRESH_MS`,
 * `NACOS_NAMESPACE_ID`, `NACOS_CONTEXT_PATH`, `NACOS_USERNAME`, `NACOS_PASSWORD`, `NACOS_ACCESS_KEY`,
 * `NACOS_SECRET_KEY`, `NACOS_SIGNATURE_REGION_ID`, `NACOS_APP_NAME`, `NACOS_CACHE_DIR`, `NACOS_GRPC_TIMEOUT_MS`,
 * `NACOS_GRPC_PORT_OFFSET`, `NACOS_GRPC_KEEPALIVE_MS`, `NACOS_GRPC_MAX_RECEIVE_MESSAGE_LENGTH`,
 * `NACOS_CAPABILITY_NEGOTIATION_TIMEOUT_MS`, `NACOS_TLS_ENABLED`, `NACOS_TLS_CA_FILE`, `NACOS_TLS_CERT_FILE`,
 * `NACOS_TLS_KEY_FILE`.
 *
 * An invalid value fails the build with `InvalidArgumentError` naming the option field (`grpc.timeoutMillis`) and,
 * in the message, the variable (`NACOS_GRPC_TIMEOUT_MS`). `Config.ConfigError` only when the provider itself fails.
 *
 * @example
 * ```ts
 * import { NacosOptions } from "@effect-nacos/core"
 * import { ConfigProvider, Layer } from "effect"
 *
 * // from process.env by default; here from a fixed environment
 * const options = NacosOptions.layerConfig.pipe(
 *   Layer.provide(ConfigProvider.layer(ConfigProvider.fromEnv({ env: { NACOS_SERVER_ADDR: "127.0.0.1:8848" } })))
 * )
 * ```
 *
 * @category layers
 * @since 0.1.0
 */
export const layerConfig: Layer.Layer<NacosOptions, InvalidArgumentError | Config.ConfigError> = Layer.effect(
  NacosOptions,
  Effect.gen(function* () {
    const input = yield* optionsFromEnvironment(yield* environmentConfig)
    return yield* resolve(input).pipe(Effect.mapError(attributeToVariable))
  })
)
