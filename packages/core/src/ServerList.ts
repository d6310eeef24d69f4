/**
 * The list of Nacos servers a client may talk to, and the rotation over it.
 *
 * Static addresses come from the options; with an `endpoint` (address server) the list is fetched from
 * `http(s)://{endpoint}{endpointContextPath}/serverlist` (https when TLS is on) and refreshed on a Schedule. DNS names are kept as names, so
 * every new gRPC channel resolves them again (re-resolution on reconnect comes for free).
 *
 * @since 0.1.0
 * @module
 */
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as HttpClient from "effect/http/HttpClient"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Random from "effect/Random"
import * as Schedule from "effect/Schedule"
import type * as Stream from "effect/Stream"
import * as SubscriptionRef from "effect/SubscriptionRef"
import { describeHttpClientError } from "./internal/httpClientErrorText.ts"
import { InvalidArgumentError, TransportError } from "./NacosError.ts"
import { NacosOptions } from "./NacosOptions.ts"
import * as NacosTelemetry from "./NacosTelemetry.ts"
import type { ServerAddress } from "./ServerAddress.ts"
import * as ServerAddressModule from "./ServerAddress.ts"

/**
 * @category services
 * @since 0.1.0
 */
export class ServerList extends Context.Service<
  ServerList,
  {
    /** The current list (never empty once the layer is built). */
    readonly current: Effect.Effect<ReadonlyArray<ServerAddress>>
    /** The current list first, then every change. */
    readonly changes: Stream.Stream<ReadonlyArray<ServerAddress>>
    /**
     * The server to try after `previous`: the next one in the list (round robin); a random start when there is
     * no previous server or it left the list.
     */
    readonly next: (previous: Option.Option<ServerAddress>) => Effect.Effect<ServerAddress>
    /** The list entry with this host (and port, when given), if any: used by ConnectReset. */
    readonly find: (host: string, port?: number) => Effect.Effect<Option.Option<ServerAddress>>
  }
>()("@effect-nacos/core/ServerList") {}

// =============================================================================
// Policies
// =============================================================================

/**
 * Retries of the first address-server fetch while the layer builds: 4 retries 100 ms → 800 ms apart (about 1.5 s
 * of waiting, like the Java client's 5 attempts), so a dead address server fails the build instead of hanging it.
 *
 * @category schedules
 * @since 0.1.0
 */
export const endpointInitialRetry: Schedule.Schedule<unknown> = Schedule.exponential("100 millis", 2).pipe(
  Schedule.upTo({ times: 4 })
)

/**
 * One address-server request may take this long before it counts as failed.
 *
 * @since 0.1.0
 */
export const ENDPOINT_REQUEST_TIMEOUT = Duration.seconds(3)

// =============================================================================
// Constructors
// =============================================================================

/** Two entries name the same server when scheme, host and port agree. */
const serverKey = (address: ServerAddress): string => `${address.scheme}://${address.authority}`

/** Order-insensitive comparison, as the Java client does: a reshuffled answer is not a change. */
const sameServers = (a: ReadonlyArray<ServerAddress>, b: ReadonlyArray<ServerAddress>): boolean => {
  if (a.length !== b.length) return false
  const keys = new Set(a.map(serverKey))
  return b.every((address) => keys.has(serverKey(address)))
}

/** Removes repeated entries, keeping the first occurrence (rotation must not favour a server listed twice). */
const distinct = (addresses: ReadonlyArray<ServerAddress>): ReadonlyArray<ServerAddress> => {
  const seen = new Set<string>()
  return addresses.filter((address) => {
    const key = serverKey(address)
    if (seen.has(key)) return false
    seen.add(key)
    return true
  })
}

/**
 * The service over a reference holding a non-empty list. The reference is the single source of truth: `next`
 * and `find` always see the latest published list.
 *
 * @category constructors
 * @since 0.1.0
 */
export const fromRef = (ref: SubscriptionRef.SubscriptionRef<ReadonlyArray<ServerAddress>>): ServerList["Service"] =>
  ServerList.of({
    current: SubscriptionRef.get(ref),
    changes: SubscriptionRef.changes(ref),
    next: Effect.fnUntraced(function* (previous: Option.Option<ServerAddress>) {
      const list = yield* SubscriptionRef.get(ref)
      const previousIndex = Option.match(previous, {
        onNone: () => -1,
        onSome: (server) => list.findIndex((entry) => serverKey(entry) === serverKey(server))
      })
      if (previousIndex >= 0) return list[(previousIndex + 1) % list.length]!
      // a random start spreads a fleet of clients over the cluster instead of all hitting the first server
      const start = yield* Random.nextIntBetween(0, list.length, { halfOpen: true })
      return list[start]!
    }),
    find: (host, port) =>
      SubscriptionRef.get(ref).pipe(
        Effect.map((list) =>
          Option.fromNullishOr(
            list.find(
              (entry) => entry.host === host.replace(/^\[|\]$/g, "") && (port === undefined || entry.port === port)
            )
          )
        )
      )
  })

/**
 * A fixed list that never changes.
 *
 * @category layers
 * @since 0.1.0
 */
export const layerStatic = (addresses: ReadonlyArray<ServerAddress>): Layer.Layer<ServerList, InvalidArgumentError> =>
  Layer.effect(
    ServerList,
    Effect.gen(function* () {
      const list = distinct(addresses)
      if (list.length === 0) {
        return yield* new InvalidArgumentError({ field: "serverAddr", message: "no server address given" })
      }
      return fromRef(yield* SubscriptionRef.make(list))
    })
  )

/**
 * Parses an address server's answer: one `host[:port]` per line; blank lines are skipped, malformed lines are
 * skipped with a warning (one bad line must not take the whole cluster away).
 */
const parseServerListBody = Effect.fnUntraced(function* (
  body: string,
  url: string,
  addressOptions: ServerAddressModule.ParseOptions
) {
  const lines = body
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== "")
  const parsed = yield* Effect.forEach(lines, (line) =>
    ServerAddressModule.parse(line, "serverlist", ServerAddressModule.DEFAULT_PORT, addressOptions).pipe(
      Effect.map(Option.some),
      Effect.catchTag("InvalidArgumentError", (error) =>
        Effect.logWarning(`ignoring malformed line from address server ${url}: ${error.message}`).pipe(
          NacosTelemetry.withModule("server-list"),
          Effect.as(Option.none<ServerAddress>())
        )
      )
    )
  )
  return distinct(parsed.flatMap((entry) => (Option.isSome(entry) ? [entry.value] : [])))
})

/**
 * One request to the address server. Fails with `TransportError` on any transport problem, a non-2xx status, a
 * timeout or an answer without a single usable address.
 */
const fetchServerList = (
  client: HttpClient.HttpClient,
  url: string,
  addressOptions: ServerAddressModule.ParseOptions
): Effect.Effect<ReadonlyArray<ServerAddress>, TransportError> =>
  HttpClient.filterStatusOk(client)
    .get(url)
    .pipe(
      Effect.flatMap((response) => response.text),
      Effect.mapError(
        (cause) =>
          new TransportError({
            message: `address server ${url} failed: ${
              cause._tag === "HttpClientError" ? describeHttpClientError(cause) : cause.message
            }`,
            cause
          })
      ),
      Effect.timeoutOrElse({
        duration: ENDPOINT_REQUEST_TIMEOUT,
        orElse: () => Effect.fail(new TransportError({ message: `address server ${url} timed out` }))
      }),
      Effect.flatMap((body) => parseServerListBody(body, url, addressOptions)),
      Effect.filterOrFail(
        (list) => list.length > 0,
        () => new TransportError({ message: `address server ${url} returned no server address` })
      )
    )

/**
 * The address-server URL for an endpoint: `http(s)://{host:port}{contextPath}/serverlist`.
 *
 * @category constructors
 * @since 0.1.0
 */
export const endpointUrl = (endpoint: { readonly address: ServerAddress; readonly contextPath: string }): string =>
  `${endpoint.address.httpBase}${endpoint.contextPath}/serverlist`

/**
 * A list fetched from an address server and refreshed every `refreshMillis` by a fiber that lives as long as the
 * layer. A failed or empty refresh keeps the last good list; `changes` only emits real changes.
 *
 * With `addressOptions.tls` the endpoint's address is expected to be https already (see `NacosOptions`), and the
 * bare `host:port` lines of its answer are https servers; a plain `http://` line is skipped with a warning.
 *
 * The build fails with `TransportError` when the first non-empty list cannot be had within
 * {@link endpointInitialRetry}.
 *
 * @category layers
 * @since 0.1.0
 */
export const layerEndpoint = (
  endpoint: {
    readonly address: ServerAddress
    readonly contextPath: string
    readonly refreshMillis: number
  },
  addressOptions: ServerAddressModule.ParseOptions = {}
): Layer.Layer<ServerList, TransportError, HttpClient.HttpClient> =>
  Layer.effect(
    ServerList,
    Effect.gen(function* () {
      const client = yield* HttpClient.HttpClient
      const url = endpointUrl(endpoint)
      const fetch = fetchServerList(client, url, addressOptions)
      const initial = yield* fetch.pipe(
        Effect.retry(endpointInitialRetry),
        Effect.mapError(
          (error) =>
            new TransportError({
              message: `could not get a server list from address server ${url}: ${error.message}`,
              cause: error
            })
        )
      )
      const ref = yield* SubscriptionRef.make(initial)
      const refreshOnce = fetch.pipe(
        Effect.flatMap((fresh) =>
          // publishes only a real change, so `changes` never repeats a list
          SubscriptionRef.updateSome(ref, (known) => (sameServers(known, fresh) ? Option.none() : Option.some(fresh)))
        ),
        Effect.catch((error) =>
          NacosTelemetry.withModule("server-list")(Effect.logWarning(`keeping the last server list: ${error.message}`))
        )
      )
      const interval = Duration.millis(endpoint.refreshMillis)
      yield* Effect.sleep(interval).pipe(
        Effect.andThen(Effect.repeat(refreshOnce, Schedule.spaced(interval))),
        Effect.forkScoped
      )
      return fromRef(ref)
    })
  )

/**
 * The list the options describe: the static `serverAddr` list, or, when `endpoint` is set, the address server's
 * list (see {@link layerEndpoint}).
 *
 * @category layers
 * @since 0.1.0
 */
export const layer: Layer.Layer<
  ServerList,
  TransportError | InvalidArgumentError,
  NacosOptions | HttpClient.HttpClient
> = Layer.unwrap(
  Effect.gen(function* () {
    const options = yield* NacosOptions
    return Option.match(options.endpoint, {
      onNone: (): Layer.Layer<ServerList, TransportError | InvalidArgumentError, HttpClient.HttpClient> =>
        layerStatic(options.serverAddresses),
      onSome: (endpoint) => layerEndpoint(endpoint, { tls: Option.isSome(options.tls) })
    })
  })
)
