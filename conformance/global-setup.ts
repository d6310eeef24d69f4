/**
 * Starts the real Nacos 3.2 servers once per conformance run (auth off and auth on) and stops them at the end,
 * whatever the tests did. With NACOS_SERVER_ADDR set, the external server is used instead.
 * If a server cannot start, this throws with the server log's tail and the run fails: it never skips.
 */
import type { TestProject } from "vitest/node"
import { startNacosProfiles } from "./server/nacos-server.ts"
import type { ConformanceServers } from "./support.ts"

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const started = Date.now()
  const servers = await startNacosProfiles(["auth-off", "auth-on"])
  process.stderr.write(`[conformance] Nacos servers ready in ${((Date.now() - started) / 1000).toFixed(1)} s\n`)
  const describe = (s: (typeof servers)["auth-off"]) => ({
    serverAddr: s.serverAddr,
    httpPort: s.httpPort,
    grpcPort: s.grpcPort,
    consolePort: s.consolePort,
    username: s.username,
    password: s.password,
    authEnabled: s.authEnabled,
    home: s.home,
    external: s.external
  })
  const provided: ConformanceServers = { authOff: describe(servers["auth-off"]), authOn: describe(servers["auth-on"]) }
  project.provide("nacos", provided)
  return async () => {
    await Promise.all([servers["auth-off"].stop(), servers["auth-on"].stop()])
  }
}
