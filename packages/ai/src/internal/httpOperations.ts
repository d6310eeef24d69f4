/**
 * The AI client OpenAPI over HTTP (Nacos 3.2+, protocol reference §4.1, as the 3.2.1 Java client calls it):
 * - `GET /v3/client/ai/prompt?namespaceId&promptKey[&version][&label][&md5]` → `Result<Prompt>`; HTTP 304 when
 *   the md5 sent is still current; a missing prompt is Nacos' not-found envelope;
 * - `GET /v3/client/ai/skills?namespaceId&name[&version][&label]` → the raw ZIP (not an envelope).
 *
 * A server without these APIs (3.1.x) answers 404 without a Nacos envelope: `NotSupportedError`.
 */
import { type ConflictError, type NacosHttp, type NotSupportedError, ServerError } from "@effect-nacos/core"
import * as Effect from "effect/Effect"
import { Prompt } from "../PromptModels.ts"
import type { AiBackend, PromptAnswer } from "./backend.ts"
import { NOT_MODIFIED, notSupported } from "./errors.ts"
import { PROMPT_FEATURE } from "./grpcOperations.ts"

export const PROMPT_PATH = "/v3/client/ai/prompt"
export const SKILL_PATH = "/v3/client/ai/skills"
export const SKILL_FEATURE = "skills"
const HTTP_REQUIREMENT = (path: string) => `GET ${path} (Nacos 3.2+)`

/** The statuses a server answers for a path it does not serve (410: an API the server turned off). */
const NO_SUCH_API: ReadonlySet<number> = new Set([404, 410])

/** The ZIP local-file-header magic and the smallest possible archive, as the Java client checks them. */
const ZIP_MAGIC = [0x50, 0x4b, 0x03, 0x04]
const ZIP_MIN_BYTES = 30

/** A read never conflicts: a conflict answer is the server's own trouble. */
const conflictIsServerError = (error: ConflictError) =>
  Effect.fail(new ServerError({ errorCode: 409, message: error.message, requestType: "AI client API" }))

export type HttpAiOperations = Pick<AiBackend, "queryPrompt" | "downloadSkillZip">

export const make = (http: NacosHttp.NacosHttp["Service"], namespace: string): HttpAiOperations => {
  const resourceOf = (name: string) => ({ module: "ai", namespace, group: "DEFAULT_GROUP", name }) as const

  const queryPrompt: AiBackend["queryPrompt"] = (query) =>
    http
      .getEnvelope(Prompt, {
        method: "GET",
        path: PROMPT_PATH,
        urlParams: {
          namespaceId: namespace,
          promptKey: query.key,
          version: query.version,
          label: query.label,
          md5: query.md5
        },
        resource: resourceOf(query.key)
      })
      .pipe(
        Effect.map((prompt): PromptAnswer => ({ _tag: "Found", prompt })),
        Effect.catchTag("ConflictError", conflictIsServerError),
        Effect.catchTag(
          "ServerError",
          (error): Effect.Effect<PromptAnswer, NotSupportedError | ServerError> =>
            error.errorCode === NOT_MODIFIED
              ? Effect.succeed<PromptAnswer>({ _tag: "NotModified" })
              : NO_SUCH_API.has(error.errorCode)
                ? Effect.fail(notSupported(PROMPT_FEATURE, HTTP_REQUIREMENT(PROMPT_PATH), error.message))
                : Effect.fail(error)
        )
      )

  const downloadSkillZip: AiBackend["downloadSkillZip"] = (query) =>
    http
      .getBytes({
        method: "GET",
        path: SKILL_PATH,
        urlParams: { namespaceId: namespace, name: query.name, version: query.version, label: query.label },
        resource: resourceOf(query.name)
      })
      .pipe(
        Effect.catchTag("ConflictError", conflictIsServerError),
        Effect.catchTag(
          "ServerError",
          (error): Effect.Effect<never, NotSupportedError | ServerError> =>
            NO_SUCH_API.has(error.errorCode)
              ? Effect.fail(notSupported(SKILL_FEATURE, HTTP_REQUIREMENT(SKILL_PATH), error.message))
              : Effect.fail(error)
        ),
        Effect.flatMap((zip) =>
          zip.length >= ZIP_MIN_BYTES && ZIP_MAGIC.every((byte, index) => zip[index] === byte)
            ? Effect.succeed(zip)
            : Effect.fail(
                new ServerError({
                  errorCode: -1,
                  message: `GET ${SKILL_PATH} for skill ${query.name}: the answer is not a ZIP (${zip.length} bytes)`,
                  requestType: `GET ${SKILL_PATH}`
                })
              )
        )
      )

  return { queryPrompt, downloadSkillZip }
}
