/**
 * The server's answers to AI requests mapped to the typed errors: the handlers answer their own response type
 * with resultCode 500 and the NacosException code as errorCode (404 not found, 409 conflict, 400 invalid
 * parameter); a server without a handler for the request type answers 302 "RequestHandler Not Found".
 */
import {
  ConflictError,
  InvalidArgumentError,
  NotFoundError,
  NotSupportedError,
  type ServerError
} from "@effect-nacos/core"

export const NOT_FOUND = 404
export const CONFLICT = 409
export const INVALID_PARAM = 400
/** `NacosException.NO_HANDLER`: the server does not know the request type (an older server). */
export const NO_HANDLER = 302
/** `NacosException.NOT_MODIFIED`: a prompt whose md5 is still the caller's. */
export const NOT_MODIFIED = 304

/** The server's parameter names as the caller's fields (`agentName` is the card's `name`, and so on). */
const FIELD_OF: Readonly<Record<string, string>> = {
  agentName: "name",
  mcpName: "name",
  promptKey: "key",
  skillName: "name"
}

/** The field a "Param 'x' is illegal" / "parameter `agentCard.url` not present" message names. */
export const fieldOf = (message: string): string => {
  const named = /['`]([A-Za-z][\w.]*)['`]/.exec(message)?.[1]
  if (named === undefined) return "request"
  if (named.startsWith("agentCard.")) return `card.${named.slice("agentCard.".length)}`
  if (named.startsWith("serverSpecification.")) return `server.${named.slice("serverSpecification.".length)}`
  return FIELD_OF[named] ?? named
}

export const notSupported = (feature: string, ability: string, detail: string) =>
  new NotSupportedError({ feature, ability, message: `${feature} is not supported by this server: ${detail}` })

const invalidParam = (error: ServerError) =>
  new InvalidArgumentError({ field: fieldOf(error.message), message: error.message })

/** A query's refusal: not found, invalid, or the server's own trouble (a 409 there is not the caller's). */
export const classifyQuery = (
  resource: string,
  error: ServerError
): NotFoundError | InvalidArgumentError | ServerError =>
  error.errorCode === NOT_FOUND
    ? new NotFoundError({ resource, message: error.message })
    : error.errorCode === INVALID_PARAM
      ? invalidParam(error)
      : error

/** A release's refusal: the version exists, invalid, or the server's own trouble. */
export const classifyRelease = (
  resource: string,
  error: ServerError
): ConflictError | InvalidArgumentError | ServerError =>
  error.errorCode === CONFLICT
    ? new ConflictError({ resource, message: error.message })
    : error.errorCode === INVALID_PARAM
      ? invalidParam(error)
      : error

/** An endpoint write's refusal: invalid, or the server's own trouble. */
export const classifyWrite = (error: ServerError): InvalidArgumentError | ServerError =>
  error.errorCode === INVALID_PARAM ? invalidParam(error) : error
