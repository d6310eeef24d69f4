/**
 * An in-test gRPC server that speaks the Nacos Payload protocol and misbehaves on demand: it answers "starting",
 * drops streams, forgets connections (301), fails health checks, withholds SetupAck, pushes and records acks.
 * For faults a real server cannot be made to produce; behaviour a real server shows is checked in conformance/.
 */
import * as grpc from "@grpc/grpc-js"
import {
  decodePayload,
  deserializePayload,
  encodePayload,
  type Payload,
  serializePayload
} from "../internal/payload.ts"

export interface Received {
  readonly via: "unary" | "stream"
  readonly peer: string
  readonly type: string
  readonly headers: Readonly<Record<string, string>>
  readonly json: unknown
}

type UnaryAnswer = { readonly type: string; readonly body: Record<string, unknown> }

export interface FakeNacosOptions {
  /** Answer ServerCheck with ErrorResponse 300 this many times first. */
  startingFor?: number
  /** Abilities sent in SetupAck; `false` withholds SetupAck entirely. */
  setupAck?: Readonly<Record<string, boolean>> | false
  /** Answers other unary requests; default: `{type: X.replace(Request, Response), resultCode 200}`. */
  onRequest?: (type: string, json: unknown, peer: string) => UnaryAnswer | undefined
  /** Requests this answers `true` for are recorded and never answered (until the client cancels or `stop`). */
  stall?: (type: string, json: unknown) => boolean
  /** The server's own limit on an incoming message (grpc-js default: 4 MiB). */
  maxReceiveMessageLength?: number
}

interface StreamEntry {
  readonly peer: string
  readonly call: grpc.ServerDuplexStream<Payload, Payload>
  connectionId?: string
}

export class FakeNacosServer {
  readonly received: Array<Received> = []
  readonly acks = new Map<string, Received>()
  healthy = true
  private readonly server: grpc.Server
  private readonly connectionIds = new Map<string, string>()
  private readonly registered = new Set<string>()
  private readonly streams = new Set<StreamEntry>()
  private startingLeft: number
  private nextPushId = 1
  private nextConnection = 1
  private ackWaiters: Array<{ requestId: string; resolve: (r: Received) => void }> = []
  port = 0
  /** Unary calls held by `stall`, and how many of them the client cancelled. */
  private readonly stalledAnswers = new Map<grpc.ServerUnaryCall<Payload, Payload>, grpc.sendUnaryData<Payload>>()
  stalledCalls = 0
  cancelledStalledCalls = 0
  /** Answer ServerCheck with ErrorResponse 500 (an unusable server) while set. */
  refuseServerCheck = false
  readonly options: FakeNacosOptions

  constructor(options: FakeNacosOptions = {}) {
    this.options = options
    this.server = new grpc.Server(
      options.maxReceiveMessageLength === undefined
        ? {}
        : { "grpc.max_receive_message_length": options.maxReceiveMessageLength }
    )
    this.startingLeft = options.startingFor ?? 0
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
    this.server.addService(definition, {
      request: (call: grpc.ServerUnaryCall<Payload, Payload>, callback: grpc.sendUnaryData<Payload>) => {
        if (this.holds(call, callback)) return
        callback(null, this.answerUnary(call.getPeer(), call.request))
      }
    })
    this.server.addService(streamDefinition, {
      requestBiStream: (call: grpc.ServerDuplexStream<Payload, Payload>) => this.acceptStream(call)
    })
  }

  /** `credentials`: plain text unless given (e.g. `ServerCredentials.createSsl` for the TLS tests). */
  start(port = 0, credentials: grpc.ServerCredentials = grpc.ServerCredentials.createInsecure()): Promise<this> {
    return new Promise((resolve, reject) =>
      this.server.bindAsync(`127.0.0.1:${port}`, credentials, (error, port) => {
        if (error) return reject(error)
        this.port = port
        resolve(this)
      })
    )
  }

  stop(): Promise<void> {
    for (const entry of this.streams) entry.call.destroy()
    for (const [, answer] of this.stalledAnswers) answer({ code: grpc.status.UNAVAILABLE, details: "server stopped" })
    this.stalledAnswers.clear()
    return new Promise((resolve) => this.server.tryShutdown(() => resolve()))
  }

  /** Nacos server address for a client configured with `grpc.portOffset: 0`. */
  get address(): string {
    return `127.0.0.1:${this.port}`
  }

  typesReceived(type: string): Array<Received> {
    return this.received.filter((r) => r.type === type)
  }

  get openStreams(): number {
    return [...this.streams].filter((s) => s.connectionId !== undefined).length
  }

  /** Ends every open bi-stream from the server side (as a server restart or a proxy cut would). */
  dropStreams(): void {
    for (const entry of this.streams) {
      this.unregister(entry.peer)
      entry.call.end()
    }
    this.streams.clear()
  }

  /** Forgets every connection: later unary calls from them get ErrorResponse 301, as after a silent transport swap. */
  forgetConnections(): void {
    for (const peer of [...this.registered]) this.registered.delete(peer)
  }

  /** Sends a server push on every registered stream; resolves with its requestId. */
  push(type: string, body: Record<string, unknown>): string {
    const requestId = String(this.nextPushId++)
    for (const entry of this.streams) {
      if (entry.connectionId !== undefined)
        entry.call.write(encodePayload(type, { ...body, requestId }, {}, "127.0.0.1"))
    }
    return requestId
  }

  /** Waits for the client's answer to push `requestId`. */
  ackFor(requestId: string): Promise<Received> {
    const known = this.acks.get(requestId)
    if (known) return Promise.resolve(known)
    return new Promise((resolve) => this.ackWaiters.push({ requestId, resolve }))
  }

  /** Records and holds a call `stall` picks; it stays unanswered until the client cancels it or the server stops. */
  private holds(call: grpc.ServerUnaryCall<Payload, Payload>, callback: grpc.sendUnaryData<Payload>): boolean {
    const decoded = decodePayload(call.request)
    if (this.options.stall?.(decoded.type, decoded.json) !== true) return false
    this.record("unary", call.getPeer(), call.request)
    this.stalledCalls++
    this.stalledAnswers.set(call, callback)
    call.on("cancelled", () => {
      this.cancelledStalledCalls++
      this.stalledAnswers.delete(call)
    })
    return true
  }

  private unregister(peer: string) {
    this.registered.delete(peer)
    this.connectionIds.delete(peer)
  }

  private record(via: Received["via"], peer: string, payload: Payload): Received {
    const decoded = decodePayload(payload)
    const received: Received = { via, peer, type: decoded.type, headers: decoded.headers, json: decoded.json }
    this.received.push(received)
    return received
  }

  private answerUnary(peer: string, payload: Payload): Payload {
    const received = this.record("unary", peer, payload)
    const answer = (type: string, body: Record<string, unknown>) => encodePayload(type, body, {}, "127.0.0.1")
    if (received.type === "ServerCheckRequest") {
      if (this.refuseServerCheck) {
        return answer("ErrorResponse", { resultCode: 500, errorCode: 500, message: "refused by test" })
      }
      if (this.startingLeft > 0) {
        this.startingLeft--
        return answer("ErrorResponse", {
          resultCode: 300,
          errorCode: 300,
          message: "Server is starting,please try later."
        })
      }
      const connectionId = `${Date.now()}_127.0.0.1_${this.nextConnection++}`
      this.connectionIds.set(peer, connectionId)
      return answer("ServerCheckResponse", { resultCode: 200, connectionId, supportAbilityNegotiation: true })
    }
    if (!this.registered.has(peer)) {
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

  private acceptStream(call: grpc.ServerDuplexStream<Payload, Payload>) {
    const entry: StreamEntry = { peer: call.getPeer(), call }
    this.streams.add(entry)
    call.on("data", (payload: Payload) => {
      const received = this.record("stream", entry.peer, payload)
      if (received.type === "ConnectionSetupRequest") {
        entry.connectionId = this.connectionIds.get(entry.peer) ?? `${Date.now()}_unchecked`
        this.registered.add(entry.peer)
        if (this.options.setupAck !== false) {
          call.write(encodePayload("SetupAckRequest", { abilityTable: this.options.setupAck ?? {} }, {}, "127.0.0.1"))
        }
        return
      }
      const requestId = requestIdOf(received.json)
      if (requestId !== undefined) {
        this.acks.set(requestId, received)
        const ready = this.ackWaiters.filter((w) => w.requestId === requestId)
        this.ackWaiters = this.ackWaiters.filter((w) => w.requestId !== requestId)
        for (const waiter of ready) waiter.resolve(received)
      }
    })
    call.on("error", () => {})
    call.on("end", () => {
      this.streams.delete(entry)
      this.unregister(entry.peer)
      call.end()
    })
    call.on("cancelled", () => {
      this.streams.delete(entry)
      this.unregister(entry.peer)
    })
  }
}

const requestIdOf = (json: unknown): string | undefined =>
  typeof json === "object" && json !== null && "requestId" in json && typeof json.requestId === "string"
    ? json.requestId
    : undefined
