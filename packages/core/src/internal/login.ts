/**
 * One username/password login against a list of servers (protocol reference §4.1).
 *
 * `POST {base}{contextPath}/v3/auth/user/login` with `username` in the query and `password` in a form body; a v3 answer
 * of 404 or 501 (an older server) falls back to `/v1/auth/users/login` on the same server. Servers are tried in list
 * order until one answers. The password travels only inside the request body and never reaches a log line or an
 * error message; the token comes back `Redacted`.
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Headers from "effect/http/Headers"
import type * as HttpClient from "effect/http/HttpClient"
import type * as HttpClientError from "effect/http/HttpClientError"
import * as HttpClientRequest from "effect/http/HttpClientRequest"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import { AuthError, TransportError } from "../NacosError.ts"
import type { ServerAddress } from "../ServerAddress.ts"
import { CLIENT_VERSION } from "./version.ts"

export const LOGIN_PATH_V3 = "/v3/auth/user/login"
export const LOGIN_PATH_V1 = "/v1/auth/users/login"

/** Header names whose values are secrets: redacted from the HttpClient's spans (it records request headers). */
export const SECRET_HEADER_NAMES: ReadonlyArray<string> = [
  "accesstoken",
  "spas-signature",
  "spas-securitytoken",
  "signature"
]

/** Runs an HttpClient effect with our secret header names added to the redaction list its tracing uses. */
export const withSecretHeadersRedacted = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.updateService(effect, Headers.CurrentRedactedNames, (names) => [...names, ...SECRET_HEADER_NAMES])

/** The login answer: a raw JSON object, not the `{code, message, data}` envelope. Extra fields are ignored. */
const LoginResponse = Schema.Struct({
  accessToken: Schema.String,
  /** Seconds. */
  tokenTtl: Schema.Number,
  globalAdmin: Schema.optional(Schema.Boolean),
  username: Schema.optional(Schema.String)
})

/** What a failing v2/v3 controller answers instead (e.g. 23000 when the auth system does not support login). */
const FailureEnvelope = Schema.Struct({
  code: Schema.Number,
  message: Schema.optional(Schema.NullOr(Schema.String))
})

const decodeLoginResponse = Schema.decodeUnknownEffect(Schema.fromJsonString(LoginResponse))
const decodeFailureEnvelope = Schema.decodeUnknownOption(Schema.fromJsonString(FailureEnvelope))

/** A successful login. */
export interface LoginSuccess {
  readonly accessToken: Redacted.Redacted<string>
  readonly tokenTtlSeconds: number
  readonly server: ServerAddress
}

export interface LoginParameters {
  readonly client: HttpClient.HttpClient
  readonly servers: ReadonlyArray<ServerAddress>
  readonly contextPath: string
  readonly username: string
  readonly password: Redacted.Redacted<string>
  readonly timeoutMillis: number
}

/** Statuses with which the v3 endpoint says "not here": the server predates it, so ask v1. */
const V3_MISSING_STATUSES: ReadonlySet<number> = new Set([404, 501])
/**
 * Statuses with which a server rejects the credentials. Per the protocol reference (§4.3, §9) the default auth plugin
 * throws `AccessException`, which `NacosApiExceptionHandler` turns into HTTP **403** (body like "unknown user!");
 * 401 is accepted too. The real pig-mesh 3.1.0 server answers a wrong password on the server port with HTTP **500**
 * ("No message available") on both v3 and v1, which lands in the generic failure below: still an AuthError.
 */
const REJECTED_CREDENTIALS_STATUSES: ReadonlySet<number> = new Set([401, 403])

const MAX_MESSAGE_BODY_CHARS = 200

/**
 * A short excerpt of a server's answer, for error messages, with the password removed in every spelling a server
 * might echo it back (raw, form-encoded, URI-encoded, JSON-escaped).
 */
const bodyExcerpt = (body: string, password: Redacted.Redacted<string>): string => {
  const secret = Redacted.value(password)
  const spellings =
    secret === ""
      ? []
      : [
          secret,
          new URLSearchParams([["", secret]]).toString().slice(1),
          encodeURIComponent(secret),
          JSON.stringify(secret).slice(1, -1)
        ]
  const scrubbed = spellings.reduce((text, spelling) => text.split(spelling).join("<redacted>"), body)
  const trimmed = scrubbed.trim()
  return trimmed.length > MAX_MESSAGE_BODY_CHARS ? `${trimmed.slice(0, MAX_MESSAGE_BODY_CHARS)}…` : trimmed
}

/**
 * Describes an HttpClient failure without its request (whose body holds the password): the reason's message names
 * only method and URL, and the underlying cause (e.g. ECONNREFUSED) is reduced to its message.
 */
export const describeHttpClientError = (error: HttpClientError.HttpClientError): string => {
  const cause = error.reason.cause
  const causeMessage = cause instanceof Error ? `: ${cause.message}` : ""
  return `${error.reason.message}${causeMessage}`
}

type Attempt =
  | { readonly _tag: "Answered"; readonly status: number; readonly body: string }
  | { readonly _tag: "Unreachable"; readonly message: string }

const postLogin = (parameters: LoginParameters, server: ServerAddress, path: string): Effect.Effect<Attempt> =>
  HttpClientRequest.post(`${server.httpBase}${parameters.contextPath}${path}`).pipe(
    HttpClientRequest.setUrlParams({ username: parameters.username }),
    HttpClientRequest.bodyUrlParams({ password: parameters.password }),
    HttpClientRequest.setHeaders({ "Client-Version": CLIENT_VERSION, "User-Agent": CLIENT_VERSION }),
    HttpClientRequest.acceptJson,
    parameters.client.execute,
    Effect.flatMap((response) =>
      Effect.map(response.text, (body): Attempt => ({ _tag: "Answered", status: response.status, body }))
    ),
    Effect.catchTag("HttpClientError", (error) =>
      Effect.succeed<Attempt>({ _tag: "Unreachable", message: describeHttpClientError(error) })
    ),
    Effect.timeoutOrElse({
      duration: Duration.millis(parameters.timeoutMillis),
      orElse: () =>
        Effect.succeed<Attempt>({ _tag: "Unreachable", message: `timed out after ${parameters.timeoutMillis} ms` })
    }),
    withSecretHeadersRedacted
  )

type ServerOutcome =
  | { readonly _tag: "LoggedIn"; readonly success: LoginSuccess }
  /** The server rejected the credentials: every server shares them, so stop. */
  | { readonly _tag: "Rejected"; readonly error: AuthError }
  /** This server could not log us in (unreachable, or an unexpected answer): try the next one. */
  | { readonly _tag: "Failed"; readonly error: AuthError | TransportError }

const loginAt = Effect.fnUntraced(function* (
  parameters: LoginParameters,
  server: ServerAddress
): Effect.fn.Return<ServerOutcome> {
  let attempt = yield* postLogin(parameters, server, LOGIN_PATH_V3)
  if (attempt._tag === "Answered" && V3_MISSING_STATUSES.has(attempt.status)) {
    attempt = yield* postLogin(parameters, server, LOGIN_PATH_V1)
  }
  if (attempt._tag === "Unreachable") {
    return {
      _tag: "Failed",
      error: new TransportError({ message: `login at ${server}: ${attempt.message}` })
    }
  }
  const excerpt = bodyExcerpt(attempt.body, parameters.password)
  if (REJECTED_CREDENTIALS_STATUSES.has(attempt.status)) {
    return {
      _tag: "Rejected",
      error: new AuthError({
        message: `login as ${JSON.stringify(parameters.username)} rejected by ${server} (HTTP ${attempt.status}): ${excerpt}`,
        errorCode: attempt.status
      })
    }
  }
  if (attempt.status >= 200 && attempt.status < 300) {
    const decoded = yield* Effect.result(decodeLoginResponse(attempt.body))
    if (decoded._tag === "Success") {
      return {
        _tag: "LoggedIn",
        success: {
          accessToken: Redacted.make(decoded.success.accessToken),
          tokenTtlSeconds: decoded.success.tokenTtl,
          server
        }
      }
    }
  }
  // An envelope failure (e.g. 23000: the server's auth system has no login API) or any other answer.
  const envelope = decodeFailureEnvelope(attempt.body)
  return {
    _tag: "Failed",
    error: new AuthError({
      message: `login at ${server} failed (HTTP ${attempt.status}): ${excerpt}`,
      errorCode: envelope._tag === "Some" ? envelope.value.code : attempt.status
    })
  }
})

/**
 * Logs in at the first server that accepts, trying them in list order. Fails with `AuthError` when the credentials
 * are rejected (or no server can issue a token) and with `TransportError` when no server could be reached.
 */
export const login = Effect.fnUntraced(function* (
  parameters: LoginParameters
): Effect.fn.Return<LoginSuccess, AuthError | TransportError> {
  const failures: Array<AuthError | TransportError> = []
  for (const server of parameters.servers) {
    const outcome = yield* loginAt(parameters, server)
    switch (outcome._tag) {
      case "LoggedIn":
        return outcome.success
      case "Rejected":
        return yield* outcome.error
      case "Failed":
        failures.push(outcome.error)
    }
  }
  // Prefer a server's own answer over "unreachable": it says more about what is wrong.
  const answered = failures.find((failure) => failure._tag === "AuthError")
  if (answered !== undefined) return yield* answered
  return yield* new TransportError({
    message:
      failures.length === 0
        ? "login: no Nacos server address to try"
        : `login: no Nacos server reachable (${failures.map((failure) => failure.message).join("; ")})`
  })
})
