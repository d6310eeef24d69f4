/**
 * The `NACOS_*` environment variables and the option each one sets. Every value is read as text and decoded here,
 * so a malformed one fails as `InvalidArgumentError` naming both the option field and the variable.
 */
import * as Config from "effect/Config"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as SchemaTransformation from "effect/SchemaTransformation"
import { InvalidArgumentError } from "../NacosError.ts"

/** A decimal integer, nothing else ("", "0x10" and "1e3" are not). */
const IntegerText = Schema.String.check(Schema.isPattern(/^[+-]?\d+$/)).pipe(
  Schema.decodeTo(Schema.Int, SchemaTransformation.numberFromString)
)

/** The texts Effect's `Config.Boolean` accepts. */
const BooleanText = Schema.Literals(["true", "yes", "on", "1", "y", "false", "no", "off", "0", "n"]).pipe(
  Schema.decodeTo(
    Schema.Boolean,
    SchemaTransformation.transform({
      decode: (text) => text === "true" || text === "yes" || text === "on" || text === "1" || text === "y",
      encode: (flag) => (flag ? "true" : "false")
    })
  )
)

const KINDS = {
  text: { schema: Schema.String, expected: "text" },
  secret: { schema: Schema.Redacted(Schema.String), expected: "text" },
  integer: { schema: IntegerText, expected: "a decimal integer" },
  boolean: { schema: BooleanText, expected: "true/false, yes/no, on/off, y/n or 1/0" }
} as const

interface Variable {
  readonly name: string
  /** The option it sets: `field` or `group.field`. */
  readonly field: string
  readonly kind: keyof typeof KINDS
}

/** Every variable `layerConfig` reads, with the option it sets. */
export const ENVIRONMENT_VARIABLES: ReadonlyArray<Variable> = [
  { name: "NACOS_SERVER_ADDR", field: "serverAddr", kind: "text" },
  { name: "NACOS_ENDPOINT", field: "endpoint", kind: "text" },
  { name: "NACOS_ENDPOINT_CONTEXT_PATH", field: "endpointContextPath", kind: "text" },
  { name: "NACOS_ENDPOINT_REFRESH_MS", field: "endpointRefreshMillis", kind: "integer" },
  { name: "NACOS_NAMESPACE_ID", field: "namespace", kind: "text" },
  { name: "NACOS_CONTEXT_PATH", field: "contextPath", kind: "text" },
  { name: "NACOS_USERNAME", field: "username", kind: "text" },
  { name: "NACOS_PASSWORD", field: "password", kind: "secret" },
  { name: "NACOS_ACCESS_KEY", field: "accessKey", kind: "text" },
  { name: "NACOS_SECRET_KEY", field: "secretKey", kind: "secret" },
  { name: "NACOS_SIGNATURE_REGION_ID", field: "signatureRegionId", kind: "text" },
  { name: "NACOS_APP_NAME", field: "appName", kind: "text" },
  { name: "NACOS_CACHE_DIR", field: "cacheDir", kind: "text" },
  { name: "NACOS_GRPC_TIMEOUT_MS", field: "grpc.timeoutMillis", kind: "integer" },
  { name: "NACOS_GRPC_PORT_OFFSET", field: "grpc.portOffset", kind: "integer" },
  { name: "NACOS_GRPC_KEEPALIVE_MS", field: "grpc.keepAliveMillis", kind: "integer" },
  { name: "NACOS_GRPC_MAX_RECEIVE_MESSAGE_LENGTH", field: "grpc.maxReceiveMessageLength", kind: "integer" },
  {
    name: "NACOS_CAPABILITY_NEGOTIATION_TIMEOUT_MS",
    field: "grpc.capabilityNegotiationTimeoutMillis",
    kind: "integer"
  },
  { name: "NACOS_TLS_ENABLED", field: "tls.enabled", kind: "boolean" },
  { name: "NACOS_TLS_CA_FILE", field: "tls.caFile", kind: "text" },
  { name: "NACOS_TLS_CERT_FILE", field: "tls.certFile", kind: "text" },
  { name: "NACOS_TLS_KEY_FILE", field: "tls.keyFile", kind: "text" }
]

const readVariable = (variable: Variable): Config.Config<Option.Option<unknown>> =>
  variable.kind === "secret"
    ? Config.option(Config.Redacted(variable.name))
    : Config.option(Config.String(variable.name))

/** The variables that are set, by name, as the provider holds them (secrets already `Redacted`). */
export const environmentConfig: Config.Config<Readonly<Record<string, Option.Option<unknown>>>> = Config.all(
  Object.fromEntries(ENVIRONMENT_VARIABLES.map((variable) => [variable.name, readVariable(variable)]))
)

/** The variable that sets a field (or the group a field belongs to). */
const variableOf = (field: string): Variable | undefined =>
  ENVIRONMENT_VARIABLES.find(
    (variable) =>
      field === variable.field || field.startsWith(`${variable.field}.`) || field.startsWith(`${variable.field}[`)
  )

/**
 * The options input the environment describes (plain data, for `NacosOptions.resolve` to validate). A disabled TLS
 * (`NACOS_TLS_ENABLED=false`) drops the whole `tls` group, file variables included.
 */
export const optionsFromEnvironment = Effect.fnUntraced(function* (
  environment: Readonly<Record<string, Option.Option<unknown>>>
) {
  const top: Record<string, unknown> = {}
  const groups: Record<string, Record<string, unknown>> = {}
  for (const variable of ENVIRONMENT_VARIABLES) {
    const raw = environment[variable.name] ?? Option.none()
    if (Option.isNone(raw)) continue
    const kind = KINDS[variable.kind]
    const value = yield* Schema.decodeUnknownEffect(kind.schema)(raw.value).pipe(
      Effect.mapError(
        () =>
          new InvalidArgumentError({
            field: variable.field,
            message:
              variable.kind === "secret"
                ? `${variable.name} must be ${kind.expected}`
                : `${variable.name} must be ${kind.expected}, got ${JSON.stringify(raw.value)}`
          })
      )
    )
    const [group = "", field] = variable.field.split(".")
    if (field === undefined) {
      top[variable.field] = value
    } else {
      groups[group] = { ...groups[group], [field]: value }
    }
  }
  if (groups.tls?.enabled === false) delete groups.tls
  return { ...top, ...groups }
})

/** An invalid option that came from the environment: the message names the variable that set it. */
export const attributeToVariable = (error: InvalidArgumentError): InvalidArgumentError => {
  const variable = variableOf(error.field)
  return variable === undefined || error.message.includes(variable.name)
    ? error
    : new InvalidArgumentError({
        field: error.field,
        message: `${error.message} (environment variable ${variable.name})`
      })
}
