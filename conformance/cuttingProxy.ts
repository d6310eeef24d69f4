/**
 * A TCP proxy in front of a real server's ports that can cut connections: what a network drop looks like to the
 * client. `cut()` destroys every open connection and refuses new ones until `restore()`. Loopback only; closed with
 * the scope. The fault suite's proxy (`faultProxy.ts`) also resets (RST), blackholes, delays and throttles.
 */
import * as net from "node:net"
import * as Effect from "effect/Effect"
import type { ConformanceServer } from "./support.ts"

/**
 * Forwards a local port to a server port. `cut()` destroys every open connection and refuses new ones until
 * `restore()`: to the client it looks like the server (or the network) went away and came back.
 */
export class CuttingProxy {
  private server: net.Server | undefined
  private readonly sockets = new Set<net.Socket>()
  private readonly targetPort: number
  port = 0

  constructor(targetPort: number) {
    this.targetPort = targetPort
  }

  /** Listens on `port` (0 = any free port). */
  async listen(port = 0): Promise<this> {
    const server = net.createServer((client) => {
      const upstream = net.connect(this.targetPort, "127.0.0.1")
      for (const socket of [client, upstream]) {
        this.sockets.add(socket)
        socket.on("close", () => this.sockets.delete(socket))
        socket.on("error", () => socket.destroy())
      }
      client.pipe(upstream)
      upstream.pipe(client)
      client.on("close", () => upstream.destroy())
      upstream.on("close", () => client.destroy())
    })
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject)
      server.listen(port, "127.0.0.1", () => resolve())
    })
    const address = server.address()
    if (address === null || typeof address === "string") throw new Error("proxy has no TCP port")
    this.port = address.port
    this.server = server
    return this
  }

  async cut(): Promise<void> {
    const server = this.server
    this.server = undefined
    for (const socket of this.sockets) socket.destroy()
    this.sockets.clear()
    if (server !== undefined) await new Promise<void>((resolve) => server.close(() => resolve()))
  }

  async restore(): Promise<void> {
    await this.listen(this.port)
  }
}

export const proxyTo = (targetPort: number, port = 0) =>
  Effect.acquireRelease(
    Effect.promise(() => new CuttingProxy(targetPort).listen(port)),
    (proxy) => Effect.promise(() => proxy.cut())
  )

/** A proxy for gRPC on a port above the server's HTTP port, so `grpc.portOffset` can route gRPC through it. */
export const grpcProxyFor = (server: ConformanceServer) =>
  Effect.gen(function* () {
    for (let attempt = 0; attempt < 20; attempt++) {
      const proxy = yield* proxyTo(server.grpcPort)
      if (proxy.port > server.httpPort) return { proxy, portOffset: proxy.port - server.httpPort }
      yield* Effect.promise(() => proxy.cut())
    }
    return yield* Effect.die("no free port above the server's HTTP port")
  })

/** HTTP and gRPC both through proxies (gRPC at the HTTP proxy's port + offset), so both can be cut. */
export const fullProxyFor = (server: ConformanceServer) =>
  Effect.gen(function* () {
    for (let attempt = 0; attempt < 20; attempt++) {
      const http = yield* proxyTo(server.httpPort)
      const offset = 1 + (attempt % 50)
      // a port in use (another socket's, even an outgoing connection's) is a failure to try the next offset on
      const grpc = yield* Effect.tryPromise(() => new CuttingProxy(server.grpcPort).listen(http.port + offset)).pipe(
        Effect.option
      )
      if (grpc._tag === "Some") {
        yield* Effect.addFinalizer(() => Effect.promise(() => grpc.value.cut()))
        return { http, grpc: grpc.value, serverAddr: `127.0.0.1:${http.port}`, portOffset: offset }
      }
      yield* Effect.promise(() => http.cut())
    }
    return yield* Effect.die("no free port pair for the proxies")
  })
