/**
 * An in-process gRPC server that speaks the Nacos Payload protocol (ServerCheck, the bi-stream handshake, health
 * checks, server pushes and their acks) and misbehaves on demand: it answers "starting", refuses ServerCheck, drops
 * streams, forgets connections (301), fails health checks, withholds SetupAck, holds requests unanswered, sends
 * scripted and empty pushes and records everything the client sent.
 *
 * It knows no service: `onRequest` gives it the semantics a test needs (a config store, a naming registry …).
 * Use it for faults a real server cannot be made to produce on demand; check what a real server does against one.
 *
 * @since 0.1.0
 */
import * as grpc from "@grpc/grpc-js"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import {
  decodePayload,
  deserializePayload,
  encodePayload,
  type Payload,
  serializePayload
} from "../internal/payload.ts"

/**
 * One message the client sent, decoded: a unary request, or a bi-stream message (the ConnectionSetupRequest and the
 * client's answers to pushes).
 *
 * @category models
 * @since 0.1.0
 */
export interface Received {
  readonly via: "unary" | "stream"
  /** The client's gRPC peer (`ip:port`): one per client channel, so it tells connections apart. */
  readonly peer: string
  /** The Payload's `metadata.type`, e.g. `ConfigQueryRequest`. */
  readonly type: string
  /** `metadata.headers`. */
  readonly headers: Readonly<Record<string, string>>
  /** The decoded JSON body. */
  readonly json: unknown
}

/**
 * An answer scripted by {@link FakeNacosOptions.onRequest}: the response type and its JSON body.
 *
 * @category models
 * @since 0.1.0
 */
export interface UnaryAnswer {
  readonly type: string
  readonly body: Record<string, unknown>
}

/**
 * How the server answers, fixed at construction; the faults a test switches on and off are fields and methods of
 * {@link FakeNacosServer}.
 *
 * @category models
 * @since 0.1.0
 */
export interface FakeNacosOptions {
  /** Answer ServerCheck with ErrorResponse 300 ("server is starting") this many times first. */
  startingFor?: number
  /** Abilities sent in SetupAck; `false` withholds SetupAck entirely (the handshake never completes). */
  setupAck?: Readonly<Record<string, boolean>> | false
  /**
   * Answers the unary requests of registered connections (ServerCheck and HealthCheck excepted); `undefined` falls
   * back to the default `{type: X.replace(/Request$/, "Response"), resultCode: 200}`. `peer` tells connections apart.
   */
  onRequest?: (type: string, json: unknown, peer: string) => UnaryAnswer | undefined
  /** Requests this answers `true` for are recorded and never answered (until the client cancels or `stop`). */
  stall?: (type: string, json: unknown) => boolean
  /** The server's own limit on an incoming message (grpc-js default: 4 MiB). */
  maxReceiveMessageLength?: number
}

/**
 * A client connection that completed its ConnectionSetupRequest, with the labels it announced (`module`,
 * `AppName`, …): what {@link FakeNacosServer.pushTo} targets when several services share the server.
 *
 * @category models
 * @since 0.1.0
 */
export interface FakeConnection {
  readonly connectionId: string
  readonly peer: string
  readonly labels: Readonly<Record<string, string>>
}

interface StreamEntry {
  readonly peer: string
  readonly call: grpc.ServerDuplexStream<Payload, Payload>
  connectionId?: string
  labels?: Readonly<Record<string, string>>
}

/**
 * The fake server. Start it, point a client at {@link FakeNacosServer.address} with `grpc.portOffset: 0`, script
 * what the server does, and read what the client sent from {@link FakeNacosServer.received}.
 *
 * **Scripting**
 * - answers: `onRequest` (by request type), `startingFor` (ServerCheck says "starting" first), `setupAck`
 *   (abilities, or no SetupAck at all), `stall` (hold chosen requests unanswered);
 * - pushes: {@link FakeNacosServer.push} (a server push with a body, to every connection),
 *   {@link FakeNacosServer.pushTo} (to one of {@link FakeNacosServer.connections}), {@link FakeNacosServer.pushEmpty}
 *   (a push with nothing in it but its `requestId`), {@link FakeNacosServer.pushAndAwaitAck}; the client's acks land in
 *   {@link FakeNacosServer.acks} and {@link FakeNacosServer.ackFor};
 * - disconnects and faults: {@link FakeNacosServer.dropStreams} (a server restart or proxy cut: the client
 *   reconnects), {@link FakeNacosServer.forgetConnections} (later requests get 301), `healthy = false` (health
 *   checks fail), `refuseServerCheck = true` (no new session), {@link FakeNacosServer.stop};
 * - waiting for the client: {@link FakeNacosServer.awaitReceived}, {@link FakeNacosServer.typesReceived},
 *   {@link FakeNacosServer.openStreams}.
 *
 * @example
 * ```ts
 * import { it, expect } from "@effect/vitest"
 * import { Effect } from "effect"
 * import { FakeNacosServer } from "@effect-nacos/core/testing"
 *
 * it.live("the client reconnects after a cut", () =>
 *   Effect.gen(function* () {
 *     const fake = yield* FakeNacosServer.scoped()
 *     // … start a client on fake.address (grpc.portOffset: 0) and wait until it is connected …
 *     fake.dropStreams()
 *     yield* Effect.promise(() => fake.awaitReceived("ConnectionSetupRequest", 2))
 *     expect(fake.openStreams).toBe(1)
 *   })
 * )
 * ```
 *
 * @category testing
 * @since 0.1.0
 */
export class FakeNacosServer {
  /**
   * The server for the lifetime of the scope: started on `port` (default: any free port), stopped when the scope
   * closes.
   */
  static scoped(options: FakeNacosOptions = {}, port = 0): Effect.Effect<FakeNacosServer, never, Scope.Scope> {
    return Effect.acquireRelease(
      Effect.promise(() => new FakeNacosServer(options).start(port)),
      (fake) => Effect.promise(() => fake.stop())
    )
  }

  /** Everything the client sent, in arrival order. */
  readonly received: Array<Received> = []
  /** The client's answers to pushes, by the push's `requestId`. */
  readonly acks = new Map<string, Received>()
  /** Health checks are answered 200 while set; set it to false to make them fail (the client reconnects). */
  healthy = true
  readonly #server: grpc.Server
  readonly #connectionIds = new Map<string, string>()
  readonly #registered = new Set<string>()
  readonly #streams = new Set<StreamEntry>()
  #startingLeft: number
  #nextPushId = 1
  #nextConnection = 1
  #ackWaiters: Array<{ requestId: string; resolve: (r: Received) => void }> = []
  #receivedWaiters: Array<{ type: string; count: number; resolve: (r: Received) => void }> = []
  /** The bound port, once started. */
  port = 0
  /** Unary calls held by `stall`, and how many of them the client cancelled. */
  readonly #stalledAnswers = new Map<grpc.ServerUnaryCall<Payload, Payload>, grpc.sendUnaryData<Payload>>()
  stalledCalls = 0
  cancelledStalledCalls = 0
  /** Answer ServerCheck with ErrorResponse 500 (an unusable server) while set. */
  refuseServerCheck = false
  readonly options: FakeNacosOptions

  constructor(options: FakeNacosOptions = {}) {
    this.options = options
    this.#server = new grpc.Server(
      options.maxReceiveMessageLength === undefined
        ? {}
        : { "grpc.max_receive_message_length": options.maxReceiveMessageLength }
    )
    this.#startingLeft = options.startingFor ?? 0
    const definition: grpc.ServiceDefinition = {
      request: {
        path: "/Request/request",
        requestStream: false,
        responseStream: false,
        requestSerialize: serializePayload,
        requestDeserialize: deserializePayload,
        responseSerialize: serializePayload,
        responseDeserialize: deserializePayload
      }
    }
    const streamDefinition: grpc.ServiceDefinition = {
      requestBiStream: {
        path: "/BiRequestStream/requestBiStream",
        requestStream: true,
        responseStream: true,
        requestSerialize: serializePayload,
        requestDeserialize: deserializePayload,
        responseSerialize: serializePayload,
        responseDeserialize: deserializePayload
      }
    }
    this.#server.addService(definition, {
      request: (call: grpc.ServerUnaryCall<Payload, Payload>, callback: grpc.sendUnaryData<Payload>) => {
        if (this.#holds(call, callback)) return
        callback(null, this.#answerUnary(call.getPeer(), call.request))
      }
    })
    this.#server.addService(streamDefinition, {
      requestBiStream: (call: grpc.ServerDuplexStream<Payload, Payload>) => this.#acceptStream(call)
    })
  }

  /** Binds `127.0.0.1:port` (0: any free port). `credentials`: plain text unless given (e.g. `ServerCredentials.createSsl` for the TLS tests). */
  start(port = 0, credentials: grpc.ServerCredentials = grpc.ServerCredentials.createInsecure()): Promise<this> {
    return new Promise((resolve, reject) =>
      this.#server.bindAsync(`127.0.0.1:${port}`, credentials, (error, port) => {
        if (error) return reject(error)
        this.port = port
        resolve(this)
      })
    )
  }

  /** Ends every stream, fails held calls with UNAVAILABLE and shuts the server down. */
  stop(): Promise<void> {
    for (const entry of this.#streams) entry.call.destroy()
    for (const [, answer] of this.#stalledAnswers) answer({ code: grpc.status.UNAVAILABLE, details: "server stopped" })
    this.#stalledAnswers.clear()
    return new Promise((resolve) => this.#server.tryShutdown(() => resolve()))
  }

  /** The server's address (`127.0.0.1:port`) for a client configured with `grpc.portOffset: 0`. */
  get address(): string {
    return `127.0.0.1:${this.port}`
  }

  /** The messages of one type the client sent, in arrival order. */
  typesReceived(type: string): Array<Received> {
    return this.received.filter((r) => r.type === type)
  }

  /** Bi-streams that completed their ConnectionSetupRequest and are still open: the client's live sessions. */
  get openStreams(): number {
    return [...this.#streams].filter((s) => s.connectionId !== undefined).length
  }

  /** Ends every open bi-stream from the server side (as a server restart or a proxy cut would). */
  dropStreams(): void {
    for (const entry of this.#streams) {
      this.#unregister(entry.peer)
      entry.call.end()
    }
    this.#streams.clear()
  }

  /** Forgets every connection: later unary calls from them get ErrorResponse 301, as after a silent transport swap. */
  forgetConnections(): void {
    for (const peer of [...this.#registered]) this.#registered.delete(peer)
  }

  /**
   * Sends a server push (e.g. `ConfigChangeNotifyRequest`, `NotifySubscriberRequest`) on every registered stream
   * and returns its `requestId`, the key of the client's ack in {@link FakeNacosServer.acks}.
   */
  push(type: string, body: Record<string, unknown>): string {
    return this.#pushWhere(() => true, type, body)
  }

  /** {@link FakeNacosServer.push} to one connection only (see {@link FakeNacosServer.connections}). */
  pushTo(connectionId: string, type: string, body: Record<string, unknown>): string {
    return this.#pushWhere((entry) => entry.connectionId === connectionId, type, body)
  }

  /** The open connections that completed their setup, in no particular order. */
  get connections(): ReadonlyArray<FakeConnection> {
    return [...this.#streams].flatMap((entry) =>
      entry.connectionId === undefined
        ? []
        : [{ connectionId: entry.connectionId, peer: entry.peer, labels: entry.labels ?? {} }]
    )
  }

  #pushWhere(target: (entry: StreamEntry) => boolean, type: string, body: Record<string, unknown>): string {
    const requestId = String(this.#nextPushId++)
    for (const entry of this.#streams) {
      if (entry.connectionId !== undefined && target(entry))
        entry.call.write(encodePayload(type, { ...body, requestId }, {}, "127.0.0.1"))
    }
    return requestId
  }

  /**
   * Sends a push whose body carries nothing but its `requestId`: what a server sends when there is nothing in it
   * (e.g. a `NotifySubscriberRequest` without `serviceInfo`); the client must neither crash nor invent data.
   */
  pushEmpty(type: string): string {
    return this.push(type, {})
  }

  /** {@link FakeNacosServer.push}, then waits for the client's answer to it. */
  pushAndAwaitAck(type: string, body: Record<string, unknown>): Promise<Received> {
    return this.ackFor(this.push(type, body))
  }

  /**
   * Resolves once the client has sent `count` messages of `type` in all (counting those already received), with
   * the `count`-th one.
   */
  awaitReceived(type: string, count = 1): Promise<Received> {
    const known = this.typesReceived(type)[count - 1]
    if (known) return Promise.resolve(known)
    return new Promise((resolve) => this.#receivedWaiters.push({ type, count, resolve }))
  }

  /** Waits for the client's answer to push `requestId`. */
  ackFor(requestId: string): Promise<Received> {
    const known = this.acks.get(requestId)
    if (known) return Promise.resolve(known)
    return new Promise((resolve) => this.#ackWaiters.push({ requestId, resolve }))
  }

  /** Records and holds a call `stall` picks; it stays unanswered until the client cancels it or the server stops. */
  #holds(call: grpc.ServerUnaryCall<Payload, Payload>, callback: grpc.sendUnaryData<Payload>): boolean {
    const decoded = decodePayload(call.request)
    if (this.options.stall?.(decoded.type, decoded.json) !== true) return false
    this.#record("unary", call.getPeer(), call.request)
    this.stalledCalls++
    this.#stalledAnswers.set(call, callback)
    call.on("cancelled", () => {
      this.cancelledStalledCalls++
      this.#stalledAnswers.delete(call)
    })
    return true
  }

  #unregister(peer: string) {
    this.#registered.delete(peer)
    this.#connectionIds.delete(peer)
  }

  #record(via: Received["via"], peer: string, payload: Payload): Received {
    const decoded = decodePayload(payload)
    const received: Received = { via, peer, type: decoded.type, headers: decoded.headers, json: decoded.json }
    this.received.push(received)
    if (this.#receivedWaiters.some((w) => w.type === received.type)) {
      const seen = this.typesReceived(received.type).length
      const ready = this.#receivedWaiters.filter((w) => w.type === received.type && w.count <= seen)
      this.#receivedWaiters = this.#receivedWaiters.filter((w) => !ready.includes(w))
      for (const waiter of ready) waiter.resolve(this.typesReceived(received.type)[waiter.count - 1]!)
    }
    return received
  }

  #answerUnary(peer: string, payload: Payload): Payload {
    const received = this.#record("unary", peer, payload)
    const answer = (type: string, body: Record<string, unknown>) => encodePayload(type, body, {}, "127.0.0.1")
    if (received.type === "ServerCheckRequest") {
      if (this.refuseServerCheck) {
        return answer("ErrorResponse", { resultCode: 500, errorCode: 500, message: "refused by test" })
      }
      if (this.#startingLeft > 0) {
        this.#startingLeft--
        return answer("ErrorResponse", {
          resultCode: 300,
          errorCode: 300,
          message: "Server is starting,please try later."
        })
      }
      const connectionId = `${Date.now()}_127.0.0.1_${this.#nextConnection++}`
      this.#connectionIds.set(peer, connectionId)
      return answer("ServerCheckResponse", { resultCode: 200, connectionId, supportAbilityNegotiation: true })
    }
    if (!this.#registered.has(peer)) {
      return answer("ErrorResponse", { resultCode: 301, errorCode: 301, message: "Connection is unregistered." })
    }
    if (received.type === "HealthCheckRequest") {
      return this.healthy
        ? answer("HealthCheckResponse", { resultCode: 200, errorCode: 0 })
        : answer("HealthCheckResponse", { resultCode: 500, errorCode: 500, message: "unhealthy" })
    }
    const custom = this.options.onRequest?.(received.type, received.json, peer)
    if (custom) return answer(custom.type, custom.body)
    return answer(received.type.replace(/Request$/, "Response"), { resultCode: 200, errorCode: 0 })
  }

  #acceptStream(call: grpc.ServerDuplexStream<Payload, Payload>) {
    const entry: StreamEntry = { peer: call.getPeer(), call }
    this.#streams.add(entry)
    call.on("data", (payload: Payload) => {
      const received = this.#record("stream", entry.peer, payload)
      if (received.type === "ConnectionSetupRequest") {
        entry.connectionId = this.#connectionIds.get(entry.peer) ?? `${Date.now()}_unchecked`
        entry.labels = labelsOf(received.json)
        this.#registered.add(entry.peer)
        if (this.options.setupAck !== false) {
          call.write(encodePayload("SetupAckRequest", { abilityTable: this.options.setupAck ?? {} }, {}, "127.0.0.1"))
        }
        return
      }
      const requestId = requestIdOf(received.json)
      if (requestId !== undefined) {
        this.acks.set(requestId, received)
        const ready = this.#ackWaiters.filter((w) => w.requestId === requestId)
        this.#ackWaiters = this.#ackWaiters.filter((w) => w.requestId !== requestId)
        for (const waiter of ready) waiter.resolve(received)
      }
    })
    call.on("error", () => {})
    call.on("end", () => {
      this.#streams.delete(entry)
      this.#unregister(entry.peer)
      call.end()
    })
    call.on("cancelled", () => {
      this.#streams.delete(entry)
      this.#unregister(entry.peer)
    })
  }
}

const labelsOf = (json: unknown): Readonly<Record<string, string>> => {
  if (typeof json !== "object" || json === null || !("labels" in json)) return {}
  const labels = json.labels
  if (typeof labels !== "object" || labels === null) return {}
  return Object.fromEntries(
    Object.entries(labels).filter((entry): entry is [string, string] => typeof entry[1] === "string")
  )
}

const requestIdOf = (json: unknown): string | undefined =>
  typeof json === "object" && json !== null && "requestId" in json && typeof json.requestId === "string"
    ? json.requestId
    : undefined
