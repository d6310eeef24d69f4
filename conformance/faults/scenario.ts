/**
 * The world every fault case puts through its fault: one client behind the fault proxies holding config watches,
 * naming registrations and subscriptions, agent endpoints and agent-card watches at the same time, and a second
 * client, straight to the server, that changes what the first one watches while the fault lasts.
 *
 * "Nothing lost" is checked exactly: every watcher's last event is the final state, every subscriber's last view is
 * exactly the final instance set, and the server holds exactly the first client's registrations and endpoints again.
 */
import { randomUUID } from "node:crypto"
import type { AgentCardModels, AiService } from "@effect-nacos/ai"
import type { ConfigEvent, ConfigService } from "@effect-nacos/config"
import type { NamingService, ServiceEvent } from "@effect-nacos/naming"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schedule from "effect/Schedule"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import type { ServerProxies } from "../faultProxy.ts"
import { type ConformanceServer, tempCacheDir } from "../support.ts"
import { services, servicesLayer } from "./support.ts"

const CONFIGS = 4
const SUBSCRIBED = 3
const REGISTERED = 3
const OWN_AGENTS = 2
const WATCHED_AGENTS = 2

interface Clients {
  readonly config: ConfigService.Service
  readonly naming: NamingService.Service
  readonly ai: AiService.Service
}

/** What every watcher and subscriber should show, by key. */
interface Expected {
  readonly configs: ReadonlyMap<string, string>
  readonly subscribers: ReadonlyMap<string, string>
  readonly cards: ReadonlyMap<string, string>
}

/** The last thing a background stream emitted, or how it ended. */
interface Latest<A> {
  value: A | undefined
  failure: string | undefined
  events: number
}

const follow = <A, E>(stream: Stream.Stream<A, E>): Effect.Effect<Latest<A>, never, Scope.Scope> =>
  Effect.gen(function* () {
    const latest: Latest<A> = { value: undefined, failure: undefined, events: 0 }
    yield* stream.pipe(
      Stream.runForEach((value) =>
        Effect.sync(() => {
          latest.value = value
          latest.events++
        })
      ),
      Effect.matchCause({
        onSuccess: () => {
          latest.failure = "the stream ended"
        },
        onFailure: (cause) => {
          latest.failure = `the stream failed: ${String(cause)}`
        }
      }),
      Effect.forkScoped
    )
    return latest
  })

const clientsOf = (layer: ReturnType<typeof servicesLayer>) =>
  Effect.flatMap(Layer.build(layer), (context) => Effect.provideContext(services, context))

const addresses = (event: ServiceEvent | undefined) =>
  event === undefined
    ? "(no event)"
    : event.service.hosts
        .map((host) => `${host.ip}:${host.port}`)
        .sort()
        .join(",")

const interfaceUrls = (card: AgentCardModels.AgentCardDetail | undefined) =>
  card === undefined
    ? "(no card)"
    : (card.additionalInterfaces ?? [])
        .map((i) => i.url)
        .sort()
        .join(",")

const configState = (event: ConfigEvent | undefined) =>
  event === undefined ? "(no event)" : event._tag === "Changed" ? `Changed:${event.content}` : event._tag

const agentCard = (name: string, port: number): AgentCardModels.ReleasableAgentCard => ({
  name,
  version: "1.0.0",
  protocolVersion: "0.3.0",
  preferredTransport: "JSONRPC",
  url: `http://127.0.0.1:${port}/card`,
  description: `fault-suite agent ${name}`
})

/**
 * A write of the world's own (setup, or the other client's changes) retried while the server answers 500: 3.1.0's
 * embedded Derby can time out on a lock when writes come together, mostly just after a (re)start ("A lock could not
 * be obtained within the time requested"). What is tested is the faulted client, not this.
 */
const busyRetried = <A, E extends { readonly _tag: string }, R>(write: Effect.Effect<A, E, R>) =>
  write.pipe(
    Effect.retry({
      schedule: Schedule.spaced("500 millis").pipe(Schedule.upTo({ times: 20 })),
      while: (error) => error._tag === "ServerError"
    })
  )

/** A card release, retried as {@link busyRetried}: a retry that finds the version released (by the try that answered 500) is done. */
const released = <E extends { readonly _tag: string }, R>(release: Effect.Effect<void, E, R>) =>
  busyRetried(release).pipe(
    Effect.catchIf(
      (error) => error._tag === "ConflictError",
      () => Effect.void
    )
  )

const endpointUrl = (port: number) => `http://127.0.0.1:${port}/a2a`

/**
 * Builds both clients and everything the first one holds, and waits until all of it is in place.
 * `proxies` is where the faulted client connects (both its HTTP and its gRPC traffic).
 */
export const setUpWorld = (label: string, server: ConformanceServer, proxies: ServerProxies) =>
  Effect.gen(function* () {
    const run = `${label}-${randomUUID().slice(0, 6)}`
    const faulted: Clients = yield* clientsOf(
      servicesLayer(server, {
        serverAddr: proxies.serverAddr,
        grpc: { portOffset: proxies.portOffset },
        cacheDir: tempCacheDir(`faults-${run}`)
      })
    )
    const direct: Clients = yield* clientsOf(servicesLayer(server, { cacheDir: tempCacheDir(`faults-direct-${run}`) }))

    const configIds = Array.from({ length: CONFIGS }, (_, i) => `${run}-cfg-${i}`)
    const createdId = `${run}-cfg-created`
    const subscribed = Array.from({ length: SUBSCRIBED }, (_, i) => `${run}-sub-${i}`)
    const registered = Array.from({ length: REGISTERED }, (_, i) => `${run}-reg-${i}`)
    const ownAgents = Array.from({ length: OWN_AGENTS }, (_, i) => ({ name: `${run}-own-${i}`, port: 9700 + i }))
    const watchedAgents = Array.from({ length: WATCHED_AGENTS }, (_, i) => ({
      name: `${run}-watched-${i}`,
      port: 9800 + i
    }))

    // what exists before the fault
    yield* Effect.forEach(configIds, (dataId) => busyRetried(direct.config.publish({ dataId, content: "before" })), {
      concurrency: "unbounded"
    })
    yield* Effect.forEach(
      subscribed,
      (serviceName, i) => direct.naming.registerInstance({ serviceName, ip: `10.61.${i}.1`, port: 1 }),
      { concurrency: "unbounded" }
    )
    // one card at a time: the server stores a card's tags in embedded Derby, where concurrent releases can time out
    // waiting for a lock (ServerError 500 "A lock could not be obtained within the time requested", seen on 3.1.0)
    yield* Effect.forEach(watchedAgents, ({ name, port }) =>
      released(direct.ai.releaseAgentCard({ card: agentCard(name, port), setAsLatest: true }))
    )

    // what the faulted client holds
    const configWatches = yield* Effect.forEach([...configIds, createdId], (dataId) =>
      Effect.map(follow(faulted.config.watch({ dataId })), (latest) => [dataId, latest] as const)
    )
    const subscriptions = yield* Effect.forEach(subscribed, (serviceName) =>
      Effect.map(
        follow(faulted.naming.subscribe({ serviceName, emptyPush: "deliver" })),
        (latest) => [serviceName, latest] as const
      )
    )
    yield* Effect.forEach(
      registered,
      (serviceName, i) => faulted.naming.registerInstance({ serviceName, ip: `10.62.${i}.1`, port: 2 }),
      { concurrency: "unbounded" }
    )
    yield* Effect.forEach(ownAgents, ({ name, port }) =>
      Effect.andThen(
        released(faulted.ai.releaseAgentCard({ card: agentCard(name, port), setAsLatest: true })),
        faulted.ai.registerAgentEndpoint({
          name,
          endpoint: { version: "1.0.0", address: "127.0.0.1", port, path: "/a2a" }
        })
      )
    )
    const cardWatches = yield* Effect.forEach(watchedAgents, ({ name }) =>
      Effect.map(
        // the card is released through the other client: its first read may come before the server has it
        follow(
          Stream.retry(
            faulted.ai.watchAgentCard({ name }),
            Schedule.spaced("500 millis").pipe(Schedule.upTo({ times: 20 }))
          )
        ),
        (latest) => [name, latest] as const
      )
    )

    /** What is not (yet) as `expected` says: empty once everything is. */
    const problems = (expected: Expected) =>
      Effect.gen(function* () {
        const found: Array<string> = []
        for (const [dataId, latest] of configWatches) {
          const state = configState(latest.value)
          if (latest.failure !== undefined) found.push(`watch ${dataId}: ${latest.failure}`)
          else if (state !== expected.configs.get(dataId)) {
            found.push(`watch ${dataId} is at ${state}, not ${expected.configs.get(dataId)}`)
          }
        }
        for (const [serviceName, latest] of subscriptions) {
          const state = addresses(latest.value)
          if (latest.failure !== undefined) found.push(`subscription ${serviceName}: ${latest.failure}`)
          else if (state !== expected.subscribers.get(serviceName)) {
            found.push(`subscription ${serviceName} shows ${state}, not ${expected.subscribers.get(serviceName)}`)
          }
        }
        for (const [name, latest] of cardWatches) {
          const state = interfaceUrls(latest.value)
          if (latest.failure !== undefined) found.push(`card watch ${name}: ${latest.failure}`)
          else if (state !== expected.cards.get(name)) {
            found.push(`card watch ${name} shows ${state}, not ${expected.cards.get(name)}`)
          }
        }
        // the server's side, as the other client reads it
        const serverSide = yield* Effect.all(
          [
            ...registered.map((serviceName, i) =>
              direct.naming.listInstances({ serviceName, subscribe: false }).pipe(
                Effect.map((hosts) => {
                  const state = hosts
                    .map((host) => `${host.ip}:${host.port}`)
                    .sort()
                    .join(",")
                  return state === `10.62.${i}.1:2` ? undefined : `registration ${serviceName} is ${state || "gone"}`
                })
              )
            ),
            ...ownAgents.map(({ name, port }) =>
              direct.ai.getAgentCard({ name }).pipe(
                Effect.map((card) => {
                  const state = interfaceUrls(card)
                  return state === endpointUrl(port) ? undefined : `endpoint of ${name} is ${state || "gone"}`
                })
              )
            )
          ],
          { concurrency: "unbounded" }
        ).pipe(Effect.catch((error) => Effect.succeed([`the direct client could not read: ${error.message}`])))
        for (const problem of serverSide) if (problem !== undefined) found.push(problem)
        return found
      })

    const before: Expected = {
      configs: new Map([...configIds.map((id) => [id, "Changed:before"] as const), [createdId, "Absent"] as const]),
      subscribers: new Map(subscribed.map((name, i) => [name, `10.61.${i}.1:1`] as const)),
      cards: new Map(watchedAgents.map(({ name }) => [name, ""] as const))
    }
    const after: Expected = {
      configs: new Map([
        ...configIds.map((id, i) => [id, i === 0 ? "Deleted" : `Changed:after-${i}`] as const),
        [createdId, "Changed:created"] as const
      ]),
      subscribers: new Map(subscribed.map((name, i) => [name, `10.61.${i}.2:1`] as const)),
      cards: new Map(watchedAgents.map(({ name, port }) => [name, endpointUrl(port)] as const))
    }

    /** The other client's changes: a config removed, the others changed, one created; instances and endpoints moved. */
    const change = Effect.all(
      [
        busyRetried(direct.config.remove({ dataId: configIds[0]! })),
        ...configIds
          .slice(1)
          .map((dataId, i) => busyRetried(direct.config.publish({ dataId, content: `after-${i + 1}` }))),
        busyRetried(direct.config.publish({ dataId: createdId, content: "created" })),
        ...subscribed.map((serviceName, i) =>
          Effect.andThen(
            direct.naming.deregisterInstance({ serviceName, ip: `10.61.${i}.1`, port: 1 }),
            direct.naming.registerInstance({ serviceName, ip: `10.61.${i}.2`, port: 1 })
          )
        ),
        ...watchedAgents.map(({ name, port }) =>
          direct.ai.registerAgentEndpoint({
            name,
            endpoint: { version: "1.0.0", address: "127.0.0.1", port, path: "/a2a" }
          })
        )
      ],
      { concurrency: "unbounded", discard: true }
    )

    /**
     * Waits (checking every 200 ms) until nothing is missing; answers how long that took. Dies with the list of
     * what is still missing after `boundMillis`.
     */
    const settled = (expected: Expected, boundMillis: number) =>
      Effect.gen(function* () {
        const started = Date.now()
        while (true) {
          const missing = yield* problems(expected)
          if (missing.length === 0) return Date.now() - started
          if (Date.now() - started > boundMillis) {
            return yield* Effect.die(`after ${boundMillis} ms, still lost:\n  ${missing.join("\n  ")}`)
          }
          yield* Effect.sleep("200 millis")
        }
      })

    yield* settled(before, 30_000)
    return {
      faulted,
      direct,
      change,
      /** Waits until the first client holds and sees the state after {@link change}. */
      recovered: (boundMillis: number) => settled(after, boundMillis),
      /** Every event the first client's watches and subscriptions delivered so far. */
      eventCount: () =>
        [...configWatches, ...subscriptions, ...cardWatches].reduce((sum, [, latest]) => sum + latest.events, 0)
    }
  })
