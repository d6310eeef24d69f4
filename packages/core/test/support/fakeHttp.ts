import * as Effect from "effect/Effect"
import * as HttpClient from "effect/http/HttpClient"
import * as HttpClientError from "effect/http/HttpClientError"
import * as HttpClientResponse from "effect/http/HttpClientResponse"
import * as Layer from "effect/Layer"

export interface RecordedRequest {
  readonly method: string
  readonly server: string
  readonly path: string
  readonly query: Readonly<Record<string, string>>
  readonly headers: Readonly<Record<string, string>>
  readonly body: string
}

/** A reply, or a connection that fails ("unreachable") or never answers ("hang"). */
export type FakeAnswer = { readonly status: number; readonly body: string } | "unreachable" | "hang"

/** Nacos HTTP servers in memory: `answer` decides each reply; every request is recorded. */
export const makeFakeHttp = (answer: (request: RecordedRequest) => Effect.Effect<FakeAnswer>) => {
  const requests: Array<RecordedRequest> = []
  const client = HttpClient.make((request, url) =>
    Effect.gen(function* () {
      const recorded: RecordedRequest = {
        method: request.method,
        server: url.host,
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        headers: { ...request.headers },
        body: request.body._tag === "Uint8Array" ? new TextDecoder().decode(request.body.body) : ""
      }
      requests.push(recorded)
      const reply = yield* answer(recorded)
      if (reply === "hang") return yield* Effect.never
      if (reply === "unreachable") {
        return yield* new HttpClientError.HttpClientError({
          reason: new HttpClientError.TransportError({ request, cause: new Error("connect ECONNREFUSED") })
        })
      }
      return HttpClientResponse.fromWeb(request, new Response(reply.body, { status: reply.status }))
    })
  )
  return { requests, layer: Layer.succeed(HttpClient.HttpClient, client) }
}
