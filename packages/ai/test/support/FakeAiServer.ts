/**
 * An in-test Nacos AI server speaking the 3.2 wire as the official 3.2.1 client sources show it
 * (`AiGrpcClient`, `AiHttpClientProxy`, `NacosPromptCacheHolder`): the core's FakeNacosServer (Payload protocol)
 * with the AI handlers on top —
 * - gRPC `QueryMcpServerRequest` / `ReleaseMcpServerRequest`, `QueryAgentCardRequest` / `ReleaseAgentCardRequest`
 *   (answered in their own response type; failures as resultCode 500 + errorCode 404 / 409 / 400),
 *   `QueryPromptRequest` (errorCode 304 when the md5 sent is current, 404 when missing);
 * - HTTP `GET /nacos/v3/client/ai/prompt` (`Result<Prompt>`, HTTP 304 on a current md5, HTTP 404 + code 20004)
 *   and `GET /nacos/v3/client/ai/skills` (the raw ZIP, HTTP 404 + code 20004).
 *
 * - the endpoints as 3.1.0 keeps them, as naming services (`agent-endpoints` / `{encodedName}::{version}`,
 *   `mcp-endpoints` / `{name}::{version}`, the MCP detail's `serviceRef`): `SubscribeServiceRequest` answers their
 *   instances and every change is pushed to the subscribers as a `NotifySubscriberRequest`.
 *
 * Its store is its own (not the library's memory backend), so the client is tested against an independent model.
 * `servesPrompts: false` makes it a 3.1 server: no prompt handler (ErrorResponse 302) and no client AI HTTP API.
 */
import { createHash } from "node:crypto"
import * as http from "node:http"
import { FakeNacosServer, type Received } from "@effect-nacos/core/testing"
import { AGENT_ENDPOINT_GROUP, encodeAgentName } from "../../src/internal/endpointNames.ts"

const MCP_ENDPOINT_GROUP = "mcp-endpoints"

interface StoredPrompt {
  readonly promptKey: string
  readonly version: string
  readonly template: string
  readonly md5: string
  readonly variables: ReadonlyArray<{
    readonly name: string
    readonly defaultValue?: string
    readonly description?: string
  }>
}

interface Versions<A> {
  readonly versions: Map<string, A>
  latest: string
  readonly labels: Map<string, string>
}

type Json = Record<string, unknown>

const md5 = (data: string | Uint8Array) => createHash("md5").update(data).digest("hex")
const isRecord = (u: unknown): u is Json => typeof u === "object" && u !== null && !Array.isArray(u)
const str = (json: Json, key: string): string | undefined => {
  const value = json[key]
  return typeof value === "string" ? value : undefined
}
const rec = (json: Json, key: string): Json => {
  const value = json[key]
  return isRecord(value) ? value : {}
}

export class FakeAiServer {
  readonly nacos: FakeNacosServer
  readonly mcp = new Map<string, Versions<Json> & { readonly id: string }>()
  readonly agents = new Map<string, Versions<Json> & { registrationType: string }>()
  readonly prompts = new Map<string, Versions<StoredPrompt>>()
  readonly skills = new Map<string, Versions<Uint8Array>>()
  /** `METHOD path?query` of every HTTP request. */
  readonly httpRequests: Array<{ readonly method: string; readonly path: string; readonly query: URLSearchParams }> = []
  private httpServer: http.Server | undefined
  httpPort = 0

  constructor(
    options: { readonly servesPrompts?: boolean; readonly abilities?: Readonly<Record<string, boolean>> } = {}
  ) {
    const servesPrompts = options.servesPrompts ?? true
    this.servesPrompts = servesPrompts
    this.nacos = new FakeNacosServer({
      setupAck: options.abilities ?? { mcp: true, agent: true, fuzzyWatch: true, lock: true },
      onRequest: (type, json, peer) => this.answer(type, isRecord(json) ? json : {}, peer)
    })
  }

  readonly servesPrompts: boolean
  /** `{agentName}::{version}` → the endpoint each connection (peer) published: one per version, as 3.1.0. */
  readonly agentEndpoints = new Map<string, Map<string, Json>>()
  /** `{mcpName}::{version}` → the `{address, port}` each connection published. */
  readonly mcpEndpoints = new Map<string, Map<string, Json>>()
  /** `group@@service` of the naming services someone subscribed to. */
  readonly subscribed = new Set<string>()

  /** What a closed connection's endpoints do on the server: they go. */
  dropEndpointsOf(peer: string): void {
    for (const [key, owners] of this.agentEndpoints) if (owners.delete(peer)) this.notifyAgent(key)
    for (const [key, owners] of this.mcpEndpoints) if (owners.delete(peer)) this.notifyMcp(key)
  }

  /** The instances of an endpoints' naming service, as a ServiceInfo. */
  private serviceInfo(groupName: string, serviceName: string): Json {
    const owners =
      groupName === AGENT_ENDPOINT_GROUP
        ? [...this.agentEndpoints].find(([key]) => this.agentServiceName(key) === serviceName)?.[1]
        : groupName === MCP_ENDPOINT_GROUP
          ? this.mcpEndpoints.get(serviceName)
          : undefined
    const hosts = [...(owners?.values() ?? [])].map((endpoint) => ({
      ip: endpoint.address,
      port: endpoint.port,
      healthy: true,
      enabled: true,
      ephemeral: true,
      clusterName: "DEFAULT",
      serviceName: `${groupName}@@${serviceName}`,
      metadata: {}
    }))
    return { name: `${groupName}@@${serviceName}`, groupName, clusters: "", hosts, lastRefTime: Date.now() }
  }

  /** `{agentName}::{version}` → the naming service name 3.1.0 gives it. */
  private agentServiceName(key: string): string {
    const at = key.lastIndexOf("::")
    return `${encodeAgentName(key.slice(0, at))}${key.slice(at)}`
  }

  private notify(groupName: string, serviceName: string): void {
    if (!this.subscribed.has(`${groupName}@@${serviceName}`)) return
    this.nacos.push("NotifySubscriberRequest", {
      namespace: "public",
      serviceInfo: this.serviceInfo(groupName, serviceName)
    })
  }

  private notifyAgent(key: string): void {
    this.notify(AGENT_ENDPOINT_GROUP, this.agentServiceName(key))
  }

  private notifyMcp(key: string): void {
    this.notify(MCP_ENDPOINT_GROUP, key)
  }

  /** HTTP on an ephemeral port and gRPC on httpPort + the returned offset. */
  async start(): Promise<{ readonly address: string; readonly portOffset: number }> {
    this.httpServer = http.createServer((request, response) => this.answerHttp(request, response))
    await new Promise<void>((resolve) => this.httpServer!.listen(0, "127.0.0.1", resolve))
    const bound = this.httpServer.address()
    if (bound === null || typeof bound === "string") throw new Error("the fake HTTP server has no TCP port")
    this.httpPort = bound.port
    for (let offset = 1; offset < 200; offset++) {
      try {
        await this.nacos.start(this.httpPort + offset)
        return { address: `127.0.0.1:${this.httpPort}`, portOffset: offset }
      } catch {
        // port taken: try the next
      }
    }
    throw new Error("no free port for the fake gRPC server")
  }

  async stop(): Promise<void> {
    await this.nacos.stop()
    if (this.httpServer !== undefined) {
      this.httpServer.closeAllConnections()
      await new Promise<void>((resolve) => this.httpServer!.close(() => resolve()))
    }
  }

  received(type: string): Array<Received> {
    return this.nacos.typesReceived(type)
  }

  /** What an admin publishes: a prompt version (latest unless said), with labels routing to it. */
  putPrompt(prompt: {
    readonly key: string
    readonly version: string
    readonly template: string
    readonly variables?: StoredPrompt["variables"]
    readonly labels?: ReadonlyArray<string>
    readonly latest?: boolean
  }): void {
    const variables = prompt.variables ?? []
    const stored: StoredPrompt = {
      promptKey: prompt.key,
      version: prompt.version,
      template: prompt.template,
      md5: md5(`${prompt.version}|${prompt.template}|${JSON.stringify(variables)}`),
      variables
    }
    put(this.prompts, prompt.key, prompt.version, stored, prompt.labels ?? [], prompt.latest ?? true)
  }

  removePrompt(key: string): void {
    this.prompts.delete(key)
  }

  putSkill(skill: {
    readonly name: string
    readonly version: string
    readonly zip: Uint8Array
    readonly labels?: ReadonlyArray<string>
    readonly latest?: boolean
  }): void {
    put(this.skills, skill.name, skill.version, skill.zip, skill.labels ?? [], skill.latest ?? true)
  }

  removeSkill(name: string): void {
    this.skills.delete(name)
  }

  private answer(type: string, json: Json, peer: string): { type: string; body: Json } | undefined {
    const response = type.replace(/Request$/, "Response")
    const ok = (body: Json = {}) => ({ type: response, body: { resultCode: 200, errorCode: 0, ...body } })
    const fail = (errorCode: number, message: string) => ({
      type: response,
      body: { resultCode: 500, errorCode, message }
    })
    switch (type) {
      case "QueryMcpServerRequest": {
        const name = str(json, "mcpName") ?? ""
        const entry = this.mcp.get(name)
        if (entry === undefined) return fail(404, `mcp server \`${name}\` not found`)
        const version = str(json, "version") || entry.latest
        const spec = entry.versions.get(version)
        if (spec === undefined) return fail(404, `mcp server \`${name}\` version \`${version}\` not found`)
        const detail = (v: string) => ({
          version: v,
          release_date: "2026-12-01T00:00:00Z",
          is_latest: v === entry.latest
        })
        const serviceName = `${name}::${version}`
        return ok({
          mcpServerDetailInfo: {
            ...rec(spec, "serverSpecification"),
            id: entry.id,
            versionDetail: detail(version),
            toolSpec: spec.toolSpecification ?? null,
            allVersions: [...entry.versions.keys()].map(detail),
            // as 3.1.0: a remote server's endpoints live in its own `mcp-endpoints` naming service
            remoteServerConfig: {
              serviceRef: { namespaceId: "public", groupName: MCP_ENDPOINT_GROUP, serviceName }
            },
            backendEndpoints: [...(this.mcpEndpoints.get(serviceName)?.values() ?? [])],
            frontendEndpoints: []
          }
        })
      }
      case "ReleaseMcpServerRequest": {
        const spec = rec(json, "serverSpecification")
        const name = str(json, "mcpName") ?? str(spec, "name") ?? ""
        const version = str(rec(spec, "versionDetail"), "version") ?? ""
        const entry = this.mcp.get(name)
        if (entry?.versions.has(version))
          return fail(409, `mcp server \`${name}\` version \`${version}\` already exist`)
        if (entry === undefined) {
          const id = `fake-${this.mcp.size + 1}`
          this.mcp.set(name, { id, versions: new Map([[version, json]]), latest: version, labels: new Map() })
          return ok({ mcpId: id })
        }
        entry.versions.set(version, json)
        // as 3.1.0 does: the last version released is the latest, whatever is_latest says
        entry.latest = version
        return ok({ mcpId: entry.id })
      }
      case "QueryAgentCardRequest": {
        const name = str(json, "agentName") ?? ""
        const entry = this.agents.get(name)
        if (entry === undefined) return fail(404, `Agent not found: ${name}`)
        const version = str(json, "version") || entry.latest
        const card = entry.versions.get(version)
        if (card === undefined) return fail(404, `Agent ${name} version ${version} not found`)
        // as 3.1.0 (`injectEndpoint`): a SERVICE card with endpoints answers them as its interfaces
        const endpoints = [...(this.agentEndpoints.get(`${name}::${version}`)?.values() ?? [])]
        const asked = str(json, "registrationType") || entry.registrationType
        const urlOf = (endpoint: Json) => {
          const path = str(endpoint, "path") ?? ""
          const scheme = endpoint.supportTls === true ? "https" : "http"
          return `${scheme}://${str(endpoint, "address")}:${String(endpoint.port)}${path === "" ? "" : path.startsWith("/") ? path : `/${path}`}`
        }
        const preferred =
          endpoints.find((endpoint) => str(endpoint, "transport") === str(card, "preferredTransport")) ?? endpoints[0]
        const injected =
          asked === "SERVICE" && preferred !== undefined
            ? {
                url: urlOf(preferred),
                preferredTransport: str(preferred, "transport"),
                additionalInterfaces: endpoints.map((endpoint) => ({
                  url: urlOf(endpoint),
                  transport: str(endpoint, "transport")
                }))
              }
            : {}
        return ok({
          // as 3.1.0: the stored type, and `latestVersion` only when true (Jackson leaves the null out)
          agentCardDetailInfo: {
            ...card,
            ...injected,
            registrationType: entry.registrationType,
            ...(version === entry.latest ? { latestVersion: true } : {})
          }
        })
      }
      case "ReleaseAgentCardRequest": {
        const card = rec(json, "agentCard")
        for (const field of ["name", "version", "protocolVersion", "preferredTransport", "url"]) {
          if (!str(card, field)) return fail(400, `Required parameter \`agentCard.${field}\` not present`)
        }
        const name = str(card, "name")!
        const version = str(card, "version")!
        const registrationType = str(json, "registrationType") || "SERVICE"
        const entry = this.agents.get(name)
        if (entry === undefined) {
          this.agents.set(name, {
            versions: new Map([[version, card]]),
            latest: version,
            labels: new Map(),
            registrationType
          })
          return ok()
        }
        // as 3.1.0/3.2: an existing version is a silent no-op
        if (entry.versions.has(version)) return ok()
        entry.versions.set(version, card)
        entry.registrationType = registrationType
        if (json.setAsLatest === true) entry.latest = version
        return ok()
      }
      case "AgentEndpointRequest": {
        const name = str(json, "agentName") ?? ""
        const endpoint = rec(json, "endpoint")
        const version = str(endpoint, "version")
        if (!name || !version) return fail(400, "Required parameter `endpoint.version` not present")
        // as 3.1.0: the endpoint becomes an Instance, which needs an ip, for a deregister too
        if (!str(endpoint, "address")) return fail(400, "Required parameter 'ip' type String is not present")
        const key = `${name}::${version}`
        const owners = this.agentEndpoints.get(key) ?? new Map<string, Json>()
        this.agentEndpoints.set(key, owners)
        const kind = str(json, "type")
        if (kind === "registerEndpoint") owners.set(peer, endpoint)
        else if (kind === "deregisterEndpoint") owners.delete(peer)
        else return fail(400, `parameter \`type\` should be registerEndpoint or deregisterEndpoint, but was ${kind}`)
        this.notifyAgent(key)
        return ok({ type: kind })
      }
      case "BatchAgentEndpointRequest":
        // a 3.1 server: no handler
        return { type: "ErrorResponse", body: { resultCode: 500, errorCode: 302, message: "RequestHandler Not Found" } }
      case "McpServerEndpointRequest": {
        const name = str(json, "mcpName") ?? ""
        const entry = this.mcp.get(name)
        if (entry === undefined) return fail(404, `mcp server \`${name}\` not found`)
        // as 3.1.0: no version means the latest
        const key = `${name}::${str(json, "version") || entry.latest}`
        const owners = this.mcpEndpoints.get(key) ?? new Map<string, Json>()
        this.mcpEndpoints.set(key, owners)
        const kind = str(json, "type")
        if (kind === "registerEndpoint") owners.set(peer, { address: json.address, port: json.port })
        else owners.delete(peer)
        this.notifyMcp(key)
        return ok({ type: kind })
      }
      case "SubscribeServiceRequest": {
        const groupName = str(json, "groupName") ?? ""
        const serviceName = str(json, "serviceName") ?? ""
        if (json.subscribe === false) this.subscribed.delete(`${groupName}@@${serviceName}`)
        else this.subscribed.add(`${groupName}@@${serviceName}`)
        return ok({ serviceInfo: this.serviceInfo(groupName, serviceName) })
      }
      case "QueryPromptRequest": {
        if (!this.servesPrompts) {
          return {
            type: "ErrorResponse",
            body: { resultCode: 500, errorCode: 302, message: "RequestHandler Not Found" }
          }
        }
        const found = this.findPrompt(str(json, "promptKey") ?? "", str(json, "version"), str(json, "label"))
        if (found === undefined) return fail(404, "prompt not found")
        if (str(json, "md5") === found.md5) return fail(304, "not modified")
        return ok({ promptInfo: found })
      }
      default:
        return undefined
    }
  }

  private findPrompt(key: string, version: string | undefined, label: string | undefined) {
    return select(this.prompts.get(key), version, label)
  }

  private answerHttp(request: http.IncomingMessage, response: http.ServerResponse) {
    const url = new URL(request.url ?? "/", "http://fake")
    this.httpRequests.push({ method: request.method ?? "", path: url.pathname, query: url.searchParams })
    const param = (name: string) => url.searchParams.get(name) || undefined
    const json = (status: number, body: Json) => {
      response.writeHead(status, { "content-type": "application/json" })
      response.end(JSON.stringify(body))
    }
    const notFound = () => json(404, { code: 20004, message: "resource not found", data: "not found" })
    if (!this.servesPrompts || request.method !== "GET") {
      response.writeHead(404, { "content-type": "application/json" })
      return response.end(
        JSON.stringify({ timestamp: "2026-12-01T00:00:00Z", status: 404, error: "Not Found", path: url.pathname })
      )
    }
    if (url.pathname === "/nacos/v3/client/ai/prompt") {
      const found = this.findPrompt(param("promptKey") ?? "", param("version"), param("label"))
      if (found === undefined) return notFound()
      if (param("md5") === found.md5) {
        response.writeHead(304)
        return response.end()
      }
      return json(200, { code: 0, message: "success", data: found })
    }
    if (url.pathname === "/nacos/v3/client/ai/skills") {
      const name = param("name") ?? ""
      const zip = select(this.skills.get(name), param("version"), param("label"))
      if (zip === undefined) return notFound()
      response.writeHead(200, {
        "content-type": "application/zip",
        "content-disposition": `attachment;filename=${name}.zip`
      })
      return response.end(Buffer.from(zip))
    }
    json(404, { timestamp: "2026-12-01T00:00:00Z", status: 404, error: "Not Found", path: url.pathname })
  }
}

const put = <A>(
  map: Map<string, Versions<A>>,
  name: string,
  version: string,
  value: A,
  labels: ReadonlyArray<string>,
  latest: boolean
) => {
  const entry = map.get(name) ?? { versions: new Map<string, A>(), latest: version, labels: new Map<string, string>() }
  entry.versions.set(version, value)
  if (latest) entry.latest = version
  for (const label of labels) entry.labels.set(label, version)
  map.set(name, entry)
}

/** The server's order: version > label > latest. */
const select = <A>(entry: Versions<A> | undefined, version: string | undefined, label: string | undefined) => {
  if (entry === undefined) return undefined
  const chosen = version ?? (label === undefined ? entry.latest : entry.labels.get(label))
  return chosen === undefined ? undefined : entry.versions.get(chosen)
}
