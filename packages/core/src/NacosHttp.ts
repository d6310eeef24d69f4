/**
 * Nacos over HTTP (protocol reference §7): the OpenAPI calls the client needs besides gRPC (HTTP fallbacks, skill
 * ZIPs), on top of any `effect/http` HttpClient.
 *
 * Every request goes to `{server}{contextPath}{path}`, carries the `Client-Version`, `User-Agent` and
 * `Request-Module` headers plus the `Auth` identity (obtained again for every server tried: access-key signatures
 * carry a timestamp), and has a timeout. A server that cannot be reached (or answers 502/503, which means the
 * request was not handled) is skipped for the next one in the `ServerList`, at most once per server; the server that
 * answered is tried first next time.
 *
 * A request that is not idempotent (a POST, unless said otherwise) moves to the next server only when it surely
 * never reached the previous one (connection refused, unknown host) or was surely not handled (503): after a
 * timeout or a connection lost mid-request the server may have applied it, so it fails with a `TransportError`
 * saying the outcome is unknown instead of being sent again.
 *
 * @since 0.1.0
 * @module
 */
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as HttpClient from "effect/http/HttpClient"
import type * as HttpClientError from "effect/http/HttpClientError"
import * as HttpClientRequest from "effect/http/HttpClientRequest"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Ref from "effect/Ref"
import * as Schema from "effect/Schema"
import { Auth, type AuthResource } from "./Auth.ts"
import { describeHttpClientError, networkErrorOf } from "./internal/httpClientErrorText.ts"
import { withSecretHeadersRedacted } from "./internal/login.ts"
import { scrubSecrets } from "./internal/scrubSecrets.ts"
import { CLIENT_VERSION } from "./internal/version.ts"
import {
  AuthError,
  ConflictError,
  InvalidArgumentError,
  NotFoundError,
  ServerError,
  TransportError
} from "./NacosError.ts"
import { NacosOptions } from "./NacosOptions.ts"
import type { ServerAddress } from "./ServerAddress.ts"
import { ServerList } from "./ServerList.ts"

/**
 * A query or form value; `undefined` leaves the parameter out.
 *
 * @category models
 * @since 0.1.0
 */
export type ParamValue = string | number | boolean | undefined

/**
 * One HTTP call.
 *
 * @category models
 * @since 0.1.0
 */
export interface RequestOptions {
  readonly method: "GET" | "POST" | "PUT" | "DELETE"
  /** Below the context path, e.g. `/v3/client/cs/config`. */
  readonly path: string
  readonly urlParams?: Readonly<Record<string, ParamValue>> | undefined
  /** Sent as an `application/x-www-form-urlencoded` body. */
  readonly form?: Readonly<Record<string, ParamValue>> | undefined
  /** Extra headers (e.g. `casMd5`, `betaIps`, `Long-Pulling-Timeout`). */
  readonly headers?: Readonly<Record<string, string>> | undefined
  /** What the request touches: signed by access-key auth, named in errors. */
  readonly resource: AuthResource
  /** Defaults to the options' request timeout (`grpc.timeoutMillis`); long polls pass their own. */
  readonly timeoutMillis?: number | undefined
  /**
   * Whether sending the request twice does no harm, so it may be re-sent to the next server after a timeout.
   * Default: every method but POST.
   */
  readonly idempotent?: boolean | undefined
}

/**
 * A server's answer, whatever its status.
 *
 * @category models
 * @since 0.1.0
 */
export interface NacosHttpResponse {
  readonly status: number
  /** Lower-case header names. */
  readonly headers: Readonly<Record<string, string>>
  readonly text: string
  /** The body as received (skill ZIPs are binary). */
  readonly bytes: Uint8Array
  /** The server that answered. */
  readonly server: ServerAddress
}

/**
 * What a checked call (`requestOk`, `getText`, `getEnvelope`) fails with.
 *
 * @category errors
 * @since 0.1.0
 */
export type NacosHttpError =
  | TransportError
  | AuthError
  | ServerError
  | NotFoundError
  | ConflictError
  | InvalidArgumentError

/**
 * @category services
 * @since 0.1.0
 */
export class NacosHttp extends Context.Service<
  NacosHttp,
  {
    /**
     * Sends the request and returns the answer as is, whatever its status. Fails only when no server answered
     * (`TransportError`, including timeouts) or the identity could not be obtained.
     *
     * @example
     * ```ts
     * import { NacosHttp } from "@effect-nacos/core"
     * import { Effect } from "effect"
     *
     * const health = Effect.gen(function* () {
     *   const http = yield* NacosHttp.NacosHttp
     *   const answer = yield* http.request({
     *     method: "GET",
     *     path: "/v3/admin/core/state/liveness",
     *     resource: { module: "internal" }
     *   })
     *   return answer.status === 200
     * })
     * ```
     */
    readonly request: (options: RequestOptions) => Effect.Effect<NacosHttpResponse, TransportError | AuthError>
    /**
     * `request`, with a non-2xx status turned into a typed error (and a 403 reported to `Auth.onForbidden`).
     *
     * @example
     * ```ts
     * import { NacosHttp } from "@effect-nacos/core"
     * import { Effect } from "effect"
     *
     * const lastModified = Effect.gen(function* () {
     *   const http = yield* NacosHttp.NacosHttp
     *   const answer = yield* http.requestOk({
     *     method: "GET",
     *     path: "/v1/cs/configs",
     *     urlParams: { dataId: "app.yaml", group: "DEFAULT_GROUP" },
     *     resource: { module: "config", group: "DEFAULT_GROUP", name: "app.yaml" }
     *   })
     *   return answer.headers["last-modified"]
     * })
     * ```
     */
    readonly requestOk: (options: RequestOptions) => Effect.Effect<NacosHttpResponse, NacosHttpError>
    /**
     * The body of a 2xx answer (v1 APIs answer raw text: `true`, `ok`, config content…).
     *
     * @example
     * ```ts
     * import { NacosHttp } from "@effect-nacos/core"
     * import { Effect } from "effect"
     *
     * const content = Effect.flatMap(NacosHttp.NacosHttp, (http) =>
     *   http.getText({
     *     method: "GET",
     *     path: "/v1/cs/configs",
     *     urlParams: { dataId: "app.yaml", group: "DEFAULT_GROUP" },
     *     resource: { module: "config", group: "DEFAULT_GROUP", name: "app.yaml" }
     *   })
     * )
     * ```
     */
    readonly getText: (options: RequestOptions) => Effect.Effect<string, NacosHttpError>
    /**
     * The body of a 2xx answer as bytes (a skill ZIP); any other answer fails as `getEnvelope` maps it (its error
     * body is the envelope).
     *
     * @example
     * ```ts
     * import { NacosHttp } from "@effect-nacos/core"
     * import { Effect } from "effect"
     *
     * const download = (path: string) =>
     *   Effect.flatMap(NacosHttp.NacosHttp, (http) => http.getBytes({ method: "GET", path, resource: { module: "ai" } }))
     * ```
     */
    readonly getBytes: (options: RequestOptions) => Effect.Effect<Uint8Array, NacosHttpError>
    /**
     * The `data` of a v2/v3 `{code, message, data}` envelope with `code` 0, decoded with `schema`. Other codes map to
     * typed errors: 20004 → NotFoundError, 20005 → ConflictError, 403/10001 → AuthError (after
     * `Auth.onForbidden`), 400/10000/20002 → InvalidArgumentError, anything else → ServerError. An answer without
     * an envelope maps by its status, except that a bare 404 or 409 (or an envelope-like JSON with `code` 404 or
     * 409) is a ServerError: only Nacos' own codes can say a resource is missing or conflicting, not a proxy or a
     * wrong path.
     *
     * @example
     * ```ts
     * import { NacosHttp } from "@effect-nacos/core"
     * import { Effect, Schema } from "effect"
     *
     * const ConfigDetail = Schema.Struct({ dataId: Schema.String, content: Schema.String, md5: Schema.String })
     * const detail = Effect.flatMap(NacosHttp.NacosHttp, (http) =>
     *   http.getEnvelope(ConfigDetail, {
     *     method: "GET",
     *     path: "/v3/client/cs/config",
     *     urlParams: { dataId: "app.yaml", groupName: "DEFAULT_GROUP" },
     *     resource: { module: "config", group: "DEFAULT_GROUP", name: "app.yaml" }
     *   })
     * ) // fails with NotFoundError (20004) when there is no such config
     * ```
     */
    readonly getEnvelope: <S extends Schema.Constraint>(
      schema: S,
      options: RequestOptions
    ) => Effect.Effect<S["Type"], NacosHttpError, S["DecodingServices"]>
  }
>()("@effect-nacos/core/NacosHttp") {}

// =============================================================================
// Error mapping
// =============================================================================

/** An answer we could not make sense of: not retryable (NacosException.CLIENT_ERROR-style negative code). */
const UNREADABLE_ANSWER_CODE = -1

const MAX_ERROR_BODY_CHARS = 300

/** The start of a server's answer for an error message, with anything token-like taken out (servers echo). */
const excerpt = (text: string): string => {
  const trimmed = scrubSecrets(text.trim())
  return trimmed.length > MAX_ERROR_BODY_CHARS ? `${trimmed.slice(0, MAX_ERROR_BODY_CHARS)}…` : trimmed
}

/** `config:ns/group/name`, for NotFound/Conflict errors. */
const describeResource = (resource: AuthResource): string =>
  `${resource.module}:${[resource.namespace, resource.group, resource.name]
    .filter((part) => part !== undefined && part !== "")
    .join("/")}`

const requestLabel = (options: RequestOptions): string => `${options.method} ${options.path}`

const NOT_FOUND_CODES: ReadonlySet<number> = new Set([404, 20004])
const CONFLICT_CODES: ReadonlySet<number> = new Set([409, 20005])
const FORBIDDEN_CODES: ReadonlySet<number> = new Set([401, 403, 10001])
const INVALID_ARGUMENT_CODES: ReadonlySet<number> = new Set([400, 10000, 20002])

/** The typed error for a failure `code` (an HTTP status or an envelope code; their ranges do not overlap). */
const errorForCode = (
  code: number,
  message: string,
  options: RequestOptions
): AuthError | ServerError | NotFoundError | ConflictError | InvalidArgumentError => {
  if (NOT_FOUND_CODES.has(code)) return new NotFoundError({ resource: describeResource(options.resource), message })
  if (CONFLICT_CODES.has(code)) return new ConflictError({ resource: describeResource(options.resource), message })
  if (FORBIDDEN_CODES.has(code)) return new AuthError({ message, errorCode: code })
  // The server's message names the offending parameter; there is no separate field to point at.
  if (INVALID_ARGUMENT_CODES.has(code)) return new InvalidArgumentError({ field: "request", message })
  return new ServerError({ errorCode: code, message, requestType: requestLabel(options) })
}

/** v2/v3 `Result`: success is `code` 0; on failure `data` may hold the detailed error text. */
const Envelope = Schema.Struct({
  code: Schema.Number,
  message: Schema.optional(Schema.NullOr(Schema.String)),
  data: Schema.optional(Schema.Unknown)
})
const decodeEnvelope = Schema.decodeUnknownOption(Schema.fromJsonString(Envelope))

const isOk = (status: number): boolean => status >= 200 && status < 300

/** Statuses that, without a v2/v3 envelope (or as its `code`), say nothing about Nacos data (see `getEnvelope`). */
const FOREIGN_STATUSES: ReadonlySet<number> = new Set([404, 409])

// =============================================================================
// Constructors
// =============================================================================

/** Statuses after which the next server is tried: the request was not handled (gateway error, overload). */
const NOT_HANDLED_STATUSES: ReadonlySet<number> = new Set([502, 503])
/**
 * The part of those a non-idempotent request may also move on after: a gateway's 502 may come after the server
 * behind it applied the request, a 503 is the server (or gateway) refusing to handle it.
 */
const SURELY_NOT_HANDLED_STATUSES: ReadonlySet<number> = new Set([503])

/**
 * Error codes of a connection that was never made, so no byte of the request left: refused, no such host, no
 * route, a TLS handshake that refused the server's certificate. Anything else (timeout, reset) may have happened
 * after the request was sent.
 */
const NEVER_CONNECTED_CODES: ReadonlyArray<string> = [
  "ECONNREFUSED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EADDRNOTAVAIL",
  "UND_ERR_CONNECT_TIMEOUT",
  "ERR_TLS_CERT_ALTNAME_INVALID",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "CERT_HAS_EXPIRED"
]

/** The codes and messages along an error's `cause` chain (and inside an AggregateError's `errors`). */
const causeTexts = (cause: unknown, depth = 0): ReadonlyArray<string> => {
  if (depth > 8 || typeof cause !== "object" || cause === null) return []
  const own = [
    ...("code" in cause && typeof cause.code === "string" ? [cause.code] : []),
    ...(cause instanceof Error ? [cause.message] : [])
  ]
  const nested = "cause" in cause ? causeTexts(cause.cause, depth + 1) : []
  const grouped =
    "errors" in cause && Array.isArray(cause.errors)
      ? cause.errors.flatMap((inner: unknown) => causeTexts(inner, depth + 1))
      : []
  return [...own, ...nested, ...grouped]
}

/** True when the HttpClient failed before any part of the request could reach a server. */
const neverReachedServer = (error: HttpClientError.HttpClientError): boolean => {
  const reason = error.reason
  if (reason._tag === "InvalidUrlError" || reason._tag === "EncodeError") return true
  if (reason._tag !== "TransportError") return false
  const texts = causeTexts(reason.cause)
  return NEVER_CONNECTED_CODES.some((code) => texts.some((text) => text.includes(code)))
}

/** One attempt at one server that got no answer; `delivered` says whether the server may have seen it. */
interface AttemptFailure {
  readonly error: TransportError
  readonly delivered: "no" | "maybe"
}

const textDecoder = new TextDecoder()

const isIdempotent = (options: RequestOptions): boolean => options.idempotent ?? options.method !== "POST"

/** `Request-Module` as the Java client spells it (`Config`, `Naming`…). */
const requestModule = (resource: AuthResource): string =>
  `${resource.module.charAt(0).toUpperCase()}${resource.module.slice(1)}`

const sameServer = (a: ServerAddress, b: ServerAddress): boolean =>
  a.scheme === b.scheme && a.host === b.host && a.port === b.port

const definedParams = (params: Readonly<Record<string, ParamValue>>): Array<readonly [string, string]> =>
  Object.entries(params).flatMap(([name, value]) => (value === undefined ? [] : [[name, String(value)] as const]))

/**
 * @category constructors
 * @since 0.1.0
 */
export const make = Effect.fnUntraced(function* (): Effect.fn.Return<
  NacosHttp["Service"],
  never,
  NacosOptions | ServerList | Auth | HttpClient.HttpClient
> {
  const options = yield* NacosOptions
  const serverList = yield* ServerList
  const auth = yield* Auth
  const client = yield* HttpClient.HttpClient
  /** The server that answered last: tried first, so a healthy server keeps the traffic. */
  const preferredRef = yield* Ref.make(Option.none<ServerAddress>())

  const send = (
    server: ServerAddress,
    requestOptions: RequestOptions,
    identity: Record<string, string>
  ): Effect.Effect<NacosHttpResponse, AttemptFailure> => {
    const timeoutMillis = requestOptions.timeoutMillis ?? options.grpc.timeoutMillis
    let request = HttpClientRequest.make(requestOptions.method)(
      `${server.httpBase}${options.contextPath}${requestOptions.path}`
    ).pipe(
      HttpClientRequest.setHeaders({
        ...requestOptions.headers,
        ...identity,
        "Client-Version": CLIENT_VERSION,
        "User-Agent": CLIENT_VERSION,
        "Request-Module": requestModule(requestOptions.resource)
      })
    )
    if (requestOptions.urlParams !== undefined) {
      request = HttpClientRequest.setUrlParams(request, definedParams(requestOptions.urlParams))
    }
    if (requestOptions.form !== undefined) {
      request = HttpClientRequest.bodyUrlParams(request, definedParams(requestOptions.form))
    }
    return client.execute(request).pipe(
      Effect.flatMap((response) =>
        Effect.map(response.arrayBuffer, (buffer): NacosHttpResponse => {
          const bytes = new Uint8Array(buffer)
          return {
            status: response.status,
            headers: { ...response.headers },
            text: textDecoder.decode(bytes),
            bytes,
            server
          }
        })
      ),
      Effect.catchTag("HttpClientError", (error) =>
        Effect.fail<AttemptFailure>({
          // the request is named once, by the caller; the cause is the network error alone (no request headers)
          error: new TransportError({
            message: `${server}: ${describeHttpClientError(error)}`,
            cause: networkErrorOf(error.reason.cause)
          }),
          delivered: neverReachedServer(error) ? "no" : "maybe"
        })
      ),
      Effect.timeoutOrElse({
        duration: Duration.millis(timeoutMillis),
        orElse: () =>
          Effect.fail<AttemptFailure>({
            error: new TransportError({ message: `${server}: timed out after ${timeoutMillis} ms` }),
            delivered: "maybe"
          })
      }),
      withSecretHeadersRedacted
    )
  }

  /** The preferred server while it is still listed, else the ServerList's pick. */
  const firstServer = Effect.gen(function* () {
    const servers = yield* serverList.current
    const preferred = yield* Ref.get(preferredRef)
    if (Option.isSome(preferred) && servers.some((server) => sameServer(server, preferred.value))) {
      return { server: preferred.value, count: servers.length }
    }
    return { server: yield* serverList.next(Option.none()), count: servers.length }
  })

  const request = Effect.fn("NacosHttp.request")(function* (
    requestOptions: RequestOptions
  ): Effect.fn.Return<NacosHttpResponse, TransportError | AuthError> {
    yield* Effect.annotateCurrentSpan({
      "nacos.http.method": requestOptions.method,
      "nacos.http.path": requestOptions.path
    })
    const idempotent = isIdempotent(requestOptions)
    const movesOnAfter = idempotent ? NOT_HANDLED_STATUSES : SURELY_NOT_HANDLED_STATUSES
    const first = yield* firstServer
    const attempts = Math.max(1, first.count)
    let server = first.server
    const failures: Array<string> = []
    for (let attempt = 1; ; attempt++) {
      // per attempt: an access-key signature is only valid for a while, and the Java client signs per server too
      const identity = yield* auth.identity(requestOptions.resource)
      const outcome = yield* Effect.result(send(server, requestOptions, identity))
      const isLastAttempt = attempt >= attempts
      if (outcome._tag === "Success") {
        if (isLastAttempt || !movesOnAfter.has(outcome.success.status)) {
          yield* Ref.set(preferredRef, Option.some(server))
          return outcome.success
        }
        failures.push(`${server} answered ${outcome.success.status}`)
      } else {
        failures.push(outcome.failure.error.message)
        if (!idempotent && outcome.failure.delivered === "maybe") {
          return yield* new TransportError({
            message: `${requestLabel(requestOptions)}: outcome unknown, the server may have applied it; not re-sent (${failures.join("; ")})`,
            cause: outcome.failure.error.cause
          })
        }
        if (isLastAttempt) {
          return yield* new TransportError({
            message: `${requestLabel(requestOptions)}: no Nacos server answered (${failures.join("; ")})`,
            cause: outcome.failure.error.cause
          })
        }
      }
      yield* Effect.logDebug(`Nacos HTTP: trying the next server after ${failures[failures.length - 1]}`)
      server = yield* serverList.next(Option.some(server))
    }
  })

  /** A typed error for a non-2xx answer; a 403 is reported to Auth first, so the next call carries a new token. */
  const failureFor = Effect.fnUntraced(function* (
    code: number,
    message: string,
    requestOptions: RequestOptions
  ): Effect.fn.Return<never, NacosHttpError> {
    const error = errorForCode(code, message, requestOptions)
    if (error._tag === "AuthError") yield* auth.onForbidden
    return yield* error
  })

  const requestOk = Effect.fn("NacosHttp.requestOk")(function* (
    requestOptions: RequestOptions
  ): Effect.fn.Return<NacosHttpResponse, NacosHttpError> {
    const response = yield* request(requestOptions)
    if (isOk(response.status)) return response
    return yield* failureFor(
      response.status,
      `${requestLabel(requestOptions)}: HTTP ${response.status}: ${excerpt(response.text)}`,
      requestOptions
    )
  })

  const getText = (requestOptions: RequestOptions): Effect.Effect<string, NacosHttpError> =>
    Effect.map(requestOk(requestOptions), (response) => response.text)

  /** A failed answer without a usable v2/v3 envelope, by its status. */
  const bareFailure = (
    response: NacosHttpResponse,
    requestOptions: RequestOptions
  ): Effect.Effect<never, NacosHttpError> =>
    // "not found" and "conflict" are claims about Nacos data that only Nacos' own envelope can make: a bare 404
    // is a wrong path, a proxy or another server on the port, and must not read as "the config is gone"
    FOREIGN_STATUSES.has(response.status)
      ? Effect.fail(
          new ServerError({
            errorCode: response.status,
            message: `${requestLabel(requestOptions)} at ${response.server}: HTTP ${response.status} without a Nacos answer (a wrong contextPath, or something else on that port?): ${excerpt(response.text)}`,
            requestType: requestLabel(requestOptions)
          })
        )
      : failureFor(
          response.status,
          `${requestLabel(requestOptions)}: HTTP ${response.status}: ${excerpt(response.text)}`,
          requestOptions
        )

  /** An envelope whose `code` is not 0. */
  const envelopeFailure = (
    envelope: typeof Envelope.Type,
    response: NacosHttpResponse,
    requestOptions: RequestOptions
  ): Effect.Effect<never, NacosHttpError> => {
    const { code, data } = envelope
    const message = envelope.message == null ? envelope.message : scrubSecrets(envelope.message)
    const detail = typeof data === "string" && data !== "" && data !== message ? `: ${excerpt(data)}` : ""
    // Nacos' envelopes say "not found" / "conflict" as 20004 / 20005; a `code` 404 or 409 is someone else's JSON
    if (FOREIGN_STATUSES.has(code)) {
      return Effect.fail(
        new ServerError({
          errorCode: code,
          message: `${requestLabel(requestOptions)} at ${response.server}: code ${code} is not a Nacos answer: ${message ?? ""}${detail}`,
          requestType: requestLabel(requestOptions)
        })
      )
    }
    return failureFor(code, `${requestLabel(requestOptions)}: ${message ?? `code ${code}`}${detail}`, requestOptions)
  }

  const getEnvelope = <S extends Schema.Constraint>(
    schema: S,
    requestOptions: RequestOptions
  ): Effect.Effect<S["Type"], NacosHttpError, S["DecodingServices"]> =>
    Effect.gen(function* () {
      const response = yield* request(requestOptions)
      const envelope = decodeEnvelope(response.text)
      if (Option.isNone(envelope)) {
        if (isOk(response.status)) {
          return yield* new ServerError({
            errorCode: UNREADABLE_ANSWER_CODE,
            message: `${requestLabel(requestOptions)}: answer is not a {code, message, data} envelope: ${excerpt(response.text)}`,
            requestType: requestLabel(requestOptions)
          })
        }
        return yield* bareFailure(response, requestOptions)
      }
      if (envelope.value.code !== 0) return yield* envelopeFailure(envelope.value, response, requestOptions)
      return yield* Schema.decodeUnknownEffect(schema)(envelope.value.data).pipe(
        Effect.mapError(
          (error) =>
            new ServerError({
              errorCode: UNREADABLE_ANSWER_CODE,
              message: `${requestLabel(requestOptions)}: unexpected data: ${error.message}`,
              requestType: requestLabel(requestOptions)
            })
        )
      )
    }).pipe(Effect.withSpan("NacosHttp.getEnvelope"))

  const getBytes = (requestOptions: RequestOptions): Effect.Effect<Uint8Array, NacosHttpError> =>
    Effect.gen(function* () {
      const response = yield* request(requestOptions)
      if (isOk(response.status)) return response.bytes
      const envelope = decodeEnvelope(response.text)
      return yield* Option.isSome(envelope) && envelope.value.code !== 0
        ? envelopeFailure(envelope.value, response, requestOptions)
        : bareFailure(response, requestOptions)
    }).pipe(Effect.withSpan("NacosHttp.getBytes"))

  return NacosHttp.of({ request, requestOk, getText, getBytes, getEnvelope })
})

/**
 * @category layers
 * @since 0.1.0
 */
export const layer: Layer.Layer<NacosHttp, never, NacosOptions | ServerList | Auth | HttpClient.HttpClient> =
  Layer.effect(NacosHttp, make())
