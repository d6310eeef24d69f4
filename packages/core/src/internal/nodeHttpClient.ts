/**
 * An `effect/http` HttpClient over `node:http` / `node:https`, for the few small requests the client sends outside
 * gRPC (login, HTTP fallback, address server).
 *
 * Global `fetch` cannot be given a CA, a client certificate or a key without `undici`, which the package does not
 * depend on; `node:https` can. With TLS material the client verifies every server against the configured CA (or the
 * system roots when none is set) and refuses any `http:` URL: nothing is ever sent in plain text while TLS is on.
 * Answers are read whole (Nacos answers are small) and handed over as a Web `Response`.
 */
import * as http from "node:http"
import * as https from "node:https"
import * as net from "node:net"
import * as Effect from "effect/Effect"
import * as HttpClient from "effect/http/HttpClient"
import * as HttpClientError from "effect/http/HttpClientError"
import type * as HttpClientRequest from "effect/http/HttpClientRequest"
import * as HttpClientResponse from "effect/http/HttpClientResponse"
import type * as Scope from "effect/Scope"
import type { TlsMaterial } from "./tls.ts"

/**
 * An idle kept-alive socket is closed after this long (undici's default too): well before a server drops it, so a
 * request is not written into a socket the server is closing (a reset the caller could not tell from a lost write).
 */
const IDLE_SOCKET_MILLIS = 4_000

/** Statuses a Web `Response` must be built without a body. */
const NULL_BODY_STATUSES: ReadonlySet<number> = new Set([101, 103, 204, 205, 304])

const transportFailure = (
  request: HttpClientRequest.HttpClientRequest,
  detail: { readonly cause?: unknown; readonly description?: string }
) => new HttpClientError.HttpClientError({ reason: new HttpClientError.TransportError({ request, ...detail }) })

/** The request body as bytes; streams and multipart forms are not needed by Nacos calls and are refused. */
const bodyBytes = (
  request: HttpClientRequest.HttpClientRequest
): Effect.Effect<Uint8Array | undefined, HttpClientError.HttpClientError> => {
  const body = request.body
  switch (body._tag) {
    case "Empty":
      return Effect.succeed(undefined)
    case "Uint8Array":
      return Effect.succeed(body.body)
    case "Raw":
      return typeof body.body === "string"
        ? Effect.succeed(new TextEncoder().encode(body.body))
        : body.body instanceof Uint8Array
          ? Effect.succeed(body.body)
          : Effect.fail(encodeFailure(request, "a raw body must be a string or bytes"))
    case "FormData":
    case "Stream":
      return Effect.fail(encodeFailure(request, `${body._tag} bodies are not supported`))
  }
}

const encodeFailure = (request: HttpClientRequest.HttpClientRequest, description: string) =>
  new HttpClientError.HttpClientError({ reason: new HttpClientError.EncodeError({ request, description }) })

const webHeaders = (incoming: http.IncomingHttpHeaders): Headers => {
  const headers = new Headers()
  for (const [name, value] of Object.entries(incoming)) {
    if (value === undefined) continue
    for (const one of Array.isArray(value) ? value : [value]) headers.append(name, one)
  }
  return headers
}

/** One exchange: sends, reads the whole answer, and destroys the request when interrupted. */
const exchange = (
  request: HttpClientRequest.HttpClientRequest,
  url: URL,
  agent: http.Agent,
  body: Uint8Array | undefined
): Effect.Effect<HttpClientResponse.HttpClientResponse, HttpClientError.HttpClientError> =>
  Effect.callback<HttpClientResponse.HttpClientResponse, HttpClientError.HttpClientError>((resume) => {
    const send = url.protocol === "https:" ? https.request : http.request
    // SNI carries host names only (RFC 6066): an IP address is checked against the certificate without it
    const host = url.hostname.replace(/^\[|\]$/g, "")
    const servername = net.isIP(host) === 0 ? host : ""
    const outgoing = send(
      url,
      { method: request.method, headers: { ...request.headers }, agent, servername },
      (incoming) => {
        const chunks: Array<Buffer> = []
        incoming.on("data", (chunk: Buffer) => chunks.push(chunk))
        incoming.on("error", (cause) => resume(Effect.fail(transportFailure(request, { cause }))))
        incoming.on("end", () => {
          const status = incoming.statusCode ?? 0
          const content = NULL_BODY_STATUSES.has(status) || request.method === "HEAD" ? null : Buffer.concat(chunks)
          try {
            const response = new Response(content, { status, headers: webHeaders(incoming.headers) })
            resume(Effect.succeed(HttpClientResponse.fromWeb(request, response)))
          } catch (cause) {
            resume(Effect.fail(transportFailure(request, { cause, description: `unusable HTTP status ${status}` })))
          }
        })
      }
    )
    outgoing.on("error", (cause) => resume(Effect.fail(transportFailure(request, { cause }))))
    outgoing.end(body)
    return Effect.sync(() => outgoing.destroy())
  })

/**
 * The client, with its own keep-alive agents (destroyed when the scope closes, so no socket outlives the layer).
 * `tls` present: https only, verified against `tls.ca` when set; client certificate and key when set.
 */
export const make = (tls: TlsMaterial | undefined): Effect.Effect<HttpClient.HttpClient, never, Scope.Scope> =>
  Effect.gen(function* () {
    const plainAgent = yield* Effect.acquireRelease(
      Effect.sync(() => new http.Agent({ keepAlive: true, timeout: IDLE_SOCKET_MILLIS })),
      (agent) => Effect.sync(() => agent.destroy())
    )
    const tlsAgent = yield* Effect.acquireRelease(
      Effect.sync(
        () =>
          new https.Agent({
            keepAlive: true,
            timeout: IDLE_SOCKET_MILLIS,
            ...(tls?.ca !== undefined ? { ca: tls.ca } : {}),
            ...(tls?.cert !== undefined ? { cert: tls.cert } : {}),
            ...(tls?.key !== undefined ? { key: tls.key } : {})
          })
      ),
      (agent) => Effect.sync(() => agent.destroy())
    )
    return HttpClient.make((request, url) => {
      if (url.protocol !== "http:" && url.protocol !== "https:") {
        return Effect.fail(transportFailure(request, { description: `unsupported protocol ${url.protocol}` }))
      }
      if (tls !== undefined && url.protocol === "http:") {
        return Effect.fail(
          transportFailure(request, { description: "TLS is configured: refusing to send a request in plain http" })
        )
      }
      return Effect.flatMap(bodyBytes(request), (body) =>
        exchange(request, url, url.protocol === "https:" ? tlsAgent : plainAgent, body)
      )
    })
  })
