/**
 * A2A agent cards as Nacos stores them: the A2A 0.3 `AgentCard` plus the Nacos fields of `AgentCardDetailInfo`
 * (`registrationType`, `latestVersion`), and the inputs of `getAgentCard` / `releaseAgentCard`.
 *
 * The rules are checked before anything is sent (an `InvalidArgumentError` names the field):
 * - an agent name is 1..64 visible ASCII characters (0x20–0x7E), unique in its namespace;
 * - a released card has the five fields the 3.1.0 server demands: `name`, `version`, `protocolVersion`,
 *   `preferredTransport`, `url` (3.2.x accepts the same legacy trio);
 * - a version is any non-blank string, released once: re-releasing one is a `ConflictError`.
 *
 * @since 0.1.0
 * @module
 */
import * as Schema from "effect/Schema"

const nullable = <S extends Schema.Top>(schema: S) => Schema.optional(Schema.NullOr(schema))

/**
 * An agent name: 1..64 visible ASCII characters (codes 32–126), not blank.
 *
 * @category schemas
 * @since 0.1.0
 */
export const AgentName = Schema.String.check(
  Schema.makeFilter((name: string) => name.trim() !== "" || "must not be blank"),
  Schema.isMaxLength(64, { message: "must be at most 64 characters" }),
  Schema.isPattern(/^[\x20-\x7E]+$/, { message: "may contain only visible ASCII characters (codes 32 to 126)" })
)

const NonBlank = Schema.String.check(Schema.makeFilter((s: string) => s.trim() !== "" || "must not be blank"))

/**
 * How consumers reach the agent: `URL` serves the card's own `url`; `SERVICE` builds the card's interfaces from
 * the endpoints registered for the version (the stored `url` is the fallback while there are none).
 *
 * @category schemas
 * @since 0.1.0
 */
export const RegistrationType = Schema.Literals(["URL", "SERVICE"])
/**
 * @since 0.1.0
 */
export type RegistrationType = typeof RegistrationType.Type

/**
 * @since 0.1.0
 */
export const AgentInterface = Schema.Struct({ url: Schema.String, transport: nullable(Schema.String) })
/**
 * @since 0.1.0
 */
export type AgentInterface = typeof AgentInterface.Type

/**
 * @since 0.1.0
 */
export const AgentProvider = Schema.Struct({ organization: nullable(Schema.String), url: nullable(Schema.String) })

/**
 * @since 0.1.0
 */
export const AgentExtension = Schema.Struct({
  uri: Schema.String,
  description: nullable(Schema.String),
  required: nullable(Schema.Boolean),
  params: nullable(Schema.Record(Schema.String, Schema.Unknown))
})

/**
 * @since 0.1.0
 */
export const AgentCapabilities = Schema.Struct({
  streaming: nullable(Schema.Boolean),
  pushNotifications: nullable(Schema.Boolean),
  stateTransitionHistory: nullable(Schema.Boolean),
  extensions: nullable(Schema.Array(AgentExtension))
})

/**
 * @since 0.1.0
 */
export const AgentSkill = Schema.Struct({
  id: Schema.String,
  name: Schema.String,
  description: nullable(Schema.String),
  tags: nullable(Schema.Array(Schema.String)),
  examples: nullable(Schema.Array(Schema.String)),
  inputModes: nullable(Schema.Array(Schema.String)),
  outputModes: nullable(Schema.Array(Schema.String))
})
/**
 * @since 0.1.0
 */
export type AgentSkill = typeof AgentSkill.Type

const cardFields = {
  protocolVersion: nullable(Schema.String),
  name: Schema.String,
  description: nullable(Schema.String),
  version: Schema.String,
  iconUrl: nullable(Schema.String),
  capabilities: nullable(AgentCapabilities),
  skills: nullable(Schema.Array(AgentSkill)),
  url: nullable(Schema.String),
  preferredTransport: nullable(Schema.String),
  additionalInterfaces: nullable(Schema.Array(AgentInterface)),
  provider: nullable(AgentProvider),
  documentationUrl: nullable(Schema.String),
  /** Each scheme is kept as the opaque map Nacos stores. */
  securitySchemes: nullable(Schema.Record(Schema.String, Schema.Record(Schema.String, Schema.Unknown))),
  security: nullable(Schema.Array(Schema.Record(Schema.String, Schema.Array(Schema.String)))),
  defaultInputModes: nullable(Schema.Array(Schema.String)),
  defaultOutputModes: nullable(Schema.Array(Schema.String)),
  supportsAuthenticatedExtendedCard: nullable(Schema.Boolean)
}

/**
 * An A2A 0.3 agent card as Nacos stores it (Nacos drops `signatures`, which its model lacks).
 *
 * @category schemas
 * @since 0.1.0
 */
export const AgentCard = Schema.Struct(cardFields)
/**
 * @since 0.1.0
 */
export type AgentCard = typeof AgentCard.Type

/**
 * What `getAgentCard` returns: the card (for a `SERVICE` card with registered endpoints, `url`,
 * `preferredTransport` and `additionalInterfaces` come from those endpoints), how it is registered (the stored
 * type, whatever type the query asked for — checked on 3.1.0), and `latestVersion: true` when this version is the
 * agent's latest (the 3.1.0 server leaves the field out otherwise).
 *
 * @category schemas
 * @since 0.1.0
 */
export const AgentCardDetail = Schema.Struct({
  ...cardFields,
  registrationType: nullable(Schema.String),
  latestVersion: nullable(Schema.Boolean)
})
/**
 * @since 0.1.0
 */
export type AgentCardDetail = typeof AgentCardDetail.Type

/**
 * A card to release: the five fields the server demands are required and non-blank.
 *
 * @category schemas
 * @since 0.1.0
 */
export const ReleasableAgentCard = Schema.Struct({
  ...cardFields,
  name: AgentName,
  version: NonBlank,
  protocolVersion: NonBlank,
  preferredTransport: NonBlank,
  url: NonBlank
})
/**
 * @since 0.1.0
 */
export type ReleasableAgentCard = typeof ReleasableAgentCard.Type

/**
 * `getAgentCard`: without `version`, the agent's latest; without `registrationType`, the stored one.
 *
 * @category schemas
 * @since 0.1.0
 */
export const GetAgentCardParams = Schema.Struct({
  name: AgentName,
  version: Schema.optionalKey(NonBlank),
  registrationType: Schema.optionalKey(RegistrationType)
})
/**
 * @since 0.1.0
 */
export type GetAgentCardParams = typeof GetAgentCardParams.Type

/**
 * `releaseAgentCard`: a new version of the agent (a version is released once). The first release of an agent is
 * its latest whatever `setAsLatest` says; a later one becomes latest only with `setAsLatest: true`.
 *
 * @category schemas
 * @since 0.1.0
 */
export const ReleaseAgentCardParams = Schema.Struct({
  card: ReleasableAgentCard,
  registrationType: Schema.optionalKey(RegistrationType),
  setAsLatest: Schema.Boolean
})
/**
 * @since 0.1.0
 */
export type ReleaseAgentCardParams = typeof ReleaseAgentCardParams.Type

const Port = Schema.Number.check(
  Schema.isInt({ message: "must be an integer" }),
  Schema.isBetween({ minimum: 1, maximum: 65535 }, { message: "must be between 1 and 65535" })
)

/**
 * One transport of an agent version (the 3.1.0 server's `AgentEndpoint`): where it listens, over which A2A
 * transport (default `JSONRPC`), under which path, with TLS or not. The server builds the interface URL
 * `http(s)://{address}:{port}/{path}` from it.
 *
 * @category schemas
 * @since 0.1.0
 */
export const AgentEndpoint = Schema.Struct({
  version: NonBlank,
  address: NonBlank,
  port: Port,
  transport: Schema.optionalKey(NonBlank),
  path: Schema.optionalKey(Schema.String),
  supportTls: Schema.optionalKey(Schema.Boolean)
})
/**
 * @since 0.1.0
 */
export type AgentEndpoint = typeof AgentEndpoint.Type

/**
 * `registerAgentEndpoint`: one endpoint of the agent's card version `endpoint.version`.
 *
 * @category schemas
 * @since 0.1.0
 */
export const RegisterAgentEndpointParams = Schema.Struct({ name: AgentName, endpoint: AgentEndpoint })
/**
 * @since 0.1.0
 */
export type RegisterAgentEndpointParams = typeof RegisterAgentEndpointParams.Type

/**
 * `registerAgentEndpoints`: several transports of one agent version (all endpoints carry the same `version`).
 *
 * @category schemas
 * @since 0.1.0
 */
export const RegisterAgentEndpointsParams = Schema.Struct({
  name: AgentName,
  endpoints: Schema.Array(AgentEndpoint).check(
    Schema.makeFilter(
      (endpoints: ReadonlyArray<AgentEndpoint>) => endpoints.length > 0 || "must hold at least one endpoint"
    ),
    Schema.makeFilter(
      (endpoints: ReadonlyArray<AgentEndpoint>) =>
        endpoints.every((endpoint) => endpoint.version === endpoints[0]?.version) || "must all serve the same version"
    )
  )
})
/**
 * @since 0.1.0
 */
export type RegisterAgentEndpointsParams = typeof RegisterAgentEndpointsParams.Type

/**
 * `deregisterAgentEndpoint`: what this client published for the agent's `version` goes. The 3.1.0 server removes
 * whatever the connection published for the version, but it demands an address and port all the same: without
 * them the ones this client registered are sent (an `InvalidArgumentError` on field `address` if it registered
 * none).
 *
 * @category schemas
 * @since 0.1.0
 */
export const DeregisterAgentEndpointParams = Schema.Struct({
  name: AgentName,
  version: NonBlank,
  address: Schema.optionalKey(NonBlank),
  port: Schema.optionalKey(Port)
})
/**
 * @since 0.1.0
 */
export type DeregisterAgentEndpointParams = typeof DeregisterAgentEndpointParams.Type

/**
 * The interface URL the 3.1.0 server builds for an endpoint (`AgentCardUtil#buildAgentInterface`): `https` with
 * TLS, else `http`, then `{address}:{port}` and the path with a leading `/`.
 *
 * @category constructors
 * @since 0.1.0
 */
export const endpointUrl = (endpoint: AgentEndpoint): string => {
  const path = endpoint.path ?? ""
  const suffix = path === "" ? "" : path.startsWith("/") ? path : `/${path}`
  return `${endpoint.supportTls === true ? "https" : "http"}://${endpoint.address}:${endpoint.port}${suffix}`
}
