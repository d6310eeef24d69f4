/**
 * MCP servers as the Nacos MCP registry stores them (`McpServerBasicInfo`, `McpServerDetailInfo` and the
 * registry sub-models), and the inputs of `getMcpServer` / `releaseMcpServer`.
 *
 * The servers disagree on the JSON names of the registry sub-models: official 3.1.0 writes snake_case
 * (`is_required`, `registry_type`, `runtime_hint`, `transport_type` …), the pig-mesh 3.1.0 build and 3.2.x write
 * camelCase (`isRequired`, `registryType` …; `Input.defaultValue` as `default` on 3.1, `defaultValue` on 3.2).
 * Every sub-model here decodes both spellings into the camelCase form. `ServerVersionDetail` is snake_case
 * (`release_date`, `is_latest`) on every server.
 *
 * @since 0.1.0
 * @module
 */
import * as Schema from "effect/Schema"
import * as SchemaTransformation from "effect/SchemaTransformation"

/** Absent, `null` (Jackson writes some) or a value. */
const nullable = <S extends Schema.Top>(schema: S) => Schema.optional(Schema.NullOr(schema))

// =============================================================================
// Registry sub-models (both spellings)
// =============================================================================

const InputFields = {
  description: nullable(Schema.String),
  isRequired: nullable(Schema.Boolean),
  format: nullable(Schema.String),
  value: nullable(Schema.String),
  isSecret: nullable(Schema.Boolean),
  defaultValue: nullable(Schema.String),
  choices: nullable(Schema.Array(Schema.String)),
  placeholder: nullable(Schema.String),
  name: nullable(Schema.String)
}

/**
 * A registry `Input` / `KeyValueInput` (environment variable, header, argument value), camelCase.
 *
 * @category schemas
 * @since 0.1.0
 */
export const Input = Schema.Struct(InputFields)
/**
 * @since 0.1.0
 */
export type Input = typeof Input.Type

const InputWire = Schema.Struct({
  ...InputFields,
  is_required: nullable(Schema.Boolean),
  is_secret: nullable(Schema.Boolean),
  default: nullable(Schema.String),
  default_value: nullable(Schema.String)
})

/**
 * {@link Input} from either spelling.
 *
 * @category schemas
 * @since 0.1.0
 */
export const InputFromWire = InputWire.pipe(
  Schema.decodeTo(
    Schema.toType(Input),
    SchemaTransformation.transform<Input, typeof InputWire.Type>({
      decode: ({ is_required, is_secret, default: short, default_value, ...camel }) => ({
        ...camel,
        isRequired: camel.isRequired ?? is_required,
        isSecret: camel.isSecret ?? is_secret,
        defaultValue: camel.defaultValue ?? short ?? default_value
      }),
      encode: (input) => input
    })
  )
)

const PackageFields = {
  registryType: nullable(Schema.String),
  registryBaseUrl: nullable(Schema.String),
  identifier: nullable(Schema.String),
  version: nullable(Schema.String),
  fileSha256: nullable(Schema.String),
  runtimeHint: nullable(Schema.String),
  runtimeArguments: nullable(Schema.Array(Schema.Unknown)),
  packageArguments: nullable(Schema.Array(Schema.Unknown)),
  environmentVariables: nullable(Schema.Array(InputFromWire)),
  transport: nullable(Schema.Unknown)
}

/**
 * A registry `Package` (how to install and run a stdio server), camelCase.
 *
 * @category schemas
 * @since 0.1.0
 */
export const Package = Schema.Struct(PackageFields)
/**
 * @since 0.1.0
 */
export type Package = typeof Package.Type

const PackageWire = Schema.Struct({
  ...PackageFields,
  registry_type: nullable(Schema.String),
  registry_name: nullable(Schema.String),
  registry_base_url: nullable(Schema.String),
  name: nullable(Schema.String),
  file_sha256: nullable(Schema.String),
  runtime_hint: nullable(Schema.String),
  runtime_arguments: nullable(Schema.Array(Schema.Unknown)),
  package_arguments: nullable(Schema.Array(Schema.Unknown)),
  environment_variables: nullable(Schema.Array(InputFromWire))
})

/**
 * {@link Package} from either spelling.
 *
 * @category schemas
 * @since 0.1.0
 */
export const PackageFromWire = PackageWire.pipe(
  Schema.decodeTo(
    Schema.toType(Package),
    SchemaTransformation.transform<Package, typeof PackageWire.Type>({
      decode: ({
        registry_type,
        registry_name,
        registry_base_url,
        name,
        file_sha256,
        runtime_hint,
        runtime_arguments,
        package_arguments,
        environment_variables,
        ...camel
      }) => ({
        ...camel,
        registryType: camel.registryType ?? registry_type ?? registry_name,
        registryBaseUrl: camel.registryBaseUrl ?? registry_base_url,
        identifier: camel.identifier ?? name,
        fileSha256: camel.fileSha256 ?? file_sha256,
        runtimeHint: camel.runtimeHint ?? runtime_hint,
        runtimeArguments: camel.runtimeArguments ?? runtime_arguments,
        packageArguments: camel.packageArguments ?? package_arguments,
        environmentVariables: camel.environmentVariables ?? environment_variables
      }),
      encode: (pkg) => pkg
    })
  )
)

const RemoteFields = {
  type: nullable(Schema.String),
  url: nullable(Schema.String),
  headers: nullable(Schema.Array(InputFromWire))
}

/**
 * A registry `Remote` (a remote transport: type and URL), camelCase.
 *
 * @category schemas
 * @since 0.1.0
 */
export const Remote = Schema.Struct(RemoteFields)
/**
 * @since 0.1.0
 */
export type Remote = typeof Remote.Type

/**
 * {@link Remote} from either spelling (`transport_type` is the 3.1.0 name of `type`).
 *
 * @category schemas
 */
const RemoteWire = Schema.Struct({ ...RemoteFields, transport_type: nullable(Schema.String) })

/**
 * @since 0.1.0
 */
export const RemoteFromWire = RemoteWire.pipe(
  Schema.decodeTo(
    Schema.toType(Remote),
    SchemaTransformation.transform<Remote, typeof RemoteWire.Type>({
      decode: ({ transport_type, ...camel }) => ({ ...camel, type: camel.type ?? transport_type }),
      encode: (remote) => remote
    })
  )
)

/**
 * `ServerVersionDetail`: snake_case on the wire in every version. `is_latest` says the version is the one a
 * version-less get returns.
 *
 * @category schemas
 * @since 0.1.0
 */
export const ServerVersionDetail = Schema.Struct({
  version: Schema.String,
  release_date: nullable(Schema.String),
  is_latest: nullable(Schema.Boolean)
})
/**
 * @since 0.1.0
 */
export type ServerVersionDetail = typeof ServerVersionDetail.Type

// =============================================================================
// Server, tools, endpoints
// =============================================================================

/**
 * Where a remote MCP server's endpoints live: a naming service (group `mcp-endpoints`, service `{name}::{version}`
 * when the server made it).
 *
 * @category schemas
 * @since 0.1.0
 */
export const McpServiceRef = Schema.Struct({
  namespaceId: nullable(Schema.String),
  groupName: nullable(Schema.String),
  serviceName: nullable(Schema.String),
  transportProtocol: nullable(Schema.String)
})

/**
 * @since 0.1.0
 */
export const McpServerRemoteServiceConfig = Schema.Struct({
  serviceRef: nullable(McpServiceRef),
  exportPath: nullable(Schema.String),
  frontEndpointConfigList: nullable(Schema.Array(Schema.Unknown))
})

/**
 * An endpoint of an MCP server as the detail lists it.
 *
 * @category schemas
 * @since 0.1.0
 */
export const McpEndpointInfo = Schema.Struct({
  protocol: nullable(Schema.String),
  address: nullable(Schema.String),
  port: nullable(Schema.Number),
  path: nullable(Schema.String),
  headers: nullable(Schema.Array(InputFromWire))
})
/**
 * @since 0.1.0
 */
export type McpEndpointInfo = typeof McpEndpointInfo.Type

/**
 * A tool of an MCP server.
 *
 * @category schemas
 * @since 0.1.0
 */
export const McpTool = Schema.Struct({
  name: Schema.String,
  description: nullable(Schema.String),
  inputSchema: nullable(Schema.Record(Schema.String, Schema.Unknown)),
  outputSchema: nullable(Schema.Record(Schema.String, Schema.Unknown))
})
/**
 * @since 0.1.0
 */
export type McpTool = typeof McpTool.Type

/**
 * `McpToolSpecification`. The security schemes are `securitySchemes` (the Python SDK's `securitySchema` is
 * ignored by the Java server).
 *
 * @category schemas
 * @since 0.1.0
 */
export const McpToolSpecification = Schema.Struct({
  specificationType: nullable(Schema.String),
  tools: nullable(Schema.Array(McpTool)),
  toolsMeta: nullable(Schema.Record(Schema.String, Schema.Unknown)),
  securitySchemes: nullable(Schema.Array(Schema.Record(Schema.String, Schema.Unknown)))
})
/**
 * @since 0.1.0
 */
export type McpToolSpecification = typeof McpToolSpecification.Type

/**
 * `McpEndpointSpec` (release input): `DIRECT` with `address` / `port`, or `REF` to a naming service with
 * `namespaceId` / `groupName` / `serviceName`. Without one the server refers to its own `mcp-endpoints` service.
 *
 * @category schemas
 * @since 0.1.0
 */
export const McpEndpointSpec = Schema.Struct({
  type: Schema.Literals(["DIRECT", "REF"]),
  data: Schema.Record(Schema.String, Schema.String)
})
/**
 * @since 0.1.0
 */
export type McpEndpointSpec = typeof McpEndpointSpec.Type

/**
 * The MCP server protocols Nacos knows (`AiConstants.Mcp`).
 *
 * @category schemas
 * @since 0.1.0
 */
export const McpProtocol = Schema.Literals(["stdio", "mcp-sse", "mcp-streamable", "http", "dubbo"])

const basicFields = {
  namespaceId: nullable(Schema.String),
  id: nullable(Schema.String),
  name: Schema.String,
  protocol: nullable(Schema.String),
  frontProtocol: nullable(Schema.String),
  description: nullable(Schema.String),
  repository: nullable(Schema.Record(Schema.String, Schema.Unknown)),
  packages: nullable(Schema.Array(PackageFromWire)),
  remotes: nullable(Schema.Array(RemoteFromWire)),
  websiteUrl: nullable(Schema.String),
  versionDetail: nullable(ServerVersionDetail),
  version: nullable(Schema.String),
  remoteServerConfig: nullable(McpServerRemoteServiceConfig),
  localServerConfig: nullable(Schema.Record(Schema.String, Schema.Unknown)),
  enabled: nullable(Schema.Boolean),
  status: nullable(Schema.String),
  capabilities: nullable(Schema.Array(Schema.String))
}

/**
 * `McpServerDetailInfo`: what `getMcpServer` returns — the server's description, its version (`versionDetail`),
 * every version (`allVersions`), its tools and endpoints.
 *
 * @category schemas
 * @since 0.1.0
 */
export const McpServerDetail = Schema.Struct({
  ...basicFields,
  backendEndpoints: nullable(Schema.Array(McpEndpointInfo)),
  frontendEndpoints: nullable(Schema.Array(McpEndpointInfo)),
  toolSpec: nullable(McpToolSpecification),
  allVersions: nullable(Schema.Array(ServerVersionDetail))
})
/**
 * @since 0.1.0
 */
export type McpServerDetail = typeof McpServerDetail.Type

// =============================================================================
// Inputs
// =============================================================================

/**
 * An MCP server name the server accepts: 1..128 characters of `[A-Za-z0-9-_./]` (3.2.x rule). The 3.1.0 server is
 * stricter (no `.` or `/`, at most 64): it refuses those names itself, and the refusal is an
 * `InvalidArgumentError` naming `name` all the same.
 *
 * @category schemas
 * @since 0.1.0
 */
export const McpServerName = Schema.String.check(
  Schema.isNonEmpty({ message: "must not be empty" }),
  Schema.isMaxLength(128, { message: "must be at most 128 characters" }),
  Schema.isPattern(/^[A-Za-z0-9\-_/.]+$/, { message: "may contain only ASCII letters, digits and - _ . /" })
)

const NonBlank = Schema.String.check(Schema.makeFilter((s: string) => s.trim() !== "" || "must not be blank"))

/**
 * `getMcpServer`: without `version`, the latest one.
 *
 * @category schemas
 * @since 0.1.0
 */
export const GetMcpServerParams = Schema.Struct({
  name: McpServerName,
  version: Schema.optionalKey(NonBlank)
})
/**
 * @since 0.1.0
 */
export type GetMcpServerParams = typeof GetMcpServerParams.Type

/**
 * The server to release: its name, protocol, description and version (`versionDetail.version`, required; each
 * version is released once). The last version released becomes the latest: the 3.1.0 server ignores
 * `versionDetail.is_latest` here (the protocol reference says a new version needs `is_latest: true`).
 *
 * @category schemas
 * @since 0.1.0
 */
export const McpServerSpec = Schema.Struct({
  ...basicFields,
  name: McpServerName,
  protocol: McpProtocol,
  versionDetail: Schema.Struct({
    version: NonBlank,
    release_date: Schema.optionalKey(Schema.String),
    is_latest: Schema.optionalKey(Schema.Boolean)
  })
})
/**
 * @since 0.1.0
 */
export type McpServerSpec = typeof McpServerSpec.Type

/**
 * `releaseMcpServer`: the server, optionally its tools and where its endpoints are.
 *
 * @category schemas
 * @since 0.1.0
 */
export const ReleaseMcpServerParams = Schema.Struct({
  server: McpServerSpec,
  tools: Schema.optionalKey(McpToolSpecification),
  endpoint: Schema.optionalKey(McpEndpointSpec)
})
/**
 * @since 0.1.0
 */
export type ReleaseMcpServerParams = typeof ReleaseMcpServerParams.Type

/**
 * `registerMcpServerEndpoint` / `deregisterMcpServerEndpoint`: an address of the MCP server (its `version`, else
 * the latest), published as an instance of the server's `serviceRef` (group `mcp-endpoints`) for as long as the
 * registering client's connection lives.
 *
 * @category schemas
 * @since 0.1.0
 */
export const McpServerEndpointParams = Schema.Struct({
  name: McpServerName,
  address: NonBlank,
  port: Schema.Number.check(
    Schema.isInt({ message: "must be an integer" }),
    Schema.isBetween({ minimum: 1, maximum: 65535 }, { message: "must be between 1 and 65535" })
  ),
  version: Schema.optionalKey(NonBlank)
})
/**
 * @since 0.1.0
 */
export type McpServerEndpointParams = typeof McpServerEndpointParams.Type
