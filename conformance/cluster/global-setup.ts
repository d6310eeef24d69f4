/**
 * Starts the 3-node Nacos cluster once for the cluster suite, provides its description (and the control endpoint
 * the tests kill and start nodes through) and always stops it. A cluster that cannot start fails the run with the
 * nodes' log tails: it never skips.
 */
import type { TestProject } from "vitest/node"
import { startNacosCluster } from "../server/nacos-cluster.ts"
import { type ClusterDescription, serveClusterControl } from "./control.ts"
import { writeFigures } from "./figures.ts"

declare module "vitest" {
  export interface ProvidedContext {
    nacosCluster: ClusterDescription
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  if (process.env.NACOS_SERVER_ADDR) {
    throw new Error("the cluster suite starts its own 3-node cluster: unset NACOS_SERVER_ADDR")
  }
  const started = Date.now()
  const cluster = await startNacosCluster({ quiet: true })
  let control: Awaited<ReturnType<typeof serveClusterControl>> | undefined
  try {
    control = await serveClusterControl(cluster)
  } catch (error) {
    await cluster.stop()
    throw error
  }
  writeFigures("clusterStart", { wholeMsAfterStart: Date.now() - started })
  project.provide("nacosCluster", {
    serverAddr: cluster.serverAddr,
    nodes: cluster.nodes.map((node) => ({ name: node.name, serverAddr: node.serverAddr, httpPort: node.httpPort })),
    username: cluster.username,
    password: cluster.password,
    authEnabled: cluster.authEnabled,
    controlUrl: control.url,
    controlSecret: control.secret
  })
  const stopControl = control.close
  return async () => {
    await stopControl()
    await cluster.stop()
  }
}
