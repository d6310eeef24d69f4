/**
 * Config requests over the module's gRPC connection (protocol reference §5.2, §5.3), with the server's answers
 * mapped to the typed errors.
 */

import {
  type AuthError,
  ConflictError,
  type Connection,
  InvalidArgumentError,
  type ServerError,
  TransportError
} from "@effect-nacos/core"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { type ConfigOperations, type PublishRequest, type RemoteConfig, UnconfirmedPublish } from "./backend.ts"
import { type ConfigKey, describeKey, md5Of } from "./configKey.ts"
import { Acknowledged, ConfigChangeBatchListenResponse, ConfigQueryResponse } from "./wire.ts"

/** ConfigQueryResponse errorCodes (`ConfigQueryResponse.CONFIG_NOT_FOUND` / `CONFIG_QUERY_CONFLICT`). */
const CONFIG_NOT_FOUND = 300
/**
 * A server still starting answers any request with an ErrorResponse of the same code 300
 * (`NacosException.INVALID_SERVER_STATUS`, "Server is starting,please try later."): that says nothing about the
 * config, and must not read as "gone" (which removes the snapshot).
 */
const SERVER_STARTING = /starting/i
const isConfigNotFound = (error: ServerError) =>
  error.errorCode === CONFIG_NOT_FOUND && !SERVER_STARTING.test(error.message)
const CONFIG_QUERY_CONFLICT = 400
/** `NacosException.INVALID_PARAM`: the server's parameter check refused the request. */
const INVALID_PARAM = 400

const resourceOf = (key: ConfigKey) =>
  ({ module: "config", namespace: key.namespace, group: key.group, name: key.dataId }) as const

const present = <A>(value: A | null | undefined): value is A => value !== null && value !== undefined

/** A query answer as a RemoteConfig; a missing md5 is computed as the server would. */
export const toRemoteConfig = (answer: ConfigQueryResponse): RemoteConfig => {
  const content = answer.content ?? ""
  return {
    content,
    md5: present(answer.md5) && answer.md5 !== "" ? answer.md5 : md5Of(content),
    ...(present(answer.contentType) ? { type: answer.contentType } : {}),
    ...(present(answer.encryptedDataKey) && answer.encryptedDataKey !== ""
      ? { encryptedDataKey: answer.encryptedDataKey }
      : {}),
    ...(present(answer.lastModified) ? { lastModified: answer.lastModified } : {}),
    beta: answer.beta === true,
    ...(present(answer.tag) && answer.tag !== "" ? { tag: answer.tag } : {})
  }
}

/** `additionMap` of ConfigPublishRequest: the server reads exactly these keys (reference §5.2). */
const additionMap = (request: PublishRequest): Record<string, string> => ({
  // Java always sends a data key, "" meaning none, so the server does not run its own encryption plugin on it.
  encryptedDataKey: request.encryptedDataKey ?? "",
  ...(request.tag === undefined ? {} : { tag: request.tag }),
  ...(request.betaIps === undefined ? {} : { betaIps: request.betaIps.join(",") }),
  ...(request.type === undefined ? {} : { type: request.type }),
  ...(request.appName === undefined ? {} : { appName: request.appName }),
  ...(request.srcUser === undefined ? {} : { src_user: request.srcUser }),
  ...(request.configTags === undefined ? {} : { config_tags: request.configTags.join(",") }),
  ...(request.desc === undefined ? {} : { desc: request.desc })
})

/** One key as `ConfigBatchListenRequest.configListenContexts` wants it. */
export interface ListenContext {
  readonly key: ConfigKey
  /** The md5 the client holds; "" for a config it believes absent. */
  readonly md5: string
}

export interface GrpcConfigOperations extends ConfigOperations {
  /** Registers (`listen`) or drops the keys; answers the keys whose server md5 differs from the one sent. */
  readonly batchListen: (
    contexts: ReadonlyArray<ListenContext>,
    listen: boolean
  ) => Effect.Effect<
    ReadonlyArray<{ readonly dataId: string; readonly group: string }>,
    TransportError | ServerError | AuthError | InvalidArgumentError
  >
}

/** What the gRPC operations need to know about the channel under them. */
export interface GrpcLimits {
  /** The largest message the channel sends (`grpc.maxReceiveMessageLength`, used for both directions). */
  readonly maxMessageBytes: number
  /** The time a publish of `requestBytes` may take, from sending to the server's answer. */
  readonly publishTimeoutMillis: (requestBytes: number) => number
}

/**
 * Room kept in a message for what surrounds the request JSON: the Payload's protobuf framing, its type, client IP
 * and headers (access token, signatures, app name). A few KiB in practice; generous, so that a request that passes
 * the check is never refused by grpc-js (`RESOURCE_EXHAUSTED`).
 */
export const ENVELOPE_RESERVE_BYTES = 64 * 1024

export const make = (connection: Connection.Connection, limits: GrpcLimits): GrpcConfigOperations => {
  const query: ConfigOperations["query"] = (key, tag) =>
    connection
      .request(
        "ConfigQueryRequest",
        { dataId: key.dataId, group: key.group, tenant: key.namespace, ...(tag === undefined ? {} : { tag }) },
        ConfigQueryResponse,
        // `notify=false`: a plain read, not the listen loop's re-read after a change
        { resource: resourceOf(key), headers: { notify: "false" } }
      )
      .pipe(
        Effect.map((answer) => Option.some(toRemoteConfig(answer))),
        Effect.catchTag(
          "ServerError",
          (error): Effect.Effect<Option.Option<RemoteConfig>, ConflictError | ServerError> =>
            isConfigNotFound(error)
              ? Effect.succeed(Option.none<RemoteConfig>())
              : error.errorCode === CONFIG_QUERY_CONFLICT
                ? Effect.fail(new ConflictError({ resource: describeKey(key), message: error.message }))
                : Effect.fail(error)
        )
      )

  const publish: ConfigOperations["publish"] = (key, request) =>
    Effect.gen(function* () {
      const body = {
        dataId: key.dataId,
        group: key.group,
        tenant: key.namespace,
        content: request.content,
        ...(request.casMd5 === undefined ? {} : { casMd5: request.casMd5 }),
        additionMap: additionMap(request)
      }
      // the JSON escapes quotes, backslashes and control characters, so the wire size is not the content's size
      const requestBytes = Buffer.byteLength(JSON.stringify(body), "utf8")
      const limit = limits.maxMessageBytes - ENVELOPE_RESERVE_BYTES
      if (requestBytes > limit) {
        return yield* new InvalidArgumentError({
          field: "content",
          message: `content makes a publish request of ${requestBytes} bytes, over the ${limit} bytes a gRPC message can carry (grpc.maxReceiveMessageLength ${limits.maxMessageBytes}, less ${ENVELOPE_RESERVE_BYTES} for the envelope)`
        })
      }
      // Until a session exists nothing was sent: failing here is safe to try over another transport.
      yield* connection.awaitSession()
      const timeoutMillis = limits.publishTimeoutMillis(requestBytes)
      return yield* connection
        .request("ConfigPublishRequest", body, Acknowledged, {
          resource: resourceOf(key),
          timeoutMillis,
          // sent at most once: after a lost answer the server may have applied it (see UnconfirmedPublish)
          retry: false
        })
        .pipe(
          Effect.asVoid,
          Effect.catchTags({
            ServerError: (error) => Effect.fail(publishFailure(key, request, error)),
            TransportError: (error) =>
              Effect.fail(
                new UnconfirmedPublish({
                  error: new TransportError({
                    message: `ConfigPublishRequest for ${describeKey(key)}: outcome unknown, the server may have applied it; not re-sent (${error.message})`,
                    cause: error
                  })
                })
              )
          })
        )
    })

  const remove: ConfigOperations["remove"] = (key, tag) =>
    connection
      .request(
        "ConfigRemoveRequest",
        { dataId: key.dataId, group: key.group, tenant: key.namespace, ...(tag === undefined ? {} : { tag }) },
        Acknowledged,
        { resource: resourceOf(key) }
      )
      .pipe(
        Effect.asVoid,
        Effect.catchTag("ServerError", (error) =>
          Effect.fail(error.errorCode === INVALID_PARAM ? invalidParam(error) : error)
        )
      )

  const batchListen: GrpcConfigOperations["batchListen"] = (contexts, listen) =>
    connection
      .request(
        "ConfigBatchListenRequest",
        {
          listen,
          configListenContexts: contexts.map(({ key, md5 }) => ({
            dataId: key.dataId,
            group: key.group,
            tenant: key.namespace,
            md5
          }))
        },
        ConfigChangeBatchListenResponse,
        // as in Java, the listen is signed over the bare timestamp: its resource names no namespace or group
        { resource: { module: "config" } }
      )
      .pipe(Effect.map((answer) => answer.changedConfigs ?? []))

  return { query, publish, remove, batchListen }
}

const invalidParam = (error: ServerError) => new InvalidArgumentError({ field: "request", message: error.message })

/**
 * The server answers a CAS mismatch with errorCode 500 and "Cas publish fail, server md5 may have changed."
 * (`ConfigOperationService#publishConfig`): with a casMd5 sent, that is a conflict, not a server fault.
 */
const publishFailure = (key: ConfigKey, request: PublishRequest, error: ServerError) => {
  if (request.casMd5 !== undefined && /cas/i.test(error.message)) {
    return new ConflictError({ resource: describeKey(key), message: error.message })
  }
  return error.errorCode === INVALID_PARAM ? invalidParam(error) : error
}
