/**
 * A dedicated grpc-js channel for one Nacos session. ServerCheck, the bi-stream and every later unary call must
 * travel on the same HTTP/2 connection, because the server keys the connection id on the transport; a local
 * subchannel pool keeps two sessions (config, naming) from ever sharing one.
 */
import * as grpc from "@grpc/grpc-js"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import { InvalidArgumentError, TransportError } from "../NacosError.ts"
import type { GrpcOptions, TlsOptions } from "../NacosOptions.ts"
import { deserializePayload, type Payload, serializePayload } from "./payload.ts"
import * as TcpProbe from "./tcpProbe.ts"
import { readTlsMaterial, tidyOpenSslText, tlsFailureStep } from "./tls.ts"

const UNARY_PATH = "/Request/request"
const BI_STREAM_PATH = "/BiRequestStream/requestBiStream"

export interface BiStream {
  /** Writes one message; fails when the stream is already gone. */
  readonly write: (payload: Payload) => Effect.Effect<void, TransportError>
}

export interface GrpcChannel {
  readonly target: string
  /**
   * One unary call. A message over the size limit, either way, is final (`InvalidArgumentError`): sending it again
   * cannot help, so it must not look like a transport fault.
   */
  readonly unary: (
    payload: Payload,
    timeoutMillis: number
  ) => Effect.Effect<Payload, TransportError | InvalidArgumentError>
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
const describeStatus = (status: { readonly code: grpc.status; readonly details: string }): string => {
  const detail = tidyOpenSslText(status.details).replace(/\.?\s*Resolution note:\s*$/, "")
  const step = tlsFailureStep(undefined, detail)
  return `${grpc.status[status.code] ?? status.code}: ${step === undefined ? detail : `TLS ${step}: ${detail}`}`
}

const describe = (error: grpc.ServiceError | Error): string =>
  "code" in error && typeof error.code === "number"
    ? describeStatus({ code: error.code, details: error.details ?? error.message })
    : error.message

/** What grpc-js' own unary call fails with for `status` (a `ServiceError`), as a TransportError's cause. */
const statusError = (status: grpc.StatusObject): grpc.ServiceError =>
  Object.assign(new Error(`${status.code} ${grpc.status[status.code] ?? ""}: ${status.details}`), status)

const ignore = () => {}

/** A unary call started on the channel (`Channel.createCall`). */
type InFlightCall = ReturnType<grpc.Channel["createCall"]>

const requestTooLarge = (type: string, size: number, limit: number) =>
  new InvalidArgumentError({
    field: "request",
    message: `${type} is ${size} bytes, over the ${limit}-byte gRPC message limit (grpc.maxReceiveMessageLength)`
  })

/**
 * `RESOURCE_EXHAUSTED` is a size refusal by either side. grpc-js words its own (and a grpc-js server's) as
 * "Received message larger than max (<size> vs <limit>)": with our limit and not our request's size, it is our
 * client refusing the answer — the server did handle the request. Anything else is the server refusing ours.
 */
const exhausted = (target: string, type: string, size: number, limit: number, details: string) => {
  const received =
    /^Received message (?:larger than max \((\d+) vs\.? (\d+)\)|that decompresses to a size larger than (\d+))/.exec(
      details
    )
  const ours =
    received !== null &&
    (received[3] !== undefined
      ? Number(received[3]) === limit
      : Number(received[2]) === limit && Number(received[1]) !== size)
  return ours
    ? new InvalidArgumentError({
        field: "grpc.maxReceiveMessageLength",
        message: `the answer to ${type} from ${target} is over the ${limit}-byte gRPC message limit (grpc.maxReceiveMessageLength): ${details}`
      })
    : new InvalidArgumentError({
        field: "request",
        message: `${target} refused ${type} (${size} bytes) as too large: ${details}`
      })
}

/** Opens a channel to `target` (`host:grpcPort`); closed with the scope. */
export const open = (
  target: string,
  options: { readonly grpc: GrpcOptions; readonly tls: TlsOptions | undefined }
): Effect.Effect<GrpcChannel, TransportError, Scope.Scope> =>
  Effect.gen(function* () {
    const credentials = yield* credentialsFor(options.tls)
    // before any channel exists: a refused or reset connect must leave grpc-js nothing to reconnect (tcpProbe.ts)
    yield* TcpProbe.reachable(target, options.grpc.serverCheckTimeoutMillis)
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
    const inFlight = new Set<InFlightCall>()
    let closed = false
    const client = yield* Effect.acquireRelease(
      Effect.sync(() => new grpc.Client(target, credentials, channelOptions)),
      (client) =>
        Effect.sync(() => {
          closed = true
          for (const call of inFlight) call.cancelWithStatus(grpc.status.CANCELLED, "Cancelled on client")
          inFlight.clear()
          client.close()
        })
    )
    const endedInFlight = (payload: Payload) =>
      new TransportError({
        message: `${target}: the session ended while ${payload.metadata?.type ?? "a request"} was in flight; the server may or may not have applied it`
      })

    const messageLimit = options.grpc.maxReceiveMessageLength
    const channel = client.getChannel()
    /**
     * A unary call on the channel itself, not through `Client.makeUnaryRequest`: that adds an interceptor chain,
     * a call object with its event emitter and a caller's stack (`new Error()`) to every call — a fifth of a get's
     * CPU in `bench:get` — for features a Nacos request does not use. The channel's call is what grpc-js runs underneath:
     * same deadline, credentials, limits and status.
     */
    const unary = (payload: Payload, timeoutMillis: number) =>
      Effect.callback<Payload, TransportError | InvalidArgumentError>((resume) => {
        if (closed) {
          resume(Effect.fail(endedInFlight(payload)))
          return
        }
        const type = payload.metadata?.type ?? "request"
        // serialised here, once, so the size is known exactly (grpc-js checks the same bytes against the same limit)
        const bytes = serializePayload(payload)
        if (bytes.length > messageLimit) {
          resume(Effect.fail(requestTooLarge(type, bytes.length, messageLimit)))
          return
        }
        const call = channel.createCall(UNARY_PATH, Date.now() + timeoutMillis, undefined, null, undefined)
        let answer: Buffer | undefined
        let answers = 0
        call.start(new grpc.Metadata(), {
          onReceiveMetadata: ignore,
          onReceiveMessage: (message: Buffer) => {
            answers++
            answer = message
          },
          onReceiveStatus: (status) => {
            inFlight.delete(call)
            resume(settle(status, answer, answers))
          }
        })
        inFlight.add(call)
        call.sendMessageWithContext({}, bytes)
        call.halfClose()
        call.startRead()
        return Effect.sync(() => {
          inFlight.delete(call)
          call.cancelWithStatus(grpc.status.CANCELLED, "Cancelled on client")
        })

        /** The call's end as the request's outcome. */
        function settle(
          status: grpc.StatusObject,
          message: Buffer | undefined,
          count: number
        ): Effect.Effect<Payload, TransportError | InvalidArgumentError> {
          if (status.code !== grpc.status.OK) {
            if (closed) return Effect.fail(endedInFlight(payload))
            if (status.code === grpc.status.RESOURCE_EXHAUSTED) {
              return Effect.fail(exhausted(target, type, bytes.length, messageLimit, status.details))
            }
            return Effect.fail(
              new TransportError({ message: `${target} ${describeStatus(status)}`, cause: statusError(status) })
            )
          }
          if (message === undefined || count !== 1) {
            return Effect.fail(
              new TransportError({
                message: `${target}: ${count === 0 ? "empty response" : `${count} answers to one ${type}`}`
              })
            )
          }
          try {
            return Effect.succeed(deserializePayload(message))
          } catch (error) {
            return Effect.fail(
              new TransportError({ message: `${target}: the answer to ${type} is not a Payload`, cause: error })
            )
          }
        }
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
