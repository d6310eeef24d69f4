/**
 * A TCP fault proxy for the fault suite: it sits between a client and one of the real server's ports (gRPC or
 * HTTP) and does to the traffic what networks do to it.
 *
 * - `cut()`: every connection is reset (RST), and new ones are reset as soon as they are accepted, until `heal()`;
 * - `blackhole()`: nothing is forwarded and nothing is closed: open connections stall (their bytes stay in the
 *   proxy's socket buffers, as they would in a retransmit queue), new ones are accepted and never reach the server;
 *   `heal()` lets everything flow again, as a healed network would;
 * - `setLatency(ms)`: every chunk is delivered `ms` later, both ways;
 * - `setThrottle(bytesPerSecond)`: each direction of each connection gets at most that rate.
 *
 * Bounded (connections and buffered bytes), loopback only (listens on and forwards to 127.0.0.1), and it stops by
 * itself: `scoped` closes it with the test's scope, and a proxy nobody closed closes after `lifetimeMillis`.
 */
import * as net from "node:net"
import * as Effect from "effect/Effect"
import type { ConformanceServer } from "./support.ts"

const LOOPBACK = "127.0.0.1"

/** What the proxy currently does with traffic. */
export type FaultMode = "forward" | "cut" | "blackhole"

/**
 * @since 0.1.0
 */
export interface FaultProxyOptions {
  /** The loopback port to forward to. */
  readonly targetPort: number
  /** The port to listen on (0 = any free port). */
  readonly port?: number | undefined
  /** Connections beyond this are reset at once (default 1024). */
  readonly maxConnections?: number | undefined
  /** Bytes queued per direction before the sender is paused (default 1 MiB). */
  readonly maxQueuedBytes?: number | undefined
  /** The proxy closes itself this long after it started, whoever forgot it (default 15 minutes). */
  readonly lifetimeMillis?: number | undefined
}

/** Counters a test can assert on. */
export interface FaultProxyStats {
  readonly accepted: number
  readonly open: number
  /** Connections this proxy reset (by `cut()`, while cut, over the limit, or because the server refused). */
  readonly reset: number
}

/** Chunks on their way in one direction: delayed by the latency, paced by the throttle, held by a blackhole. */
class Pump {
  private readonly queue: Array<{ readonly chunk: Buffer; readonly readyAt: number }> = []
  private queuedBytes = 0
  private nextSendAt = 0
  private timer: NodeJS.Timeout | undefined
  private draining = false
  private ended = false
  destination: net.Socket | undefined
  private readonly source: net.Socket
  private readonly proxy: FaultProxy
  private readonly maxQueuedBytes: number

  constructor(source: net.Socket, proxy: FaultProxy, maxQueuedBytes: number) {
    this.source = source
    this.proxy = proxy
    this.maxQueuedBytes = maxQueuedBytes
  }

  push(chunk: Buffer): void {
    const readyAt = Date.now() + this.proxy.latencyMillis
    const rate = this.proxy.throttleBytesPerSecond
    // a throttled chunk goes in slices, so one large chunk does not arrive as a single late burst
    const slice = rate === undefined ? chunk.length : Math.max(1024, Math.floor(rate / 20))
    for (let offset = 0; offset < chunk.length; offset += slice) {
      this.queue.push({ chunk: chunk.subarray(offset, offset + slice), readyAt })
    }
    this.queuedBytes += chunk.length
    if (this.queuedBytes > this.maxQueuedBytes) this.source.pause()
    this.run()
  }

  /** The source ended: end the destination once everything queued has gone. */
  end(): void {
    this.ended = true
    this.run()
  }

  run(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer)
      this.timer = undefined
    }
    const destination = this.destination
    if (destination === undefined || destination.destroyed || this.draining) return
    if (this.proxy.mode !== "forward") return
    while (this.queue.length > 0) {
      const now = Date.now()
      const head = this.queue[0]!
      const waitUntil = Math.max(head.readyAt, this.nextSendAt)
      if (waitUntil > now) {
        this.timer = setTimeout(() => this.run(), waitUntil - now)
        return
      }
      this.queue.shift()
      this.queuedBytes -= head.chunk.length
      const rate = this.proxy.throttleBytesPerSecond
      if (rate !== undefined) this.nextSendAt = Math.max(now, this.nextSendAt) + (head.chunk.length * 1000) / rate
      if (!destination.write(head.chunk)) {
        this.draining = true
        destination.once("drain", () => {
          this.draining = false
          this.run()
        })
        return
      }
    }
    if (this.queuedBytes <= this.maxQueuedBytes / 2 && this.source.isPaused()) this.source.resume()
    if (this.ended) destination.end()
  }

  stop(): void {
    if (this.timer !== undefined) clearTimeout(this.timer)
    this.timer = undefined
    this.queue.length = 0
    this.queuedBytes = 0
  }
}

/** One client connection and, once forwarded, its upstream connection. */
interface Link {
  readonly client: net.Socket
  readonly toServer: Pump
  upstream: net.Socket | undefined
  toClient: Pump | undefined
}

/**
 * See the module comment. Construct with {@link FaultProxy.listen} (or {@link scoped}).
 *
 * @since 0.1.0
 */
export class FaultProxy {
  private readonly links = new Set<Link>()
  private readonly server: net.Server
  private readonly lifetime: NodeJS.Timeout
  private closing: Promise<void> | undefined
  private accepted = 0
  private resets = 0
  mode: FaultMode = "forward"
  latencyMillis = 0
  throttleBytesPerSecond: number | undefined = undefined
  port = 0

  private readonly options: FaultProxyOptions

  private constructor(options: FaultProxyOptions) {
    this.options = options
    this.server = net.createServer({ pauseOnConnect: true }, (client) => this.accept(client))
    this.server.unref()
    this.lifetime = setTimeout(() => void this.close(), options.lifetimeMillis ?? 15 * 60_000)
    this.lifetime.unref()
  }

  /** Starts a proxy to `options.targetPort` on loopback. */
  static async listen(options: FaultProxyOptions): Promise<FaultProxy> {
    const proxy = new FaultProxy(options)
    try {
      await new Promise<void>((resolve, reject) => {
        proxy.server.once("error", reject)
        proxy.server.listen({ port: options.port ?? 0, host: LOOPBACK, exclusive: true }, () => {
          proxy.server.removeListener("error", reject)
          resolve()
        })
      })
    } catch (error) {
      clearTimeout(proxy.lifetime)
      throw error
    }
    const address = proxy.server.address()
    if (address === null || typeof address === "string") throw new Error("the fault proxy has no TCP port")
    proxy.port = address.port
    return proxy
  }

  private get maxQueuedBytes(): number {
    return this.options.maxQueuedBytes ?? 1024 * 1024
  }

  get stats(): FaultProxyStats {
    return { accepted: this.accepted, open: this.links.size, reset: this.resets }
  }

  /** Resets every connection; new ones are reset on arrival until {@link heal}. */
  cut(): void {
    this.mode = "cut"
    for (const link of [...this.links]) this.reset(link)
  }

  /** Forwards nothing and closes nothing until {@link heal}. */
  blackhole(): void {
    this.mode = "blackhole"
    for (const link of this.links) {
      link.client.pause()
      link.upstream?.pause()
    }
  }

  /** Delays every chunk by `millis`, both ways (0 = none). */
  setLatency(millis: number): void {
    this.latencyMillis = Math.max(0, millis)
  }

  /** At most `bytesPerSecond` per direction and connection; `undefined` = unlimited. */
  setThrottle(bytesPerSecond: number | undefined): void {
    this.throttleBytesPerSecond = bytesPerSecond === undefined ? undefined : Math.max(1, bytesPerSecond)
  }

  /** Back to plain forwarding: a blackhole's stalled connections flow again (and reach the server), no latency, no throttle. */
  heal(): void {
    this.mode = "forward"
    this.latencyMillis = 0
    this.throttleBytesPerSecond = undefined
    for (const link of this.links) {
      if (link.upstream === undefined) this.connectUpstream(link)
      link.client.resume()
      link.upstream?.resume()
      link.toServer.run()
      link.toClient?.run()
    }
  }

  /** Stops listening and resets whatever is still open. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      clearTimeout(this.lifetime)
      this.mode = "cut"
      const closed = new Promise<void>((resolve) => this.server.close(() => resolve()))
      for (const link of [...this.links]) this.reset(link)
      await closed
    })()
    return this.closing
  }

  private accept(client: net.Socket): void {
    this.accepted++
    if (this.mode === "cut" || this.links.size >= (this.options.maxConnections ?? 1024)) {
      this.resets++
      client.resetAndDestroy()
      return
    }
    const link: Link = {
      client,
      toServer: new Pump(client, this, this.maxQueuedBytes),
      upstream: undefined,
      toClient: undefined
    }
    this.links.add(link)
    client.on("data", (chunk: Buffer) => link.toServer.push(chunk))
    client.on("end", () => link.toServer.end())
    client.on("error", () => this.reset(link))
    client.on("close", () => this.drop(link))
    // a blackhole accepts and then says nothing: the connection reaches the server only once healed
    if (this.mode === "forward") this.connectUpstream(link)
  }

  private connectUpstream(link: Link): void {
    const upstream = net.connect({ port: this.options.targetPort, host: LOOPBACK })
    const toClient = new Pump(upstream, this, this.maxQueuedBytes)
    toClient.destination = link.client
    link.upstream = upstream
    link.toClient = toClient
    upstream.on("connect", () => {
      link.toServer.destination = upstream
      if (this.mode === "forward") link.client.resume()
      link.toServer.run()
    })
    upstream.on("data", (chunk: Buffer) => toClient.push(chunk))
    upstream.on("end", () => toClient.end())
    // the server refused or dropped the connection: the client sees a reset, as it would without the proxy
    upstream.on("error", () => this.reset(link))
    upstream.on("close", () => {
      if (!link.client.destroyed && link.client.writableEnded) link.client.destroy()
    })
    if (this.mode !== "forward") upstream.pause()
  }

  private reset(link: Link): void {
    if (!this.links.has(link)) return
    this.resets++
    this.drop(link)
    if (!link.client.destroyed) link.client.resetAndDestroy()
    if (link.upstream !== undefined && !link.upstream.destroyed) link.upstream.resetAndDestroy()
  }

  private drop(link: Link): void {
    if (!this.links.delete(link)) return
    link.toServer.stop()
    link.toClient?.stop()
    if (link.upstream !== undefined && !link.upstream.destroyed) link.upstream.destroy()
  }
}

/**
 * A proxy closed with the scope.
 *
 * @since 0.1.0
 */
export const scoped = (options: FaultProxyOptions) =>
  Effect.acquireRelease(
    Effect.promise(() => FaultProxy.listen(options)),
    (proxy) => Effect.promise(() => proxy.close())
  )

/**
 * Both of a server's client ports behind fault proxies: HTTP at `serverAddr`, gRPC at its port + `portOffset` (the
 * client's `grpc.portOffset`), so every fault hits both. Closed with the scope.
 *
 * @since 0.1.0
 */
export interface ServerProxies {
  readonly http: FaultProxy
  readonly grpc: FaultProxy
  readonly serverAddr: string
  readonly portOffset: number
  readonly cut: () => void
  readonly blackhole: () => void
  readonly heal: () => void
  readonly setLatency: (millis: number) => void
  readonly setThrottle: (bytesPerSecond: number | undefined) => void
}

/**
 * @since 0.1.0
 */
export const proxiesFor = (server: Pick<ConformanceServer, "httpPort" | "grpcPort">) =>
  Effect.gen(function* () {
    for (let attempt = 0; attempt < 40; attempt++) {
      const http = yield* scoped({ targetPort: server.httpPort })
      // the gRPC proxy goes at a fixed offset above the HTTP one, as the server's own ports are
      const offset = 1000 + (attempt % 20)
      const grpc = yield* Effect.tryPromise(() =>
        FaultProxy.listen({ targetPort: server.grpcPort, port: http.port + offset })
      ).pipe(Effect.option)
      if (grpc._tag === "None") {
        yield* Effect.promise(() => http.close())
        continue
      }
      yield* Effect.addFinalizer(() => Effect.promise(() => grpc.value.close()))
      const both = [http, grpc.value]
      const proxies: ServerProxies = {
        http,
        grpc: grpc.value,
        serverAddr: `${LOOPBACK}:${http.port}`,
        portOffset: offset,
        cut: () => {
          for (const proxy of both) proxy.cut()
        },
        blackhole: () => {
          for (const proxy of both) proxy.blackhole()
        },
        heal: () => {
          for (const proxy of both) proxy.heal()
        },
        setLatency: (millis) => {
          for (const proxy of both) proxy.setLatency(millis)
        },
        setThrottle: (rate) => {
          for (const proxy of both) proxy.setThrottle(rate)
        }
      }
      return proxies
    }
    return yield* Effect.die("no free port pair for the fault proxies")
  })
