/**
 * Config requests over HTTP, for when gRPC cannot be reached (protocol reference §7). Endpoints chosen by what a
 * real 3.2 server serves to a client (checked in conformance):
 * - get: `GET /v3/client/cs/config` (client OpenAPI). `namespaceId` is always sent: the 3.2 server does NOT
 *   treat a missing one as `public` there (a config in `public` answers 20004 without it).
 * - publish / remove: `POST` / `DELETE /v1/cs/configs` (legacy OPEN_API, on by default). The v3 equivalents live
 *   under `/v3/admin/**`, which needs an admin identity even on a server without client auth.
 *
 * Only Nacos' own "not found" (the v3 envelope with code 20004) says a config is gone; any other answer (a bare 404
 * from a proxy or a wrong contextPath) is a ServerError, so the caller's snapshot still answers.
 */

import { ConflictError, InvalidArgumentError, type NacosHttp, ServerError } from "@effect-nacos/core"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { type ConfigOperations, type RemoteConfig, UnconfirmedPublish } from "./backend.ts"
import { type ConfigKey, describeKey } from "./configKey.ts"
import { toRemoteConfig } from "./grpcOperations.ts"
import { ConfigQueryResponse } from "./wire.ts"

const resourceOf = (key: ConfigKey) =>
  ({ module: "config", namespace: key.namespace, group: key.group, name: key.dataId }) as const

const V1_CONFIGS = "/v1/cs/configs"

/** v1 answers `true`/`false` as text; `false` means the server refused without saying why. */
const expectTrue = (key: ConfigKey, label: string) => (text: string) =>
  text.trim() === "true"
    ? Effect.void
    : Effect.fail(
        new ServerError({
          errorCode: 500,
          message: `${label} ${describeKey(key)} answered ${text.trim()}`,
          requestType: label
        })
      )

/** A v1 status that makes no sense for the call (404 from publish…): reported as the server's fault. */
const unexpectedAnswer = (message: string, requestType: string) =>
  new ServerError({ errorCode: -1, message, requestType })

/**
 * Tomcat drops a form body over its post-size limit (`server.tomcat.max-http-form-post-size`, 2 MiB by default) and
 * the server then misses the form's first required parameter: the key travels in the URL, so that is `content`.
 */
const DROPPED_FORM = /'content' is not present/

const formTooLarge = (formBytes: number) =>
  new InvalidArgumentError({
    field: "content",
    message: `the server's HTTP API dropped the ${formBytes}-byte publish form: over its post-size limit (server.tomcat.max-http-form-post-size, 2 MiB by default). Nothing was stored; gRPC carries up to grpc.maxReceiveMessageLength`
  })

export const make = (
  http: NacosHttp.NacosHttp["Service"],
  publishTimeoutMillis: (requestBytes: number) => number
): ConfigOperations => {
  // formal configs only: the endpoint ignores `tag` (see httpFallback)
  const query: ConfigOperations["query"] = (key) =>
    http
      .getEnvelope(ConfigQueryResponse, {
        method: "GET",
        path: "/v3/client/cs/config",
        urlParams: { dataId: key.dataId, groupName: key.group, namespaceId: key.namespace },
        resource: resourceOf(key)
      })
      .pipe(
        Effect.map((answer) => Option.some(toRemoteConfig(answer))),
        Effect.catchTag("NotFoundError", () => Effect.succeed(Option.none<RemoteConfig>())),
        Effect.catchTag("InvalidArgumentError", (error) =>
          Effect.fail(
            new ServerError({ errorCode: 400, message: error.message, requestType: "GET /v3/client/cs/config" })
          )
        )
      )

  const publish: ConfigOperations["publish"] = (key, request) => {
    const form = {
      content: request.content,
      type: request.type,
      tag: request.tag,
      appName: request.appName,
      src_user: request.srcUser,
      config_tags: request.configTags?.join(","),
      desc: request.desc,
      encryptedDataKey: request.encryptedDataKey
    }
    const formBytes = Buffer.byteLength(
      new URLSearchParams(
        Object.entries(form).flatMap(
          ([name, value]): Array<[string, string]> => (value === undefined ? [] : [[name, value]])
        )
      ).toString(),
      "utf8"
    )
    return http
      .getText({
        method: "POST",
        path: V1_CONFIGS,
        // the key in the URL: a server that drops the form body then says `content` is missing, not `dataId`
        urlParams: { dataId: key.dataId, group: key.group, tenant: key.namespace },
        form,
        timeoutMillis: publishTimeoutMillis(formBytes),
        headers: {
          ...(request.casMd5 === undefined ? {} : { casMd5: request.casMd5 }),
          ...(request.betaIps === undefined ? {} : { betaIps: request.betaIps.join(",") })
        },
        resource: resourceOf(key)
      })
      .pipe(
        Effect.flatMap(expectTrue(key, `POST ${V1_CONFIGS}`)),
        // v1 answers a CAS mismatch with HTTP 500 and body `false` (no 409 / 20005 as v3 does)
        Effect.catchTag(
          "ServerError",
          (error): Effect.Effect<never, ConflictError | ServerError> =>
            request.casMd5 !== undefined && error.errorCode === 500
              ? Effect.fail(
                  new ConflictError({ resource: describeKey(key), message: `CAS publish refused: ${error.message}` })
                )
              : Effect.fail(error)
        ),
        Effect.catchTags({
          NotFoundError: (error) => Effect.fail(unexpectedAnswer(error.message, `POST ${V1_CONFIGS}`)),
          InvalidArgumentError: (error) =>
            Effect.fail(DROPPED_FORM.test(error.message) ? formTooLarge(formBytes) : error),
          // NacosHttp does not re-send a POST that may have reached a server; whether it was applied is checked
          TransportError: (error) => Effect.fail(new UnconfirmedPublish({ error }))
        })
      )
  }

  const remove: ConfigOperations["remove"] = (key, tag) =>
    http
      .getText({
        method: "DELETE",
        path: V1_CONFIGS,
        urlParams: { dataId: key.dataId, group: key.group, tenant: key.namespace, tag },
        resource: resourceOf(key)
      })
      .pipe(
        Effect.flatMap(expectTrue(key, `DELETE ${V1_CONFIGS}`)),
        Effect.catchTags({
          NotFoundError: (error) => Effect.fail(unexpectedAnswer(error.message, `DELETE ${V1_CONFIGS}`)),
          ConflictError: (error) => Effect.fail(unexpectedAnswer(error.message, `DELETE ${V1_CONFIGS}`))
        })
      )

  return { query, publish, remove }
}
