/**
 * What an A2A registry works with: the transports an agent serves on ({@link A2ATransport}) and the error a
 * registry fails with ({@link A2ARegistryError}). A background registration's status is `RegistrationStatus`.
 *
 * A transport leaves out what has a default: the host is the machine's first non-loopback IPv4 address, the port
 * 8080, the path empty, TLS off, the transport type `JSONRPC`; {@link resolveTransport} fills them in.
 *
 * @since 0.1.0
 * @module
 */
import * as os from "node:os"
import * as Schema from "effect/Schema"

const Port = Schema.Number.check(
  Schema.isInt({ message: "must be an integer" }),
  Schema.isBetween({ minimum: 1, maximum: 65535 }, { message: "must be between 1 and 65535" })
)

/**
 * One way to reach an agent: where it listens and over which A2A transport. Several transports of one agent are
 * registered together. `extra` carries what a registry may want beyond these (a custom registry's own keys).
 *
 * @category schemas
 * @since 0.1.0
 */
export const A2ATransport = Schema.Struct({
  host: Schema.optionalKey(Schema.String),
  port: Schema.optionalKey(Port),
  path: Schema.optionalKey(Schema.String),
  supportTls: Schema.optionalKey(Schema.Boolean),
  /** `JSONRPC` (default), `GRPC` or `HTTP+JSON`. */
  transportType: Schema.optionalKey(Schema.String),
  extra: Schema.optionalKey(Schema.Record(Schema.String, Schema.Unknown))
})
/**
 * @since 0.1.0
 */
export type A2ATransport = typeof A2ATransport.Type

/**
 * A transport with every default filled in.
 *
 * @category models
 * @since 0.1.0
 */
export interface ResolvedTransport {
  readonly host: string
  readonly port: number
  /** Empty, or starting with `/`. */
  readonly path: string
  readonly supportTls: boolean
  readonly transportType: string
  readonly extra: Readonly<Record<string, unknown>>
}

/**
 * The port a transport without one gets.
 *
 * @category constants
 * @since 0.1.0
 */
export const DEFAULT_PORT = 8080

/**
 * The transport type a transport without one gets.
 *
 * @category constants
 * @since 0.1.0
 */
export const DEFAULT_TRANSPORT_TYPE = "JSONRPC"

/**
 * The machine's first non-loopback IPv4 address (in the order Node lists the interfaces), else `127.0.0.1`.
 *
 * @category constructors
 * @since 0.1.0
 */
export const defaultHost = (): string => {
  for (const addresses of Object.values(os.networkInterfaces())) {
    for (const address of addresses ?? []) {
      if (address.family === "IPv4" && !address.internal) return address.address
    }
  }
  return "127.0.0.1"
}

/**
 * The transport with its defaults: host {@link defaultHost}, port {@link DEFAULT_PORT}, no path, no TLS,
 * {@link DEFAULT_TRANSPORT_TYPE}.
 *
 * @category constructors
 * @since 0.1.0
 */
export const resolveTransport = (transport: A2ATransport, host: () => string = defaultHost): ResolvedTransport => {
  const path = transport.path ?? ""
  return {
    host: transport.host === undefined || transport.host.trim() === "" ? host() : transport.host,
    port: transport.port ?? DEFAULT_PORT,
    path: path === "" || path.startsWith("/") ? path : `/${path}`,
    supportTls: transport.supportTls ?? false,
    transportType: transport.transportType ?? DEFAULT_TRANSPORT_TYPE,
    extra: transport.extra ?? {}
  }
}

/**
 * The URL a resolved transport is reached at: `http(s)://{host}:{port}{path}` (an IPv6 host in brackets).
 *
 * @category constructors
 * @since 0.1.0
 */
export const transportUrl = (transport: ResolvedTransport): string => {
  const host = transport.host.includes(":") ? `[${transport.host}]` : transport.host
  return `${transport.supportTls ? "https" : "http"}://${host}:${transport.port}${transport.path}`
}

/**
 * A registry could not register (or deregister) an agent: which registry, and why (never a secret).
 *
 * @category errors
 * @since 0.1.0
 */
export class A2ARegistryError extends Schema.TaggedError<A2ARegistryError>()("A2ARegistryError", {
  registry: Schema.String,
  message: Schema.String,
  cause: Schema.optional(Schema.Defect())
}) {}

/**
 * A card could not be turned into the other A2A shape (Nacos stores the A2A 0.3 card; `@a2a-js/sdk` 1.x works
 * with the 1.0 card).
 *
 * @category errors
 * @since 0.1.0
 */
export class AgentCardConversionError extends Schema.TaggedError<AgentCardConversionError>()(
  "AgentCardConversionError",
  { agent: Schema.String, message: Schema.String }
) {}
