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
import * as HttpClientRequest from "effect/http/HttpClientRequest"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import { AuthError, TransportError } from "../NacosError.ts"
import type { ServerAddress } from "../ServerAddress.ts"
import { describeHttpClientError, networkErrorOf } from "./httpClientErrorText.ts"
import { scrubSecrets } from "./scrubSecrets.ts"
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
 * throws `AccessException`, which `NacosApiExceptionHandler` turns into HTTP **403**; 401 is accepted too. The real
 * 3.1.0 server answers an unknown user with 403 ("Access Denied") and a wrong password with a bare 500, see
 * {@link isBareServerError}.
 */
const REJECTED_CREDENTIALS_STATUSES: ReadonlySet<number> = new Set([401, 403])

/**
 * Spring's default error body: what Nacos 3.1.0 answers on the login endpoint for a wrong (or missing) password,
 * HTTP 500 with no message. Any other 500 (one that says what went wrong) stays a server failure.
 */
const SpringErrorBody = Schema.Struct({ status: Schema.Number, message: Schema.optional(Schema.String) })
const decodeSpringErrorBody = Schema.decodeUnknownOption(Schema.fromJsonString(SpringErrorBody))

const isBareServerError = (status: number, body: string): boolean =>
  status === 500 &&
  decodeSpringErrorBody(body).pipe(
    Option.exists(
      (error) => error.status === 500 && (error.message ?? "No message available") === "No message available"
    )
  )

const MAX_MESSAGE_BODY_CHARS = 200

/** A short excerpt of a server's answer, for error messages, with the password and anything token-like removed. */
const bodyExcerpt = (body: string, password: Redacted.Redacted<string>): string => {
  const trimmed = scrubSecrets(body, [Redacted.value(password)]).trim()
  return trimmed.length > MAX_MESSAGE_BODY_CHARS ? `${trimmed.slice(0, MAX_MESSAGE_BODY_CHARS)}…` : trimmed
}

type Attempt =
  | { readonly _tag: "Answered"; readonly status: number; readonly body: string }
  /** `cause` is the network error alone: the HttpClientError would carry the request, whose body is the password. */
  | { readonly _tag: "Unreachable"; readonly message: string; readonly cause?: Error | undefined }

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
      Effect.succeed<Attempt>({
        _tag: "Unreachable",
        message: describeHttpClientError(error),
        cause: networkErrorOf(error.reason.cause)
      })
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
  /** This server could not log us in (an unexpected answer): try the next one. */
  | { readonly _tag: "Failed"; readonly error: AuthError }
  /** This server could not be reached: try the next one. */
  | { readonly _tag: "Unreachable"; readonly server: ServerAddress; readonly message: string; readonly cause?: Error }

const loginAt = Effect.fnUntraced(function* (
  parameters: LoginParameters,
  server: ServerAddress
): Effect.fn.Return<ServerOutcome> {
  let attempt = yield* postLogin(parameters, server, LOGIN_PATH_V3)
  if (attempt._tag === "Answered" && V3_MISSING_STATUSES.has(attempt.status)) {
    attempt = yield* postLogin(parameters, server, LOGIN_PATH_V1)
  }
  if (attempt._tag === "Unreachable") {
    return { _tag: "Unreachable", server, message: attempt.message, ...(attempt.cause ? { cause: attempt.cause } : {}) }
  }
  if (V3_MISSING_STATUSES.has(attempt.status)) {
    // neither login path exists here: not a Nacos server at this address and context path, so not a credentials
    // problem (callers may serve their snapshots as for an unreachable server)
    return {
      _tag: "Unreachable",
      server,
      message: `HTTP ${attempt.status} for ${parameters.contextPath}${LOGIN_PATH_V1}: no Nacos login here (a wrong contextPath?)`
    }
  }
  const who = `login as ${JSON.stringify(parameters.username)} at ${server}`
  if (REJECTED_CREDENTIALS_STATUSES.has(attempt.status) || isBareServerError(attempt.status, attempt.body)) {
    // the server's body says nothing more (e.g. "Access Denied", "No message available"): left out
    return {
      _tag: "Rejected",
      error: new AuthError({
        message: `${who}: wrong username or password (HTTP ${attempt.status})`,
        errorCode: attempt.status
      })
    }
  }
  const excerpt = bodyExcerpt(attempt.body, parameters.password)
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
    return {
      _tag: "Failed",
      error: new AuthError({
        message: `${who}: the HTTP ${attempt.status} answer is not {accessToken, tokenTtl}: ${excerpt}`,
        errorCode: attempt.status
      })
    }
  }
  // An envelope failure (e.g. 23000: the server's auth system has no login API) or any other answer.
  const envelope = decodeFailureEnvelope(attempt.body)
  return {
    _tag: "Failed",
    error: new AuthError({
      message: `${who} failed (HTTP ${attempt.status}): ${excerpt}`,
      errorCode: envelope._tag === "Some" ? envelope.value.code : attempt.status
    })
  }
})

/**
 * Logs in at the first server that accepts, trying them in list order. Fails with `AuthError` when the credentials
 * are rejected (or no server can issue a token) and with `TransportError` when no server could be reached; the
 * latter names each server with its network error (ECONNREFUSED, ENOTFOUND, a TLS step) and keeps the last one as
 * its `cause`.
 */
export const login = Effect.fnUntraced(function* (
  parameters: LoginParameters
): Effect.fn.Return<LoginSuccess, AuthError | TransportError> {
  const answered: Array<AuthError> = []
  const unreachable: Array<Extract<ServerOutcome, { _tag: "Unreachable" }>> = []
  for (const server of parameters.servers) {
    const outcome = yield* loginAt(parameters, server)
    switch (outcome._tag) {
      case "LoggedIn":
        return outcome.success
      case "Rejected":
        return yield* outcome.error
      case "Failed":
        answered.push(outcome.error)
        break
      case "Unreachable":
        unreachable.push(outcome)
    }
  }
  // Prefer a server's own answer over "unreachable": it says more about what is wrong.
  if (answered.length > 0) return yield* answered[0]!
  const last = unreachable[unreachable.length - 1]
  return yield* new TransportError({
    message:
      last === undefined
        ? "login: no Nacos server address to try"
        : `login as ${JSON.stringify(parameters.username)}: no Nacos server reachable (${unreachable
            .map((failure) => `${failure.server}: ${failure.message}`)
            .join("; ")})`,
    ...(last?.cause ? { cause: last.cause } : {})
  })
})
