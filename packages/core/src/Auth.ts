/**
 * Identity for requests: nothing, a username/password login token, access-key signatures, or both.
 *
 * @since 0.1.0
 * @module
 */
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as HttpClient from "effect/http/HttpClient"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Random from "effect/Random"
import * as Redacted from "effect/Redacted"
import * as Ref from "effect/Ref"
import type * as Scope from "effect/Scope"
import { signHeaders } from "./internal/accessKeySigning.ts"
import { login } from "./internal/login.ts"
import { type AuthError, InvalidArgumentError, type TransportError } from "./NacosError.ts"
import { type CredentialsProvider, NacosOptions } from "./NacosOptions.ts"
import * as NacosTelemetry from "./NacosTelemetry.ts"
import { ServerList } from "./ServerList.ts"

/**
 * What a request touches, for access-key signatures (which sign the resource) and logs.
 *
 * For signing, a field left `undefined` is the Java client's `null`, and is signed as Java signs it: config
 * `namespace` + no group signs `ns+null`, AI signs `null+group`, naming without a `name` sends no signature at all;
 * `{ module: "config" }` alone signs the bare timestamp (the batch listen).
 *
 * @category models
 * @since 0.1.0
 */
export interface AuthResource {
  readonly module: "config" | "naming" | "ai" | "internal"
  readonly namespace?: string | undefined
  readonly group?: string | undefined
  /** dataId, serviceName, MCP/agent/prompt name… */
  readonly name?: string | undefined
}

/**
 * @category services
 * @since 0.1.0
 */
export class Auth extends Context.Service<
  Auth,
  {
    /**
     * Headers that identify this client for the given resource: `accessToken` for a login token, the `Spas-*` or
     * `ak`/`data`/`signature` set for access keys. Sent as gRPC `metadata.headers` and as HTTP headers.
     * Waits for an in-flight login (single-flight) rather than starting another.
     */
    readonly identity: (resource: AuthResource) => Effect.Effect<Record<string, string>, AuthError | TransportError>
    /**
     * The server answered 403: log in again (at most once per re-login window, 60 s by default).
     */
    readonly onForbidden: Effect.Effect<void>
  }
>()("@effect-nacos/core/Auth") {}

// =============================================================================
// Policies
// =============================================================================

/**
 * After a 403 the client logs in again only if its last login finished at least this long ago, as the Java client
 * does (`SecurityProxy#reLogin`, `reLoginWindow`): a token the server has just issued and still rejects means "no
 * permission", and logging in again for every such request would flood the server.
 *
 * @since 0.1.0
 */
export const RE_LOGIN_WINDOW_MILLIS = 60_000

/**
 * A failed login is retried (in the background) after this pause, and for this long callers get the same failure
 * rather than starting a login each (the Java client's 5 s security refresh tick).
 *
 * @since 0.1.0
 */
export const LOGIN_RETRY_MILLIS = 5_000

/**
 * A token is used for at least this long, whatever ttl the server announced (the Java client checks its token only
 * on its 5 s security tick): a zero or tiny ttl must not turn every request into a login.
 *
 * @since 0.1.0
 */
export const MIN_TOKEN_LIFETIME_MILLIS = LOGIN_RETRY_MILLIS

/**
 * The refresh happens `window` before the token expires, with `window` uniform in `[ttl/15, ttl/10)` (the Java
 * client's `tokenRefreshWindow`): jitter, so a fleet started together does not log in together.
 */
const refreshWindowSeconds = (tokenTtlSeconds: number): Effect.Effect<number> =>
  Random.nextBetween(tokenTtlSeconds / 15, tokenTtlSeconds / 10)

// =============================================================================
// Layers
// =============================================================================

/**
 * No identity: for servers with auth disabled.
 *
 * @category layers
 * @since 0.1.0
 */
export const layerNone: Layer.Layer<Auth> = Layer.succeed(
  Auth,
  Auth.of({ identity: () => Effect.succeed({}), onForbidden: Effect.void })
)

/** A token the server issued, with the times (epoch millis, from `Clock`) that govern its use. */
interface Token {
  readonly accessToken: Redacted.Redacted<string>
  readonly refreshAtMillis: number
  readonly expiresAtMillis: number
}

type LoginError = AuthError | TransportError

type InFlightLogin = Option.Option<Deferred.Deferred<Token, LoginError>>

const makeUsernamePassword = Effect.fnUntraced(function* (credentials: {
  readonly username: string
  readonly password: Redacted.Redacted<string>
}): Effect.fn.Return<Auth["Service"], never, NacosOptions | ServerList | HttpClient.HttpClient | Scope.Scope> {
  const options = yield* NacosOptions
  const serverList = yield* ServerList
  const client = yield* HttpClient.HttpClient
  const layerScope = yield* Effect.scope

  /** The current token; `None` before the first login and after a 403 invalidated it. */
  const tokenRef = yield* Ref.make(Option.none<Token>())
  /** The login every caller waits on while it runs (single-flight). */
  const inFlightRef = yield* Ref.make<InFlightLogin>(Option.none())
  const lastFailureRef = yield* Ref.make(Option.none<{ readonly error: LoginError; readonly atMillis: number }>())
  /** When the last login (successful or not) finished; the re-login window counts from it. */
  const lastLoginAtRef = yield* Ref.make(Number.NEGATIVE_INFINITY)

  const runLogin = Effect.gen(function* () {
    const servers = yield* serverList.current
    const success = yield* login({
      client,
      servers,
      contextPath: options.contextPath,
      username: credentials.username,
      password: credentials.password,
      timeoutMillis: options.grpc.timeoutMillis
    })
    const now = yield* Clock.currentTimeMillis
    const windowSeconds = yield* refreshWindowSeconds(success.tokenTtlSeconds)
    const token: Token = {
      accessToken: success.accessToken,
      // never sooner than the retry pause: a server announcing a zero ttl must not spin the refresh loop
      refreshAtMillis: now + Math.max(LOGIN_RETRY_MILLIS, Math.floor((success.tokenTtlSeconds - windowSeconds) * 1000)),
      expiresAtMillis: now + Math.max(MIN_TOKEN_LIFETIME_MILLIS, success.tokenTtlSeconds * 1000)
    }
    yield* Ref.set(tokenRef, Option.some(token))
    yield* Ref.set(lastFailureRef, Option.none())
    yield* Ref.set(lastLoginAtRef, now)
    yield* Effect.logDebug(
      `Nacos login as ${credentials.username} at ${success.server} succeeded; token valid for ${success.tokenTtlSeconds} s`
    )
    return token
  }).pipe(
    Effect.tapError((error) =>
      Effect.gen(function* () {
        const now = yield* Clock.currentTimeMillis
        const previous = yield* Ref.getAndSet(lastFailureRef, Option.some({ error, atMillis: now }))
        yield* Ref.set(lastLoginAtRef, now)
        // The error message holds no password or token (see internal/login.ts). The background retry repeats
        // a failure every few seconds: warn when it is new, not every time.
        const repeated = Option.exists(previous, (last) => last.error.message === error.message)
        yield* (repeated ? Effect.logDebug : Effect.logWarning)(`Nacos ${error.message}`)
      })
    ),
    NacosTelemetry.withModule("auth")
  )

  /**
   * Joins the login in flight, or starts one. The login itself runs in a fiber of the layer's scope, so a caller
   * that is interrupted does not cancel it for the others waiting.
   */
  const loginShared: Effect.Effect<Token, LoginError> = Effect.uninterruptibleMask((restore) =>
    Effect.gen(function* () {
      const fresh = yield* Deferred.make<Token, LoginError>()
      const running = yield* Ref.modify(
        inFlightRef,
        (current: InFlightLogin): readonly [InFlightLogin, InFlightLogin] =>
          Option.isSome(current) ? [current, current] : [Option.none(), Option.some(fresh)]
      )
      if (Option.isSome(running)) return yield* restore(Deferred.await(running.value))
      yield* Effect.forkIn(
        runLogin.pipe(Effect.ensuring(Ref.set(inFlightRef, Option.none())), Deferred.into(fresh)),
        layerScope
      )
      return yield* restore(Deferred.await(fresh))
    })
  )

  /** The current token while it has not expired. */
  const usableToken = Effect.gen(function* () {
    const token = yield* Ref.get(tokenRef)
    const now = yield* Clock.currentTimeMillis
    return Option.filter(token, (current) => now < current.expiresAtMillis)
  })

  // runs before every request: a span without a stack capture
  const identity = Effect.fnUntraced(function* (
    _resource: AuthResource
  ): Effect.fn.Return<Record<string, string>, LoginError> {
    const current = yield* usableToken
    if (Option.isSome(current)) return { accessToken: Redacted.value(current.value.accessToken) }
    const inFlight = yield* Ref.get(inFlightRef)
    if (Option.isNone(inFlight)) {
      const lastFailure = yield* Ref.get(lastFailureRef)
      const now = yield* Clock.currentTimeMillis
      if (Option.isSome(lastFailure) && now - lastFailure.value.atMillis < LOGIN_RETRY_MILLIS) {
        return yield* lastFailure.value.error
      }
    }
    const token = yield* loginShared
    return { accessToken: Redacted.value(token.accessToken) }
  }, NacosTelemetry.hotSpan("Auth.identity"))

  const onForbidden = Effect.gen(function* () {
    const now = yield* Clock.currentTimeMillis
    const lastLoginAt = yield* Ref.get(lastLoginAtRef)
    if (now - lastLoginAt < RE_LOGIN_WINDOW_MILLIS) return
    // The server no longer accepts the token: nobody may use it while the new login runs.
    yield* Ref.set(tokenRef, Option.none())
    yield* Effect.logDebug("Nacos answered 403: logging in again")
    yield* Effect.ignore(loginShared)
  }).pipe(Effect.withSpan("Auth.onForbidden"), NacosTelemetry.withModule("auth"))

  /**
   * First login right away (in the background: an unreachable server must not fail the layer), then a refresh
   * before each expiry; a failed login is retried after `LOGIN_RETRY_MILLIS`.
   */
  const refreshLoop = Effect.gen(function* () {
    const token = yield* Ref.get(tokenRef)
    const now = yield* Clock.currentTimeMillis
    if (Option.isSome(token) && now < token.value.refreshAtMillis) {
      return yield* Effect.sleep(Duration.millis(token.value.refreshAtMillis - now))
    }
    const outcome = yield* Effect.exit(loginShared)
    if (Exit.isFailure(outcome)) yield* Effect.sleep(Duration.millis(LOGIN_RETRY_MILLIS))
  }).pipe(Effect.forever)
  yield* Effect.forkScoped(refreshLoop)

  return Auth.of({ identity, onForbidden })
})

/**
 * Username/password: a token from `/v3/auth/user/login` (falling back to `/v1/auth/users/login` on servers without
 * it), sent as the `accessToken` header.
 *
 * **Details**
 *
 * - The first login starts in the background when the layer is built, so an unreachable server does not fail the
 *   build (the client can still serve snapshots). `identity` waits for that login; its failure reaches callers as
 *   `AuthError` (credentials rejected: the first request fails with it) or `TransportError` (no server reachable).
 *   For `LOGIN_RETRY_MILLIS` after a failure callers get that same error; the background retries meanwhile.
 * - The token is refreshed at `ttl − window`, `window` random in `[ttl/15, ttl/10)`, and used for at least
 *   `MIN_TOKEN_LIFETIME_MILLIS` whatever ttl the server announced (a zero ttl is not one login per request).
 * - A failed login is logged at WARN once; its repetitions by the background retry at DEBUG.
 * - Single-flight: every caller arriving while a login runs waits for that login.
 * - `onForbidden` drops the token and logs in again, unless the last login finished less than
 *   `RE_LOGIN_WINDOW_MILLIS` ago.
 *
 * Fails to build with `InvalidArgumentError` when the options carry no username/password.
 *
 * @category layers
 * @since 0.1.0
 */
export const layerUsernamePassword: Layer.Layer<
  Auth,
  InvalidArgumentError,
  NacosOptions | ServerList | HttpClient.HttpClient
> = Layer.effect(
  Auth,
  Effect.gen(function* () {
    const options = yield* NacosOptions
    if (Option.isNone(options.username) || Option.isNone(options.password)) {
      return yield* new InvalidArgumentError({ field: "username", message: "username/password auth needs both" })
    }
    return yield* makeUsernamePassword({ username: options.username.value, password: options.password.value })
  })
)

const makeAccessKey = (
  credentialsProvider: CredentialsProvider,
  signatureRegionId: Option.Option<string>
): Auth["Service"] =>
  Auth.of({
    identity: Effect.fnUntraced(function* (resource: AuthResource) {
      const credentials = yield* credentialsProvider()
      const timestampMillis = yield* Clock.currentTimeMillis
      return signHeaders(resource, { credentials, signatureRegionId }, timestampMillis)
    }, NacosTelemetry.hotSpan("Auth.identity")),
    // Signatures are computed per request: there is nothing to renew.
    onForbidden: Effect.void
  })

/**
 * Access key / secret key (Alibaba Cloud RAM, "Spas"): every request is signed with the credentials the options'
 * `credentialsProvider` supplies at that moment (so rotating STS credentials work).
 *
 * Config and AI requests carry `Spas-AccessKey`, `Timestamp`, `Spas-Signature` (and `Spas-SecurityToken` with STS);
 * naming requests carry `ak`, `data`, `signature`. The timestamp comes from `Clock`. With the option
 * `signatureRegionId`, requests are V4-signed (`signatureVersion: v4`, a key derived from the secret, the UTC date and
 * the region). A blank access key or secret key sends no access-key headers at all, as the Java client does.
 *
 * Fails to build with `InvalidArgumentError` when the options carry no access key.
 *
 * @category layers
 * @since 0.1.0
 */
export const layerAccessKey: Layer.Layer<Auth, InvalidArgumentError, NacosOptions> = Layer.effect(
  Auth,
  Effect.gen(function* () {
    const options = yield* NacosOptions
    if (Option.isNone(options.credentialsProvider)) {
      return yield* new InvalidArgumentError({ field: "accessKey", message: "access-key auth needs credentials" })
    }
    return makeAccessKey(options.credentialsProvider.value, options.signatureRegionId)
  })
)

/** Both identities on every request: the token header and the signature headers, as the Java client sends them. */
const bothIdentities = (token: Auth["Service"], signatures: Auth["Service"]): Auth["Service"] =>
  Auth.of({
    identity: (resource) =>
      Effect.zipWith(token.identity(resource), signatures.identity(resource), (tokenHeaders, signatureHeaders) => ({
        ...tokenHeaders,
        ...signatureHeaders
      })),
    // only a token can be renewed
    onForbidden: token.onForbidden
  })

/**
 * The auth the options ask for: a username/password token when a username is set, access-key signatures when
 * credentials are set, both when both are set (as the Java client, which applies every auth plugin), else none.
 *
 * @category layers
 * @since 0.1.0
 */
export const layer: Layer.Layer<Auth, never, NacosOptions | ServerList | HttpClient.HttpClient> = Layer.unwrap(
  Effect.gen(function* () {
    const options = yield* NacosOptions
    const accessKey = Option.map(options.credentialsProvider, (provider) =>
      makeAccessKey(provider, options.signatureRegionId)
    )
    if (Option.isSome(options.username) && Option.isSome(options.password)) {
      const token = makeUsernamePassword({ username: options.username.value, password: options.password.value })
      return Layer.effect(
        Auth,
        Option.match(accessKey, {
          onNone: () => token,
          onSome: (signatures) => Effect.map(token, (tokenAuth) => bothIdentities(tokenAuth, signatures))
        })
      )
    }
    if (Option.isSome(accessKey)) return Layer.succeed(Auth, accessKey.value)
    return layerNone
  })
)
