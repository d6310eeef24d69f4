/**
 * An in-test Nacos config server: the core's FakeNacosServer (Payload protocol, pushes, acks, stream drops) with
 * the config module's semantics on top — a store with md5s, compare-and-set, tag gray releases, listen
 * registrations per connection and `ConfigChangeNotifyRequest` pushes — plus the same store over HTTP
 * (`/nacos/v3/client/cs/config`, `/nacos/v1/cs/configs`) for the fallback tests.
 *
 * Faults a real server cannot be made to produce on demand live here: silent writes (no push), dropped streams.
 */
import { createHash } from "node:crypto"
import * as http from "node:http"
import { FakeNacosServer, type Received } from "@effect-nacos/core/testing"
import * as Schema from "effect/Schema"

export interface StoredConfig {
  readonly content: string
  readonly md5: string
  readonly type: string
  readonly lastModified: number
  readonly encryptedDataKey: string
}

const md5 = (content: string) => createHash("md5").update(content, "utf8").digest("hex")

const KeyFields = { dataId: Schema.String, group: Schema.String, tenant: Schema.optional(Schema.NullOr(Schema.String)) }
const QueryBody = Schema.Struct({ ...KeyFields, tag: Schema.optional(Schema.NullOr(Schema.String)) })
const PublishBody = Schema.Struct({
  ...KeyFields,
  content: Schema.String,
  casMd5: Schema.optional(Schema.NullOr(Schema.String)),
  additionMap: Schema.optional(Schema.Record(Schema.String, Schema.String))
})
const RemoveBody = QueryBody
export const ListenBody = Schema.Struct({
  listen: Schema.Boolean,
  configListenContexts: Schema.Array(Schema.Struct({ ...KeyFields, md5: Schema.String }))
})

const storeKey = (dataId: string, group: string, tenant: string | null | undefined) =>
  `${tenant || "public"}/${group}/${dataId}`

export class FakeConfigServer {
  readonly nacos: FakeNacosServer
  readonly store = new Map<string, StoredConfig>()
  readonly grays = new Map<string, StoredConfig>()
  /** storeKey → peers listening. */
  readonly listeners = new Map<string, Set<string>>()
  readonly httpRequests: Array<string> = []
  /** Answer every listened key as changed, whatever md5 the client sent (a server whose md5 view differs). */
  reportEveryKeyChanged = false
  /** Answer queries as a server that is still starting does: ErrorResponse 300, the code of "not found". */
  answerQueriesAsStarting = false
  /** dataIds whose query the server refuses (a server error), until removed. */
  readonly refusedQueries = new Set<string>()
  /** dataIds that make the server refuse every listen request naming them, until removed. */
  readonly refusedListens = new Set<string>()
  /** Hold every gRPC query unanswered (a server that is up but does not answer), until cleared. */
  stallQueries = false
  private httpServer: http.Server | undefined
  httpPort = 0

  constructor() {
    this.nacos = new FakeNacosServer({
      onRequest: (type, json, peer) => this.answer(type, json, peer),
      stall: (type) => this.stallQueries && type === "ConfigQueryRequest"
    })
  }

  /** Starts gRPC only (the client must use `grpc.portOffset: 0`). */
  async start(): Promise<this> {
    await this.nacos.start()
    return this
  }

  /**
   * Starts HTTP on an ephemeral port and, unless `grpc` is false, gRPC on httpPort + offset (the offset to give
   * the client is returned). Without gRPC, the gRPC port stays closed.
   */
  async startWithHttp(options: {
    readonly grpc: boolean
  }): Promise<{ readonly address: string; readonly portOffset: number }> {
    this.httpServer = http.createServer((request, response) => this.answerHttp(request, response))
    await new Promise<void>((resolve) => this.httpServer!.listen(0, "127.0.0.1", resolve))
    const bound = this.httpServer.address()
    if (bound === null || typeof bound === "string") throw new Error("the fake HTTP server has no TCP port")
    this.httpPort = bound.port
    for (let offset = 1; offset < 200; offset++) {
      if (!options.grpc) return { address: `127.0.0.1:${this.httpPort}`, portOffset: offset }
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

  get address(): string {
    return this.nacos.address
  }

  received(type: string): Array<Received> {
    return this.nacos.typesReceived(type)
  }

  /** The listen requests received, decoded. */
  listenRequests(): Array<typeof ListenBody.Type> {
    return this.received("ConfigBatchListenRequest").map((r) => Schema.decodeUnknownSync(ListenBody)(r.json))
  }

  /** Writes as the server would (pushing to listeners when the md5 moves). */
  write(dataId: string, group: string, content: string, tenant = "public"): void {
    this.put(storeKey(dataId, group, tenant), content, "text", "", { push: { dataId, group, tenant } })
  }

  /** Writes without telling anyone: only a re-listen (reconnect, full sync) can notice. */
  writeSilently(dataId: string, group: string, content: string, tenant = "public"): void {
    this.put(storeKey(dataId, group, tenant), content, "text", "", { push: undefined })
  }

  /** Pushes a change notification for a key whether or not it changed. */
  notify(dataId: string, group: string, tenant = "public"): string {
    return this.nacos.push("ConfigChangeNotifyRequest", { dataId, group, tenant })
  }

  private put(
    key: string,
    content: string,
    type: string,
    encryptedDataKey: string,
    options: { readonly push: { dataId: string; group: string; tenant: string } | undefined }
  ) {
    const previous = this.store.get(key)
    const next: StoredConfig = { content, md5: md5(content), type, lastModified: Date.now(), encryptedDataKey }
    this.store.set(key, next)
    if (options.push !== undefined && previous?.md5 !== next.md5) this.pushIfListened(key, options.push)
  }

  private pushIfListened(key: string, coordinates: { dataId: string; group: string; tenant: string }) {
    if ((this.listeners.get(key)?.size ?? 0) > 0) this.nacos.push("ConfigChangeNotifyRequest", coordinates)
  }

  private answer(
    type: string,
    json: unknown,
    peer: string
  ): { type: string; body: Record<string, unknown> } | undefined {
    switch (type) {
      case "ConfigQueryRequest": {
        const query = Schema.decodeUnknownSync(QueryBody)(json)
        if (this.answerQueriesAsStarting) {
          return {
            type: "ErrorResponse",
            body: { resultCode: 500, errorCode: 300, message: "Server is starting,please try later." }
          }
        }
        if (this.refusedQueries.has(query.dataId)) {
          return { type: "ConfigQueryResponse", body: { resultCode: 500, errorCode: 500, message: "query refused" } }
        }
        const key = storeKey(query.dataId, query.group, query.tenant)
        const found = query.tag ? this.grays.get(`${key}#${query.tag}`) : this.store.get(key)
        if (found === undefined) {
          return {
            type: "ConfigQueryResponse",
            body: { resultCode: 500, errorCode: 300, message: "config data not exist" }
          }
        }
        return {
          type: "ConfigQueryResponse",
          body: {
            resultCode: 200,
            errorCode: 0,
            content: found.content,
            md5: found.md5,
            contentType: found.type,
            lastModified: found.lastModified,
            encryptedDataKey: found.encryptedDataKey,
            beta: false,
            tag: query.tag ?? null
          }
        }
      }
      case "ConfigPublishRequest": {
        const publish = Schema.decodeUnknownSync(PublishBody)(json)
        const key = storeKey(publish.dataId, publish.group, publish.tenant)
        const addition = publish.additionMap ?? {}
        const current = this.store.get(key)
        if (publish.casMd5 && current !== undefined && current.md5 !== publish.casMd5) {
          return {
            type: "ConfigPublishResponse",
            body: { resultCode: 500, errorCode: 500, message: "Cas publish fail, server md5 may have changed." }
          }
        }
        if (addition.tag) {
          this.grays.set(`${key}#${addition.tag}`, {
            content: publish.content,
            md5: md5(publish.content),
            type: addition.type ?? "text",
            lastModified: Date.now(),
            encryptedDataKey: addition.encryptedDataKey ?? ""
          })
        } else {
          this.put(key, publish.content, addition.type ?? "text", addition.encryptedDataKey ?? "", {
            push: { dataId: publish.dataId, group: publish.group, tenant: publish.tenant ?? "public" }
          })
        }
        return { type: "ConfigPublishResponse", body: { resultCode: 200, errorCode: 0 } }
      }
      case "ConfigRemoveRequest": {
        const remove = Schema.decodeUnknownSync(RemoveBody)(json)
        const key = storeKey(remove.dataId, remove.group, remove.tenant)
        if (remove.tag) {
          this.grays.delete(`${key}#${remove.tag}`)
        } else if (this.store.delete(key)) {
          this.pushIfListened(key, { dataId: remove.dataId, group: remove.group, tenant: remove.tenant ?? "public" })
        }
        return { type: "ConfigRemoveResponse", body: { resultCode: 200, errorCode: 0 } }
      }
      case "ConfigBatchListenRequest": {
        const listen = Schema.decodeUnknownSync(ListenBody)(json)
        if (listen.listen && listen.configListenContexts.some((context) => this.refusedListens.has(context.dataId))) {
          return {
            type: "ConfigChangeBatchListenResponse",
            body: { resultCode: 500, errorCode: 500, message: "listen refused" }
          }
        }
        const changedConfigs: Array<Record<string, string>> = []
        for (const context of listen.configListenContexts) {
          const key = storeKey(context.dataId, context.group, context.tenant)
          const peers = this.listeners.get(key) ?? new Set<string>()
          if (listen.listen) {
            peers.add(peer)
            if (this.reportEveryKeyChanged || (this.store.get(key)?.md5 ?? "") !== context.md5) {
              changedConfigs.push({ dataId: context.dataId, group: context.group, tenant: context.tenant ?? "" })
            }
          } else {
            peers.delete(peer)
          }
          this.listeners.set(key, peers)
        }
        return { type: "ConfigChangeBatchListenResponse", body: { resultCode: 200, errorCode: 0, changedConfigs } }
      }
      default:
        return undefined
    }
  }

  private answerHttp(request: http.IncomingMessage, response: http.ServerResponse) {
    let body = ""
    request.on("data", (chunk) => (body += chunk))
    request.on("end", () => {
      const url = new URL(request.url ?? "/", "http://fake")
      this.httpRequests.push(`${request.method} ${url.pathname}`)
      const params = new URLSearchParams(request.method === "POST" ? body : url.search)
      const param = (name: string) => params.get(name) ?? url.searchParams.get(name) ?? undefined
      const send = (status: number, text: string) => {
        response.writeHead(status, { "content-type": "application/json" })
        response.end(text)
      }
      if (request.method === "GET" && url.pathname === "/nacos/v3/client/cs/config") {
        const key = storeKey(param("dataId") ?? "", param("groupName") ?? "", param("namespaceId"))
        const found = this.store.get(key)
        if (found === undefined)
          return send(200, JSON.stringify({ code: 20004, message: "resource not found", data: null }))
        return send(
          200,
          JSON.stringify({
            code: 0,
            message: "success",
            data: {
              resultCode: 200,
              content: found.content,
              md5: found.md5,
              contentType: found.type,
              lastModified: found.lastModified,
              beta: false,
              tag: null
            }
          })
        )
      }
      if (url.pathname === "/nacos/v1/cs/configs" && request.method === "POST") {
        const key = storeKey(param("dataId") ?? "", param("group") ?? "", param("tenant"))
        const casMd5 = request.headers.casmd5
        const current = this.store.get(key)
        if (typeof casMd5 === "string" && current !== undefined && current.md5 !== casMd5) return send(500, "false")
        this.put(key, param("content") ?? "", param("type") ?? "text", param("encryptedDataKey") ?? "", {
          push: undefined
        })
        return send(200, "true")
      }
      if (url.pathname === "/nacos/v1/cs/configs" && request.method === "DELETE") {
        this.store.delete(storeKey(param("dataId") ?? "", param("group") ?? "", param("tenant")))
        return send(200, "true")
      }
      send(404, "no such path")
    })
  }
}
