// A 3-node Nacos 3.1.0 cluster on loopback for the cluster tests: embedded storage replicated by raft (no MySQL),
// conf/cluster.conf with the three HTTP addresses, one shared set of secrets. Plain Node (erasable TypeScript).
//
//   const cluster = await startNacosCluster()
//   ... cluster.serverAddr ("127.0.0.1:P1,127.0.0.1:P2,127.0.0.1:P3"), cluster.nodes[i].kill() / start() ...
//   const leader = await cluster.raftLeader()                   // the nacos_config leader's node
//   const node = await cluster.nodeServing({ appName, module })  // where a client's connection is
//   await cluster.stop()
//
// Ready means: every node ready (readiness, console, gRPC port), the admin user created once (raft replicates it)
// and login working on every node, and every node's member list showing all three UP with the same raft leader and
// term for every raft group (`awaitWhole()`, also usable after a node came back).

import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import {
  createAdmin,
  decodeBody,
  freshSecrets,
  generatePassword,
  HOST,
  http,
  login,
  NacosNode,
  type Ports,
  pickPorts,
  prepareHome,
  progress,
  releasePorts,
  StartFailure,
  sleep
} from "./nacos-node.ts"
import { describeNode, type NacosProfile, type RunningNacos, resolveClasspath } from "./nacos-server.ts"

/** The node names, in cluster.conf order. */
export const CLUSTER_NODE_NAMES = ["n1", "n2", "n3"] as const
/** One of {@link CLUSTER_NODE_NAMES}. */
export type ClusterNodeName = (typeof CLUSTER_NODE_NAMES)[number]

/** The raft group config writes (and, with auth caching off, user reads) go through. */
export const CONFIG_RAFT_GROUP = "nacos_config"

/** One node: a RunningNacos (restart/kill/start in place) plus its name and raft address. */
export interface ClusterNode extends RunningNacos {
  readonly name: ClusterNodeName
  /** "127.0.0.1:<raft port>", as the member list names raft leaders. */
  readonly raftAddress: string
}

/** A member as one node's member list shows it. */
export interface MemberView {
  readonly address: string
  readonly state: string
  /** Raft group → leader ("127.0.0.1:<raft port>") and term, as this member reports them. */
  readonly raft: ReadonlyMap<string, { readonly leader: string; readonly term: number }>
}

/** A server-side SDK connection, as `/v3/admin/core/loader/current` shows it. */
export interface ServerConnection {
  readonly connectionId: string
  readonly appName: string
  readonly module: string
  readonly clientIp: string
  /** The node this connection is on. */
  readonly node: ClusterNode
}

/** The cluster and its admin helpers. */
export interface RunningNacosCluster {
  readonly nodes: readonly [ClusterNode, ClusterNode, ClusterNode]
  /** All three addresses, comma-separated, for a client's serverAddr. */
  readonly serverAddr: string
  readonly username: string
  readonly password: string
  readonly authEnabled: boolean
  /** The node with this name. */
  node(name: ClusterNodeName): ClusterNode
  /** The node whose raft address this is. */
  nodeByRaftAddress(raftAddress: string): ClusterNode | undefined
  /** `node`'s view of the members (admin API), or the failure reason. */
  members(node: ClusterNode): Promise<ReadonlyArray<MemberView>>
  /** Resolves once every running node sees `expected` nodes UP and all agree on each raft group's leader and term. */
  awaitWhole(timeoutMs?: number, expected?: ReadonlyArray<ClusterNode>): Promise<void>
  /** The node leading `group` (default nacos_config) as every running node agrees, waiting up to `timeoutMs`. */
  raftLeader(group?: string, timeoutMs?: number): Promise<ClusterNode>
  /** The SDK connections currently on `node`. */
  connections(node: ClusterNode): Promise<ReadonlyArray<ServerConnection>>
  /** The node holding a connection with this appName (and module), searching the running nodes. */
  nodeServing(client: { readonly appName: string; readonly module: string }): Promise<ClusterNode | undefined>
  /** The client ids (for gRPC clients: connection ids) publishing instances of a service, as `node` sees them. */
  publishers(
    node: ClusterNode,
    service: { readonly groupName: string; readonly serviceName: string }
  ): Promise<ReadonlyArray<string>>
  /** Asks `node` to send ConnectResetRequest for a connection (optionally redirecting it to `to`). */
  resetConnection(node: ClusterNode, connectionId: string, to?: ClusterNode): Promise<void>
  /** Stops every node for good (homes removed). */
  stop(): Promise<void>
}

/** Options of {@link startNacosCluster}. */
export interface StartNacosClusterOptions {
  /** nacos.core.auth.enabled (default false). */
  readonly authEnabled?: boolean
  /** Readiness timeout in milliseconds for the whole cluster (default 240 000). */
  readonly timeoutMs?: number
  /** Let the JVMs outlive this Node process (cli.ts). Default false. */
  readonly detached?: boolean
  /** Keep the homes after stop() (default false, or env NACOS_KEEP_HOME=1). */
  readonly keepHome?: boolean
  /** Suppress progress messages on stderr. */
  readonly quiet?: boolean
}

const DEFAULT_TIMEOUT_MS = 240_000

// ---------------------------------------------------------------------------------------------
// The server's answers, decoded
// ---------------------------------------------------------------------------------------------

const RaftGroupMeta = Schema.Struct({ leader: Schema.optional(Schema.String), term: Schema.optional(Schema.Number) })
const MemberAnswer = Schema.Struct({
  address: Schema.String,
  state: Schema.String,
  extendInfo: Schema.optional(
    Schema.Struct({
      raftMetaData: Schema.optional(
        Schema.Struct({ metaDataMap: Schema.optional(Schema.Record(Schema.String, RaftGroupMeta)) })
      )
    })
  )
})
const MemberListAnswer = Schema.Struct({ code: Schema.Number, data: Schema.Array(MemberAnswer) })

const ConnectionAnswer = Schema.Struct({
  metaInfo: Schema.Struct({
    connectionId: Schema.String,
    clientIp: Schema.optional(Schema.String),
    appName: Schema.optional(Schema.NullOr(Schema.String)),
    labels: Schema.optional(Schema.Record(Schema.String, Schema.String))
  })
})
const ConnectionsAnswer = Schema.Struct({ code: Schema.Number, data: Schema.Record(Schema.String, ConnectionAnswer) })
const CodeAnswer = Schema.Struct({ code: Schema.Number })
const PublishersAnswer = Schema.Struct({
  code: Schema.Number,
  data: Schema.Array(Schema.Struct({ clientId: Schema.String }))
})

// ---------------------------------------------------------------------------------------------
// Start
// ---------------------------------------------------------------------------------------------

/** Starts the three nodes together and resolves once the cluster is whole (see the file comment). */
export const startNacosCluster = async (options: StartNacosClusterOptions = {}): Promise<RunningNacosCluster> => {
  const authEnabled = options.authEnabled ?? false
  const profile: NacosProfile = authEnabled ? "auth-on" : "auth-off"
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS
  const keepHome = options.keepHome ?? process.env.NACOS_KEEP_HOME === "1"
  const password = generatePassword()
  const secrets = freshSecrets()
  const classpath = await resolveClasspath()
  const started = Date.now()

  const ports: Array<Ports> = []
  const nodes: Array<NacosNode> = []
  const destroyAll = () => Promise.all(nodes.map((node) => node.destroy()))
  try {
    for (let i = 0; i < CLUSTER_NODE_NAMES.length; i++) ports.push(await pickPorts())
    const members = ports.map((p) => `${HOST}:${p.http}`)
    for (const [i, name] of CLUSTER_NODE_NAMES.entries()) {
      const nodePorts = ports[i]!
      const home = await prepareHome({
        label: `cluster-${name}`,
        ports: nodePorts,
        authEnabled,
        secrets,
        members,
        standalone: false
      })
      nodes.push(
        new NacosNode({
          label: `cluster ${name}`,
          classpath,
          ports: nodePorts,
          home,
          standalone: false,
          keepHome,
          detached: options.detached ?? false,
          timeoutMs,
          quiet: options.quiet
        })
      )
    }
    // together: a node waits for its peers' raft votes before it is ready
    await Promise.all(nodes.map((node) => bootNode(node, started + timeoutMs, options.quiet)))
    // the admin write goes through raft: retried until a leader takes it
    await retryUntil(started + timeoutMs, () => createAdmin(nodes[0]!.spec.ports.http, password))
    await Promise.all(nodes.map((node) => login(node.spec.ports.http, password, 60_000)))
  } catch (error) {
    await destroyAll()
    for (const p of ports) releasePorts(p)
    throw error
  }

  const clusterNodes = nodes.map(
    (node, i): ClusterNode =>
      describeNode(node, profile, password, authEnabled, {
        name: CLUSTER_NODE_NAMES[i]!,
        raftAddress: `${HOST}:${node.spec.ports.raft}`
      })
  )
  const cluster = makeCluster([clusterNodes[0]!, clusterNodes[1]!, clusterNodes[2]!], password, authEnabled, () =>
    destroyAll().then(() => undefined)
  )
  try {
    await cluster.awaitWhole(Math.max(30_000, started + timeoutMs - Date.now()))
  } catch (error) {
    await cluster.stop()
    throw error
  }
  progress(options.quiet, `cluster: whole in ${((Date.now() - started) / 1000).toFixed(1)} s (${cluster.serverAddr})`)
  if (options.detached) await Promise.all(nodes.map((node) => node.handOver()))
  return cluster
}

/**
 * Boots a cluster node, booting it again in place if it exits by itself: on a loaded machine a node's start-up can
 * give up waiting for the first raft leader ("embeddedDumpService ... The Raft Group [nacos_config] did not find
 * the Leader node") while its peers go on and elect one.
 */
const bootNode = async (node: NacosNode, deadline: number, quiet: boolean | undefined): Promise<void> => {
  for (let attempt = 1; ; attempt++) {
    try {
      await node.boot()
      return
    } catch (error) {
      if (!(error instanceof StartFailure && error.exitedEarly) || attempt >= 3 || Date.now() > deadline) throw error
      progress(quiet, `${node.spec.label}: exited during start-up, starting it again (attempt ${attempt + 1})`)
    }
  }
}

const retryUntil = async <A>(deadline: number, task: () => Promise<A>): Promise<A> => {
  for (;;) {
    try {
      return await task()
    } catch (error) {
      if (Date.now() > deadline) throw error
      await sleep(500)
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Admin helpers
// ---------------------------------------------------------------------------------------------

const makeCluster = (
  nodes: readonly [ClusterNode, ClusterNode, ClusterNode],
  password: string,
  authEnabled: boolean,
  destroy: () => Promise<void>
): RunningNacosCluster => {
  // The admin APIs need a token even with auth off; one shared secret, so any node's token works everywhere.
  let token: string | undefined
  const accessToken = async (): Promise<string> => {
    if (token !== undefined) return token
    let lastError: unknown
    for (const node of nodes.filter((n) => n.running)) {
      try {
        token = await login(node.httpPort, password, 5_000)
        return token
      } catch (error) {
        lastError = error
      }
    }
    throw lastError ?? new Error("no cluster node is running")
  }
  const admin = async (
    node: ClusterNode,
    method: string,
    pathAndQuery: string,
    form?: Record<string, string>
  ): Promise<string> => {
    const call = async () =>
      http("POST" === method ? "POST" : "GET", `http://${HOST}:${node.httpPort}/nacos${pathAndQuery}`, form, {
        accessToken: await accessToken()
      })
    let answer = await call()
    if (answer.status === 403 || answer.status === 401) {
      token = undefined
      answer = await call()
    }
    if (answer.status !== 200)
      throw new Error(`${method} ${pathAndQuery} on ${node.name}: HTTP ${answer.status} ${answer.body}`)
    return answer.body
  }

  const node = (name: ClusterNodeName): ClusterNode => nodes.find((n) => n.name === name)!
  const nodeByRaftAddress = (raftAddress: string) => nodes.find((n) => n.raftAddress === raftAddress)

  const members = async (of: ClusterNode): Promise<ReadonlyArray<MemberView>> => {
    const body = await admin(of, "GET", "/v3/admin/core/cluster/node/list")
    const answer = decodeBody(MemberListAnswer, body)
    if (Option.isNone(answer) || answer.value.code !== 0)
      throw new Error(`unexpected member list: ${body.slice(0, 300)}`)
    return answer.value.data.map((m) => ({
      address: m.address,
      state: m.state,
      raft: new Map(
        Object.entries(m.extendInfo?.raftMetaData?.metaDataMap ?? {}).flatMap(([group, meta]) =>
          meta.leader !== undefined && meta.leader !== ""
            ? [[group, { leader: meta.leader, term: meta.term ?? -1 }]]
            : []
        )
      )
    }))
  }

  /** Why the cluster is not whole yet, or undefined when it is. */
  const wholeProblem = async (expected: ReadonlyArray<ClusterNode>): Promise<string | undefined> => {
    const views = new Map<string, string>()
    for (const viewer of expected) {
      let list: ReadonlyArray<MemberView>
      try {
        list = await members(viewer)
      } catch (error) {
        return `${viewer.name}: ${(error as Error).message}`
      }
      for (const want of expected) {
        const member = list.find((m) => m.address === want.serverAddr)
        if (member?.state !== "UP") return `${viewer.name} sees ${want.name} ${member?.state ?? "missing"}`
      }
      // the viewer's own raft view: leader and term per group
      const self = list.find((m) => m.address === viewer.serverAddr)
      const raft = self?.raft ?? new Map()
      if (!raft.has(CONFIG_RAFT_GROUP)) return `${viewer.name} knows no ${CONFIG_RAFT_GROUP} leader`
      for (const [group, meta] of raft) {
        const key = `${group}=${meta.leader}@${meta.term}`
        const seen = views.get(group)
        if (seen === undefined) views.set(group, key)
        else if (seen !== key) return `leaders disagree: ${seen} vs ${key} (${viewer.name})`
        if (nodeByRaftAddress(meta.leader)?.running !== true) return `${group} leader ${meta.leader} is not running`
      }
    }
    return undefined
  }

  const awaitWhole = async (timeoutMs = 60_000, expected: ReadonlyArray<ClusterNode> = nodes): Promise<void> => {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const problem = await wholeProblem(expected)
      if (problem === undefined) return
      if (Date.now() > deadline) throw new Error(`the Nacos cluster is not whole after ${timeoutMs} ms: ${problem}`)
      await sleep(500)
    }
  }

  const raftLeader = async (group = CONFIG_RAFT_GROUP, timeoutMs = 30_000): Promise<ClusterNode> => {
    const deadline = Date.now() + timeoutMs
    let problem = "not asked yet"
    for (;;) {
      const running = nodes.filter((n) => n.running)
      const leaders = new Set<string>()
      for (const viewer of running) {
        try {
          const self = (await members(viewer)).find((m) => m.address === viewer.serverAddr)
          leaders.add(self?.raft.get(group)?.leader ?? "")
        } catch (error) {
          leaders.add("")
          problem = (error as Error).message
        }
      }
      const [only] = leaders
      const leader = leaders.size === 1 && only !== undefined ? nodeByRaftAddress(only) : undefined
      if (leader?.running === true) return leader
      if (leaders.size > 0) problem = `views: ${[...leaders].join(" | ")}`
      if (Date.now() > deadline) throw new Error(`no agreed ${group} leader after ${timeoutMs} ms (${problem})`)
      await sleep(300)
    }
  }

  const connections = async (of: ClusterNode): Promise<ReadonlyArray<ServerConnection>> => {
    const body = await admin(of, "GET", "/v3/admin/core/loader/current")
    const answer = decodeBody(ConnectionsAnswer, body)
    if (Option.isNone(answer) || answer.value.code !== 0)
      throw new Error(`unexpected connection list: ${body.slice(0, 300)}`)
    return Object.values(answer.value.data).map(({ metaInfo }) => ({
      connectionId: metaInfo.connectionId,
      appName: metaInfo.appName ?? metaInfo.labels?.AppName ?? "",
      module: metaInfo.labels?.module ?? "",
      clientIp: metaInfo.clientIp ?? "",
      node: of
    }))
  }

  const nodeServing = async (client: { readonly appName: string; readonly module: string }) => {
    for (const candidate of nodes.filter((n) => n.running)) {
      const list = await connections(candidate).catch(() => [])
      if (list.some((c) => c.appName === client.appName && c.module === client.module)) return candidate
    }
    return undefined
  }

  const resetConnection = async (of: ClusterNode, connectionId: string, to?: ClusterNode): Promise<void> => {
    const form: Record<string, string> = { connectionId }
    // sent verbatim as ConnectResetRequest.serverIp/serverPort: clients read it as a server-list (HTTP) address
    if (to !== undefined) form.redirectAddress = `${HOST}:${to.httpPort}`
    const body = await admin(of, "POST", "/v3/admin/core/loader/reloadClient", form)
    const answer = decodeBody(CodeAnswer, body)
    if (Option.isNone(answer) || answer.value.code !== 0) throw new Error(`reloadClient failed: ${body.slice(0, 300)}`)
  }

  const publishers = async (
    of: ClusterNode,
    service: { readonly groupName: string; readonly serviceName: string }
  ): Promise<ReadonlyArray<string>> => {
    const query = new URLSearchParams({
      namespaceId: "public",
      groupName: service.groupName,
      serviceName: service.serviceName
    })
    const body = await admin(of, "GET", `/v3/admin/ns/client/service/publisher/list?${query}`)
    const answer = decodeBody(PublishersAnswer, body)
    if (Option.isNone(answer) || answer.value.code !== 0)
      throw new Error(`unexpected publisher list: ${body.slice(0, 300)}`)
    return answer.value.data.map((p) => p.clientId)
  }

  let stopping: Promise<void> | undefined
  return {
    nodes,
    serverAddr: nodes.map((n) => n.serverAddr).join(","),
    username: nodes[0].username,
    password,
    authEnabled,
    node,
    nodeByRaftAddress,
    members,
    awaitWhole,
    raftLeader,
    connections,
    nodeServing,
    resetConnection,
    publishers,
    stop: () => {
      stopping ??= destroy()
      return stopping
    }
  }
}
