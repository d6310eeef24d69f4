/**
 * A plain TCP connect to a gRPC target before a channel is made for it.
 *
 * Why: grpc-js (1.14) keeps the backoff timer of a closed channel's subchannel that was in TRANSIENT_FAILURE, and
 * when it fires the subchannel connects again and keeps that connection, owned by nobody (its zero refcount is not
 * checked there). A session attempt that meets a refused or reset connection therefore leaves a connection behind
 * once the network heals. Failing such an attempt here, before any channel exists, leaves grpc-js nothing to
 * reconnect.
 */
import * as net from "node:net"
import * as Effect from "effect/Effect"
import { TransportError } from "../NacosError.ts"

/** `host:port` or `[v6]:port`. */
const split = (target: string): { readonly host: string; readonly port: number } => {
  const colon = target.lastIndexOf(":")
  const host = target.slice(0, colon)
  return {
    host: host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host,
    port: Number(target.slice(colon + 1))
  }
}

/** Succeeds once a TCP connection to `target` is made (and closed again); fails with the system error. */
export const reachable = (target: string, timeoutMillis: number): Effect.Effect<void, TransportError> =>
  Effect.callback<void, TransportError>((resume) => {
    const socket = net.connect(split(target))
    socket.setTimeout(timeoutMillis, () => {
      socket.destroy()
      resume(Effect.fail(new TransportError({ message: `${target}: no TCP connection within ${timeoutMillis} ms` })))
    })
    socket.once("connect", () => {
      socket.destroy()
      resume(Effect.void)
    })
    socket.once("error", (error) => {
      socket.destroy()
      resume(Effect.fail(new TransportError({ message: `${target}: ${error.message}`, cause: error })))
    })
    return Effect.sync(() => socket.destroy())
  })
