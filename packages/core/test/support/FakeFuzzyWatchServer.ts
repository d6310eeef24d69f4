/**
 * An in-test fuzzy-watch server for one module (config or naming), on top of FakeNacosServer: a key space, the
 * watched patterns per connection, the server's answers to `*FuzzyWatchRequest` (initial sync in batches then the
 * finish mark, the difference against `receivedGroupKeys` on a re-watch, `CANCEL_WATCH`, the 50310 / 50311 limits
 * counted over the whole server as 3.1.0 does) and `*FuzzyWatchChangeNotifyRequest` pushes when keys come and go.
 * The pattern matching is the server's (`FuzzyGroupKeyPattern#itemMatched`), written again here on purpose.
 */

import { FakeNacosServer, type Received } from "@effect-nacos/core/testing"
import * as Schema from "effect/Schema"

/** How one module's fuzzy-watch wire differs from the other's. */
export interface FuzzyWire {
  readonly prefix: "Config" | "Naming"
  /** The key field of sync contexts and change pushes: `groupKey` / `serviceKey`. */
  readonly keyField: "groupKey" | "serviceKey"
  /** The change push's type field: `changeType` (config) / `changedType` (naming). */
  readonly changeTypeField: "changeType" | "changedType"
  readonly syncAdded: string
  readonly syncRemoved: string
  /** What a key created after the watch is pushed as (config 3.1.0: `CONFIG_CHANGED`). */
  readonly changeAdded: string
  readonly changeRemoved: string
  readonly coordinatesOf: (key: string) => { readonly namespace: string; readonly group: string; readonly name: string }
}

export const configWire: FuzzyWire = {
  prefix: "Config",
  keyField: "groupKey",
  changeTypeField: "changeType",
  syncAdded: "ADD_CONFIG",
  syncRemoved: "DELETE_CONFIG",
  changeAdded: "CONFIG_CHANGED",
  changeRemoved: "DELETE_CONFIG",
  coordinatesOf: (key) => {
    const [name = "", group = "", namespace = "public"] = key.split("+")
    return { namespace, group, name }
  }
}

export const namingWire: FuzzyWire = {
  prefix: "Naming",
  keyField: "serviceKey",
  changeTypeField: "changedType",
  syncAdded: "ADD_SERVICE",
  syncRemoved: "DELETE_SERVICE",
  changeAdded: "ADD_SERVICE",
  changeRemoved: "DELETE_SERVICE",
  coordinatesOf: (key) => {
    const [namespace = "", group = "", name = ""] = key.split("@@")
    return { namespace, group, name }
  }
}

export const WatchRequestBody = Schema.Struct({
  groupKeyPattern: Schema.String,
  receivedGroupKeys: Schema.optional(Schema.NullOr(Schema.Array(Schema.String))),
  watchType: Schema.String,
  initializing: Schema.Boolean,
  namespace: Schema.optional(Schema.NullOr(Schema.String))
})
export type WatchRequestBody = typeof WatchRequestBody.Type

const itemMatched = (pattern: string, value: string): boolean => {
  if (!pattern.includes("*")) return pattern === value
  if (pattern === "*") return true
  const text = pattern.replaceAll("*", "")
  if (pattern.startsWith("*") && pattern.endsWith("*")) return value.includes(text)
  if (pattern.startsWith("*")) return value.endsWith(text)
  if (pattern.endsWith("*")) return value.startsWith(text)
  return false
}

/** The server's sync batch size for naming (`NamingFuzzyWatchSyncNotifier.BATCH_SIZE`). */
const BATCH_SIZE = 10

export class FakeFuzzyWatchServer {
  readonly nacos: FakeNacosServer
  readonly keys = new Set<string>()
  /** Pattern → peers watching it. */
  readonly watchers = new Map<string, Set<string>>()
  /** Every pattern the server has taken (the limit counts these, whoever watches them). */
  readonly knownPatterns = new Set<string>()
  maxPatterns = 20
  maxMatches = 500
  /** Request ids of the pushes sent, with their type. */
  readonly pushed: Array<{ readonly requestId: string; readonly type: string }> = []

  readonly wire: FuzzyWire

  constructor(wire: FuzzyWire, options: { readonly abilities?: Readonly<Record<string, boolean>> } = {}) {
    this.wire = wire
    this.nacos = new FakeNacosServer({
      setupAck: options.abilities ?? { fuzzyWatch: true },
      onRequest: (type, json, peer) => (type === this.requestType ? this.answerWatch(json, peer) : undefined)
    })
  }

  get requestType(): string {
    return `${this.wire.prefix}FuzzyWatchRequest`
  }

  async start(): Promise<this> {
    await this.nacos.start()
    return this
  }

  stop(): Promise<void> {
    return this.nacos.stop()
  }

  get address(): string {
    return this.nacos.address
  }

  /** The watch requests received, decoded. */
  watchRequests(): Array<WatchRequestBody> {
    return this.nacos.typesReceived(this.requestType).map((r) => Schema.decodeUnknownSync(WatchRequestBody)(r.json))
  }

  /** The client's answers to the pushes of `type` sent so far (undefined for a push not yet answered). */
  acksOf(type: string): Array<Received | undefined> {
    return this.pushed.filter((p) => p.type === type).map((p) => this.nacos.acks.get(p.requestId))
  }

  /** Creates a key; watchers of matching patterns get a change push. */
  add(key: string): void {
    if (this.keys.has(key)) return
    this.keys.add(key)
    this.notifyChange(key, this.wire.changeAdded)
  }

  /** Deletes a key; watchers of matching patterns get a change push. */
  remove(key: string): void {
    if (!this.keys.delete(key)) return
    this.notifyChange(key, this.wire.changeRemoved)
  }

  /** Ends every connection; the server forgets their watches (`clientDisConnected`). */
  disconnectAll(): void {
    this.watchers.clear()
    this.nacos.dropStreams()
  }

  private matches(pattern: string, key: string): boolean {
    const [namespace = "", group = "", name = ""] = pattern.split(">>")
    const coordinates = this.wire.coordinatesOf(key)
    return (
      coordinates.namespace === namespace &&
      itemMatched(group, coordinates.group) &&
      itemMatched(name, coordinates.name)
    )
  }

  private push(type: string, body: Record<string, unknown>): string {
    const requestId = this.nacos.push(type, body)
    this.pushed.push({ requestId, type })
    return requestId
  }

  private notifyChange(key: string, changedType: string): void {
    const watched = [...this.watchers.entries()].some(
      ([pattern, peers]) => peers.size > 0 && this.matches(pattern, key)
    )
    if (!watched) return
    this.push(`${this.wire.prefix}FuzzyWatchChangeNotifyRequest`, {
      [this.wire.keyField]: key,
      [this.wire.changeTypeField]: changedType
    })
  }

  private answerWatch(json: unknown, peer: string): { type: string; body: Record<string, unknown> } {
    const request = Schema.decodeUnknownSync(WatchRequestBody)(json)
    const responseType = `${this.wire.prefix}FuzzyWatchResponse`
    const pattern = request.groupKeyPattern
    if (request.watchType === "CANCEL_WATCH") {
      this.watchers.get(pattern)?.delete(peer)
      return { type: responseType, body: { resultCode: 200, errorCode: 0 } }
    }
    if (!this.knownPatterns.has(pattern) && this.knownPatterns.size >= this.maxPatterns) {
      return {
        type: responseType,
        body: { resultCode: 500, errorCode: 50310, message: "fuzzy watch pattern over limit" }
      }
    }
    this.knownPatterns.add(pattern)
    const peers = this.watchers.get(pattern) ?? new Set<string>()
    peers.add(peer)
    this.watchers.set(pattern, peers)
    const allMatched = [...this.keys].filter((key) => this.matches(pattern, key))
    const matched = new Set(allMatched.slice(0, this.maxMatches))
    const received = new Set(request.receivedGroupKeys ?? [])
    const contexts = [
      ...[...matched].filter((key) => !received.has(key)).map((key) => ({ key, changedType: this.wire.syncAdded })),
      ...[...received].filter((key) => !matched.has(key)).map((key) => ({ key, changedType: this.wire.syncRemoved }))
    ]
    // as the server: the pushes follow the answer
    setImmediate(() => void this.sync(pattern, request.initializing, contexts))
    if (allMatched.length > this.maxMatches) {
      return {
        type: responseType,
        body: { resultCode: 500, errorCode: 50311, message: "fuzzy watch pattern matched count over limit" }
      }
    }
    return { type: responseType, body: { resultCode: 200, errorCode: 0 } }
  }

  /** The sync pushes of one watch: batches, then (while initializing, once every batch is acked) the finish mark. */
  private async sync(
    pattern: string,
    initializing: boolean,
    contexts: ReadonlyArray<{ readonly key: string; readonly changedType: string }>
  ): Promise<void> {
    const type = `${this.wire.prefix}FuzzyWatchSyncRequest`
    const batches: Array<typeof contexts> = []
    for (let start = 0; start < contexts.length; start += BATCH_SIZE)
      batches.push(contexts.slice(start, start + BATCH_SIZE))
    const ids = batches.map((batch, index) =>
      this.push(type, {
        groupKeyPattern: pattern,
        syncType: initializing ? "FUZZY_WATCH_INIT_NOTIFY" : "FUZZY_WATCH_DIFF_SYNC_NOTIFY",
        totalBatch: batches.length,
        currentBatch: index + 1,
        contexts: batch.map((context) => ({ [this.wire.keyField]: context.key, changedType: context.changedType }))
      })
    )
    if (!initializing) return
    await Promise.all(ids.map((id) => this.nacos.ackFor(id)))
    this.push(type, {
      groupKeyPattern: pattern,
      syncType: "FINISH_FUZZY_WATCH_INIT_NOTIFY",
      totalBatch: 0,
      currentBatch: 0
    })
  }
}
