/**
 * What went wrong in an HttpClient failure, in a few words: the network error under it (`connect ECONNREFUSED
 * 127.0.0.1:8848`, `getaddrinfo ENOTFOUND nacos.example`, a TLS handshake step), not the request. The request is
 * left out on purpose: its URL is already named by the caller and its body may hold a password.
 */
import type * as HttpClientError from "effect/http/HttpClientError"
import { tidyOpenSslText, tlsFailureStep } from "./tls.ts"

/** A Node system error: `code` is `ECONNREFUSED`, `ENOTFOUND`, `CERT_HAS_EXPIRED`… */
const codeOf = (error: Error): string | undefined =>
  "code" in error && typeof error.code === "string" ? error.code : undefined

/**
 * The innermost error of a cause chain (`fetch failed` → `connect ECONNREFUSED …`), preferring one with a system
 * error code; of an AggregateError (every address of a host refused) its first error.
 */
export const networkErrorOf = (cause: unknown): Error | undefined => {
  let current: unknown = cause
  let best: Error | undefined
  for (let depth = 0; depth < 8 && current instanceof Error; depth++) {
    if (best === undefined || codeOf(current) !== undefined || codeOf(best) === undefined) best = current
    const next: unknown =
      current instanceof AggregateError && current.errors.length > 0 && codeOf(current) === undefined
        ? current.errors[0]
        : current.cause
    if (!(next instanceof Error)) break
    current = next
  }
  return best
}

/** One network error in words: its message (which names the address), its code when the message lacks it. */
export const describeNetworkError = (error: Error): string => {
  const code = codeOf(error)
  const message = tidyOpenSslText(
    error instanceof AggregateError && error.message === "" && error.errors[0] instanceof Error
      ? error.errors[0].message
      : error.message
  )
  const withCode = code !== undefined && !message.includes(code) ? `${message} (${code})` : message
  const step = tlsFailureStep(code, message)
  return step === undefined ? withCode : `TLS ${step}: ${withCode}`
}

const REASON_WORDS: Record<HttpClientError.HttpClientErrorReason["_tag"], string> = {
  TransportError: "request failed",
  EncodeError: "could not encode the request",
  InvalidUrlError: "invalid URL",
  StatusCodeError: "unexpected status",
  DecodeError: "could not read the answer",
  EmptyBodyError: "empty answer"
}

/** An HttpClient failure in words, without its request. */
export const describeHttpClientError = (error: HttpClientError.HttpClientError): string => {
  const network = networkErrorOf(error.reason.cause)
  if (network !== undefined && error.reason._tag === "TransportError") return describeNetworkError(network)
  const description = error.reason.description
  const words = description === undefined ? REASON_WORDS[error.reason._tag] : description
  return network === undefined ? words : `${words}: ${describeNetworkError(network)}`
}
