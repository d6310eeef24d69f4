/**
 * A dedicated grpc-js channel for one Nacos session. ServerCheck, the bi-stream and every later unary call must
 * travel on the same HTTP/2 connection, because the server keys the connection id on the transport; a local
 * subchannel pool keeps two sessions (config, naming) from ever sharing one.
 */
import * as grpc from "@grpc/grpc-js"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import { TransportError } from "../NacosError.ts"
import type { GrpcOptions, TlsOptions } from "../NacosOptions.ts"
import { deserializePayload, type Payload, serializePayload } from "./payload.ts"
import { readTlsMaterial, tidyOpenSslText, tlsFailureStep } from "./tls.ts"

const UNARY_PATH = "/Request/request"
const BI_STREAM_PATH = "/BiRequestStream/requestBiStream"

export interface BiStream {
  /** Writes one message; fails when the stream is already gone. */
  readonly write: (payload: Payload) => Effect.Effect<void, TransportError>
}

export interface GrpcChannel {
  readonly target: string
  readonly unary: (payload: Payload, timeoutMillis: number) => Effect.Effect<Payload, TransportError>
  /**
   * Opens the bi-stream. `onMessage` gets every server message, `onEnd` is called once when the stream ends for
   * any reason. The stream is cancelled when the scope closes.
   */
  readonly openBiStream: (handlers: {
    readonly onMessage: (payload: Payload) => void
    readonly onEnd: (reason: string) => void
  }) => Effect.Effect<BiStream, never, Scope.Scope>
}

/** Plain text only without `tls`; with it, TLS verified against the CA (system roots when unset), never a fallback. */
const credentialsFor = (tls: TlsOptions | undefined): Effect.Effect<grpc.ChannelCredentials, TransportError> =>
  tls === undefined
    ? Effect.succeed(grpc.credentials.createInsecure())
    : readTlsMaterial(tls).pipe(
        Effect.mapError((failure) => new TransportError({ message: failure.message, cause: failure.cause })),
        Effect.flatMap((material) =>
          Effect.try({
            try: () => grpc.credentials.createSsl(material.ca ?? null, material.key ?? null, material.cert ?? null),
            catch: (cause) =>
              new TransportError({
                message: `unusable TLS material: ${cause instanceof Error ? cause.message : String(cause)}`,
                cause
              })
          })
        )
      )

/**
 * A grpc-js failure in words: the status, then grpc-js' detail without its empty "Resolution note", with the TLS
 * step named when the connection failed in the handshake (grpc-js keeps only the message of the TLS error).
 */
const describe = (error: grpc.ServiceError | Error): string => {
  if (!("code" in error && typeof error.code === "number")) return error.message
  const detail = tidyOpenSslText(error.details ?? error.message).replace(/\.?\s*Resolution note:\s*$/, "")
  const step = tlsFailureStep(undefined, detail)
  return `${grpc.status[error.code] ?? error.code}: ${step === undefined ? detail : `TLS ${step}: ${detail}`}`
}

/** Opens a channel to `target` (`host:grpcPort`); closed with the scope. */
export const open = (
  target: string,
  options: { readonly grpc: GrpcOptions; readonly tls: TlsOptions | undefined }
): Effect.Effect<GrpcChannel, TransportError, Scope.Scope> =>
  Effect.gen(function* () {
    const credentials = yield* credentialsFor(options.tls)
    const channelOptions: grpc.ChannelOptions = {
      "grpc.use_local_subchannel_pool": 1,
      "grpc.max_receive_message_length": options.grpc.maxReceiveMessageLength,
      "grpc.max_send_message_length": options.grpc.maxReceiveMessageLength,
      // a hidden transparent retry could move a call onto a new, unregistered transport
      "grpc.enable_retries": 0,
      ...(options.grpc.keepAliveMillis > 0
        ? { "grpc.keepalive_time_ms": options.grpc.keepAliveMillis, "grpc.keepalive_timeout_ms": 20_000 }
        : {})
    }
    // grpc-js `close()` lets started calls run to their deadline: the channel cancels its own calls as it closes,
    // so a request caught by a dropped session fails at once (and can be retried on the next one).
    const inFlight = new Set<grpc.ClientUnaryCall>()
    let closed = false
    const client = yield* Effect.acquireRelease(
      Effect.sync(() => new grpc.Client(target, credentials, channelOptions)),
      (client) =>
        Effect.sync(() => {
          closed = true
          for (const call of inFlight) call.cancel()
          inFlight.clear()
          client.close()
        })
    )
    const endedInFlight = (payload: Payload) =>
      new TransportError({
        message: `${target}: the session ended while ${payload.metadata?.type ?? "a request"} was in flight; the server may or may not have applied it`
      })

    const unary = (payload: Payload, timeoutMillis: number) =>
      Effect.callback<Payload, TransportError>((resume) => {
        if (closed) {
          resume(Effect.fail(endedInFlight(payload)))
          return
        }
        const call = client.makeUnaryRequest(
          UNARY_PATH,
          serializePayload,
          deserializePayload,
          payload,
          new grpc.Metadata(),
          { deadline: Date.now() + timeoutMillis },
          (error, response) => {
            inFlight.delete(call)
            if (error && closed) resume(Effect.fail(endedInFlight(payload)))
            else if (error) resume(Effect.fail(new TransportError({ message: `${target} ${describe(error)}` })))
            else if (response === undefined)
              resume(Effect.fail(new TransportError({ message: `${target}: empty response` })))
            else resume(Effect.succeed(response))
          }
        )
        inFlight.add(call)
        return Effect.sync(() => {
          inFlight.delete(call)
          call.cancel()
        })
      })

    const openBiStream: GrpcChannel["openBiStream"] = (handlers) =>
      Effect.acquireRelease(
        Effect.sync(() => {
          const call = client.makeBidiStreamRequest(BI_STREAM_PATH, serializePayload, deserializePayload)
          let ended = false
          const end = (reason: string) => {
            if (ended) return
            ended = true
            handlers.onEnd(reason)
          }
          call.on("data", (payload: Payload) => handlers.onMessage(payload))
          call.on("error", (error: grpc.ServiceError) => end(describe(error)))
          call.on("end", () => end("server closed the stream"))
          call.on("close", () => end("stream closed"))
          return { call, isEnded: () => ended }
        }),
        ({ call }) =>
          Effect.sync(() => {
            call.removeAllListeners("data")
            // an 'error' after cancel must not crash the process as an unhandled event
            call.on("error", () => {})
            call.cancel()
          })
      ).pipe(
        Effect.map(({ call, isEnded }) => ({
          write: (payload: Payload) =>
            Effect.callback<void, TransportError>((resume) => {
              if (isEnded() || call.destroyed || call.writableEnded) {
                resume(Effect.fail(new TransportError({ message: `${target}: bi-stream is closed` })))
                return
              }
              call.write(payload, (error: Error | null | undefined) =>
                resume(
                  error
                    ? Effect.fail(new TransportError({ message: `${target}: write failed: ${error.message}` }))
                    : Effect.void
                )
              )
            })
        }))
      )

    return { target, unary, openBiStream } satisfies GrpcChannel
  })
