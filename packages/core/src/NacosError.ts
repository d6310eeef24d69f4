/**
 * The typed errors every effect-nacos operation can fail with.
 *
 * A small, closed set: callers match on `_tag` with `Effect.catchTag`. Server answers keep the server's
 * `errorCode` and message; nothing here ever carries a token, password or secret key.
 *
 * @since 0.1.0
 * @module
 */
import * as Schema from "effect/Schema"

/**
 * The server could not be reached, the connection dropped, or a request timed out.
 * Retrying (or waiting for the connection to come back) may help.
 *
 * @category errors
 * @since 0.1.0
 */
export class TransportError extends Schema.TaggedError<TransportError>()("TransportError", {
  message: Schema.String,
  cause: Schema.optional(Schema.Defect())
}) {
  get isRetryable(): boolean {
    return true
  }
}

/**
 * The server answered with a failure (`resultCode` 500 on gRPC, a non-zero `code` or an error status on HTTP).
 *
 * @category errors
 * @since 0.1.0
 */
export class ServerError extends Schema.TaggedError<ServerError>()("ServerError", {
  errorCode: Schema.Number,
  message: Schema.String,
  requestType: Schema.optional(Schema.String)
}) {
  /** 5xx-class codes and "server starting" (300) may succeed later; client mistakes will not. */
  get isRetryable(): boolean {
    return this.errorCode === 300 || this.errorCode === 503 || this.errorCode >= 500
  }
}

/**
 * Authentication or authorization failed: wrong credentials, an expired or missing token (errorCode 403).
 *
 * @category errors
 * @since 0.1.0
 */
export class AuthError extends Schema.TaggedError<AuthError>()("AuthError", {
  message: Schema.String,
  errorCode: Schema.optional(Schema.Number)
}) {}

/**
 * The requested resource does not exist.
 *
 * @category errors
 * @since 0.1.0
 */
export class NotFoundError extends Schema.TaggedError<NotFoundError>()("NotFoundError", {
  resource: Schema.String,
  message: Schema.String
}) {}

/**
 * A compare-and-set or concurrent modification was rejected by the server.
 *
 * @category errors
 * @since 0.1.0
 */
export class ConflictError extends Schema.TaggedError<ConflictError>()("ConflictError", {
  resource: Schema.String,
  message: Schema.String
}) {}

/**
 * Input rejected before anything was sent (or by the server's parameter check); names the offending field.
 *
 * @category errors
 * @since 0.1.0
 */
export class InvalidArgumentError extends Schema.TaggedError<InvalidArgumentError>()("InvalidArgumentError", {
  field: Schema.String,
  message: Schema.String
}) {}

/**
 * The connected server lacks an ability this feature needs (negotiated in `SetupAckRequest`).
 *
 * @category errors
 * @since 0.1.0
 */
export class NotSupportedError extends Schema.TaggedError<NotSupportedError>()("NotSupportedError", {
  feature: Schema.String,
  ability: Schema.String,
  message: Schema.String
}) {}

/**
 * Any effect-nacos error.
 *
 * @category errors
 * @since 0.1.0
 */
export type NacosError =
  | TransportError
  | ServerError
  | AuthError
  | NotFoundError
  | ConflictError
  | InvalidArgumentError
  | NotSupportedError
