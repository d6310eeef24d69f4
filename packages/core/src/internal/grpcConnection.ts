/**
 * The lifecycle of one logical Nacos connection over gRPC:
 * ServerCheck → bi-stream → ConnectionSetupRequest → SetupAckRequest → health checks → (loss) → backoff → again.
 *
 * One supervisor fiber owns the session; requests and pushes only read it. A session lives in its own scope, so
 * dropping it closes the stream and the channel whatever the reason.
 */
import * as Clock from "effect/Clock"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import * as Predicate from "effect/Predicate"
import * as PubSub from "effect/PubSub"
import * as Queue from "effect/Queue"
import * as Result from "effect/Result"
import type * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import * as SubscriptionRef from "effect/SubscriptionRef"
import type { Auth, AuthResource } from "../Auth.ts"
import {
  type Abilities,
  type Connection,
  type ConnectionSpec,
  ConnectionState,
  type RequestError,
  type RequestOptions,
  type Session
} from "../Connection.ts"
import { AuthError, NotSupportedError, ServerError, TransportError } from "../NacosError.ts"
import * as NacosMetrics from "../NacosMetrics.ts"
import type { ResolvedNacosOptions } from "../NacosOptions.ts"
import * as NacosTelemetry from "../NacosTelemetry.ts"
import * as Policy from "../Policy.ts"
import type { ServerAddress } from "../ServerAddress.ts"
import type { ServerList } from "../ServerList.ts"
import * as GrpcChannel from "./grpcChannel.ts"
import { type DecodedPayload, decodePayload, encodePayload, type Payload } from "./payload.ts"
import { CLIENT_VERSION } from "./version.ts"

/** What the transport needs from its environment. */
export interface ConnectionDeps {
  readonly options: ResolvedNacosOptions
  readonly serverList: ServerList["Service"]
  readonly auth: Auth["Service"]
  /** Delay between failed connect attempts (default {@link Policy.reconnect}). */
  readonly reconnectSchedule: Schedule.Schedule<unknown>
}

const ResponseBase = Schema.Struct({
  resultCode: Schema.optional(Schema.Number),
  errorCode: Schema.optional(Schema.Number),
  message: Schema.optional(Schema.NullOr(Schema.String))
})

const ServerCheckResponse = Schema.Struct({ connectionId: Schema.String })
const SetupAck = Schema.Struct({
  abilityTable: Schema.optional(Schema.NullOr(Schema.Record(Schema.String, Schema.Boolean)))
})
const PushBase = Schema.Struct({ requestId: Schema.optional(Schema.NullOr(Schema.String)) })
const ConnectReset = Schema.Struct({
  serverIp: Schema.optional(Schema.NullOr(Schema.String)),
  serverPort: Schema.optional(Schema.NullOr(Schema.Union([Schema.String, Schema.Number])))
})

/** Made once: every answer is checked against it. */
const decodeResponseBase = Schema.decodeUnknownEffect(ResponseBase)

/** A success answer, told apart in plain code: the hot path decodes only the response schema then. */
const isSuccessAnswer = (answer: DecodedPayload) =>
  answer.type !== "ErrorResponse" && Predicate.hasProperty(answer.json, "resultCode") && answer.json.resultCode === 200

/** The session as the supervisor holds it: the public view plus the live channel. */
interface LiveSession {
  readonly session: Session
  readonly channel: GrpcChannel.GrpcChannel
  readonly stream: GrpcChannel.BiStream
  readonly ended: Deferred.Deferred<string>
  /** Puts the server on the current request's span (when traced), made once per session. */
  readonly annotateSpan: Effect.Effect<void>
}

/** Where requests find the session: waiting for one, the live one, or never again (failed or closed). */
type SessionSlot =
  | { readonly _tag: "Pending" }
  | { readonly _tag: "Live"; readonly live: LiveSession }
  | { readonly _tag: "Down"; readonly error: TransportError }

const pending: SessionSlot = { _tag: "Pending" }

interface ReconnectRequest {
  readonly reason: string
  /** Only the session with this id is dropped, so a stale request (301, reset, reconnect()) cuts no later session. */
  readonly connectionId: string
  readonly preferred: Option.Option<ServerAddress>
}

interface RegisteredPush {
  readonly responseType: string
  /** Decodes the push body and runs the handler on it. */
  readonly run: (json: unknown) => Effect.Effect<Record<string, unknown>, Schema.SchemaError>
}

const INTERNAL_RESOURCE: AuthResource = { module: "internal" }

/** Java answers a push it could not handle with ErrorResponse -500 (`CLIENT_ERROR`). */
const CLIENT_ERROR = -500

const responseTypeFor = (pushType: string) => pushType.replace(/Request$/, "Response")

/** Builds a connection; its lifecycle runs until the scope closes. */
export const make = Effect.fnUntraced(function* (
  spec: ConnectionSpec,
  deps: ConnectionDeps
): Effect.fn.Return<Connection, never, Scope.Scope> {
  const { options, serverList, auth } = deps
  const grpcOptions = options.grpc
  const tls = Option.getOrUndefined(options.tls)
  const state = yield* SubscriptionRef.make<ConnectionState>(ConnectionState.Connecting())
  const slot = yield* SubscriptionRef.make<SessionSlot>(pending)
  // Set once the lifecycle has ended for good: requests then fail at once instead of retrying.
  let down: TransportError | undefined
  /** The live session, read without an effect by requests (kept in step with `slot`). */
  let liveNow: LiveSession | undefined
  const reconnectedHub = yield* PubSub.unbounded<Session>()
  const reconnectRequests = yield* Queue.unbounded<ReconnectRequest>()
  const pushHandlers = new Map<string, RegisteredPush>()
  // Refreshed by every answer and push; the health check only runs after this much idleness.
  let lastActiveMillis = 0
  // the clock the lifecycle's health loop reads, taken once so that requests can stamp activity in plain code
  const clock = yield* Clock.Clock
  const markActive = Effect.sync(() => {
    lastActiveMillis = clock.currentTimeMillisUnsafe()
  })

  const labels: Record<string, string> = {
    ...spec.labels,
    source: "sdk",
    module: spec.module,
    AppName: options.appName
  }

  const annotate = NacosTelemetry.withModule(spec.module)
  const log = (message: string) => annotate(Effect.logInfo(message))
  const logWarning = (message: string) => annotate(Effect.logWarning(message))
  const namespace = spec.tenant ?? options.namespace
  const serverAttributes = (server: ServerAddress) => ({
    [NacosTelemetry.ServerAddressKey]: server.host,
    [NacosTelemetry.ServerPortKey]: server.port + grpcOptions.portOffset
  })

  // Whether gRPC is believed usable: false from a failed attempt or a lost session until the next session is up.
  // Flipping it logs once each way, so an outage costs one warning and one info line, not one per attempt.
  let available = true
  /** The last connect attempt's failure (`host:grpcPort` and cause), for the "no connection" error. */
  let lastFailure: string | undefined
  const markUnavailable = (warning: string) =>
    Effect.suspend(() => {
      if (!available) return Effect.void
      available = false
      return logWarning(warning)
    })
  const markAvailable = (session: Session) =>
    Effect.suspend(() => {
      const wasDown = !available
      available = true
      lastFailure = undefined
      return log(`${wasDown ? "gRPC is back: " : ""}connected to ${session.server} as ${session.connectionId}`)
    })

  // ---------------------------------------------------------------------------------------------------------------
  // The handshake
  // ---------------------------------------------------------------------------------------------------------------

  const unaryOnce = (channel: GrpcChannel.GrpcChannel, payload: Payload, timeoutMillis: number) =>
    Effect.map(channel.unary(payload, timeoutMillis), decodePayload)

  const serverCheck = (channel: GrpcChannel.GrpcChannel) =>
    unaryOnce(
      channel,
      encodePayload("ServerCheckRequest", { module: "internal" }),
      grpcOptions.serverCheckTimeoutMillis
    ).pipe(
      Effect.flatMap((answer): Effect.Effect<{ readonly connectionId: string }, TransportError | ServerError> => {
        if (answer.type === "ServerCheckResponse") {
          return Schema.decodeUnknownEffect(ServerCheckResponse)(answer.json).pipe(
            Effect.mapError(() => new TransportError({ message: `${channel.target}: malformed ServerCheckResponse` }))
          )
        }
        const base = Schema.decodeUnknownOption(ResponseBase)(answer.json).pipe(Option.getOrElse(() => ({})))
        const errorCode = "errorCode" in base ? base.errorCode : undefined
        const serverMessage = "message" in base && typeof base.message === "string" ? `: ${base.message}` : ""
        return Effect.fail(
          new ServerError({
            errorCode: errorCode ?? -1,
            message: `ServerCheck answered ${answer.type}${serverMessage}`,
            requestType: "ServerCheckRequest"
          })
        )
      }),
      // 300: "server is starting, please try later"
      Effect.retry({
        schedule: Policy.serverStarting,
        while: (error) => error._tag === "ServerError" && error.errorCode === 300
      }),
      Effect.catchTag("ServerError", (error) =>
        Effect.fail(new TransportError({ message: `${channel.target}: ${error.message} (${error.errorCode})` }))
      )
    )

  const replyToPush = (stream: GrpcChannel.BiStream, responseType: string, body: Record<string, unknown>) =>
    stream.write(encodePayload(responseType, body)).pipe(Effect.ignore)

  /** Runs on the session's dispatcher fiber, one push at a time, so pushes for one key keep their order. */
  const dispatch = (
    payload: Payload,
    stream: GrpcChannel.BiStream,
    setupAck: Deferred.Deferred<Abilities>,
    connectionId: string
  ) =>
    Effect.gen(function* () {
      yield* markActive
      const message = decodePayload(payload)
      yield* NacosTelemetry.annotateHotSpan({ "nacos.push.type": message.type })
      if (message.type === "SetupAckRequest") {
        // SetupAck is the one push that is never answered.
        const ack = Schema.decodeUnknownOption(SetupAck)(message.json)
        yield* Deferred.succeed(
          setupAck,
          Option.match(ack, { onNone: () => ({}), onSome: (a) => a.abilityTable ?? {} })
        )
        return
      }
      if (!message.type.endsWith("Request")) return
      const requestId = Schema.decodeUnknownOption(PushBase)(message.json).pipe(
        Option.flatMap((base) => Option.fromNullishOr(base.requestId)),
        Option.getOrUndefined
      )
      const ack = (responseType: string, body: Record<string, unknown>) =>
        replyToPush(stream, responseType, { ...body, requestId, resultCode: 200, errorCode: 0 })

      if (message.type === "ConnectResetRequest") {
        yield* ack("ConnectResetResponse", {})
        const reset = Schema.decodeUnknownOption(ConnectReset)(message.json)
        const serverIp = reset.pipe(
          Option.flatMap((r) => Option.fromNullishOr(r.serverIp)),
          Option.getOrUndefined
        )
        const portText = reset.pipe(
          Option.flatMap((r) => Option.fromNullishOr(r.serverPort)),
          Option.getOrUndefined
        )
        const port = portText === undefined || portText === "" ? undefined : Number(portText)
        const preferred =
          serverIp === undefined || serverIp.trim() === ""
            ? Option.none()
            : yield* serverList.find(serverIp, Number.isFinite(port) ? port : undefined)
        yield* log(`server asked to reset the connection${Option.isSome(preferred) ? ` to ${preferred.value}` : ""}`)
        yield* Queue.offer(reconnectRequests, { reason: "ConnectResetRequest", connectionId, preferred })
        return
      }
      if (message.type === "ClientDetectionRequest") {
        yield* ack("ClientDetectionResponse", {})
        return
      }
      const registered = pushHandlers.get(message.type)
      if (registered === undefined) {
        // Nobody listens for it any more (e.g. a change for a key just unwatched): acknowledge so the server
        // does not retry it until it gives up on the whole connection.
        yield* Effect.logDebug(`acknowledging unhandled push ${message.type}`)
        yield* ack(responseTypeFor(message.type), {})
        return
      }
      const outcome = yield* Effect.exit(registered.run(message.json))
      if (Exit.isSuccess(outcome)) {
        yield* ack(registered.responseType, outcome.value)
      } else {
        yield* logWarning(`push ${message.type} could not be handled`)
        yield* replyToPush(stream, "ErrorResponse", {
          requestId,
          resultCode: 500,
          errorCode: CLIENT_ERROR,
          message: "Handle server request error"
        })
      }
    }).pipe(
      Effect.catchCause((cause) => Effect.logWarning("push dispatch failed", cause)),
      NacosTelemetry.hotSpan("Connection.push", {
        kind: "consumer",
        attributes: { [NacosTelemetry.ModuleKey]: spec.module }
      })
    )

  /** One full handshake with `server`; everything it opens belongs to the current scope. */
  const establish = (server: ServerAddress) =>
    Effect.gen(function* () {
      const channel = yield* GrpcChannel.open(server.grpcTarget(grpcOptions.portOffset), { grpc: grpcOptions, tls })
      const { connectionId } = yield* serverCheck(channel)
      const inbound = yield* Queue.unbounded<Payload>()
      const ended = yield* Deferred.make<string>()
      const setupAck = yield* Deferred.make<Abilities>()
      const stream = yield* channel.openBiStream({
        onMessage: (payload) => Queue.offerUnsafe(inbound, payload),
        onEnd: (reason) => Deferred.doneUnsafe(ended, Effect.succeed(reason))
      })
      yield* Queue.take(inbound).pipe(
        Effect.flatMap((payload) => dispatch(payload, stream, setupAck, connectionId)),
        Effect.forever,
        Effect.forkScoped
      )
      yield* stream.write(
        encodePayload("ConnectionSetupRequest", {
          module: "internal",
          clientVersion: CLIENT_VERSION,
          labels,
          ...(spec.tenant === undefined ? {} : { tenant: spec.tenant }),
          // never null: an absent table means the server sends no SetupAck and abilities stay unknown
          abilityTable: spec.abilities ?? {}
        })
      )
      const abilities = yield* Effect.raceFirst(
        Deferred.await(setupAck),
        Effect.flatMap(Deferred.await(ended), (reason) =>
          Effect.fail(new TransportError({ message: `${server}: stream ended during setup (${reason})` }))
        )
      ).pipe(
        Effect.timeoutOrElse({
          duration: grpcOptions.capabilityNegotiationTimeoutMillis,
          orElse: () =>
            Effect.fail(new TransportError({ message: `${server}: no SetupAckRequest within the negotiation timeout` }))
        })
      )
      yield* markActive
      return {
        session: { server, connectionId, abilities },
        channel,
        stream,
        ended,
        annotateSpan: NacosTelemetry.annotateHotSpan(serverAttributes(server))
      } satisfies LiveSession
    })

  /**
   * Opens a session in a scope of its own: closed at once on failure, else with the caller's scope. The scope is
   * tied to the caller's before the handshake starts, so an interruption mid-handshake (the connection's scope
   * closing) still closes the half-made channel and stream.
   */
  const establishScoped = (server: ServerAddress) =>
    Effect.gen(function* () {
      const sessionScope = yield* Effect.acquireRelease(Scope.make(), (scope, exit) => Scope.close(scope, exit))
      const exit = yield* Effect.exit(establish(server).pipe(Scope.provide(sessionScope)))
      if (Exit.isFailure(exit)) {
        yield* Scope.close(sessionScope, exit)
        return yield* exit
      }
      return exit.value
    })

  // ---------------------------------------------------------------------------------------------------------------
  // Supervision
  // ---------------------------------------------------------------------------------------------------------------

  const healthCheck = (live: LiveSession) =>
    unaryOnce(live.channel, encodePayload("HealthCheckRequest", { module: "internal" }), 3000).pipe(
      Effect.map((answer) => {
        const base = Schema.decodeUnknownOption(ResponseBase)(answer.json)
        return answer.type === "HealthCheckResponse" && Option.isSome(base) && base.value.resultCode === 200
      }),
      Effect.catch(() => Effect.succeed(false))
    )

  /** Completes with a reason once the session is unusable. */
  const supervise = (live: LiveSession): Effect.Effect<{ reason: string; preferred: Option.Option<ServerAddress> }> => {
    const none = Option.none<ServerAddress>()
    const streamEnded = Effect.map(Deferred.await(live.ended), (reason) => ({
      reason: `bi-stream ended: ${reason}`,
      preferred: none
    }))
    const healthLoop = Effect.gen(function* () {
      while (true) {
        yield* Effect.sleep(grpcOptions.healthCheckIntervalMillis)
        const now = yield* Clock.currentTimeMillis
        if (now - lastActiveMillis < grpcOptions.healthCheckIntervalMillis) continue
        if (!(yield* healthCheck(live))) return { reason: "health check failed", preferred: none }
        yield* markActive
      }
    })
    const requested = Effect.gen(function* () {
      while (true) {
        const request = yield* Queue.take(reconnectRequests)
        if (request.connectionId === live.session.connectionId) {
          return { reason: request.reason, preferred: request.preferred }
        }
      }
    })
    const serverRemoved = serverList.changes.pipe(
      Stream.filter((list) => !list.some((server) => server.authority === live.session.server.authority)),
      Stream.runHead,
      Effect.flatMap(
        Option.match({
          onNone: () => Effect.never,
          onSome: () => Effect.succeed({ reason: "server left the server list", preferred: none })
        })
      )
    )
    return Effect.raceAll([streamEnded, healthLoop, requested, serverRemoved])
  }

  /** The schedule ended without a session: the lifecycle stops for good, and says so. */
  const giveUp = Effect.gen(function* () {
    const reason = `reconnect schedule ended; last attempt: ${lastFailure ?? "none"}`
    down = new TransportError({ message: `no connection to a Nacos server (${spec.module}): ${reason}` })
    available = false
    liveNow = undefined
    yield* SubscriptionRef.set(slot, { _tag: "Down", error: down })
    yield* SubscriptionRef.set(state, ConnectionState.Failed({ reason }))
    yield* annotate(Effect.logError(`gRPC lifecycle gave up: ${reason}`))
  })

  const runLifecycle = Effect.gen(function* () {
    let previous = Option.none<ServerAddress>()
    let preferred = Option.none<ServerAddress>()
    let first = true
    while (true) {
      const outcome = yield* Effect.scoped(
        Effect.gen(function* () {
          const pickServer = Effect.gen(function* () {
            const server = Option.isSome(preferred) ? preferred.value : yield* serverList.next(previous)
            preferred = Option.none()
            previous = Option.some(server)
            return server
          })
          const attempt = Effect.flatMap(pickServer, (server) => {
            const target = server.grpcTarget(grpcOptions.portOffset)
            return establishScoped(server).pipe(
              Effect.withSpan("Connection.handshake", {
                attributes: { [NacosTelemetry.ModuleKey]: spec.module, ...serverAttributes(server) }
              }),
              Effect.tapError((error) => {
                const failure = error.message.includes(target) ? error.message : `${target}: ${error.message}`
                lastFailure = failure
                // the warning is logged once per outage; each failed attempt is only worth a debug line
                return Effect.andThen(
                  markUnavailable(`gRPC unavailable: ${failure}`),
                  Effect.logDebug(`connect failed: ${failure}`)
                )
              })
            )
          })
          const connected = yield* Effect.result(Effect.retry(attempt, deps.reconnectSchedule)).pipe(
            Effect.withSpan(first ? "Connection.connect" : "Connection.reconnect", {
              attributes: { [NacosTelemetry.ModuleKey]: spec.module, [NacosTelemetry.NamespaceKey]: namespace }
            })
          )
          if (Result.isFailure(connected)) return Option.none()
          const live = connected.success
          yield* Effect.addFinalizer(() =>
            SubscriptionRef.update(slot, (current) => {
              if (current._tag !== "Live") return current
              liveNow = undefined
              return pending
            })
          )
          yield* SubscriptionRef.set(slot, { _tag: "Live", live })
          liveNow = live
          yield* markAvailable(live.session)
          yield* SubscriptionRef.set(state, ConnectionState.Connected({ session: live.session }))
          if (!first) yield* PubSub.publish(reconnectedHub, live.session)
          first = false
          const ended = yield* supervise(live)
          return Option.some({ ...ended, target: live.channel.target })
        })
      )
      if (Option.isNone(outcome)) return yield* giveUp
      preferred = outcome.value.preferred
      yield* NacosMetrics.countReconnect(spec.module)
      yield* markUnavailable(`gRPC connection to ${outcome.value.target} lost (${outcome.value.reason}); reconnecting`)
      yield* SubscriptionRef.set(state, ConnectionState.Reconnecting({ reason: outcome.value.reason }))
    }
  })

  const closed = new TransportError({ message: `the Nacos connection (${spec.module}) is closed` })
  // Finalizers run in reverse: the lifecycle fiber is interrupted (closing the session) before the state closes.
  yield* Effect.addFinalizer(() =>
    Effect.gen(function* () {
      down = closed
      liveNow = undefined
      yield* SubscriptionRef.set(slot, { _tag: "Down", error: closed })
      yield* SubscriptionRef.set(state, ConnectionState.Closed())
      yield* PubSub.shutdown(reconnectedHub)
    })
  )
  yield* Effect.forkScoped(annotate(runLifecycle))

  // ---------------------------------------------------------------------------------------------------------------
  // The public surface
  // ---------------------------------------------------------------------------------------------------------------

  const fromSlot = (current: SessionSlot): Effect.Effect<LiveSession, TransportError> =>
    current._tag === "Live"
      ? Effect.succeed(current.live)
      : Effect.fail(current._tag === "Down" ? current.error : closed)

  /** The live session; waits while none is up, fails at once once the lifecycle has failed or closed. */
  const awaitLive = Effect.flatMap(SubscriptionRef.get(slot), (current) =>
    current._tag !== "Pending"
      ? fromSlot(current)
      : SubscriptionRef.changes(slot).pipe(
          Stream.filter((next) => next._tag !== "Pending"),
          Stream.runHead,
          Effect.flatMap((next) => (Option.isSome(next) ? fromSlot(next.value) : Effect.never))
        )
  )

  const notConnected = (timeoutMillis: number, requestType?: string) =>
    new TransportError({
      message: `${requestType === undefined ? "" : `${requestType}: `}no connection to a Nacos server (${spec.module}) within ${timeoutMillis} ms${
        lastFailure === undefined ? "" : `; last attempt: ${lastFailure}`
      }`
    })

  const awaitSession = (timeoutMillis = grpcOptions.timeoutMillis) =>
    awaitLive.pipe(
      Effect.map((live) => live.session),
      Effect.timeoutOrElse({ duration: timeoutMillis, orElse: () => Effect.fail(notConnected(timeoutMillis)) })
    )

  const requireAbility = (ability: string, feature: string) =>
    Effect.flatMap(awaitSession(), (session) =>
      session.abilities[ability] === true
        ? Effect.void
        : Effect.fail(
            new NotSupportedError({
              feature,
              ability,
              message: `${feature} needs server ability "${ability}", which ${session.server} does not announce`
            })
          )
    )

  /** Per request type, made once: the metrics and the span attributes are the same for every request of a type. */
  const perType = new Map<
    string,
    {
      readonly track: ReturnType<typeof NacosMetrics.trackRequest>
      readonly span: <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
    }
  >()
  const perTypeOf = (requestType: string) => {
    let entry = perType.get(requestType)
    if (entry === undefined) {
      entry = {
        track: NacosMetrics.trackRequest(spec.module, requestType),
        span: NacosTelemetry.hotSpan("Connection.request", {
          kind: "client",
          attributes: {
            [NacosTelemetry.RequestTypeKey]: requestType,
            [NacosTelemetry.ModuleKey]: spec.module,
            [NacosTelemetry.NamespaceKey]: namespace,
            "rpc.system": "grpc"
          }
        })
      }
      perType.set(requestType, entry)
    }
    return entry
  }

  const request: Connection["request"] = (requestType, body, responseSchema, requestOptions?: RequestOptions) => {
    const { track, span } = perTypeOf(requestType)
    return Effect.suspend(() => requestOnce(requestType, body, responseSchema, requestOptions)).pipe(
      track,
      annotate,
      span
    )
  }

  const requestRetrySchedule = Policy.requestRetry(grpcOptions.retryTimes)

  /**
   * One run of a request (its own flags, however often the effect runs). With a session up, the first attempt
   * runs bare: the gRPC deadline bounds it, so no timer, race or retry machinery is built for a request that
   * simply succeeds (nearly all of them). A transport failure with time left goes on to the retries, under the
   * request's timeout for what remains, starting from that failure so the schedule sees the same attempts.
   */
  const requestOnce: Connection["request"] = (requestType, body, responseSchema, requestOptions?: RequestOptions) => {
    const timeoutMillis = requestOptions?.timeoutMillis ?? grpcOptions.timeoutMillis
    const extraHeaders = requestOptions?.headers
    // the hot path: one effect to sign, one call, and the answer checked in plain code (see `checkAnswer`)
    const attemptOn = (live: LiveSession, attemptMillis: number) =>
      Effect.flatMap(auth.identity(requestOptions?.resource ?? INTERNAL_RESOURCE), (identity) =>
        Effect.andThen(
          live.annotateSpan,
          live.channel
            .unary(
              encodePayload(
                requestType,
                body,
                extraHeaders === undefined ? identity : { ...identity, ...extraHeaders }
              ),
              attemptMillis
            )
            .pipe(
              Effect.flatMap((payload) => {
                lastActiveMillis = clock.currentTimeMillisUnsafe()
                return checkAnswer(live, decodePayload(payload))
              })
            )
        )
      )
    const decodeAnswer = Schema.decodeUnknownEffect(responseSchema)
    const checkAnswer = (live: LiveSession, answer: DecodedPayload) => {
      // nearly every answer is a success: its one check is the response schema
      if (isSuccessAnswer(answer)) {
        return Effect.mapError(
          decodeAnswer(answer.json),
          (error) =>
            new ServerError({ errorCode: -1, message: `unexpected ${answer.type}: ${error.message}`, requestType })
        )
      }
      // a refusal (or something that is not a Nacos answer at all)
      return Effect.gen(function* () {
        const base = yield* decodeResponseBase(answer.json).pipe(
          Effect.mapError(() => new TransportError({ message: `${requestType}: answer is not a Nacos response` }))
        )
        const errorCode = base.errorCode ?? base.resultCode ?? -1
        const message = base.message ?? `${requestType} failed`
        if (errorCode === 301) {
          // The transport under us was replaced and the server does not know it: redo the handshake.
          yield* Queue.offer(reconnectRequests, {
            reason: "connection unregistered (301)",
            connectionId: live.session.connectionId,
            preferred: Option.none()
          })
          return yield* new TransportError({ message: `${requestType}: connection unregistered on the server` })
        }
        if (errorCode === 403) {
          yield* auth.onForbidden
          return yield* new AuthError({ message: `${requestType}: ${message}`, errorCode })
        }
        return yield* new ServerError({ errorCode, message, requestType })
      })
    }
    const live = liveNow
    if (live === undefined) return retrying(requestType, timeoutMillis, requestOptions, attemptOn).fromStart
    const startedMillis = Date.now()
    return attemptOn(live, timeoutMillis).pipe(
      Effect.catch((error) =>
        retrying(requestType, timeoutMillis, requestOptions, attemptOn).after(error, Date.now() - startedMillis)
      )
    )
  }

  // once the lifecycle is over, another attempt cannot help
  const retryable = (error: RequestError) => error._tag === "TransportError" && down === undefined

  /**
   * The machinery of a request that did not simply succeed on a live session, made only then: waiting for a
   * session, retries on the request schedule, all under the request's timeout.
   */
  const retrying = <A>(
    requestType: string,
    timeoutMillis: number,
    requestOptions: RequestOptions | undefined,
    attemptOn: (live: LiveSession, attemptMillis: number) => Effect.Effect<A, RequestError>
  ) => {
    const noAnswer = () => new TransportError({ message: `${requestType} got no answer within ${timeoutMillis} ms` })
    // a timeout while waiting for a session means "no connection", and says where the lifecycle tried
    let waitingForSession = false
    const attempt = Effect.gen(function* () {
      waitingForSession = true
      const live = yield* awaitLive
      waitingForSession = false
      return yield* attemptOn(live, timeoutMillis)
    })
    const guarded = (effect: typeof attempt, millis: number) =>
      effect.pipe(
        Effect.timeoutOrElse({
          duration: millis,
          orElse: () => Effect.fail(waitingForSession ? notConnected(timeoutMillis, requestType) : noAnswer())
        })
      )
    const withRetries = (first: Option.Option<RequestError>) => {
      let replay = first
      const again = Effect.suspend(() => {
        if (Option.isNone(replay)) return attempt
        const failure = replay.value
        replay = Option.none()
        return Effect.fail(failure)
      })
      return again.pipe(Effect.retry({ schedule: requestRetrySchedule, while: retryable }))
    }
    return {
      /** No session was up when the request started. */
      fromStart: guarded(requestOptions?.retry === false ? attempt : withRetries(Option.none()), timeoutMillis),
      /** The first attempt on a live session failed `elapsedMillis` after it started. */
      after: (error: RequestError, elapsedMillis: number): Effect.Effect<A, RequestError> => {
        const remainingMillis = timeoutMillis - elapsedMillis
        // the gRPC deadline (the request's timeout) ran out: what the timeout would have said
        if (remainingMillis <= 0 && error._tag === "TransportError") return Effect.fail(noAnswer())
        if (requestOptions?.retry === false || !retryable(error)) return Effect.fail(error)
        return guarded(withRetries(Option.some(error)), remainingMillis)
      }
    }
  }

  const handlePush: Connection["handlePush"] = (pushType, pushSchema, responseType, handler) =>
    Effect.acquireRelease(
      Effect.sync(() => {
        const decode = Schema.decodeUnknownEffect(pushSchema)
        const registered: RegisteredPush = {
          responseType,
          run: (json) => Effect.flatMap(decode(json), handler)
        }
        pushHandlers.set(pushType, registered)
        return registered
      }),
      (registered) =>
        Effect.sync(() => {
          if (pushHandlers.get(pushType) === registered) pushHandlers.delete(pushType)
        })
    ).pipe(Effect.asVoid)

  const reconnect = (reason: string) =>
    Effect.flatMap(SubscriptionRef.get(slot), (current) =>
      // with no live session a reconnect is already under way; a request queued now would cut the next session
      current._tag === "Live"
        ? Queue.offer(reconnectRequests, {
            reason,
            connectionId: current.live.session.connectionId,
            preferred: Option.none()
          })
        : Effect.logDebug(`reconnect (${reason}) ignored: no live session`)
    ).pipe(Effect.asVoid, annotate)

  return {
    module: spec.module,
    state,
    reconnected: Stream.fromPubSub(reconnectedHub),
    available: Effect.sync(() => available),
    awaitSession,
    requireAbility,
    request,
    handlePush,
    reconnect
  } satisfies Connection
})
