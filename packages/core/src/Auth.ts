/**
 * Identity for requests: nothing, a username/password login token, or access-key signatures.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import type { AuthError, TransportError } from "./NacosError.ts"

/**
 * What a request touches, for access-key signatures (which sign the resource) and logs.
 *
 * @category models
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
