/**
 * What every cluster case runs at the same time: a subject client (given all three node addresses) with config
 * watches, ephemeral naming registrations, a naming subscription, an agent endpoint and an agent-card watch; and a
 * writer client (pinned to one node) that changes what the subject watches, phase by phase, and reads back what the
 * subject registered. `expectPhase(k)` is the exact "nothing lost" check: every watch, subscription and registration
 * shows phase k's state, no more, no less.
 */
import { randomUUID } from "node:crypto"
import * as fsp from "node:fs/promises"
import * as os from "node:os"
import * as path from "node:path"
import { type AgentCardModels, AiService } from "@effect-nacos/ai"
import { ConfigService } from "@effect-nacos/config"
import { Nacos } from "@effect-nacos/core"
import { NamingService } from "@effect-nacos/naming"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Ref from "effect/Ref"
import * as Schedule from "effect/Schedule"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import { inject } from "vitest"
import { CLUSTER_NODE_NAMES, type ClusterNodeName } from "../server/nacos-cluster.ts"
import { type ClusterDescription, clusterControl } from "./control.ts"

export { recordFigures } from "./figures.ts"

/** The cluster the global setup started. */
export const cluster = (): ClusterDescription => inject("nacosCluster")

/** Kill, start and ask the cluster (through the setup process). */
export const control = () => clusterControl(cluster())

/** The address of one node, for a client pinned to it. */
export const nodeAddr = (name: ClusterNodeName): string => {
  const node = cluster().nodes.find((n) => n.name === name)
  if (node === undefined) throw new Error(`no node ${name}`)
  return node.serverAddr
}

/** The generous bound of every wait in the cluster cases. */
export const RECOVERY_BOUND_MS = 30_000

/**
 * The bound for the server's naming view of a change: 3.1.0 answers instance queries from a per-node cache that
 * only its push task refreshes, and right after a node loss or a connection reset that was seen to lag by more than
 * 30 s once or twice in ten runs.
 */
export const SERVER_VIEW_BOUND_MS = 60_000

/**
 * Whatever a case did to a node, it is running again when the case's scope closes (also when the case failed), so
 * the next case starts from a whole cluster.
 */
export const restoreNodeAfterwards = (node: ClusterNodeName) =>
  Effect.addFinalizer(() =>
    Effect.tryPromise(async () => {
      await control().start(node)
      await control().awaitWhole()
    }).pipe(Effect.ignore)
  )

/** One client with all three services, identified on the server by its unique appName. */
export interface Client {
  readonly appName: string
  readonly config: ConfigService.Service
  readonly naming: NamingService.Service
  readonly ai: AiService.Service
}

/** Builds a client (closed with the scope): `serverAddr` is one address or the comma-separated three. */
export const openClient = (serverAddr: string, label: string): Effect.Effect<Client, never, Scope.Scope> =>
  Effect.gen(function* () {
    const appName = `cluster-${label}-${randomUUID().slice(0, 8)}`
    const cacheDir = path.join(os.tmpdir(), `effect-nacos-cluster-${appName}`)
    // registered first, so it runs after the client has closed (finalizers run in reverse)
    yield* Effect.addFinalizer(() => Effect.promise(() => fsp.rm(cacheDir, { recursive: true, force: true })))
    const nacos = Layer.fresh(Nacos.layer({ serverAddr, appName, cacheDir }))
    const services = Layer.mergeAll(
      ConfigService.layer,
      NamingService.layer,
      // endpoint changes come by naming push; the re-read only bounds how long a missed one stays unseen
      AiService.layerWith({ agentCardPollSchedule: Schedule.spaced("2 seconds") })
    ).pipe(Layer.provide(nacos), Layer.orDie)
    const context = yield* Layer.build(services)
    return {
      appName,
      config: Context.get(context, ConfigService.ConfigService),
      naming: Context.get(context, NamingService.NamingService),
      ai: Context.get(context, AiService.AiService)
    }
  })

/** Retries `effect` every 100 ms until `accept` takes its value; dies after `boundMs` naming `what`. */
export const waitFor = <A, E, R>(
  what: string,
  effect: Effect.Effect<A, E, R>,
  accept: (value: A) => boolean,
  boundMs = RECOVERY_BOUND_MS
): Effect.Effect<A, never, R> =>
  Effect.gen(function* () {
    const last = yield* Ref.make<string>("nothing yet")
    return yield* effect.pipe(
      Effect.tap((value) => Ref.set(last, JSON.stringify(value)?.slice(0, 300) ?? "undefined")),
      Effect.tapError((error) => Ref.set(last, `error ${String(error)}`.slice(0, 300))),
      Effect.filterOrFail(accept, () => "not yet"),
      Effect.retry(Schedule.spaced("100 millis")),
      Effect.timeoutOrElse({
        duration: boundMs,
        orElse: () =>
          Effect.flatMap(Ref.get(last), (seen) => Effect.die(`${what}: not within ${boundMs} ms (last: ${seen})`))
      }),
      Effect.orDie
    )
  })

/** Runs a stream in the scope's background, keeping its latest element. */
const follow = <A, E>(stream: Stream.Stream<A, E>) =>
  Effect.gen(function* () {
    const latest = yield* Ref.make(Option.none<A>())
    yield* stream.pipe(
      Stream.runForEach((value) => Ref.set(latest, Option.some(value))),
      Effect.forkScoped
    )
    return Ref.get(latest)
  })

const sorted = (values: ReadonlyArray<string>) => [...values].sort()
const same = (a: ReadonlyArray<string>, b: ReadonlyArray<string>) =>
  JSON.stringify(sorted(a)) === JSON.stringify(sorted(b))
const addresses = (hosts: ReadonlyArray<{ readonly ip: string; readonly port: number }>) =>
  hosts.map((h) => `${h.ip}:${h.port}`)
const interfaceUrls = (detail: AgentCardModels.AgentCardDetail) => (detail.additionalInterfaces ?? []).map((i) => i.url)
const endpointUrl = (port: number) => `http://127.0.0.1:${port}/a2a`

const CARD_VERSION = "1.0.0"
const card = (name: string) => ({
  name,
  version: CARD_VERSION,
  protocolVersion: "0.3.0",
  preferredTransport: "JSONRPC",
  url: `http://127.0.0.1:9999/${name}`,
  description: `cluster case agent ${name}`
})

/** The keys and names of one case, unique per run. */
const names = (label: string) => {
  const id = randomUUID().slice(0, 8)
  return {
    configs: [1, 2, 3].map((n) => `cluster-${label}-${id}-config-${n}`),
    registered: [1, 2].map((n) => `cluster-${label}-${id}-registered-${n}`),
    subscribed: `cluster-${label}-${id}-subscribed`,
    endpointCard: `cluster-${label}-${id}-endpoint-card`,
    watchedCard: `cluster-${label}-${id}-watched-card`
  }
}

const SUBJECT_ENDPOINT_PORT = 9701
const writerEndpointPort = (phase: number) => 9800 + phase
const writerInstance = (phase: number) => ({ ip: `10.72.${phase}.1`, port: 8080 })
const subjectInstance = (n: number) => ({ ip: `10.71.0.${n + 1}`, port: 8080 })

/** A write that the server may refuse for a while (raft without a leader): retried until it is taken. */
const persist = <E>(write: Effect.Effect<void, E>) =>
  write.pipe(
    Effect.retry(Schedule.spaced("500 millis")),
    Effect.timeoutOrElse({
      duration: RECOVERY_BOUND_MS,
      orElse: () => Effect.die("a writer's write was refused for 30 s")
    }),
    Effect.orDie
  )

/**
 * Sets up the subject's watches, registrations and subscriptions and the writer's phase-0 state, and waits until the
 * subject shows phase 0.
 */
export const startWorkload = (subject: Client, writer: Client, label: string) =>
  Effect.gen(function* () {
    const n = names(label)
    let phase = 0

    // the writer's side of phase 0: configs, its instance in the subscribed service, both cards, its endpoint
    const writeConfigs = (k: number) =>
      Effect.forEach(n.configs, (dataId) => persist(writer.config.publish({ dataId, content: `${dataId}@${k}` })), {
        discard: true
      })
    yield* writeConfigs(0)
    yield* writer.naming.registerInstance({ serviceName: n.subscribed, ...writerInstance(0) }).pipe(Effect.orDie)
    for (const name of [n.endpointCard, n.watchedCard])
      yield* persist(writer.ai.releaseAgentCard({ card: card(name), setAsLatest: true }))
    yield* waitFor("the writer's cards readable", writer.ai.getAgentCard({ name: n.watchedCard }), () => true)
    yield* waitFor("the endpoint card readable", writer.ai.getAgentCard({ name: n.endpointCard }), () => true)
    yield* writer.ai
      .registerAgentEndpoint({
        name: n.watchedCard,
        endpoint: { version: CARD_VERSION, address: "127.0.0.1", port: writerEndpointPort(0), path: "/a2a" }
      })
      .pipe(Effect.orDie)

    // the subject: watches, registrations, a subscription, an endpoint, a card watch
    const watches = yield* Effect.forEach(n.configs, (dataId) => follow(subject.config.watch({ dataId })))
    for (const [i, serviceName] of n.registered.entries())
      yield* subject.naming.registerInstance({ serviceName, ...subjectInstance(i) }).pipe(Effect.orDie)
    const subscription = yield* follow(subject.naming.subscribe({ serviceName: n.subscribed }))
    yield* subject.ai
      .registerAgentEndpoint({
        name: n.endpointCard,
        endpoint: { version: CARD_VERSION, address: "127.0.0.1", port: SUBJECT_ENDPOINT_PORT, path: "/a2a" }
      })
      .pipe(Effect.orDie)
    const cardWatch = yield* follow(subject.ai.watchAgentCard({ name: n.watchedCard }))

    /** Every check of phase k, each waited for (bounded); resolves with the ms it took. */
    const expectPhase = (k: number) =>
      Effect.gen(function* () {
        const since = Date.now()
        for (const [i, dataId] of n.configs.entries()) {
          const want = `${dataId}@${k}`
          yield* waitFor(
            `the subject's watch of config ${i + 1} shows phase ${k}`,
            watches[i]!,
            (event) => Option.isSome(event) && event.value._tag === "Changed" && event.value.content === want
          )
          yield* waitFor(
            `the subject reads config ${i + 1} of phase ${k}`,
            subject.config.get({ dataId }),
            (c) => c === want
          )
        }
        const writerWant = [`${writerInstance(k).ip}:${writerInstance(k).port}`]
        yield* waitFor(
          `the server holds exactly the writer's phase-${k} instance`,
          writer.naming.listInstances({ serviceName: n.subscribed, subscribe: false }).pipe(Effect.map(addresses)),
          (hosts) => same(hosts, writerWant),
          SERVER_VIEW_BOUND_MS
        )
        // what the subject's own naming node answers (tells a server-side sync lag from a missed push)
        yield* waitFor(
          `the subject's naming node holds exactly the writer's phase-${k} instance`,
          subject.naming.listInstances({ serviceName: n.subscribed, subscribe: false }).pipe(Effect.map(addresses)),
          (hosts) => same(hosts, writerWant),
          SERVER_VIEW_BOUND_MS
        )
        yield* waitFor(
          `the subject's subscription shows exactly the writer's phase-${k} instance`,
          Effect.map(subscription, (event) =>
            Option.isSome(event) && event.value._tag === "InstancesChanged"
              ? addresses(event.value.service.hosts)
              : ["no InstancesChanged event"]
          ),
          (hosts) => same(hosts, writerWant)
        )
        for (const [i, serviceName] of n.registered.entries()) {
          const want = [`${subjectInstance(i).ip}:${subjectInstance(i).port}`]
          yield* waitFor(
            `the writer sees exactly the subject's instance in ${serviceName}`,
            writer.naming.listInstances({ serviceName, subscribe: false }),
            (hosts) => same(addresses(hosts), want)
          )
        }
        yield* waitFor(
          "the writer sees exactly the subject's agent endpoint",
          writer.ai.getAgentCard({ name: n.endpointCard }),
          (detail) => same(interfaceUrls(detail), [endpointUrl(SUBJECT_ENDPOINT_PORT)])
        )
        yield* waitFor(
          `the subject's card watch shows exactly the writer's phase-${k} endpoint`,
          Effect.map(cardWatch, (detail) => (Option.isSome(detail) ? interfaceUrls(detail.value) : ["no card yet"])),
          (urls) => same(urls, [endpointUrl(writerEndpointPort(k))])
        )
        return Date.now() - since
      })

    /** The writer moves everything the subject watches to the next phase; resolves with that phase. */
    const advance = Effect.gen(function* () {
      const previous = phase
      phase += 1
      yield* writeConfigs(phase)
      yield* writer.naming
        .deregisterInstance({ serviceName: n.subscribed, ...writerInstance(previous) })
        .pipe(Effect.orDie)
      yield* writer.naming.registerInstance({ serviceName: n.subscribed, ...writerInstance(phase) }).pipe(Effect.orDie)
      yield* writer.ai.deregisterAgentEndpoint({ name: n.watchedCard, version: CARD_VERSION }).pipe(Effect.orDie)
      yield* writer.ai
        .registerAgentEndpoint({
          name: n.watchedCard,
          endpoint: { version: CARD_VERSION, address: "127.0.0.1", port: writerEndpointPort(phase), path: "/a2a" }
        })
        .pipe(Effect.orDie)
      return phase
    })

    yield* expectPhase(0)
    return { names: n, expectPhase, advance, configs: n.configs }
  })

/** One of a client's server-side connections. */
export interface ClientConnection {
  readonly node: ClusterNodeName
  readonly connectionId: string
  readonly module: string
}

/**
 * Every connection the client holds on the running nodes, found by its unique appName; a node that does not answer
 * (killed) counts as holding none.
 */
export const connectionsOf = (client: Client): Effect.Effect<ReadonlyArray<ClientConnection>> =>
  Effect.forEach(
    CLUSTER_NODE_NAMES,
    (node) =>
      Effect.promise(() =>
        control()
          .connections(node)
          .then(
            (list) =>
              list
                .filter((c) => c.appName === client.appName)
                .map((c) => ({ node, connectionId: c.connectionId, module: c.module })),
            () => []
          )
      ),
    { concurrency: "unbounded" }
  ).pipe(Effect.map((lists) => lists.flat()))

/** The client's connections once at least `count` are up (connections may be moving). */
export const awaitConnections = (
  client: Client,
  count: number,
  accept: (list: ReadonlyArray<ClientConnection>) => boolean = () => true
) =>
  waitFor(
    `${count} connections of ${client.appName} on the nodes`,
    connectionsOf(client),
    (list) => list.length >= count && accept(list)
  )

/** The subject's connections: one per module (config, naming, ai); the AI layer's card watch shares naming's. */
export const SUBJECT_CONNECTIONS = 3

/**
 * The subject's registrations are published by one of its current naming connections (not only by what a dead
 * node's connection left behind): the server's publisher list of each registered service holds that id.
 */
export const expectRegistrationsRedone = (
  subject: Client,
  registered: ReadonlyArray<string>,
  viewer: ClusterNodeName
) =>
  Effect.gen(function* () {
    const current = yield* awaitConnections(subject, SUBJECT_CONNECTIONS)
    const naming = current.filter((c) => c.module === "naming")
    for (const serviceName of registered) {
      yield* waitFor(
        `${serviceName} published by one of the subject's current connections`,
        Effect.promise(() => control().publishers(viewer, "DEFAULT_GROUP", serviceName)),
        (ids) => naming.some((c) => ids.includes(c.connectionId))
      )
    }
    const publisher = yield* Effect.promise(() => control().publishers(viewer, "DEFAULT_GROUP", registered[0]!))
    return naming.find((c) => publisher.includes(c.connectionId))!
  })
