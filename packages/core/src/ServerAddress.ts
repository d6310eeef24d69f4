/**
 * One Nacos server's HTTP address, parsed from `host`, `host:port` or `http(s)://host:port[/ignored]`; without a
 * scheme it is http, or https when TLS is on.
 *
 * The gRPC port is derived from it (HTTP port + the port offset), exactly as the Java client does.
 *
 * @since 0.1.0
 * @module
 */
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import { InvalidArgumentError } from "./NacosError.ts"

/**
 * @category models
 * @since 0.1.0
 */
export class ServerAddress extends Schema.Class<ServerAddress>("@effect-nacos/core/ServerAddress")({
  scheme: Schema.Literals(["http", "https"]),
  host: Schema.String,
  port: Schema.Int
}) {
  /** `host:port`, with IPv6 hosts bracketed. */
  get authority(): string {
    return `${this.host.includes(":") ? `[${this.host}]` : this.host}:${this.port}`
  }
  get httpBase(): string {
    return `${this.scheme}://${this.authority}`
  }
  grpcTarget(portOffset: number): string {
    return `${this.host.includes(":") ? `[${this.host}]` : this.host}:${this.port + portOffset}`
  }
  override toString(): string {
    return this.authority
  }
}

/**
 * The Nacos default HTTP port when an address names none.
 *
 * @since 0.1.0
 */
export const DEFAULT_PORT = 8848

const HOST_PATTERN = /^(?:\[[0-9a-fA-F:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?)$/

/**
 * How addresses are read.
 *
 * @category models
 * @since 0.1.0
 */
export interface ParseOptions {
  /**
   * The `tls` option is set: an address without a scheme means https (on the Nacos port, not 443), and an explicit
   * `http://` is refused rather than sent in plain text.
   */
  readonly tls?: boolean | undefined
}

/**
 * Parses one address. Fails with `InvalidArgumentError` (field `serverAddr`) on anything malformed:
 * empty, a bad host, a port outside 1..65535, an unknown scheme, `http://` while TLS is required.
 *
 * @category constructors
 * @since 0.1.0
 */
export const parse = (
  input: string,
  field = "serverAddr",
  defaultPort = DEFAULT_PORT,
  options: ParseOptions = {}
): Effect.Effect<ServerAddress, InvalidArgumentError> =>
  Effect.suspend(() => {
    const invalid = (why: string) =>
      Effect.fail(
        new InvalidArgumentError({ field, message: `invalid server address ${JSON.stringify(input)}: ${why}` })
      )
    let rest = input.trim()
    if (rest === "") return invalid("empty")
    let scheme: "http" | "https" = options.tls === true ? "https" : "http"
    const schemeMatch = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(rest)
    const explicitScheme = schemeMatch !== null
    if (schemeMatch) {
      const s = schemeMatch[1]!.toLowerCase()
      if (s !== "http" && s !== "https") return invalid(`unsupported scheme ${s}`)
      if (s === "http" && options.tls === true) {
        return invalid("tls is set, so plain http is refused: write https:// or a bare host:port")
      }
      scheme = s
      rest = rest.slice(schemeMatch[0].length)
    }
    // a path after the authority (e.g. "/nacos") is the context path's business, not the address's
    const slash = rest.indexOf("/")
    if (slash >= 0) rest = rest.slice(0, slash)
    let host: string
    let portText: string | undefined
    if (rest.startsWith("[")) {
      const close = rest.indexOf("]")
      if (close < 0) return invalid("unclosed IPv6 bracket")
      host = rest.slice(0, close + 1)
      const after = rest.slice(close + 1)
      if (after !== "" && !after.startsWith(":")) return invalid("junk after IPv6 address")
      portText = after === "" ? undefined : after.slice(1)
    } else {
      const parts = rest.split(":")
      if (parts.length > 2) return invalid("too many ':'")
      host = parts[0]!
      portText = parts[1]
    }
    if (!HOST_PATTERN.test(host)) return invalid("bad host")
    // https:// without a port is the web's 443; a bare host is a Nacos server on its own port, with or without TLS
    let port = explicitScheme && scheme === "https" && portText === undefined ? 443 : defaultPort
    if (portText !== undefined) {
      if (!/^\d{1,5}$/.test(portText)) return invalid("port is not a number")
      port = Number(portText)
      if (port < 1 || port > 65535) return invalid("port out of range 1..65535")
    }
    const bareHost = host.startsWith("[") ? host.slice(1, -1) : host
    return Effect.succeed(new ServerAddress({ scheme, host: bareHost, port }))
  })

/**
 * Parses a comma-separated list (or an array of entries, each of which may itself be a comma list).
 *
 * @category constructors
 * @since 0.1.0
 */
export const parseList = (
  input: string | ReadonlyArray<string>,
  field = "serverAddr",
  options: ParseOptions = {}
): Effect.Effect<ReadonlyArray<ServerAddress>, InvalidArgumentError> => {
  const entries = (typeof input === "string" ? [input] : input)
    .flatMap((entry) => entry.split(","))
    .map((entry) => entry.trim())
    .filter((entry) => entry !== "")
  return entries.length === 0
    ? Effect.fail(new InvalidArgumentError({ field, message: "no server address given" }))
    : Effect.forEach(entries, (entry) => parse(entry, field, DEFAULT_PORT, options))
}
