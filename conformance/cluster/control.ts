/**
 * The cluster's JVMs belong to the vitest process that ran the global setup (so no JVM outlives the run), while the
 * tests run in workers: a loopback HTTP endpoint in the setup process lets a test kill, start and restart nodes and
 * ask the admin questions (raft leader, which node serves a client, ConnectResetRequest). `serveClusterControl` is
 * the setup side, `clusterControl` the test side.
 */
import { randomBytes } from "node:crypto"
import * as http from "node:http"
import * as Schema from "effect/Schema"
import { CLUSTER_NODE_NAMES, type ClusterNodeName, type RunningNacosCluster } from "../server/nacos-cluster.ts"

/** What the tests get from the global setup (`inject("nacosCluster")`). */
export interface ClusterDescription {
  /** All three addresses, comma-separated: what a client is given. */
  readonly serverAddr: string
  readonly nodes: ReadonlyArray<{
    readonly name: ClusterNodeName
    readonly serverAddr: string
    readonly httpPort: number
  }>
  readonly username: string
  readonly password: string
  readonly authEnabled: boolean
  readonly controlUrl: string
  readonly controlSecret: string
}

const NodeName = Schema.Literals(CLUSTER_NODE_NAMES)
const Command = Schema.Union([
  Schema.Struct({ op: Schema.Literals(["kill", "start", "restart"]), node: NodeName }),
  Schema.Struct({ op: Schema.Literal("awaitWhole"), timeoutMs: Schema.Number }),
  Schema.Struct({ op: Schema.Literal("raftLeader"), group: Schema.String, timeoutMs: Schema.Number }),
  Schema.Struct({ op: Schema.Literal("nodeServing"), appName: Schema.String, module: Schema.String }),
  Schema.Struct({ op: Schema.Literal("connections"), node: NodeName }),
  Schema.Struct({
    op: Schema.Literal("publishers"),
    node: NodeName,
    groupName: Schema.String,
    serviceName: Schema.String
  }),
  Schema.Struct({
    op: Schema.Literal("resetConnection"),
    node: NodeName,
    connectionId: Schema.String,
    to: Schema.optional(NodeName)
  })
])
type Command = typeof Command.Type

const Answer = Schema.Union([
  Schema.Struct({ ok: Schema.Literal(true), result: Schema.Unknown }),
  Schema.Struct({ ok: Schema.Literal(false), error: Schema.String })
])
const Connections = Schema.Array(
  Schema.Struct({ connectionId: Schema.String, appName: Schema.String, module: Schema.String })
)
const MaybeNode = Schema.NullOr(NodeName)

const run = async (cluster: RunningNacosCluster, command: Command): Promise<unknown> => {
  switch (command.op) {
    case "kill":
      return cluster.node(command.node).kill()
    case "start":
      return cluster.node(command.node).start()
    case "restart":
      return cluster.node(command.node).restart()
    case "awaitWhole":
      return cluster.awaitWhole(command.timeoutMs)
    case "raftLeader":
      return (await cluster.raftLeader(command.group, command.timeoutMs)).name
    case "nodeServing":
      return (await cluster.nodeServing(command))?.name ?? null
    case "connections":
      return (await cluster.connections(cluster.node(command.node))).map(({ connectionId, appName, module }) => ({
        connectionId,
        appName,
        module
      }))
    case "publishers":
      return cluster.publishers(cluster.node(command.node), {
        groupName: command.groupName,
        serviceName: command.serviceName
      })
    case "resetConnection":
      return cluster.resetConnection(
        cluster.node(command.node),
        command.connectionId,
        command.to === undefined ? undefined : cluster.node(command.to)
      )
  }
}

/** Serves the cluster's controls on a random loopback port until `close()`. */
export const serveClusterControl = async (
  cluster: RunningNacosCluster
): Promise<{ readonly url: string; readonly secret: string; close(): Promise<void> }> => {
  const secret = randomBytes(16).toString("hex")
  const server = http.createServer((request, response) => {
    const chunks: Array<Buffer> = []
    request.on("data", (chunk: Buffer) => chunks.push(chunk))
    request.on("end", () => {
      const reply = (answer: typeof Answer.Type) => {
        response.writeHead(200, { "content-type": "application/json" })
        response.end(JSON.stringify(answer))
      }
      if (request.headers["x-control-secret"] !== secret) return reply({ ok: false, error: "wrong secret" })
      let body: unknown
      try {
        body = JSON.parse(Buffer.concat(chunks).toString("utf8"))
      } catch {
        return reply({ ok: false, error: "not JSON" })
      }
      const decoded = Schema.decodeUnknownExit(Command)(body)
      if (decoded._tag === "Failure") return reply({ ok: false, error: `bad command ${JSON.stringify(body)}` })
      run(cluster, decoded.value).then(
        (result) => reply({ ok: true, result: result ?? null }),
        (error: unknown) => reply({ ok: false, error: error instanceof Error ? error.message : String(error) })
      )
    })
  })
  // a node restart takes tens of seconds: no server-side timeout
  server.requestTimeout = 0
  server.headersTimeout = 0
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const address = server.address()
  if (address === null || typeof address === "string") throw new Error("the control server has no port")
  return {
    url: `http://127.0.0.1:${address.port}/`,
    secret,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      })
  }
}

/** The test side: each call resolves with the setup process's answer or rejects with its error. */
export const clusterControl = (description: ClusterDescription) => {
  const call = async (command: Command): Promise<unknown> => {
    const response = await fetch(description.controlUrl, {
      method: "POST",
      headers: { "content-type": "application/json", "x-control-secret": description.controlSecret },
      body: JSON.stringify(command),
      signal: AbortSignal.timeout(300_000)
    })
    const answer = Schema.decodeUnknownSync(Answer)(await response.json())
    if (!answer.ok) throw new Error(`cluster control ${command.op}: ${answer.error}`)
    return answer.result
  }
  return {
    /** SIGKILL the node; resolves once its JVM is gone. */
    kill: (node: ClusterNodeName) => call({ op: "kill", node }).then(() => undefined),
    /** Starts a killed node again in place; resolves once it is ready. */
    start: (node: ClusterNodeName) => call({ op: "start", node }).then(() => undefined),
    /** SIGTERM and start again in place. */
    restart: (node: ClusterNodeName) => call({ op: "restart", node }).then(() => undefined),
    /** Resolves once all three nodes are UP in every view and agree on every raft leader. */
    awaitWhole: (timeoutMs = 90_000) => call({ op: "awaitWhole", timeoutMs }).then(() => undefined),
    /** The node leading the raft group (default nacos_config), as every running node agrees. */
    raftLeader: (group = "nacos_config", timeoutMs = 30_000) =>
      call({ op: "raftLeader", group, timeoutMs }).then((name) => Schema.decodeUnknownSync(NodeName)(name)),
    /** The node holding the client's connection for `module` (by its unique appName), if any. */
    nodeServing: (appName: string, module: string) =>
      call({ op: "nodeServing", appName, module }).then((name) => Schema.decodeUnknownSync(MaybeNode)(name)),
    /** The SDK and cluster connections on a node. */
    connections: (node: ClusterNodeName) =>
      call({ op: "connections", node }).then((list) => Schema.decodeUnknownSync(Connections)(list)),
    /** The client ids publishing instances of a service, as `node` sees them. */
    publishers: (node: ClusterNodeName, groupName: string, serviceName: string) =>
      call({ op: "publishers", node, groupName, serviceName }).then((ids) =>
        Schema.decodeUnknownSync(Schema.Array(Schema.String))(ids)
      ),
    /** Makes `node` send ConnectResetRequest to a connection, optionally naming `to` as the server to move to. */
    resetConnection: (node: ClusterNodeName, connectionId: string, to?: ClusterNodeName) =>
      call({ op: "resetConnection", node, connectionId, ...(to === undefined ? {} : { to }) }).then(() => undefined)
  }
}

/** The control functions' type. */
export type ClusterControl = ReturnType<typeof clusterControl>
