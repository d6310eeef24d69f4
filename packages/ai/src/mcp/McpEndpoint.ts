/**
 * An endpoint of an MCP server as a client connects to it: the URL built from what Nacos lists
 * (`backendEndpoints`: address, port, the released `exportPath`, and `https` when the service reference says so).
 *
 * @since 0.1.0
 * @module
 */
import * as Schema from "effect/Schema"
import type { McpServerDetail } from "../McpModels.ts"

/**
 * @category schemas
 * @since 0.1.0
 */
export const McpEndpoint = Schema.Struct({
  address: Schema.String,
  port: Schema.Number,
  path: Schema.String,
  /** `http://address:port/path` (or `https`). */
  url: Schema.String
})

/**
 * @category models
 * @since 0.1.0
 */
export type McpEndpoint = typeof McpEndpoint.Type

/** A path with one leading `/` (the server adds it the same way when it builds URLs). */
const normalizePath = (path: string | null | undefined) =>
  path === null || path === undefined || path === "" ? "" : path.startsWith("/") ? path : `/${path}`

/**
 * The endpoints of a detail, in the server's order; entries without an address or port are left out.
 *
 * @category constructors
 * @since 0.1.0
 */
export const fromDetail = (detail: McpServerDetail): ReadonlyArray<McpEndpoint> =>
  (detail.backendEndpoints ?? []).flatMap((endpoint) => {
    if (endpoint.address == null || endpoint.address === "" || endpoint.port == null) return []
    const scheme =
      (endpoint.protocol ?? detail.remoteServerConfig?.serviceRef?.transportProtocol) === "https" ? "https" : "http"
    // the server copies `exportPath` into each endpoint; memory lists address and port only
    const path = normalizePath(endpoint.path ?? detail.remoteServerConfig?.exportPath)
    const host = endpoint.address.includes(":") ? `[${endpoint.address}]` : endpoint.address
    return [
      { address: endpoint.address, port: endpoint.port, path, url: `${scheme}://${host}:${endpoint.port}${path}` }
    ]
  })

/**
 * The same endpoint (address and port: the server keeps one per client and version).
 *
 * @category predicates
 * @since 0.1.0
 */
export const same = (a: McpEndpoint, b: McpEndpoint): boolean => a.address === b.address && a.port === b.port
